import t from 'tap'
import { executePlan } from '../workers/kernels/execute.js'
import type { Plan, SelectItem } from '../proto/plan.js'
import type { Batch } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import { drain, makeColumn, rng, rowsOf } from './helpers/kernels.js'

const fields: Field[] = [
  { name: 'id', type: 'int32', nullable: false },
  { name: 'region', type: 'string', nullable: true },
  { name: 'qty', type: 'int64', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
]
const DAY_US = 86_400_000_000n

function batches(count: number, rows: number, seed: number): Batch[] {
  const r = rng(seed)
  return Array.from({ length: count }, (_, bi) => ({
    length: rows,
    columns: [
      makeColumn(fields[0]!, Array.from({ length: rows }, (_, i) => bi * rows + i)),
      makeColumn(fields[1]!, Array.from({ length: rows }, () => (r() < 0.1 ? null : ['EU', 'US', 'APAC'][Math.floor(r() * 3)]!))),
      makeColumn(fields[2]!, Array.from({ length: rows }, () => (r() < 0.1 ? null : BigInt(Math.floor(r() * 100))))),
      makeColumn(fields[3]!, Array.from({ length: rows }, () => BigInt(Math.floor(r() * 400) - 200) * DAY_US + 3_600_000_000n)),
    ],
  }))
}

/** A source that records how far it was pulled and whether it was closed. */
function trackedSource(bs: Batch[]) {
  const st = { pulled: 0, closed: false }
  async function* gen() {
    try {
      for (const b of bs) { st.pulled++; yield b }
    } finally {
      st.closed = true
    }
  }
  return { st, source: gen() }
}

const col = (name: string, column = name, type: SelectItem['type'] = fields.find((f) => f.name === column)!.type): SelectItem =>
  ({ name, expr: { kind: 'column', column }, type })
const basePlan = (p: Partial<Plan>): Plan => ({ select: [], group: [], aggregate: false, filter: null, order: [], limit: null, offset: 0, columns: fields.map((f) => f.name), ...p })

t.test('unordered plans stream and stop pulling at offset + limit', async (t) => {
  const bs = batches(50, 10, 1)
  const { st, source } = trackedSource(bs)
  const plan = basePlan({ select: [col('id'), col('q', 'qty')], filter: { kind: 'cmp', column: 'qty', op: 'gte', value: 50n }, offset: 3, limit: 7 })
  const out = await drain(executePlan(plan, fields, source, { batchRows: 4 }))
  const want = bs.flatMap(rowsOf).filter((r) => r.qty !== null && (r.qty as bigint) >= 50n).slice(3, 10).map((r) => ({ id: r.id, q: r.qty }))
  t.same(out.flatMap(rowsOf), want)
  t.ok(out.every((b) => b.length > 0 && b.length <= 4))
  t.same(out[0]!.columns.map((c) => [c.name, c.type]), [['id', 'int32'], ['q', 'int64']])
  t.ok(st.pulled < 10, `pulled ${st.pulled} of 50 batches`)
  t.ok(st.closed, 'the source was closed (return() called)')
})

t.test('a consumer that stops early closes the source', async (t) => {
  const { st, source } = trackedSource(batches(50, 10, 2))
  for await (const b of executePlan(basePlan({ select: [col('id')] }), fields, source, { batchRows: 100 })) { void b; break }
  t.equal(st.pulled, 1)
  t.ok(st.closed)
})

t.test('limit 0 reads nothing', async (t) => {
  const { st, source } = trackedSource(batches(5, 10, 3))
  t.same(await drain(executePlan(basePlan({ select: [col('id')], limit: 0 }), fields, source, { batchRows: 10 })), [])
  t.equal(st.pulled, 0)
})

t.test('projection with trunc and aliases', async (t) => {
  const bs = batches(3, 20, 4)
  const plan = basePlan({ select: [{ name: 'day', expr: { kind: 'trunc', column: 'ts', unit: 'day' }, type: 'timestamp' }, col('r', 'region')] })
  const out = await drain(executePlan(plan, fields, (async function* () { yield* bs })(), { batchRows: 7 }))
  t.same(out.map((b) => b.length), [7, 7, 6, 7, 7, 6, 7, 7, 6])
  const want = bs.flatMap(rowsOf).map((r) => ({ day: (r.ts as bigint) - 3_600_000_000n, r: r.region }))
  t.same(out.flatMap(rowsOf), want)
})

t.test('ordered plans: ORDER BY a hidden source column with offset/limit (top-K) and without limit', async (t) => {
  const bs = batches(30, 100, 5)
  const ref = bs.flatMap(rowsOf).sort((a, b) => {
    // qty desc nulls first, then id asc
    if (a.qty === null || b.qty === null) return a.qty === b.qty ? (a.id as number) - (b.id as number) : a.qty === null ? -1 : 1
    return a.qty === b.qty ? (a.id as number) - (b.id as number) : (a.qty as bigint) > (b.qty as bigint) ? -1 : 1
  })
  const order = [{ output: null, column: 'qty', desc: true, nullsFirst: true }, { output: 0, column: null, desc: false, nullsFirst: false }]
  const limited = basePlan({ select: [col('id'), col('region')], order, offset: 5, limit: 20 })
  const out = await drain(executePlan(limited, fields, (async function* () { yield* bs })(), { batchRows: 8 }))
  t.same(out.map((b) => b.length), [8, 8, 4])
  t.same(out[0]!.columns.map((c) => c.name), ['id', 'region'])
  t.same(out.flatMap(rowsOf), ref.slice(5, 25).map((r) => ({ id: r.id, region: r.region })))
  const all = basePlan({ select: [col('id')], order, offset: 2990 })
  const tail = await drain(executePlan(all, fields, (async function* () { yield* bs })(), { batchRows: 1000 }))
  t.same(tail.flatMap(rowsOf), ref.slice(2990).map((r) => ({ id: r.id })))
})

t.test('aggregate plans: filter, group, order by an aggregate, limit', async (t) => {
  const bs = batches(20, 50, 6)
  const plan = basePlan({
    aggregate: true,
    select: [col('region'), { name: 'n', expr: { kind: 'agg', fn: 'count', column: null }, type: 'int64' }, { name: 'total', expr: { kind: 'agg', fn: 'sum', column: 'qty' }, type: 'int64' }],
    group: [{ kind: 'column', column: 'region' }],
    filter: { kind: 'cmp', column: 'qty', op: 'lt', value: 90n },
    order: [{ output: 2, column: null, desc: true, nullsFirst: true }],
    limit: 3,
  })
  const out = await drain(executePlan(plan, fields, (async function* () { yield* bs })(), { batchRows: 2 }))
  t.same(out.map((b) => b.length), [2, 1])
  const groups = new Map<string | null, { n: bigint; total: bigint }>()
  for (const r of bs.flatMap(rowsOf)) {
    if (r.qty === null || (r.qty as bigint) >= 90n) continue
    const g = groups.get(r.region as string | null) ?? { n: 0n, total: 0n }
    g.n++; g.total += r.qty as bigint
    groups.set(r.region as string | null, g)
  }
  const want = [...groups].map(([region, g]) => ({ region, ...g })).sort((a, b) => (a.total > b.total ? -1 : 1)).slice(0, 3)
  t.same(out.flatMap(rowsOf), want)
})

t.test('an aggregate without GROUP BY over no rows gives one row', async (t) => {
  const plan = basePlan({ aggregate: true, select: [{ name: 'n', expr: { kind: 'agg', fn: 'count', column: null }, type: 'int64' }, { name: 'm', expr: { kind: 'agg', fn: 'max', column: 'ts' }, type: 'timestamp' }] })
  const out = await drain(executePlan(plan, fields, (async function* () { /* empty */ })(), { batchRows: 10 }))
  t.same(out.flatMap(rowsOf), [{ n: 0n, m: null }])
})
