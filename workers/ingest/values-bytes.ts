/**
 * Fast paths of values.ts on UTF-8 bytes, for the write pass (columns.ts `appendBytes`): the
 * common spellings of a cell are converted without making a string. Each function answers
 * only for text it fully understands and otherwise says "not fast" (NaN / -1 / false); the
 * caller then decodes the cell and asks values.ts, which stays the definition. So a fast path
 * may be narrower than values.ts, never different: whatever it accepts is pure ASCII and
 * converts to exactly what values.ts gives for that text. Pure; any thread.
 */
import { civilDays, tsOut } from './values.js'

/** 10^k, exact in a double for k <= 22 */
const POW10 = Array.from({ length: 23 }, (_, k) => 10 ** k)

/**
 * The int64 value of `[+-]?digits` with 1-15 digits and no leading zero (so within ±2^53:
 * intKind gives 1, and Number(s) is this value), else NaN.
 */
export function intFast(b: Uint8Array, s: number, e: number): number {
  let i = s
  let neg = false
  if (i < e && (b[i] === 45 || b[i] === 43)) { neg = b[i] === 45; i++ }
  const n = e - i
  if (n < 1 || n > 15 || (b[i] === 48 && n > 1)) return NaN
  let v = 0
  for (; i < e; i++) {
    const d = b[i]! - 48
    if (d < 0 || d > 9) return NaN
    v = v * 10 + d
  }
  return neg ? -v : v
}

/**
 * The float64 value of `[+-]?digits[<dec>digits]` with at most 15 digits in all and no
 * leading zero before other integer digits, else NaN. `dec` is the decimal separator's byte.
 * Exact: the digits form an integer below 2^53 and 10^k (k <= 15) is exact, so one IEEE
 * division is the correctly rounded value, which Number(s) also is.
 */
export function floatFast(b: Uint8Array, s: number, e: number, dec: number): number {
  let i = s
  let neg = false
  if (i < e && (b[i] === 45 || b[i] === 43)) { neg = b[i] === 45; i++ }
  const intStart = i
  let m = 0
  let d = 0
  while (i < e && (d = b[i]! - 48) >= 0 && d <= 9) { m = m * 10 + d; i++ }
  const intDigits = i - intStart
  if (intDigits === 0 || (intDigits > 1 && b[intStart] === 48)) return NaN
  let frac = 0
  if (i < e && b[i] === dec) {
    const fracStart = ++i
    while (i < e && (d = b[i]! - 48) >= 0 && d <= 9) { m = m * 10 + d; i++ }
    frac = i - fracStart
    if (frac === 0) return NaN
  }
  if (i !== e || intDigits + frac > 15) return NaN
  const v = frac === 0 ? m : m / POW10[frac]!
  return neg ? -v : v
}

/** 1 for `true`, 0 for `false` (any case), -1: not fast. */
export function booleanFast(b: Uint8Array, s: number, e: number): number {
  const n = e - s
  if (n === 4 && (b[s]! | 32) === 116 && (b[s + 1]! | 32) === 114 && (b[s + 2]! | 32) === 117 && (b[s + 3]! | 32) === 101) return 1
  if (n === 5 && (b[s]! | 32) === 102 && (b[s + 1]! | 32) === 97 && (b[s + 2]! | 32) === 108 && (b[s + 3]! | 32) === 115 && (b[s + 4]! | 32) === 101) return 0
  return -1
}

function two(b: Uint8Array, i: number): number {
  const x = b[i]! - 48
  const y = b[i + 1]! - 48
  return x >= 0 && x <= 9 && y >= 0 && y <= 9 ? x * 10 + y : -100_000
}

/** Days since 1970-01-01 of the `YYYY-MM-DD` at b[s, s+10) (a real date, year >= 1), or NaN. */
function datePrefix(b: Uint8Array, s: number): number {
  if (b[s + 4] !== 45 || b[s + 7] !== 45) return NaN
  return civilDays(two(b, s) * 100 + two(b, s + 2), two(b, s + 5), two(b, s + 8))
}

/** dateValue on bytes: days since the epoch of a `YYYY-MM-DD` cell, or NaN. */
export function dateFast(b: Uint8Array, s: number, e: number): number {
  return e - s === 10 ? datePrefix(b, s) : NaN
}

/**
 * timestampParts(s, true) on bytes for `YYYY-MM-DD` and `YYYY-MM-DD[T ]HH:MM:SS[.f{1,6}][Z]`
 * (no offset, seconds present): sets tsOut and returns true, else false (not fast).
 */
export function timestampFast(b: Uint8Array, s: number, e: number): boolean {
  const n = e - s
  if (n === 10) {
    const days = datePrefix(b, s)
    if (days !== days) return false
    tsOut.seconds = days * 86400
    tsOut.micros = 0
    return true
  }
  if (n < 19) return false
  const sep = b[s + 10]
  if ((sep !== 84 && sep !== 32) || b[s + 13] !== 58 || b[s + 16] !== 58) return false
  const days = datePrefix(b, s)
  const hh = two(b, s + 11)
  const mi = two(b, s + 14)
  const ss = two(b, s + 17)
  if (days !== days || hh < 0 || hh > 23 || mi < 0 || mi > 59 || ss < 0 || ss > 59) return false
  let i = s + 19
  let micros = 0
  if (i < e && b[i] === 46) {
    i++
    let k = 0
    let d = 0
    while (i < e && k < 7 && (d = b[i]! - 48) >= 0 && d <= 9) { micros = micros * 10 + d; i++; k++ }
    if (k === 0 || k > 6) return false
    for (; k < 6; k++) micros *= 10
  }
  if (i < e && b[i] === 90) i++ // 'Z'
  if (i !== e) return false
  tsOut.seconds = days * 86400 + hh * 3600 + mi * 60 + ss
  tsOut.micros = micros
  return true
}
