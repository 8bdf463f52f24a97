/**
 * PostgreSQL text output → Batch columns (proto/batch.ts), the hot loop of the PostgreSQL
 * tasks. Assumes the session settings of proto/pg-session.ts: TimeZone=UTC, DateStyle=ISO,
 * extra_float_digits=3, bytea_output=hex. Every cell arrives as the type's text output (from
 * the cursor or from COPY, identical), or null. Parsing walks char codes: no regex per cell,
 * no Date objects, and integers / times stay in plain numbers until the final BigInt.
 *
 * Values with no equivalent in the logical type are errors, never silent nulls:
 * - numeric 'NaN' / 'Infinity' / '-Infinity' for a decimal column → 422 invalid_query;
 * - timestamps after 294247-01-10 (PostgreSQL goes to 294276) overflow int64 µs → 422
 *   invalid_query;
 * - date / timestamp 'infinity' / '-infinity' → 422 invalid_query. A null would be a silent
 *   change of meaning ("no end date" becomes "unknown"); a dataset that needs them should say
 *   so in its SQL (e.g. `CASE WHEN isfinite(c) THEN c END`).
 * Text that does not parse as the declared type (the source column's type changed since the
 * dataset was described) → 422 schema_mismatch. Messages name the column, never the value (it
 * may be a masked one). Pure; any thread.
 */
import type { Batch, Column, ColumnValues } from '../../proto/batch.js'
import { SluiceError } from '../../proto/errors.js'
import { typeName, type LogicalType } from '../../proto/types.js'
import { daysFromCivil } from '../kernels/calendar.js'
import { rescaleDecimal } from '../kernels/decimal.js'

/** What the decoder needs to know of an output column. */
export interface DecodeField {
  name: string
  type: LogicalType
  precision?: number
  scale?: number
}

/** A column of text cells as PostgreSQL sent them; null is SQL NULL. */
export type TextCells = ArrayLike<string | null>

const MICROS_PER_DAY = 86_400_000_000
const MICROS_PER_SECOND = 1_000_000
/** |days| below this keeps days * MICROS_PER_DAY + µs of day a safe integer */
const SAFE_DAYS = Math.floor(Number.MAX_SAFE_INTEGER / MICROS_PER_DAY) - 1
const FRACTION_SCALE = [1, 100_000, 10_000, 1_000, 100, 10, 1]

class DecodeError extends Error {}

function mismatch(f: DecodeField): SluiceError {
  return new SluiceError(422, 'schema_mismatch',
    `column "${f.name}": a PostgreSQL value is not a valid ${typeName(f)}; the source column's type may have changed`)
}

/** The statement's column count differs from the fields (same text as copy-text.ts). */
export function columnCountMismatch(): SluiceError {
  return new SluiceError(422, 'schema_mismatch', 'the query returned a different number of columns than described')
}

function notRepresentable(f: DecodeField, why: string): SluiceError {
  return new SluiceError(422, 'invalid_query', `column "${f.name}": ${why}`)
}

/** A PostgreSQL special value (NaN, infinity) the logical type has no equivalent for. */
function special(value: string, type: string): DecodeError {
  return new DecodeError(`PostgreSQL value '${value}' has no ${type} equivalent`)
}

/**
 * Decode one column of `length` text cells. Throws SluiceError 422 (see the file comment).
 */
export function decodeColumn(f: DecodeField, cells: TextCells, length: number): Column {
  let nulls: Uint8Array | null = null
  for (let i = 0; i < length; i++) if (cells[i] === null) (nulls ??= new Uint8Array(length))[i] = 1
  let values: ColumnValues
  try {
    values = decodeValues(f, cells, length)
  } catch (err) {
    if (err instanceof DecodeError) throw err.message ? notRepresentable(f, err.message) : mismatch(f)
    throw err
  }
  const col: Column = { name: f.name, type: f.type, values, nulls }
  if (f.type === 'decimal') { col.precision = f.precision ?? 38; col.scale = f.scale ?? 0 }
  return col
}

/** Decode columns of text cells (one array per field, `length` cells each) into a Batch. */
export function decodeColumns(fields: readonly DecodeField[], columns: readonly TextCells[], length: number): Batch {
  return { length, columns: fields.map((f, c) => decodeColumn(f, columns[c]!, length)) }
}

/** Decode rows (arrays of text cells in field order, as pg's rowMode 'array' gives them). */
export function decodeRows(fields: readonly DecodeField[], rows: readonly (readonly (string | null)[])[]): Batch {
  const n = rows.length
  if (n > 0 && rows[0]!.length !== fields.length) throw columnCountMismatch()
  const columns = fields.map((_, c) => {
    const cells = new Array<string | null>(n)
    for (let i = 0; i < n; i++) cells[i] = rows[i]![c]!
    return cells
  })
  return decodeColumns(fields, columns, n)
}

function decodeValues(f: DecodeField, cells: TextCells, n: number): ColumnValues {
  switch (f.type) {
    case 'string': case 'json': {
      const out = new Array<string>(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; out[i] = s === null ? '' : s! }
      return out
    }
    case 'int16': case 'int32': {
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = parseSmallInt(s) }
      return out
    }
    case 'int64': {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = parseInt64(s) }
      return out
    }
    case 'float64': {
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = parseFloatText(s) }
      return out
    }
    case 'float32': {
      const out = new Float64Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = Math.fround(parseFloatText(s)) }
      return out
    }
    case 'decimal': {
      const out = new Array<string>(n)
      const scale = f.scale ?? 0
      const precision = f.precision ?? 38
      for (let i = 0; i < n; i++) { const s = cells[i]; out[i] = s == null ? '0' : decimalText(s, precision, scale) }
      return out
    }
    case 'boolean': {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        const s = cells[i]
        if (s == null) continue
        if (s === 't') out[i] = 1
        else if (s !== 'f') throw new DecodeError()
      }
      return out
    }
    case 'date': {
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = parseDate(s) }
      return out
    }
    case 'timestamp': {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = parseTimestamp(s) }
      return out
    }
    case 'time': {
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) { const s = cells[i]; if (s != null) out[i] = BigInt(parseTimeOfDay(s, 0, s.length)) }
      return out
    }
    case 'binary': {
      const out = new Array<Uint8Array>(n)
      const empty = new Uint8Array(0)
      for (let i = 0; i < n; i++) { const s = cells[i]; out[i] = s == null ? empty : parseBytea(s) }
      return out
    }
  }
}

/** int2 / int4 text. */
function parseSmallInt(s: string): number {
  const n = s.length
  let i = 0
  let neg = false
  if (s.charCodeAt(0) === 45) { neg = true; i = 1 }
  if (i === n || n - i > 10) throw new DecodeError()
  let v = 0
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw new DecodeError()
    v = v * 10 + d
  }
  if (v > 2147483648 || (v === 2147483648 && !neg)) throw new DecodeError()
  return neg ? -v : v
}

/** int8 text, exact: plain numbers up to 15 digits, BigInt parsing beyond. */
function parseInt64(s: string): bigint {
  const n = s.length
  let i = 0
  let neg = false
  if (s.charCodeAt(0) === 45) { neg = true; i = 1 }
  if (i === n) throw new DecodeError()
  if (n - i > 15) {
    for (let k = i; k < n; k++) { const d = s.charCodeAt(k) - 48; if (d < 0 || d > 9) throw new DecodeError() }
    const v = BigInt(s)
    if (v !== BigInt.asIntN(64, v)) throw new DecodeError()
    return v
  }
  let v = 0
  for (; i < n; i++) {
    const d = s.charCodeAt(i) - 48
    if (d < 0 || d > 9) throw new DecodeError()
    v = v * 10 + d
  }
  return BigInt(neg ? -v : v)
}

/** float4 / float8 text; PostgreSQL writes NaN, Infinity and -Infinity exactly as JS reads them. */
function parseFloatText(s: string): number {
  const v = +s
  if (v !== v && s !== 'NaN') throw new DecodeError()
  return v
}

/**
 * numeric text at the field's scale, as exact digit text. PostgreSQL never writes exponents
 * for numeric; a constrained numeric(p,s) column already has exactly s fraction digits, so the
 * common case returns the string as it came.
 */
function decimalText(s: string, precision: number, scale: number): string {
  const n = s.length
  let start = 0
  const c0 = s.charCodeAt(0)
  if (c0 === 45 /* - */) start = 1
  else if (c0 === 78 /* N */ || c0 === 73 /* I */) throw s === 'NaN' || s === 'Infinity' ? special(s, 'decimal') : new DecodeError()
  if (start === 1 && s.charCodeAt(1) === 73) throw s === '-Infinity' ? special(s, 'decimal') : new DecodeError()
  let dot = -1
  let lead = start // first significant integer digit
  for (let i = start; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c === 46) { if (dot >= 0) throw new DecodeError(); dot = i; continue }
    if (c < 48 || c > 57) throw new DecodeError()
    if (dot < 0 && c === 48 && lead === i) lead++
  }
  const intEnd = dot < 0 ? n : dot
  if (intEnd === start && (dot < 0 || dot === n - 1)) throw new DecodeError()
  const intDigits = intEnd - lead
  if (intDigits > precision - scale) throw new DecodeError() // does not fit decimal(p,s)
  const frac = dot < 0 ? 0 : n - dot - 1
  if (frac === scale) return s
  if (frac < scale) return (dot < 0 && scale > 0 ? s + '.' : s) + '0'.repeat(scale - frac)
  return rescaleDecimal(s, scale) // more fraction digits than the field keeps: round half away from zero
}

/** Parse `YYYY-MM-DD` at `i`; returns the day number and sets `cursor.end` past the day. */
function parseYmd(s: string, i: number, cursor: { end: number }): number {
  const n = s.length
  let y = 0
  let k = i
  for (; k < n; k++) {
    const d = s.charCodeAt(k) - 48
    if (d < 0 || d > 9) break
    y = y * 10 + d
  }
  if (k - i < 4 || s.charCodeAt(k) !== 45 || s.charCodeAt(k + 3) !== 45 || k + 6 > n) throw new DecodeError()
  const m = two(s, k + 1)
  const d = two(s, k + 4)
  if (m < 1 || m > 12 || d < 1 || d > 31) throw new DecodeError()
  cursor.end = k + 6
  return daysFromCivil(isBC(s) ? 1 - y : y, m, d)
}

function isBC(s: string): boolean {
  const n = s.length
  return n > 3 && s.charCodeAt(n - 1) === 67 /* C */ && s.charCodeAt(n - 2) === 66 /* B */ && s.charCodeAt(n - 3) === 32
}

function two(s: string, i: number): number {
  const a = s.charCodeAt(i) - 48
  const b = s.charCodeAt(i + 1) - 48
  if (a < 0 || a > 9 || b < 0 || b > 9) throw new DecodeError()
  return a * 10 + b
}

const cursorBox = { end: 0 }

/** date text: `YYYY-MM-DD`, longer years, ` BC`. */
function parseDate(s: string): number {
  const c0 = s.charCodeAt(0)
  if (c0 === 105 /* i */ || c0 === 45 /* - */) throw s === 'infinity' || s === '-infinity' ? special(s, 'date') : new DecodeError()
  const days = parseYmd(s, 0, cursorBox)
  const end = cursorBox.end
  if (end !== s.length && !(end === s.length - 3 && isBC(s))) throw new DecodeError()
  return days
}

/**
 * µs since midnight of `HH:MM:SS[.ffffff]` in s[i, end). 24:00:00 (which PostgreSQL allows)
 * is 86,400,000,000.
 */
function parseTimeOfDay(s: string, i: number, end: number): number {
  if (end - i < 8 || s.charCodeAt(i + 2) !== 58 || s.charCodeAt(i + 5) !== 58) throw new DecodeError()
  const h = two(s, i)
  const mi = two(s, i + 3)
  const sec = two(s, i + 6)
  let us = 0
  let k = i + 8
  if (k < end) {
    if (s.charCodeAt(k) !== 46) throw new DecodeError()
    k++
    const start = k
    for (; k < end; k++) {
      const d = s.charCodeAt(k) - 48
      if (d < 0 || d > 9) throw new DecodeError()
      us = us * 10 + d
    }
    const digits = k - start
    if (digits < 1 || digits > 6) throw new DecodeError()
    us *= FRACTION_SCALE[digits]!
  }
  if (h > 24 || mi > 59 || sec > 60) throw new DecodeError()
  return ((h * 60 + mi) * 60 + sec) * MICROS_PER_SECOND + us
}

/**
 * timestamptz text `YYYY-MM-DD HH:MM:SS[.ffffff]+00[:MM[:SS]][ BC]` → µs since epoch, UTC.
 * Any offset is applied (TimeZone=UTC makes it +00); no offset (a timestamp without time
 * zone) reads as UTC.
 */
function parseTimestamp(s: string): bigint {
  const c0 = s.charCodeAt(0)
  if (c0 === 105 /* i */ || c0 === 45 /* - */) throw s === 'infinity' || s === '-infinity' ? special(s, 'timestamp') : new DecodeError()
  const days = parseYmd(s, 0, cursorBox)
  let k = cursorBox.end
  if (s.charCodeAt(k) !== 32) throw new DecodeError()
  k++
  let end = isBC(s) ? s.length - 3 : s.length
  // offset: the last '+' or '-' after the seconds
  let offsetSeconds = 0
  let z = end - 1
  while (z >= k + 8) {
    const c = s.charCodeAt(z)
    if (c === 43 || c === 45) break
    z--
  }
  if (z >= k + 8) {
    const sign = s.charCodeAt(z) === 45 ? -1 : 1
    const oh = two(s, z + 1)
    let om = 0
    let os = 0
    if (z + 3 < end) {
      if (s.charCodeAt(z + 3) !== 58) throw new DecodeError()
      om = two(s, z + 4)
      if (z + 6 < end) {
        if (s.charCodeAt(z + 6) !== 58) throw new DecodeError()
        os = two(s, z + 7)
        if (z + 9 !== end) throw new DecodeError()
      } else if (z + 6 !== end) throw new DecodeError()
    } else if (z + 3 !== end) throw new DecodeError()
    offsetSeconds = sign * (oh * 3600 + om * 60 + os)
    end = z
  }
  const us = parseTimeOfDay(s, k, end) - offsetSeconds * MICROS_PER_SECOND
  if (days > -SAFE_DAYS && days < SAFE_DAYS) return BigInt(days * MICROS_PER_DAY + us)
  const v = BigInt(days) * 86_400_000_000n + BigInt(us)
  // PostgreSQL counts from 2000-01-01, so its last ~1,000 years of timestamps do not fit
  if (v !== BigInt.asIntN(64, v)) throw new DecodeError('a PostgreSQL timestamp after 294247-01-10 does not fit in 64-bit microseconds since 1970')
  return v
}

const HEX = new Int8Array(128).fill(-1)
for (let i = 0; i < 10; i++) HEX[48 + i] = i
for (let i = 0; i < 6; i++) { HEX[65 + i] = 10 + i; HEX[97 + i] = 10 + i }

/** bytea hex output `\x0a1b` → bytes (an exact-size array of its own, never a pooled slice). */
function parseBytea(s: string): Uint8Array {
  const n = s.length
  if (n < 2 || s.charCodeAt(0) !== 92 || s.charCodeAt(1) !== 120 || (n & 1) !== 0) throw new DecodeError()
  const out = new Uint8Array((n - 2) >> 1)
  for (let i = 2, j = 0; i < n; i += 2, j++) {
    const hi = HEX[s.charCodeAt(i) & 127]!
    const lo = HEX[s.charCodeAt(i + 1) & 127]!
    if (hi < 0 || lo < 0 || s.charCodeAt(i) > 127 || s.charCodeAt(i + 1) > 127) throw new DecodeError()
    out[j] = (hi << 4) | lo
  }
  return out
}
