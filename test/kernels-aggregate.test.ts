import t, { type Test } from 'tap'
import { Aggregator, type AggregatorState } from '../workers/kernels/aggregate.js'
import type { Plan, SelectItem, AggFn } from '../proto/plan.js'
import type { Field, LogicalType } from '../proto/types.js'
import type { Batch } from '../proto/batch.js'
import { SluiceError } from '../proto/errors.js'
import { makeColumn, randomBatch, rng, rowsOf } from './helpers/kernels.js'

const fields: Field[] = [
  { name: 'g', type: 'string', nullable: true },
  { name: 'i32', type: 'int32', nullable: true },
  { name: 'i64', type: 'int64', nullable: true },
  { name: 'f', type: 'float64', nullable: true },
  { name: 'dec', type: 'decimal', nullable: true, precision: 20, scale: 2 },
  { name: 's', type: 'string', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
]

const agg = (name: string, fn: AggFn, column: string | null, type: LogicalType, extra: Partial<SelectItem> = {}): SelectItem =>
  ({ name, expr: { kind: 'agg', fn, column }, type, ...extra })

function plan(select: SelectItem[], group: Plan['group']): Plan {
  return { select, group, aggregate: true, filter: null, order: [], limit: null, offset: 0, columns: fields.map((f) => f.name) }
}

/** Batch with small groups and values chosen so sums stay meaningful. */
function inputBatch(n: number, seed: number): Batch {
  const r = rng(seed)
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!
  const maybe = <T>(v: T) => (r() < 0.15 ? null : v)
  const col = <T>(f: Field, gen: () => T) => makeColumn(f, Array.from({ length: n }, () => maybe(gen()) as never))
  return {
    length: n,
    columns: [
      col(fields[0]!, () => pick(['EU', 'US', 'APAC', '😀', '\uffff'])),
      col(fields[1]!, () => Math.floor(r() * 2 ** 32) - 2 ** 31),
      col(fields[2]!, () => BigInt(Math.floor(r() * 2 ** 40)) * 1000n - 2n ** 42n),
      col(fields[3]!, () => pick([r() * 100, 0.1, 0.2, -3])),
      col(fields[4]!, () => (r() < 0.5 ? '-' : '') + Math.floor(r() * 1e6) + '.' + String(Math.floor(r() * 100)).padStart(2, '0')),
      col(fields[5]!, () => pick(['a', 'b', 'é', '😀', '\uffff', ''])),
      col(fields[6]!, () => BigInt(Math.floor((r() - 0.5) * 2 ** 51))),
    ],
  }
}

const cp = (s: string) => Array.from(s, (c) => c.codePointAt(0)!)
function cpLess(a: string, b: string): boolean {
  const x = cp(a), y = cp(b)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]!
  return x.length < y.length
}
const decToBig = (s: string) => { const neg = s.startsWith('-'); const [i, f = ''] = s.replace('-', '').split('.'); const v = BigInt(i! + f.padEnd(2, '0')); return neg ? -v : v }
const bigToDec = (v: bigint) => { const neg = v < 0n; const d = (neg ? -v : v).toString().padStart(3, '0'); return (neg ? '-' : '') + d.slice(0, -2) + '.' + d.slice(-2) }

const SELECT = [
  { name: 'g', expr: { kind: 'column', column: 'g' }, type: 'string' } as SelectItem,
  agg('n', 'count', null, 'int64'),
  agg('n_i32', 'count', 'i32', 'int64'),
  agg('nd_s', 'count_distinct', 's', 'int64'),
  agg('sum_i32', 'sum', 'i32', 'int64'),
  agg('sum_i64', 'sum', 'i64', 'int64'),
  agg('sum_f', 'sum', 'f', 'float64'),
  agg('avg_i32', 'avg', 'i32', 'float64'),
  agg('sum_dec', 'sum', 'dec', 'decimal', { precision: 38, scale: 2 }),
  agg('avg_dec', 'avg', 'dec', 'decimal', { precision: 38, scale: 2 }),
  agg('min_s', 'min', 's', 'string'),
  agg('max_s', 'max', 's', 'string'),
  agg('min_ts', 'min', 'ts', 'timestamp'),
  agg('max_f', 'max', 'f', 'float64'),
]

/** Reference aggregation in plain JS over the rows. */
function reference(batches: Batch[]) {
  const groups = new Map<string | null, Array<Record<string, unknown>>>()
  for (const r of batches.flatMap(rowsOf)) {
    const k = r.g as string | null
    if (!groups.has(k)) groups.set(k, [])
    groups.get(k)!.push(r)
  }
  const out = new Map<string | null, Record<string, unknown>>()
  for (const [k, rows] of groups) {
    const nn = (c: string) => rows.map((r) => r[c]).filter((v) => v !== null)
    const i32 = nn('i32') as number[], i64 = nn('i64') as bigint[], f = nn('f') as number[], dec = nn('dec') as string[], s = nn('s') as string[], ts = nn('ts') as bigint[]
    const decSum = dec.reduce((a, b) => a + decToBig(b), 0n)
    // avg rounded half away from zero at scale 2
    let avgDec: string | null = null
    if (dec.length) {
      const n = BigInt(dec.length)
      const q = decSum / n, rem = decSum % n
      const adj = (rem < 0n ? -rem : rem) * 2n >= n ? (decSum < 0n ? -1n : 1n) : 0n
      avgDec = bigToDec(q + adj)
    }
    out.set(k, {
      g: k, n: BigInt(rows.length), n_i32: BigInt(i32.length), nd_s: BigInt(new Set(s).size),
      sum_i32: i32.length ? i32.reduce((a, b) => a + BigInt(b), 0n) : null,
      sum_i64: i64.length ? i64.reduce((a, b) => a + b, 0n) : null,
      sum_f: f.length ? f.reduce((a, b) => a + b, 0) : null,
      avg_i32: i32.length ? Number(i32.reduce((a, b) => a + BigInt(b), 0n)) / i32.length : null,
      sum_dec: dec.length ? bigToDec(decSum) : null,
      avg_dec: avgDec,
      min_s: s.length ? s.reduce((a, b) => (cpLess(b, a) ? b : a)) : null,
      max_s: s.length ? s.reduce((a, b) => (cpLess(a, b) ? b : a)) : null,
      min_ts: ts.length ? ts.reduce((a, b) => (b < a ? b : a)) : null,
      max_f: f.length ? f.reduce((a, b) => (b > a ? b : a)) : null,
    })
  }
  return out
}

function byGroup(b: Batch) {
  return new Map(rowsOf(b).map((r) => [r.g as string | null, r]))
}

function compare(t: Test, got: Map<string | null, Record<string, unknown>>, want: Map<string | null, Record<string, unknown>>) {
  t.same([...got.keys()].sort(), [...want.keys()].sort(), 'same groups')
  for (const [k, w] of want) {
    const g = got.get(k)!
    for (const c of Object.keys(w)) {
      if (c === 'sum_f' || c === 'avg_i32') t.ok(Math.abs((g[c] as number) - (w[c] as number)) <= 1e-9 * Math.max(1, Math.abs(w[c] as number)), `${k} ${c}`)
      else t.same(g[c], w[c], `${k} ${c}`)
    }
  }
}

t.test('grouped aggregates match a plain JS reference', async (t) => {
  const batches = [inputBatch(700, 1), inputBatch(5, 2), inputBatch(0, 3), inputBatch(900, 4)]
  const a = new Aggregator(plan(SELECT, [{ kind: 'column', column: 'g' }]), fields)
  for (const b of batches) a.add(b)
  const res = a.result()
  t.same(res.columns.map((c) => [c.name, c.type]), SELECT.map((s) => [s.name, s.type]))
  t.ok(res.columns[1]!.values instanceof BigInt64Array)
  compare(t, byGroup(res), reference(batches))
})

t.test('merge of partial aggregates equals one aggregate (also through structuredClone)', async (t) => {
  const batches = [inputBatch(400, 10), inputBatch(300, 11), inputBatch(200, 12)]
  const p = plan(SELECT, [{ kind: 'column', column: 'g' }])
  const whole = new Aggregator(p, fields)
  batches.forEach((b) => whole.add(b))
  const left = new Aggregator(p, fields)
  const right = new Aggregator(p, fields)
  const third = new Aggregator(p, fields)
  left.add(batches[0]!)
  right.add(batches[1]!)
  third.add(batches[2]!)
  left.merge(right)
  left.merge(structuredClone(third.state()) as AggregatorState)
  compare(t, byGroup(left.result()), byGroup(whole.result()))
  compare(t, byGroup(left.result()), reference(batches))
  // merging into an empty no-group aggregator
  const p0 = plan(SELECT.slice(1), [])
  const w0 = new Aggregator(p0, fields)
  batches.forEach((b) => w0.add(b))
  const e0 = new Aggregator(p0, fields)
  e0.merge(w0)
  t.same(rowsOf(e0.result()), rowsOf(w0.result()))
})

const i64f: Field[] = [{ name: 'k', type: 'int32', nullable: true }, { name: 'v', type: 'int64', nullable: true }]
const sumPlan = (group: boolean): Plan => ({
  select: [...(group ? [{ name: 'k', expr: { kind: 'column', column: 'k' }, type: 'int32' } as SelectItem] : []), agg('total', 'sum', 'v', 'int64'), agg('mean', 'avg', 'v', 'float64')],
  group: group ? [{ kind: 'column', column: 'k' }] : [], aggregate: true, filter: null, order: [], limit: null, offset: 0, columns: ['k', 'v'],
})
const vBatch = (vals: Array<bigint | null>, keys?: number[]): Batch => ({
  length: vals.length,
  columns: [makeColumn(i64f[0]!, keys ?? vals.map(() => 1)), makeColumn(i64f[1]!, vals)],
})

t.test('int64 sums are exact beyond 2^53 and overflow is an error', async (t) => {
  const big = 2n ** 53n + 1n
  let a = new Aggregator(sumPlan(false), i64f)
  a.add(vBatch([big, big, 1n, -3n, null]))
  t.same(rowsOf(a.result()), [{ total: 2n * big - 2n, mean: Number(2n * big - 2n) / 4 }])
  // many values just under 2^52 cross the number fast path several times
  a = new Aggregator(sumPlan(false), i64f)
  const many = Array.from({ length: 1000 }, (_, i) => 2n ** 52n - BigInt(i))
  a.add(vBatch(many))
  t.same(rowsOf(a.result())[0]!.total, many.reduce((x, y) => x + y, 0n))
  // int32 sums past 2^53 too
  const f32: Field[] = [{ name: 'v', type: 'int32', nullable: false }]
  const p32: Plan = { ...sumPlan(false), select: [agg('total', 'sum', 'v', 'int64')], columns: ['v'] }
  a = new Aggregator(p32, f32)
  const n = 5_000_000
  a.add({ length: n, columns: [{ name: 'v', type: 'int32', values: new Int32Array(n).fill(2 ** 31 - 1), nulls: null }] })
  t.equal(rowsOf(a.result())[0]!.total, BigInt(n) * (2n ** 31n - 1n))
  // 2^63 - 1 reached through an intermediate above the range is fine (the final sum fits)
  const max = 2n ** 63n - 1n
  a = new Aggregator(sumPlan(false), i64f)
  a.add(vBatch([max, 1n, -1n]))
  t.equal(rowsOf(a.result())[0]!.total, max)
  // overflow: never wraps, never becomes a float
  a = new Aggregator(sumPlan(true), i64f)
  a.add(vBatch([max, 1n, 5n], [1, 1, 2]))
  t.throws(() => a.result(), new SluiceError(422, 'invalid_query', 'integer overflow in sum of "v"'))
  try { a.result() } catch (e) { t.equal((e as SluiceError).status, 422); t.equal((e as SluiceError).code, 'invalid_query') }
  a = new Aggregator(sumPlan(false), i64f)
  a.add(vBatch([-max, -2n]))
  t.throws(() => a.result(), { code: 'invalid_query' })
})

t.test('empty input: one row without GROUP BY, none with it', async (t) => {
  const p = plan(SELECT.slice(1), [])
  const a = new Aggregator(p, fields)
  a.add(randomBatch(fields, 0, 1))
  const rows = rowsOf(a.result())
  t.equal(rows.length, 1)
  t.same(rows[0], { n: 0n, n_i32: 0n, nd_s: 0n, sum_i32: null, sum_i64: null, sum_f: null, avg_i32: null, sum_dec: null, avg_dec: null, min_s: null, max_s: null, min_ts: null, max_f: null })
  const g = new Aggregator(plan(SELECT, [{ kind: 'column', column: 'g' }]), fields)
  t.equal(g.result().length, 0)
  // all-null values: sum/avg/min/max null, counts 0 / row count
  const nulls = new Aggregator(p, fields)
  nulls.add({ length: 3, columns: fields.map((f) => makeColumn(f, [null, null, null])) })
  t.same(rowsOf(nulls.result())[0], { ...rows[0], n: 3n })
})

t.test('multi-key groups with trunc, null keys in their own group', async (t) => {
  const f: Field[] = [{ name: 'ts', type: 'timestamp', nullable: true }, { name: 'k', type: 'boolean', nullable: true }]
  const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n
  const b: Batch = {
    length: 7,
    columns: [
      makeColumn(f[0]!, [us('2024-01-05T10:00:00Z'), us('2024-01-31T23:59:59Z'), us('2024-02-01T00:00:00Z'), null, us('1969-12-31T23:00:00Z'), us('1969-12-01T00:00:00Z'), null]),
      makeColumn(f[1]!, [1, 1, 1, 0, null, null, 0]),
    ],
  }
  const p: Plan = {
    select: [
      { name: 'month', expr: { kind: 'trunc', column: 'ts', unit: 'month' }, type: 'timestamp' },
      { name: 'k', expr: { kind: 'column', column: 'k' }, type: 'boolean' },
      agg('n', 'count', null, 'int64'),
    ],
    group: [{ kind: 'trunc', column: 'ts', unit: 'month' }, { kind: 'column', column: 'k' }],
    aggregate: true, filter: null, order: [], limit: null, offset: 0, columns: ['ts', 'k'],
  }
  const a = new Aggregator(p, f)
  a.add(b)
  t.same(rowsOf(a.result()), [
    { month: us('2024-01-01T00:00:00Z'), k: 1, n: 2n },
    { month: us('2024-02-01T00:00:00Z'), k: 1, n: 1n },
    { month: null, k: 0, n: 2n },
    { month: us('1969-12-01T00:00:00Z'), k: null, n: 2n },
  ])
})

t.test('decimal avg rounds half away from zero at the input scale', async (t) => {
  const f: Field[] = [{ name: 'd', type: 'decimal', nullable: true, precision: 10, scale: 2 }]
  const p: Plan = {
    select: [agg('avg', 'avg', 'd', 'decimal', { precision: 38, scale: 2 }), agg('sum', 'sum', 'd', 'decimal', { precision: 38, scale: 2 }), agg('min', 'min', 'd', 'decimal', { precision: 10, scale: 2 }), agg('max', 'max', 'd', 'decimal', { precision: 10, scale: 2 })],
    group: [], aggregate: true, filter: null, order: [], limit: null, offset: 0, columns: ['d'],
  }
  const run = (vals: string[]) => { const a = new Aggregator(p, f); a.add({ length: vals.length, columns: [makeColumn(f[0]!, vals)] }); return rowsOf(a.result())[0] }
  t.same(run(['1.00', '2.00', '2.00']), { avg: '1.67', sum: '5.00', min: '1.00', max: '2.00' })
  t.same(run(['-0.01', '-0.02']), { avg: '-0.02', sum: '-0.03', min: '-0.02', max: '-0.01' })
  t.same(run(['0.01', '0.02']), { avg: '0.02', sum: '0.03', min: '0.01', max: '0.02' })
  t.same(run(['0.01', '0.01', '0.02']), { avg: '0.01', sum: '0.04', min: '0.01', max: '0.02' })
  t.same(run(['99999999.99', '10.00', '-100000000.00']), { avg: '3.33', sum: '9.99', min: '-100000000.00', max: '99999999.99' })
  t.same(run(['-0.01', '0.01', '0.00']), { avg: '0.00', sum: '0.00', min: '-0.01', max: '0.01' })
})

t.test('result types follow the select item (decimal avg as float64, min/max rescaled)', async (t) => {
  const f: Field[] = [{ name: 'd', type: 'decimal', nullable: true, precision: 10, scale: 2 }]
  const p: Plan = {
    select: [agg('avg', 'avg', 'd', 'float64'), agg('max', 'max', 'd', 'decimal', { precision: 12, scale: 4 }), agg('n', 'count', 'd', 'int64')],
    group: [], aggregate: true, filter: null, order: [], limit: null, offset: 0, columns: ['d'],
  }
  const a = new Aggregator(p, f)
  a.add({ length: 3, columns: [makeColumn(f[0]!, ['1.00', '2.00', '2.01'])] })
  const res = a.result()
  t.same(res.columns.map((c) => c.type), ['float64', 'decimal', 'int64'])
  t.same(rowsOf(res), [{ avg: 5.01 / 3, max: '2.0100', n: 3n }])
  t.equal(res.columns[1]!.scale, 4)
})
