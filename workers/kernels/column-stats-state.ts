/**
 * Per-bucket column state for column-stats: accumulate a batch's rows into buckets, merge
 * partial states, compare values by type and write them in API.md's wire encodings. Pure;
 * runs in worker threads.
 */
import type { Column } from '../../proto/batch.js'
import type { Field } from '../../proto/types.js'
import { EXACT_DISTINCT_LIMIT, type ColumnBucketState, type DistinctState, type StatValue } from '../../proto/column-stats.js'
import { hllAdd, hllEstimate, hllMerge, newHll } from './profile/hll.js'
import { formatBinary, formatDate, formatFloat32, formatTime, formatTimestamp } from './text.js'

/** Column-stats buckets are many: a smaller sketch each (p = 12, standard error 1.6 %). */
const BUCKET_HLL_P = 12
const newRegisters = () => newHll(BUCKET_HLL_P)

/** Working state while scanning: distinct keys in a live Set (turned into proto state at the end). */
export interface WorkingState {
  count: number
  nullCount: number
  min: StatValue | null
  max: StatValue | null
  sum: number
  n: number
  set: Set<string> | null
  registers: Uint8Array | null
}

export function newWorkingState(): WorkingState {
  return { count: 0, nullCount: 0, min: null, max: null, sum: 0, n: 0, set: new Set(), registers: null }
}

/** Code-unit → code-point order fix-up, so strings compare by Unicode code point (API.md). */
function fixup(u: number): number {
  return u >= 0xe000 ? u - 0x800 : u >= 0xd800 ? u + 0x2000 : u
}

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i)
    const y = b.charCodeAt(i)
    if (x !== y) return fixup(x) - fixup(y)
  }
  return a.length - b.length
}

/** Compares exact decimal texts ("-12.30"), whatever their scales. */
export function compareDecimals(a: string, b: string): number {
  const na = a.startsWith('-')
  const nb = b.startsWith('-')
  if (na !== nb) return na ? -1 : 1
  const [ia = '0', fa = ''] = (na ? a.slice(1) : a).split('.')
  const [ib = '0', fb = ''] = (nb ? b.slice(1) : b).split('.')
  const scale = Math.max(fa.length, fb.length)
  const ua = BigInt(ia + fa.padEnd(scale, '0'))
  const ub = BigInt(ib + fb.padEnd(scale, '0'))
  const c = ua < ub ? -1 : ua > ub ? 1 : 0
  return na ? -c : c
}

/** Orders two non-null values of one type; null when the type has no order we report (binary, json). */
export function compareValues(type: Field['type'], a: StatValue, b: StatValue): number {
  switch (type) {
    case 'string': return compareCodePoints(a as string, b as string)
    case 'decimal': return compareDecimals(a as string, b as string)
    case 'boolean': return Number(a) - Number(b)
    default: return a < b ? -1 : a > b ? 1 : 0
  }
}

const HAS_MINMAX = new Set<Field['type']>(['string', 'int16', 'int32', 'int64', 'float32', 'float64', 'decimal', 'boolean', 'date', 'timestamp', 'time'])
const HAS_MEAN = new Set<Field['type']>(['int16', 'int32', 'int64', 'float32', 'float64', 'decimal'])

function addKey(s: WorkingState, key: string): void {
  if (s.set) {
    s.set.add(key)
    if (s.set.size > EXACT_DISTINCT_LIMIT) {
      s.registers = newRegisters()
      for (const k of s.set) hllAdd(s.registers, k)
      s.set = null
    }
  } else {
    hllAdd(s.registers!, key)
  }
}

/**
 * Adds row `i` of `col` to `s`. `value` is read from the batch storage (proto/batch.ts);
 * booleans become true/false, binary values only feed the distinct count.
 */
export function addRow(s: WorkingState, col: Column, i: number): void {
  s.count++
  if (col.nulls?.[i]) { s.nullCount++; return }
  const raw = col.values[i]!
  let v: StatValue
  let key: string
  switch (col.type) {
    case 'boolean': v = raw === 1; key = v ? 't' : 'f'; break
    case 'binary': addKey(s, formatBinary(raw as Uint8Array)); return
    case 'json': addKey(s, raw as string); return
    default: v = raw as StatValue; key = typeof v === 'string' ? v : String(v)
  }
  addKey(s, key)
  if (HAS_MEAN.has(col.type)) {
    const x = typeof v === 'number' ? v : Number(v)
    if (x !== x) return // NaN: counted and distinct, but no min/max/mean
    s.sum += x
    s.n++
  }
  if (!HAS_MINMAX.has(col.type)) return
  if (s.min === null || compareValues(col.type, v, s.min) < 0) s.min = v
  if (s.max === null || compareValues(col.type, v, s.max) > 0) s.max = v
}

export function toBucketState(s: WorkingState): ColumnBucketState {
  const distinct: DistinctState = s.set ? { kind: 'set', keys: [...s.set] } : { kind: 'hll', registers: s.registers! }
  return { count: s.count, nullCount: s.nullCount, min: s.min, max: s.max, sum: s.sum, n: s.n, distinct }
}

function mergeDistinct(a: DistinctState, b: DistinctState): DistinctState {
  if (a.kind === 'count' || b.kind === 'count') {
    // A SQL engine's exact count covers the whole bucket: one source only, so keep the other side's count if it is empty.
    const ca = distinctCount(a)
    const cb = distinctCount(b)
    return { kind: 'count', n: ca === 0 ? cb : cb === 0 ? ca : ca + cb }
  }
  if (a.kind === 'set' && b.kind === 'set') {
    const set = new Set(a.keys)
    for (const k of b.keys) set.add(k)
    if (set.size <= EXACT_DISTINCT_LIMIT) return { kind: 'set', keys: [...set] }
    const r = newRegisters()
    for (const k of set) hllAdd(r, k)
    return { kind: 'hll', registers: r }
  }
  const r = newRegisters()
  for (const d of [a, b]) {
    if (d.kind === 'hll') hllMerge(r, d.registers)
    else if (d.kind === 'set') for (const k of d.keys) hllAdd(r, k)
  }
  return { kind: 'hll', registers: r }
}

export function distinctCount(d: DistinctState): number {
  return d.kind === 'set' ? d.keys.length : d.kind === 'hll' ? hllEstimate(d.registers) : d.n
}

/** The merge of two states of one column and bucket. */
export function mergeStates(type: Field['type'], a: ColumnBucketState, b: ColumnBucketState): ColumnBucketState {
  const pick = (x: StatValue | null, y: StatValue | null, sign: number) =>
    x === null ? y : y === null ? x : compareValues(type, y, x) * sign < 0 ? y : x
  return {
    count: a.count + b.count,
    nullCount: a.nullCount + b.nullCount,
    min: pick(a.min, b.min, 1),
    max: pick(a.max, b.max, -1),
    sum: a.sum + b.sum,
    n: a.n + b.n,
    distinct: mergeDistinct(a.distinct, b.distinct),
  }
}

/** JSON text of a min/max value in the wire encoding of the column's type. */
export function wireValue(f: Field, v: StatValue | null): string {
  if (v === null) return 'null'
  switch (f.type) {
    case 'string': return JSON.stringify(v)
    case 'decimal': return JSON.stringify(String(v))
    case 'boolean': return v ? 'true' : 'false'
    case 'int16': case 'int32': case 'int64': return String(v)
    case 'float32': case 'float64': {
      const x = Number(v)
      if (!Number.isFinite(x)) return x !== x ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"'
      return f.type === 'float32' ? formatFloat32(x) : String(x)
    }
    case 'date': return `"${formatDate(Number(v))}"`
    case 'timestamp': return `"${formatTimestamp(BigInt(v))}"`
    case 'time': return `"${formatTime(BigInt(v))}"`
    default: return 'null'
  }
}

/** JSON text of a plain number (non-finite → null). */
export function jsonNumber(x: number | null): string {
  return x === null || !Number.isFinite(x) ? 'null' : String(x)
}
