/**
 * Delta per-file statistics, the `stats` JSON string of an `add` action, written the way
 * Spark writes it:
 *   {"numRecords":N,"minValues":{...},"maxValues":{...},"nullCount":{...}}
 * Readers use min/max to skip files, so every bound here is a true bound (never tighter than
 * the data). Pure; any thread.
 *
 * - int64: JSON numbers with exact digits (written from the bigint, never through a double).
 * - float64: JSON numbers (shortest round trip); NaN is skipped; ±Infinity is left out (JSON
 *   cannot express it; a missing bound means "unknown").
 * - date: "YYYY-MM-DD".
 * - timestamp: ISO with milliseconds, "2024-03-01T10:00:00.123Z". Spark truncates to ms: both
 *   min and max are floored to the millisecond, so the written max can be up to 999 µs BELOW
 *   the real max. A reader pruning on maxValues of a timestamp must add 1 ms first.
 * - string: min is the first 32 characters (code points) of the real min, a lower bound. max
 *   is exact when it has at most 32 characters; a longer max is cut to 32 characters and its
 *   last incrementable character incremented, an upper bound; if none can be, max is left out.
 *   Strings compare by Unicode code point (= UTF-8 byte order, what Spark and delta-rs use).
 * - boolean: no min/max.
 * - nullCount for every column. A column without non-null values has no min/max.
 */
import { isUtf8Values, type Utf8Values, type WriteBatch } from '../../proto/batch.js'
import type { LogicalType } from '../../proto/types.js'
import { formatDate } from '../kernels/text.js'

export const STRING_PREFIX_LENGTH = 32

interface ColumnStats {
  name: string
  type: LogicalType
  nullCount: number
  min: bigint | number | string | null
  max: bigint | number | string | null
  /** string bounds from Utf8Values batches (UTF-8 byte order is code point order) */
  minBytes: Uint8Array | null
  maxBytes: Uint8Array | null
}

/** Accumulates the statistics of one data file from its Batches. */
export class DeltaStats {
  numRecords = 0
  #cols: ColumnStats[]

  constructor(fields: ReadonlyArray<{ name: string; type: LogicalType }>) {
    this.#cols = fields.map((f) => ({ name: f.name, type: f.type, nullCount: 0, min: null, max: null, minBytes: null, maxBytes: null }))
  }

  add(batch: WriteBatch): void {
    const n = batch.length
    this.numRecords += n
    batch.columns.forEach((col, c) => {
      const st = this.#cols[c]!
      const nulls = col.nulls
      if (nulls) for (let i = 0; i < n; i++) st.nullCount += nulls[i]!
      switch (st.type) {
        case 'int64': case 'timestamp': case 'int16': case 'int32': case 'date': case 'time':
          integerRange(st, col.values as BigInt64Array | Int32Array, nulls, n)
          break
        case 'float64': case 'float32':
          floatRange(st, col.values as Float64Array, nulls, n)
          break
        case 'string': case 'json':
          if (isUtf8Values(col.values)) utf8Range(st, col.values, nulls, n)
          else stringRange(st, col.values as string[], nulls, n)
          break
        default:
          break // boolean, binary, decimal: nullCount only
      }
    })
  }

  /** The stats JSON string. */
  toJSON(): string {
    const mins: string[] = []
    const maxs: string[] = []
    const nulls: string[] = []
    for (const st of this.#cols) {
      mergeUtf8Bounds(st)
      const key = JSON.stringify(st.name)
      nulls.push(`${key}:${st.nullCount}`)
      if (st.min === null || st.max === null) continue
      const lo = formatBound(st.type, st.min, 'min')
      const hi = formatBound(st.type, st.max, 'max')
      if (lo !== null) mins.push(`${key}:${lo}`)
      if (hi !== null) maxs.push(`${key}:${hi}`)
    }
    return `{"numRecords":${this.numRecords},"minValues":{${mins.join(',')}},"maxValues":{${maxs.join(',')}},"nullCount":{${nulls.join(',')}}}`
  }
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

function integerRange(st: ColumnStats, v: BigInt64Array | Int32Array, nulls: Uint8Array | null, n: number): void {
  if (v instanceof BigInt64Array && LITTLE_ENDIAN) { int64Range(st, v, nulls, n); return }
  let min = st.min as bigint | number | null
  let max = st.max as bigint | number | null
  for (let i = 0; i < n; i++) {
    if (nulls && nulls[i]) continue
    const x = v[i]!
    if (min === null || x < min) min = x
    if (max === null || x > max) max = x
  }
  st.min = min
  st.max = max
}

/**
 * integerRange for int64 values without making a BigInt per value (each one is a heap
 * allocation): values are compared by their signed high and unsigned low 32-bit halves and
 * only the two winners are read as bigints.
 */
function int64Range(st: ColumnStats, v: BigInt64Array, nulls: Uint8Array | null, n: number): void {
  const hi = new Int32Array(v.buffer, v.byteOffset, 2 * n)
  const lo = new Uint32Array(v.buffer, v.byteOffset, 2 * n)
  let minAt = -1
  let maxAt = -1
  let minHi = 0, minLo = 0, maxHi = 0, maxLo = 0
  for (let i = 0; i < n; i++) {
    if (nulls && nulls[i]) continue
    const h = hi[2 * i + 1]!
    const l = lo[2 * i]!
    if (minAt < 0) { minAt = maxAt = i; minHi = maxHi = h; minLo = maxLo = l; continue }
    if (h < minHi || (h === minHi && l < minLo)) { minAt = i; minHi = h; minLo = l }
    else if (h > maxHi || (h === maxHi && l > maxLo)) { maxAt = i; maxHi = h; maxLo = l }
  }
  if (minAt < 0) return
  const lowest = v[minAt]!
  const highest = v[maxAt]!
  if (st.min === null || lowest < (st.min as bigint)) st.min = lowest
  if (st.max === null || highest > (st.max as bigint)) st.max = highest
}

function floatRange(st: ColumnStats, v: Float64Array, nulls: Uint8Array | null, n: number): void {
  // numbers only in the loop (a `number | null` bound makes every comparison generic)
  let lo = Infinity
  let hi = -Infinity
  let any = false
  for (let i = 0; i < n; i++) {
    if (nulls && nulls[i]) continue
    const x = v[i]!
    if (x !== x) continue // NaN
    any = true
    if (x < lo) lo = x
    if (x > hi) hi = x
  }
  if (!any) return
  if (st.min === null || lo < (st.min as number)) st.min = lo
  if (st.max === null || hi > (st.max as number)) st.max = hi
}

function stringRange(st: ColumnStats, v: string[], nulls: Uint8Array | null, n: number): void {
  let min = st.min as string | null
  let max = st.max as string | null
  for (let i = 0; i < n; i++) {
    if (nulls && nulls[i]) continue
    const s = v[i]!
    if (min === null || compareCodePoints(s, min) < 0) min = s
    if (max === null || compareCodePoints(s, max) > 0) max = s
  }
  st.min = min
  st.max = max
}

/** Like stringRange over UTF-8 values, comparing bytes; the bounds are kept as copies. */
function utf8Range(st: ColumnStats, v: Utf8Values, nulls: Uint8Array | null, n: number): void {
  const { offsets, bytes } = v
  let minAt = -1
  let maxAt = -1
  let min = st.minBytes
  let max = st.maxBytes
  for (let i = 0; i < n; i++) {
    if (nulls && nulls[i]) continue
    const s = offsets[i]!
    const e = offsets[i + 1]!
    if (min === null) { min = max = bytes.subarray(s, e); minAt = maxAt = i; continue }
    // the first byte mostly decides (-1: the empty string)
    const c = s < e ? bytes[s]! : -1
    if (c <= (min.length > 0 ? min[0]! : -1) && compareBytes(bytes, s, e, min) < 0) { min = bytes.subarray(s, e); minAt = i }
    else if (c >= (max!.length > 0 ? max![0]! : -1) && compareBytes(bytes, s, e, max!) > 0) { max = bytes.subarray(s, e); maxAt = i }
  }
  // the batch's buffers are not ours to keep
  if (minAt >= 0) st.minBytes = min!.slice()
  if (maxAt >= 0) st.maxBytes = max!.slice()
}

/** b[s, e) compared with `other`, bytewise. */
function compareBytes(b: Uint8Array, s: number, e: number, other: Uint8Array): number {
  const n = Math.min(e - s, other.length)
  for (let k = 0; k < n; k++) {
    const d = b[s + k]! - other[k]!
    if (d !== 0) return d
  }
  return e - s - other.length
}

/** Fold the UTF-8 bounds into the string bounds (once, when writing the JSON). */
function mergeUtf8Bounds(st: ColumnStats): void {
  if (st.minBytes === null || st.maxBytes === null) return
  const decoder = new TextDecoder()
  const lo = decoder.decode(st.minBytes)
  const hi = decoder.decode(st.maxBytes)
  if (st.min === null || compareCodePoints(lo, st.min as string) < 0) st.min = lo
  if (st.max === null || compareCodePoints(hi, st.max as string) > 0) st.max = hi
  st.minBytes = st.maxBytes = null
}

/**
 * Compare by Unicode code point. JS `<` compares UTF-16 code units, which puts U+E000..U+FFFF
 * above the surrogate pairs of U+10000.. ; code point (and UTF-8 byte) order is the reverse.
 */
export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length)
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      x = x >= 0xe000 ? x - 0x800 : x + 0x2000
      y = y >= 0xe000 ? y - 0x800 : y + 0x2000
    }
    return x - y
  }
  return a.length - b.length
}

function formatBound(type: LogicalType, v: bigint | number | string, side: 'min' | 'max'): string | null {
  switch (type) {
    case 'int64': case 'int16': case 'int32':
      return String(v) // bigint → exact digits
    case 'float64': case 'float32':
      return Number.isFinite(v as number) ? JSON.stringify(v) : null
    case 'date':
      return `"${formatDate(v as number)}"`
    case 'timestamp':
      return JSON.stringify(timestampMillisText(v as bigint))
    case 'string': case 'json': {
      const s = side === 'min' ? prefixCodePoints(v as string, STRING_PREFIX_LENGTH) : stringUpperBound(v as string)
      return s === null ? null : JSON.stringify(s)
    }
    default:
      return null
  }
}

/** µs since epoch → "YYYY-MM-DDTHH:MM:SS.mmmZ", floored to the millisecond. */
export function timestampMillisText(us: bigint): string {
  let ms = us / 1000n
  if (us < 0n && ms * 1000n !== us) ms -= 1n
  return new Date(Number(ms)).toISOString()
}

/** The first `n` code points of `s`. */
export function prefixCodePoints(s: string, n: number): string {
  if (s.length <= n) return s
  let i = 0
  for (let k = 0; k < n && i < s.length; k++) {
    const c = s.charCodeAt(i)
    i += c >= 0xd800 && c <= 0xdbff && i + 1 < s.length ? 2 : 1
  }
  return s.slice(0, i)
}

/**
 * `s` itself when it has at most 32 code points; else a string greater than every string that
 * starts with its first 32 code points: that prefix with the last code point that can be
 * incremented incremented (skipping the surrogate range) and the rest dropped. null when no
 * code point can be incremented (all U+10FFFF).
 */
export function stringUpperBound(s: string): string | null {
  const prefix = prefixCodePoints(s, STRING_PREFIX_LENGTH)
  if (prefix.length === s.length) return s
  const cps = Array.from(prefix, (c) => c.codePointAt(0)!)
  for (let k = cps.length - 1; k >= 0; k--) {
    let cp = cps[k]! + 1
    if (cp === 0xd800) cp = 0xe000
    if (cp > 0x10ffff) continue
    return String.fromCodePoint(...cps.slice(0, k), cp)
  }
  return null
}
