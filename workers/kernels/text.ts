/**
 * Canonical text of values (API.md, "Values on the wire"): what JSON strings, CSV fields,
 * casts to string and masking by text see. Pure; any thread.
 */
import type { Column } from '../../proto/batch.js'
import { civilFromDays, splitMicros } from './calendar.js'

const TWO_DIGITS: string[] = Array.from({ length: 100 }, (_, i) => (i < 10 ? '0' : '') + i)

function pad6(n: number): string {
  const s = String(n)
  return s.length >= 6 ? s : '000000'.slice(s.length) + s
}

function yearText(y: number): string {
  if (y >= 0 && y <= 9999) return y >= 1000 ? String(y) : String(y).padStart(4, '0')
  // ISO 8601 expanded years: a sign and at least four digits
  return (y < 0 ? '-' : '+') + String(Math.abs(y)).padStart(4, '0')
}

/** "YYYY-MM-DD" of days since 1970-01-01. */
export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days)
  return yearText(y) + '-' + TWO_DIGITS[m] + '-' + TWO_DIGITS[d]
}

/** "HH:MM:SS.ffffff" of µs since midnight (0 <= us < 86_400_000_000). */
export function formatTimeOfDay(us: number): string {
  const secs = Math.floor(us / 1_000_000)
  const frac = us - secs * 1_000_000
  const h = Math.floor(secs / 3600)
  const mi = Math.floor((secs - h * 3600) / 60)
  const s = secs - h * 3600 - mi * 60
  return (h < 100 ? TWO_DIGITS[h] : String(h)) + ':' + TWO_DIGITS[mi] + ':' + TWO_DIGITS[s] + '.' + pad6(frac)
}

/** "HH:MM:SS.ffffff" of a time value (µs since midnight). */
export function formatTime(us: bigint): string {
  return formatTimeOfDay(Number(us))
}

/** "2024-03-01T10:00:00.000000Z" of µs since epoch (UTC); correct before 1970. */
export function formatTimestamp(us: bigint): string {
  const { days, micros } = splitMicros(us)
  return formatDate(days) + 'T' + formatTimeOfDay(micros) + 'Z'
}

/** Shortest round-trip text of a float64; NaN and infinities as "NaN", "Infinity", "-Infinity". */
export function formatFloat64(x: number): string {
  return String(x)
}

/**
 * Shortest text that reads back as the same float32 (a float32 widened to float64 prints
 * as e.g. 0.10000000149011612; this returns "0.1").
 */
export function formatFloat32(x: number): string {
  if (!Number.isFinite(x)) return String(x)
  // JSON.stringify, not String: same text for finite numbers, but String(x) allocates its
  // result in the old generation (V8's number-string cache), garbage that a streaming worker
  // frees only at a full GC (see ByteSink.float)
  if (Number.isInteger(x) && Math.abs(x) < 1e21) return JSON.stringify(x)
  for (let p = 1; p < 9; p++) {
    const y = Number(x.toPrecision(p))
    if (Math.fround(y) === x) return JSON.stringify(y)
  }
  return JSON.stringify(Number(x.toPrecision(9)))
}

/** Standard base64 of bytes. */
export function formatBinary(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('base64')
}

/**
 * A function from row index to the canonical text of that row's value in `col`
 * (null rows give null).
 */
export function textGetter(col: Column): (i: number) => string | null {
  const nulls = col.nulls
  const get = rawTextGetter(col)
  return nulls ? (i) => (nulls[i] ? null : get(i)) : get
}

function rawTextGetter(col: Column): (i: number) => string {
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': case 'decimal': { const a = v as string[]; return (i) => a[i]! }
    case 'int16': case 'int32': { const a = v as Int32Array; return (i) => String(a[i]) }
    case 'int64': { const a = v as BigInt64Array; return (i) => String(a[i]) }
    case 'float64': { const a = v as Float64Array; return (i) => String(a[i]) }
    case 'float32': { const a = v as Float64Array; return (i) => formatFloat32(a[i]!) }
    case 'boolean': { const a = v as Uint8Array; return (i) => (a[i] ? 'true' : 'false') }
    case 'date': { const a = v as Int32Array; return (i) => formatDate(a[i]!) }
    case 'timestamp': { const a = v as BigInt64Array; return (i) => formatTimestamp(a[i]!) }
    case 'time': { const a = v as BigInt64Array; return (i) => formatTime(a[i]!) }
    case 'binary': { const a = v as Uint8Array[]; return (i) => formatBinary(a[i]!) }
  }
}
