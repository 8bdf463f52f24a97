/** Shared generators and plain-JS views for the kernels tests (not a test file itself). */
import type { Batch, Column } from '../../proto/batch.js'
import type { Field, LogicalType } from '../../proto/types.js'

import { rng } from './data.js'
export { rng }

export const ALL_FIELDS: Field[] = [
  { name: 's', type: 'string', nullable: true },
  { name: 'j', type: 'json', nullable: true },
  { name: 'i16', type: 'int16', nullable: true },
  { name: 'i32', type: 'int32', nullable: true },
  { name: 'i64', type: 'int64', nullable: true },
  { name: 'f32', type: 'float32', nullable: true },
  { name: 'f64', type: 'float64', nullable: true },
  { name: 'dec', type: 'decimal', nullable: true, precision: 38, scale: 3 },
  { name: 'b', type: 'boolean', nullable: true },
  { name: 'd', type: 'date', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 't', type: 'time', nullable: true },
  { name: 'bin', type: 'binary', nullable: true },
]

const STRINGS = ['', 'a', 'abc', 'Ünïcödé', '😀 astral', '\uffff', '\ue000x', 'line\nbreak', 'comma,quote"', 'tab\t', ' lead', '\u0000nul']

/** One random value in the Batch representation of `type` (never null). */
export function randomValue(type: LogicalType, r: () => number): string | number | bigint | Uint8Array {
  const pick = <T>(a: T[]) => a[Math.floor(r() * a.length)]!
  switch (type) {
    case 'string': return pick(STRINGS) + (r() < 0.5 ? String(Math.floor(r() * 100)) : '')
    case 'json': return JSON.stringify({ k: Math.floor(r() * 10), s: pick(STRINGS) })
    case 'int16': return Math.floor(r() * 65536) - 32768
    case 'int32': return Math.floor(r() * 2 ** 32) - 2 ** 31
    case 'int64': return BigInt.asIntN(64, (BigInt(Math.floor(r() * 2 ** 32)) << 32n) | BigInt(Math.floor(r() * 2 ** 32)))
    case 'float32': return pick([Math.fround(r() * 1000 - 500), Math.fround(0.1), NaN, Infinity, -Infinity, 0, -1.5])
    case 'float64': return pick([r() * 1e6 - 5e5, 0.1, NaN, Infinity, -Infinity, -0, 1e300, 5e-324])
    case 'decimal': {
      const neg = r() < 0.5 ? '-' : ''
      const intPart = pick(['0', '1', '12', '123456789', '99999999999999999999999999999999999'])
      const frac = String(Math.floor(r() * 1000)).padStart(3, '0')
      const s = intPart + '.' + frac
      return s === '0.000' ? s : neg + s
    }
    case 'boolean': return r() < 0.5 ? 1 : 0
    case 'date': return Math.floor(r() * 2_000_000) - 1_000_000
    case 'timestamp': return BigInt(Math.floor(r() * 2 ** 52)) * (r() < 0.5 ? -1n : 1n) + BigInt(Math.floor(r() * 1000))
    case 'time': return BigInt(Math.floor(r() * 86_400_000_000))
    case 'binary': return Uint8Array.from({ length: Math.floor(r() * 6) }, () => Math.floor(r() * 256))
  }
}

/** A column from plain cells (null = SQL null), in the Batch representation. */
export function makeColumn(f: Field, cells: Array<string | number | bigint | Uint8Array | null>): Column {
  const n = cells.length
  const nulls = cells.some((c) => c === null) ? Uint8Array.from(cells, (c) => (c === null ? 1 : 0)) : null
  let values: Column['values']
  switch (f.type) {
    case 'string': case 'json': case 'decimal': values = cells.map((c) => (c === null ? '' : (c as string))); break
    case 'int16': case 'int32': case 'date': values = Int32Array.from(cells, (c) => (c === null ? 0 : Number(c))); break
    case 'int64': case 'timestamp': case 'time': values = BigInt64Array.from(cells, (c) => (c === null ? 0n : BigInt(c as bigint))); break
    case 'float32': case 'float64': values = Float64Array.from(cells, (c) => (c === null ? 0 : Number(c))); break
    case 'boolean': values = Uint8Array.from(cells, (c) => (c === null ? 0 : Number(c))); break
    case 'binary': values = cells.map((c) => (c === null ? new Uint8Array(0) : (c as Uint8Array))); break
  }
  void n
  const col: Column = { name: f.name, type: f.type, values, nulls }
  if (f.type === 'decimal') { col.precision = f.precision; col.scale = f.scale }
  return col
}

/** A random batch over `fields`, about `nullRate` nulls. */
export function randomBatch(fields: Field[], n: number, seed: number, nullRate = 0.2): Batch {
  const r = rng(seed)
  return {
    length: n,
    columns: fields.map((f) => makeColumn(f, Array.from({ length: n }, () => (r() < nullRate ? null : randomValue(f.type, r))))),
  }
}

/** Plain cells of a column (null for null rows; bytes copied). */
export function cellsOf(col: Column, n = col.values.length): Array<string | number | bigint | number[] | null> {
  const out: Array<string | number | bigint | number[] | null> = []
  for (let i = 0; i < n; i++) {
    if (col.nulls?.[i]) { out.push(null); continue }
    const v = col.values[i]!
    out.push(v instanceof Uint8Array ? [...v] : (v as string | number | bigint))
  }
  return out
}

/** Rows of a batch as objects of plain cells (for deep comparisons). */
export function rowsOf(b: Batch): Array<Record<string, unknown>> {
  const cols = b.columns.map((c) => cellsOf(c, b.length))
  return Array.from({ length: b.length }, (_, i) => Object.fromEntries(b.columns.map((c, k) => [c.name, cols[k]![i]])))
}

/** Drain an async iterable. */
export async function drain<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const x of it) out.push(x)
  return out
}

export async function* fromArray<T>(xs: T[]): AsyncGenerator<T> {
  for (const x of xs) yield x
}
