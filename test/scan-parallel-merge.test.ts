/**
 * Parallel aggregate scans: the rows split into parts, each part aggregated on its own (with
 * the plan's filter as a selection, dictionary-encoded strings in some batches), the partial
 * states structured-cloned as between workers and merged in part order, give the same result
 * as one aggregator over all rows. Property-based over random data and plans.
 */
import t from 'tap'
import fc from 'fast-check'
import type { Batch } from '../proto/batch.js'
import type { AggFn, Filter, Plan, ScalarExpr, SelectItem } from '../proto/plan.js'
import type { Field, LogicalType } from '../proto/types.js'
import { Aggregator, type AggregatorState } from '../workers/kernels/aggregate.js'
import { aggregateInto } from '../workers/kernels/execute.js'
import { dictionaryEncode, dictionaryOf, decodeUtf8Dictionary } from '../workers/kernels/dictionary.js'
import { attachNumberView } from '../workers/kernels/int64-view.js'
import { fromArray, makeColumn, rng, rowsOf } from './helpers/kernels.js'

const FIELDS: Field[] = [
  { name: 'g', type: 'string', nullable: true },
  { name: 'k', type: 'int32', nullable: true },
  { name: 'i', type: 'int64', nullable: true },
  { name: 'f', type: 'float64', nullable: true },
  { name: 'dec', type: 'decimal', nullable: true, precision: 20, scale: 2 },
  { name: 's', type: 'string', nullable: true },
]

const GROUPS = ['a', 'b', 'Ünï', '', 'z😀']
const WORDS = ['apple', 'Apple', 'banana', 'ä', 'zz', '', 'b']

/** Random rows; floats are multiples of 1/4 so sums are exact in any order. */
function batchOf(n: number, r: () => number): Batch {
  const maybe = <T>(v: T) => (r() < 0.2 ? null : v)
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!
  // half the batches hold only small int64 values (cached columns get a double twin)
  const big = r() < 0.5
  const cols: Record<string, Array<string | number | bigint | null>> = { g: [], k: [], i: [], f: [], dec: [], s: [] }
  for (let j = 0; j < n; j++) {
    cols.g!.push(maybe(pick(GROUPS)))
    cols.k!.push(maybe(Math.floor(r() * 4)))
    cols.i!.push(maybe(BigInt(Math.floor(r() * 2e9) - 1e9) * (big && r() < 0.1 ? 1_000_000n : 1n)))
    cols.f!.push(maybe(Math.floor(r() * 4000 - 2000) / 4))
    cols.dec!.push(maybe(`${r() < 0.5 ? '-' : ''}${Math.floor(r() * 1e6)}.${String(Math.floor(r() * 100)).padStart(2, '0')}`))
    cols.s!.push(maybe(pick(WORDS)))
  }
  return { length: n, columns: FIELDS.map((f) => makeColumn(f, cols[f.name]!)) }
}

const agg = (name: string, fn: AggFn, column: string | null, type: LogicalType, extra: Partial<SelectItem> = {}): SelectItem =>
  ({ name, expr: { kind: 'agg', fn, column }, type, ...extra })

const AGGS: SelectItem[] = [
  agg('n', 'count', null, 'int64'),
  agg('ns', 'count', 's', 'int64'),
  agg('cds', 'count_distinct', 's', 'int64'),
  agg('cdk', 'count_distinct', 'k', 'int64'),
  agg('si', 'sum', 'i', 'int64'),
  agg('sf', 'sum', 'f', 'float64'),
  agg('af', 'avg', 'f', 'float64'),
  agg('ak', 'avg', 'k', 'float64'),
  agg('sd', 'sum', 'dec', 'decimal', { precision: 38, scale: 2 }),
  agg('ad', 'avg', 'dec', 'decimal', { precision: 38, scale: 4 }),
  agg('mins', 'min', 's', 'string'),
  agg('maxs', 'max', 's', 'string'),
  agg('mind', 'min', 'dec', 'decimal', { precision: 20, scale: 2 }),
  agg('maxf', 'max', 'f', 'float64'),
]

const GROUP_SETS: string[][] = [[], ['g'], ['k'], ['g', 'k'], ['s']]
const FILTERS: (Filter | null)[] = [
  null,
  { kind: 'cmp', column: 'g', op: 'eq', value: 'a' },
  { kind: 'in', column: 'g', values: ['b', ''] },
  { kind: 'cmp', column: 'k', op: 'gte', value: 2n },
  { kind: 'or', children: [{ kind: 'cmp', column: 's', op: 'lt', value: 'b' }, { kind: 'is', column: 'g', value: null }] },
  { kind: 'not', child: { kind: 'like', column: 's', pattern: 'a*', caseInsensitive: true } },
  { kind: 'cmp', column: 'i', op: 'lt', value: 12345n },
]

function planOf(groupSet: string[], aggPicks: number[], filter: Filter | null): Plan {
  const group: ScalarExpr[] = groupSet.map((c) => ({ kind: 'column', column: c }))
  const keys: SelectItem[] = groupSet.map((c) => ({ name: c, expr: { kind: 'column', column: c }, type: FIELDS.find((f) => f.name === c)!.type }))
  const aggs = [...new Set(aggPicks)].map((k) => AGGS[k]!)
  return { select: [...keys, ...aggs], group, aggregate: true, filter, order: [], limit: null, offset: 0, columns: FIELDS.map((f) => f.name) }
}

/** Rows of a result, sorted by their group keys (parts may create groups in another order). */
function sortedRows(b: Batch, keys: string[]): string[] {
  const big = (_k: string, v: unknown) => (typeof v === 'bigint' ? `${v}n` : v)
  return rowsOf(b).map((r) => JSON.stringify(r, big)).sort((x, y) => {
    const kx = JSON.stringify(keys.map((k) => JSON.parse(x)[k]))
    const ky = JSON.stringify(keys.map((k) => JSON.parse(y)[k]))
    return kx < ky ? -1 : kx > ky ? 1 : 0
  })
}

/** Batch with its string columns dictionary-encoded and small int64 twins (as the column cache serves them). */
function encoded(b: Batch): Batch {
  const columns = b.columns.map(dictionaryEncode)
  for (const c of columns) attachNumberView(c)
  return { length: b.length, columns }
}

t.test('partial aggregates merged in part order equal one aggregator over all rows', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.integer({ min: 1, max: 2 ** 30 }),
    fc.array(fc.integer({ min: 0, max: 120 }), { minLength: 0, maxLength: 6 }),
    fc.integer({ min: 1, max: 4 }),
    fc.constantFrom(...GROUP_SETS),
    fc.array(fc.integer({ min: 0, max: AGGS.length - 1 }), { minLength: 1, maxLength: 6 }),
    fc.constantFrom(...FILTERS),
    async (seed, sizes, parts, groupSet, aggPicks, filter) => {
      const r = rng(seed)
      const batches = sizes.map((n) => batchOf(n, r))
      const plan = planOf(groupSet, aggPicks, filter)

      const single = new Aggregator(plan, FIELDS)
      await aggregateInto(single, plan, fromArray(batches))

      // batch k goes to part k % parts; some parts see dictionary-encoded strings
      const states: AggregatorState[] = []
      for (let p = 0; p < parts; p++) {
        const mine = batches.filter((_, k) => k % parts === p).map((b) => (r() < 0.5 ? encoded(b) : b))
        const a = new Aggregator(plan, FIELDS)
        await aggregateInto(a, plan, fromArray(mine))
        states.push(structuredClone(a.state()))
      }
      const merged = new Aggregator(plan, FIELDS)
      for (const st of states) merged.merge(st)

      t.strictSame(sortedRows(merged.result(), groupSet), sortedRows(single.result(), groupSet))
    },
  ), { numRuns: 150 })
})

t.test('dictionary decoding of Utf8 bytes equals plain decoding, and gives up on distinct values', async (t) => {
  const enc = new TextEncoder()
  const build = (values: string[]) => {
    const parts = values.map((v) => enc.encode(v))
    const offsets = new Int32Array(values.length + 1)
    let p = 0
    parts.forEach((b, i) => { offsets[i] = p; p += b.length })
    offsets[values.length] = p
    const bytes = new Uint8Array(p)
    let q = 0
    for (const b of parts) { bytes.set(b, q); q += b.length }
    return { offsets, bytes }
  }
  const values = Array.from({ length: 5000 }, (_, i) => ['EU', 'US', 'Ünïcödé', '', '😀', 'EU '][i % 6]!)
  const { offsets, bytes } = build(values)
  const out = decodeUtf8Dictionary(offsets, bytes, values.length)
  t.strictSame(out, values)
  const dict = dictionaryOf({ name: 'x', type: 'string', values: out!, nulls: null })!
  t.equal(dict.values.length, 6)
  t.ok(dict.values.every((v, c) => out!.every((x, i) => (dict.codes[i] === c) === (x === v))), 'codes point at their values')
  const distinct = Array.from({ length: 5000 }, (_, i) => `user${i}@example.com`)
  const d = build(distinct)
  t.equal(decodeUtf8Dictionary(d.offsets, d.bytes, distinct.length), null, 'mostly distinct: plain decoding instead')
  // few distinct values, all with the same length and first, middle and last bytes
  const alike = Array.from({ length: 5000 }, (_, i) => `a${String(i % 400).padStart(3, '0')}b${String(i % 400).padStart(3, '0')}a`)
  const l = build(alike)
  const got = decodeUtf8Dictionary(l.offsets, l.bytes, alike.length)
  t.ok(got === null || got.every((x, i) => x === alike[i]), 'colliding values: right strings or plain decoding')
})
