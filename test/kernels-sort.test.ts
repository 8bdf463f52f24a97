import t from 'tap'
import { TopK, sortBatch, sortKeysFor, type SortKey } from '../workers/kernels/sort.js'
import type { Batch } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import type { OrderItem } from '../proto/plan.js'
import { makeColumn, rng, rowsOf } from './helpers/kernels.js'

const fields: Field[] = [
  { name: 'id', type: 'int32', nullable: false },
  { name: 's', type: 'string', nullable: true },
  { name: 'x', type: 'float64', nullable: true },
  { name: 'big', type: 'int64', nullable: true },
  { name: 'dec', type: 'decimal', nullable: true, precision: 10, scale: 2 },
]

function batchOf(n: number, seed: number, idStart = 0): Batch {
  const r = rng(seed)
  const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)]!
  const maybe = <T>(v: T) => (r() < 0.2 ? null : v)
  return {
    length: n,
    columns: [
      makeColumn(fields[0]!, Array.from({ length: n }, (_, i) => idStart + i)),
      makeColumn(fields[1]!, Array.from({ length: n }, () => maybe(pick(['a', 'b', '😀', '\uffff', '', 'ab'])))),
      makeColumn(fields[2]!, Array.from({ length: n }, () => maybe(pick([NaN, -Infinity, 1, 2, -0.5, 1e10])))),
      makeColumn(fields[3]!, Array.from({ length: n }, () => maybe(pick([2n ** 60n, -(2n ** 60n), 0n, 9007199254740993n, 9007199254740992n])))),
      makeColumn(fields[4]!, Array.from({ length: n }, () => maybe(pick(['-1.00', '10.00', '9.99', '0.00', '100.50'])))),
    ],
  }
}

/** Reference comparator on plain rows, written independently of the kernel. */
function refCmp(keys: Array<{ name: string; desc: boolean; nullsFirst: boolean }>) {
  const val = (name: string, v: unknown): number | bigint | number[] => {
    if (name === 's') return Array.from(v as string, (c) => c.codePointAt(0)!)
    if (name === 'dec') return Math.round(Number(v) * 100)
    if (name === 'x') return Number.isNaN(v) ? Infinity * 2 : (v as number) // NaN sorts above +Infinity; handled below
    return v as number | bigint
  }
  const cmpVal = (name: string, a: unknown, b: unknown): number => {
    if (name === 'x') {
      const an = Number.isNaN(a), bn = Number.isNaN(b)
      if (an || bn) return an && bn ? 0 : an ? 1 : -1
    }
    const x = val(name, a), y = val(name, b)
    if (Array.isArray(x) && Array.isArray(y)) {
      for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1
      return Math.sign(x.length - y.length)
    }
    return x < y ? -1 : x > y ? 1 : 0
  }
  return (a: Record<string, unknown>, b: Record<string, unknown>) => {
    for (const k of keys) {
      const x = a[k.name], y = b[k.name]
      if (x === null || y === null) {
        if (x === null && y === null) continue
        return (x === null) === k.nullsFirst ? -1 : 1
      }
      const c = cmpVal(k.name, x, y) * (k.desc ? -1 : 1)
      if (c !== 0) return c
    }
    return (a.id as number) - (b.id as number)
  }
}

const keySets: Array<Array<{ name: string; desc: boolean; nullsFirst: boolean }>> = [
  [{ name: 's', desc: false, nullsFirst: false }],
  [{ name: 's', desc: true, nullsFirst: true }, { name: 'x', desc: false, nullsFirst: false }],
  [{ name: 'x', desc: true, nullsFirst: false }],
  [{ name: 'big', desc: false, nullsFirst: true }, { name: 'dec', desc: true, nullsFirst: false }],
  [{ name: 'dec', desc: false, nullsFirst: false }, { name: 's', desc: false, nullsFirst: true }],
]

const toKeys = (ks: typeof keySets[0]): SortKey[] => ks.map((k) => ({ index: fields.findIndex((f) => f.name === k.name), desc: k.desc, nullsFirst: k.nullsFirst }))

t.test('sortBatch matches a reference sort (stable, code points, NaN, nulls)', async (t) => {
  const b = batchOf(2000, 3)
  for (const ks of keySets) {
    const got = rowsOf(sortBatch(b, toKeys(ks))).map((r) => r.id)
    const want = rowsOf(b).sort(refCmp(ks)).map((r) => r.id)
    t.same(got, want, JSON.stringify(ks))
    t.same(rowsOf(sortBatch(b, toKeys(ks), 25)).map((r) => r.id), want.slice(0, 25), 'limited ' + JSON.stringify(ks))
  }
})

t.test('TopK over many batches equals sorting everything', async (t) => {
  for (const [ki, ks] of keySets.entries()) {
    for (const k of [0, 1, 10, 333, 5000]) {
      const top = new TopK(() => toKeys(ks), k)
      const batches = Array.from({ length: 12 }, (_, i) => batchOf(i % 3 === 0 ? 0 : 300 + i, 100 + i + ki, i * 1000))
      for (const b of batches) top.add(b)
      const got = rowsOf(top.result({ length: 0, columns: [] })).map((r) => r.id)
      const want = batches.flatMap(rowsOf).sort(refCmp(ks)).slice(0, k).map((r) => r.id)
      t.same(got, want, `k=${k} ${JSON.stringify(ks)}`)
    }
  }
})

t.test('sortKeysFor resolves output indexes and hidden source columns', async (t) => {
  const b: Batch = {
    length: 3,
    columns: [
      makeColumn({ name: 'a', type: 'int32', nullable: false }, [3, 1, 2]),
      makeColumn({ name: 'x', type: 'int32', nullable: false }, [1, 2, 3]), // select item named like a source column
      makeColumn({ name: 'x', type: 'int32', nullable: false }, [9, 8, 7]), // hidden source column "x"
    ],
  }
  const order: OrderItem[] = [{ output: null, column: 'x', desc: false, nullsFirst: false }]
  t.same(sortKeysFor(order, b, 2), [{ index: 2, desc: false, nullsFirst: false }])
  t.same(rowsOf(sortBatch(b, sortKeysFor(order, b, 2))).map((r) => r.a), [2, 1, 3])
  t.same(sortKeysFor([{ output: 0, column: null, desc: true, nullsFirst: true }], b, 2), [{ index: 0, desc: true, nullsFirst: true }])
})
