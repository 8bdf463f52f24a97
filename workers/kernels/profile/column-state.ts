/**
 * One column's profile state: counts, min/max (by the kernels' ordering: strings by code point,
 * decimals exactly, int64 exactly, NaN above every float as in DuckDB), distinct values,
 * value counts, moments, quantiles, string lengths and a date/timestamp histogram. Built from
 * Batches in a scan worker (`add`), shipped as a plain `ColumnPartial`, merged in the finish
 * worker (`ColumnState.merge`). Pure; worker threads.
 */
import type { Column } from '../../../proto/batch.js'
import type { ColumnPartial } from '../../../proto/profile.js'
import { NUMERIC_TYPES, type Field } from '../../../proto/types.js'
import { compareStrings } from '../scalar.js'
import { decimalToUnscaled, unscaledNumber } from '../decimal.js'
import type { Key } from './hash.js'
import { DistinctCounter, type DistinctPartial } from './distinct.js'
import { NUMBER_TOP_LIMIT, TOP_COUNTERS, TopCounter, type TopPartial } from './top-values.js'
import { momentsAdd, momentsMerge, newMoments, type Moments } from './moments.js'
import { QuantileState, type QuantilePartial } from './quantiles.js'
import { Histogram, type HistPartial } from './histogram.js'

const TWO32 = 4294967296

export interface Lengths { min: number; max: number; sum: number; empty: number }

interface ColumnStatePartial {
  name: string
  count: number
  nullCount: number
  min: Key | null
  max: Key | null
  distinct: DistinctPartial
  top: TopPartial | null
  moments: Moments | null
  quantiles: QuantilePartial | null
  lengths: Lengths | null
  hist: HistPartial | null
}

/** Unicode code points in `s` (DuckDB's length()): UTF-16 units minus paired low surrogates. */
export function codePointLength(s: string): number {
  let n = s.length
  for (let i = 1; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xdc00 && c <= 0xdfff) {
      const p = s.charCodeAt(i - 1)
      if (p >= 0xd800 && p <= 0xdbff) n--
    }
  }
  return n
}

/** A strict "a sorts before b" for the keys of a field's type. */
export function keyLess(field: Field): (a: Key, b: Key) => boolean {
  switch (field.type) {
    case 'string': case 'json': case 'binary':
      return (a, b) => compareStrings(a as string, b as string) < 0
    case 'decimal': {
      const scale = field.scale ?? 0
      const num = (t: string): number | bigint => { const v = unscaledNumber(t, scale); return v === v ? v : decimalToUnscaled(t, scale) }
      return (a, b) => num(a as string) < num(b as string)
    }
    case 'float32': case 'float64':
      // NaN above everything (DuckDB's float order)
      return (a, b) => (a !== a ? false : b !== b ? true : (a as number) < (b as number))
    default:
      return (a, b) => a < b
  }
}

export class ColumnState {
  count = 0
  nullCount = 0
  min: Key | null = null
  max: Key | null = null
  readonly distinct = new DistinctCounter()
  readonly top: TopCounter | null
  readonly moments: Moments | null
  quantiles: QuantileState | null
  readonly lengths: Lengths | null
  readonly hist: Histogram | null
  readonly #less: (a: Key, b: Key) => boolean

  constructor(readonly field: Field) {
    const t = field.type
    const numeric = NUMERIC_TYPES.has(t)
    const text = t === 'string' || t === 'json'
    this.top = numeric ? new TopCounter(NUMBER_TOP_LIMIT, true) : text || t === 'boolean' ? new TopCounter(TOP_COUNTERS, false) : null
    this.moments = numeric ? newMoments() : null
    this.quantiles = numeric ? new QuantileState() : null
    this.lengths = text ? { min: Infinity, max: -Infinity, sum: 0, empty: 0 } : null
    this.hist = t === 'date' ? new Histogram('day') : t === 'timestamp' ? new Histogram('hour') : null
    this.#less = keyLess(field)
  }

  /** decimals: the unscaled values of min and max, so each value is parsed once */
  #minNum: number | bigint = 0
  #maxNum: number | bigint = 0

  #minMax(k: Key): void {
    if (this.field.type === 'decimal') {
      const scale = this.field.scale ?? 0
      const t = k as string
      const u = unscaledNumber(t, scale)
      const v = u === u ? u : decimalToUnscaled(t, scale)
      if (this.min === null) { this.min = this.max = k; this.#minNum = this.#maxNum = v; return }
      if (v < this.#minNum) { this.min = k; this.#minNum = v } else if (v > this.#maxNum) { this.max = k; this.#maxNum = v }
      return
    }
    if (this.min === null) { this.min = this.max = k; return }
    if (this.#less(k, this.min)) this.min = k
    else if (this.#less(this.max!, k)) this.max = k
  }

  /** Accumulate the rows of one column of a Batch. */
  add(col: Column, length: number): void {
    this.count += length
    const nulls = col.nulls
    const t = this.field.type
    const v = col.values
    const m = this.moments
    const q = this.quantiles
    const top = this.top
    const distinct = this.distinct
    const each = (key: (i: number) => Key, extra?: (k: Key, i: number) => void) => {
      for (let i = 0; i < length; i++) {
        if (nulls && nulls[i]) { this.nullCount++; continue }
        const k = key(i)
        distinct.add(k)
        top?.add(k)
        this.#minMax(k)
        extra?.(k, i)
      }
    }
    const numberStats = (x: number) => { momentsAdd(m!, x); q!.add(x) }
    switch (t) {
      case 'string': case 'json': {
        const a = v as string[]
        const len = this.lengths!
        each((i) => a[i]!, (k) => {
          const n = codePointLength(k as string)
          if (n < len.min) len.min = n
          if (n > len.max) len.max = n
          len.sum += n
          if (n === 0) len.empty++
        })
        break
      }
      case 'decimal': { const a = v as string[]; each((i) => a[i]!, (k) => numberStats(Number(k))); break }
      case 'int16': case 'int32': case 'float32': case 'float64': {
        const a = v as Int32Array | Float64Array
        each((i) => a[i]!, (k) => numberStats(k as number))
        break
      }
      case 'int64': case 'timestamp': case 'time': {
        const a = v as BigInt64Array
        const w = new Int32Array(a.buffer, a.byteOffset, a.length * 2)
        // keys: numbers while |v| < 2^53 (no BigInt per value), bigints beyond
        const key = (i: number): Key => {
          const hi = w[2 * i + 1]!
          return hi >= -0x200000 && hi < 0x200000 ? hi * TWO32 + (w[2 * i]! >>> 0) : a[i]!
        }
        if (t === 'int64') each(key, (k) => numberStats(Number(k)))
        else if (t === 'timestamp') { const h = this.hist!; each(key, (k) => h.addMicros(Number(k))) }
        else each(key)
        break
      }
      case 'date': { const a = v as Int32Array; const h = this.hist!; each((i) => a[i]!, (k) => h.addDay(k as number)); break }
      case 'boolean': { const a = v as Uint8Array; each((i) => a[i]!); break }
      case 'binary': {
        const a = v as Uint8Array[]
        each((i) => Buffer.from(a[i]!.buffer, a[i]!.byteOffset, a[i]!.byteLength).toString('latin1'))
        break
      }
    }
  }

  toPartial(): ColumnPartial {
    const p: ColumnStatePartial = {
      name: this.field.name, count: this.count, nullCount: this.nullCount, min: this.min, max: this.max,
      distinct: this.distinct.toPartial(), top: this.top?.toPartial() ?? null,
      moments: this.moments, quantiles: this.quantiles?.toPartial() ?? null,
      lengths: this.lengths, hist: this.hist?.toPartial() ?? null,
    }
    return p as unknown as ColumnPartial
  }

  /** The merged state of a column's partials (any number, in any order). */
  static merge(field: Field, partials: ColumnPartial[]): ColumnState {
    const s = new ColumnState(field)
    const parts = partials as unknown as ColumnStatePartial[]
    for (const p of parts) {
      s.count += p.count
      s.nullCount += p.nullCount
      if (p.min !== null) { s.#minMax(p.min); s.#minMax(p.max!) }
      s.distinct.merge(p.distinct)
      if (s.top && p.top) s.top.merge(p.top)
      if (s.moments && p.moments) momentsMerge(s.moments, p.moments)
      if (s.lengths && p.lengths) {
        const a = s.lengths, b = p.lengths
        a.min = Math.min(a.min, b.min); a.max = Math.max(a.max, b.max); a.sum += b.sum; a.empty += b.empty
      }
      if (s.hist && p.hist) s.hist.merge(p.hist)
    }
    if (s.quantiles) s.quantiles = QuantileState.merge(parts.map((p) => p.quantiles!).filter(Boolean))
    return s
  }
}
