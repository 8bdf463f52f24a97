/**
 * CSV cell text -> typed values: the recognisers used by type inference (strict) and the
 * converters used when building columns (lenient, for forced types). Pure; any thread.
 *
 * Decisions (README, "CSV uploads"):
 * - int64: `[+-]?digits`. Inference refuses leading zeros (`007`, zip codes stay strings) and
 *   values outside the int64 range (they make the column string, never float). A forced
 *   int64 accepts leading zeros.
 * - float64: `[+-]?(digits[.digits*] | .digits)([eE][+-]?digits)?`, so `1.5`, `5.`, `.5`,
 *   `-2e10`; `nan`, `inf`, `infinity` (any case, inf with a sign) too, but a column of only
 *   those is string (names like "Nan" must stay text). Inference refuses a
 *   leading zero before other digits (`01.5`). A value that overflows to Infinity or
 *   underflows to 0 is not a float (it would lose data). An integer beyond ±2^53 is not a
 *   float either: a column mixing floats with such integers becomes string.
 * - boolean: `true` / `false`, any case. Nothing else (not 0/1, not yes/no).
 * - date: `YYYY-MM-DD`, a real calendar date, years 0001-9999.
 * - timestamp: `YYYY-MM-DD[T ]HH:MM[:SS[.f{1,6}]]` then optionally `Z` or `±HH:MM`; no zone
 *   means UTC. More than 6 fractional digits is not a timestamp. Stored as µs since epoch.
 * - Cells are never trimmed: ` 42` is a string.
 * - Decimal comma (`comma` arguments, the `decimal=,` option): a float is written with `,`
 *   (`3,5`, `-1,5e3`) and text with a `.` is not a number; thousands separators are not read.
 *   Integers, dates and timestamps are not affected.
 */
import { daysFromCivil } from '../kernels/calendar.js'

/** Inference lattice codes. NULL: only empty cells so far. */
export const NULL = 0
export const BOOLEAN = 1
export const INT = 2
export const FLOAT = 3
export const DATE = 4
export const TIMESTAMP = 5
export const STRING = 6
/** classify() result only: an integer beyond ±2^53 (exact in int64, not in float64) */
export const INT_WIDE = 7
/**
 * Only `nan` / `inf` / `infinity` so far. Joined with a number it is float64; on its own it
 * stays string, so that a column of names like "Nan" never turns into NaN.
 */
export const NAN_INF = 8

export type TypeCode = number

/** intKind result: 0 not an int64, 1 an int64 within ±2^53, 2 an int64 beyond ±2^53 */
export type IntKind = 0 | 1 | 2

const TWO_POW_53 = '9007199254740992'
const INT64_MAX = '9223372036854775807'
const INT64_MIN_ABS = '9223372036854775808'

/**
 * Whether `s` is an int64 in text, and whether it is exact as a float64. `strict` refuses
 * leading zeros (inference); lenient accepts them (forced int64 columns).
 */
export function intKind(s: string, strict: boolean): IntKind {
  const n = s.length
  if (n === 0) return 0
  let i = 0
  let c = s.charCodeAt(0)
  let neg = false
  if (c === 43 || c === 45) {
    neg = c === 45
    i = 1
    if (n === 1) return 0
  }
  if (s.charCodeAt(i) === 48 && n - i > 1) {
    if (strict) return 0
    while (i < n - 1 && s.charCodeAt(i) === 48) i++
  }
  for (let j = i; j < n; j++) {
    c = s.charCodeAt(j)
    if (c < 48 || c > 57) return 0
  }
  const len = n - i
  if (len < 16) return 1
  if (len > 19) return 0
  const digits = i === 0 ? s : s.slice(i)
  if (len === 16) return digits <= TWO_POW_53 ? 1 : 2
  if (len < 19) return 2
  return digits <= (neg ? INT64_MIN_ABS : INT64_MAX) ? 2 : 0
}

const STRICT_FLOAT = /^[+-]?(?:(?:0|[1-9]\d*)(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const LENIENT_FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const SPECIAL_FLOAT = /^(?:[+-]?inf(?:inity)?|nan)$/i
const NONZERO_MANTISSA = /^[^eE]*[1-9]/

/**
 * The float64 value of `s`, or undefined when it is not a float in text (or would overflow /
 * underflow). Integer text is accepted here; callers decide about integers beyond 2^53.
 */
export function floatValue(s: string, strict: boolean, comma = false): number | undefined {
  if (comma) {
    if (s.includes('.')) return undefined
    s = s.replace(',', '.')
  }
  if (!(strict ? STRICT_FLOAT : LENIENT_FLOAT).test(s)) {
    if (!SPECIAL_FLOAT.test(s)) return undefined
    const c = s.charCodeAt(0) | 0x20
    if (c === 110) return NaN // "nan"
    return s.charCodeAt(0) === 45 ? -Infinity : Infinity
  }
  const v = Number(s)
  if (!Number.isFinite(v)) return undefined
  if (v === 0 && NONZERO_MANTISSA.test(s)) return undefined
  return v
}

/** Whether `s` is a float cell of an inferred float64 column (no integer beyond ±2^53). */
export function isStrictFloatCell(s: string, comma = false): boolean {
  const k = intKind(s, true)
  if (k === 1) return true
  if (k === 2) return false
  if (isIntegerText(s)) return false // out of int64, or leading zeros: string
  return floatValue(s, true, comma) !== undefined
}

/**
 * The value of a cell of an inferred float64 column (what isStrictFloatCell accepts), or
 * undefined: one strict parse instead of a check and a lenient parse.
 */
export function strictFloatCell(s: string, comma = false): number | undefined {
  const k = intKind(s, true)
  if (k === 1) return Number(s)
  if (k === 2 || isIntegerText(s)) return undefined
  return floatValue(s, true, comma)
}

/** `[+-]?digits` (any length, leading zeros allowed). */
function isIntegerText(s: string): boolean {
  const n = s.length
  let i = s.charCodeAt(0) === 43 || s.charCodeAt(0) === 45 ? 1 : 0
  if (i === n) return false
  for (; i < n; i++) {
    const c = s.charCodeAt(i)
    if (c < 48 || c > 57) return false
  }
  return true
}

/** 1 for true, 0 for false, -1 for anything else. Case-insensitive. */
export function booleanValue(s: string): number {
  if (s.length === 4) {
    if (s === 'true') return 1
    return s.toLowerCase() === 'true' ? 1 : -1
  }
  if (s.length === 5) {
    if (s === 'false') return 0
    return s.toLowerCase() === 'false' ? 0 : -1
  }
  return -1
}

const DAYS_IN_MONTH = [0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]

function digit(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48
  return c >= 0 && c <= 9 ? c : -100_000 // poisons any sum it enters
}

function two(s: string, i: number): number {
  return digit(s, i) * 10 + digit(s, i + 1)
}

/** Days since 1970-01-01 of the `YYYY-MM-DD` at s[0..10), or NaN. Ignores what follows. */
function datePrefix(s: string): number {
  if (s.length < 10 || s.charCodeAt(4) !== 45 || s.charCodeAt(7) !== 45) return NaN
  return civilDays(two(s, 0) * 100 + two(s, 2), two(s, 5), two(s, 8))
}

/**
 * Day number of the first of each month of years 1..9999, filled as met (0: not yet; values
 * are stored + MONTH_BIAS to stay positive): a date column parses millions of cells of a few
 * hundred months.
 */
const monthStart = new Int32Array(10000 * 12)
const MONTH_BIAS = 1_000_000

/** Days since 1970-01-01 of year-month-day when it is a real date of years 1..9999, else NaN. */
export function civilDays(y: number, m: number, d: number): number {
  if (y < 1 || m < 1 || m > 12 || d < 1) return NaN
  const dim = m === 2 && (y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)) ? 29 : DAYS_IN_MONTH[m]!
  if (d > dim) return NaN
  const k = y * 12 + m - 1
  let first = monthStart[k]!
  if (first === 0) monthStart[k] = first = daysFromCivil(y, m, 1) + MONTH_BIAS
  return first - MONTH_BIAS + d - 1
}

/** Days since 1970-01-01 of a `YYYY-MM-DD` cell, or NaN. */
export function dateValue(s: string): number {
  return s.length === 10 ? datePrefix(s) : NaN
}

/**
 * Scratch output of timestampParts (set only when it returns true): whole seconds since the
 * epoch (exact in a double: |seconds| < 2^38) and the µs within that second (0..999999).
 * Module-level so that parsing a cell allocates nothing.
 */
export const tsOut = { seconds: 0, micros: 0 }

/**
 * Parse a timestamp cell into `tsOut`. `allowDate`: a bare `YYYY-MM-DD` counts as midnight
 * UTC (timestamp columns hold dates too, as date widens to timestamp).
 */
export function timestampParts(s: string, allowDate: boolean): boolean {
  const n = s.length
  if (n === 10) {
    if (!allowDate) return false
    const days = datePrefix(s)
    if (Number.isNaN(days)) return false
    tsOut.seconds = days * 86400
    tsOut.micros = 0
    return true
  }
  if (n < 16) return false
  const sep = s.charCodeAt(10)
  if (sep !== 84 && sep !== 32) return false // 'T' or ' '
  const days = datePrefix(s)
  if (Number.isNaN(days) || s.charCodeAt(13) !== 58) return false
  const hh = two(s, 11)
  const mi = two(s, 14)
  if (hh < 0 || hh > 23 || mi < 0 || mi > 59) return false
  let i = 16
  let ss = 0
  let micros = 0
  if (i < n && s.charCodeAt(i) === 58) {
    if (i + 3 > n) return false
    ss = two(s, i + 1)
    if (ss < 0 || ss > 59) return false
    i += 3
    if (i < n && s.charCodeAt(i) === 46) {
      i++
      let k = 0
      while (i < n && k < 7) {
        const d = s.charCodeAt(i) - 48
        if (d < 0 || d > 9) break
        micros = micros * 10 + d
        i++
        k++
      }
      if (k === 0 || k > 6) return false
      for (; k < 6; k++) micros *= 10
    }
  }
  let offsetMinutes = 0
  if (i < n) {
    const c = s.charCodeAt(i)
    if (c === 90) { // 'Z'
      i++
    } else if (c === 43 || c === 45) {
      if (i + 6 !== n || s.charCodeAt(i + 3) !== 58) return false
      const oh = two(s, i + 1)
      const om = two(s, i + 4)
      if (oh < 0 || oh > 23 || om < 0 || om > 59) return false
      offsetMinutes = (oh * 60 + om) * (c === 45 ? -1 : 1)
      i += 6
    } else {
      return false
    }
  }
  if (i !== n) return false
  tsOut.seconds = days * 86400 + hh * 3600 + mi * 60 + ss - offsetMinutes * 60
  tsOut.micros = micros
  return true
}

/** Strict classification of a non-empty cell (inference). Returns a lattice code or INT_WIDE. */
export function classify(s: string, comma = false): TypeCode {
  const c = s.charCodeAt(0)
  if ((c >= 48 && c <= 57) || c === 43 || c === 45 || c === 46) {
    const k = intKind(s, true)
    if (k === 1) return INT
    if (k === 2) return INT_WIDE
    if (isIntegerText(s)) return STRING // leading zeros or beyond int64
    if (floatValue(s, true, comma) !== undefined) return SPECIAL_FLOAT.test(s) ? NAN_INF : FLOAT
    if (c >= 48 && c <= 57 && s.length >= 10) {
      if (s.length === 10) return Number.isNaN(datePrefix(s)) ? STRING : DATE
      return timestampParts(s, false) ? TIMESTAMP : STRING
    }
    return STRING
  }
  if (c === 116 || c === 84 || c === 102 || c === 70) return booleanValue(s) >= 0 ? BOOLEAN : STRING
  if (c === 105 || c === 73 || c === 110 || c === 78) return SPECIAL_FLOAT.test(s) ? NAN_INF : STRING
  return STRING
}

/**
 * The lattice join of two codes (neither INT_WIDE): int64 → float64 → string; boolean →
 * string; date → timestamp → string; any other mix → string. `wideInts`: the column holds an
 * integer beyond ±2^53, so int + float is string (float64 would round it).
 */
export function join(a: TypeCode, b: TypeCode, wideInts: boolean): TypeCode {
  if (a === b) return a
  if (a === NULL) return b
  if (b === NULL) return a
  if (isNumeric(a) && isNumeric(b)) return wideInts ? STRING : FLOAT // INT, FLOAT, NAN_INF: two differ
  if ((a === DATE && b === TIMESTAMP) || (a === TIMESTAMP && b === DATE)) return TIMESTAMP
  return STRING
}

function isNumeric(t: TypeCode): boolean {
  return t === INT || t === FLOAT || t === NAN_INF
}

/** Whether a non-empty cell keeps a column of code `t` at `t` (inference, strict). */
export function fitsInferred(t: TypeCode, s: string, comma = false): boolean {
  switch (t) {
    case STRING: return true
    case INT: return intKind(s, true) !== 0
    case FLOAT: return isStrictFloatCell(s, comma)
    case BOOLEAN: return booleanValue(s) >= 0
    case DATE: return s.length === 10 && !Number.isNaN(datePrefix(s))
    case TIMESTAMP: return timestampParts(s, true)
    case NAN_INF: return SPECIAL_FLOAT.test(s)
    default: return false
  }
}

/** The logical type name of a final lattice code (NULL, all empty, and NAN_INF are string). */
export function typeOfCode(t: TypeCode): 'string' | 'int64' | 'float64' | 'boolean' | 'date' | 'timestamp' {
  switch (t) {
    case INT: return 'int64'
    case FLOAT: return 'float64'
    case BOOLEAN: return 'boolean'
    case DATE: return 'date'
    case TIMESTAMP: return 'timestamp'
    default: return 'string'
  }
}

/** Whether a non-empty cell converts to a forced (override) type; lenient forms allowed. */
export function fitsForced(type: string, s: string, comma = false): boolean {
  switch (type) {
    case 'string': return true
    case 'int64': return intKind(s, false) !== 0
    case 'float64': return floatValue(s, false, comma) !== undefined
    case 'boolean': return booleanValue(s) >= 0
    case 'date': return !Number.isNaN(dateValue(s))
    case 'timestamp': return timestampParts(s, true)
    default: return false
  }
}
