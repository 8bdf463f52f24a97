/**
 * A filter value's text → the typed Literal of proto/plan.ts, by the logical type of the
 * column it is compared with. Patterns are anchored with no nested quantifiers, so they run
 * in linear time on hostile input.
 *
 * Pure; safe on any thread.
 */
import type { Literal } from '../../proto/plan.js'
import { typeName, type Field } from '../../proto/types.js'
import { grammarError, show } from './reader.js'
import { parseDate, parseTime, parseTimestamp } from './temporal.js'

const INTEGER = /^[+-]?\d+$/
const FLOAT = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/
const DECIMAL = /^([+-]?)(\d*)(?:\.(\d*))?$/

const INT_RANGES: Record<string, readonly [bigint, bigint]> = {
  int16: [-(2n ** 15n), 2n ** 15n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
}
/** longer digit strings cannot be in any integer range; checked before BigInt() so a huge value costs nothing */
const MAX_INT_DIGITS = 20

/**
 * Parses `text` as a value of `field`'s type. Returns string (string, json, decimal —
 * normalized to exactly `scale` fraction digits), bigint (ints; timestamp µs since epoch
 * UTC; time µs since midnight), number (float; date days since epoch) or boolean.
 * Throws 422 invalid_query "<label>: ..." naming the value and the column.
 */
export function parseLiteral(text: string, field: Field, label: string): Literal {
  const bad = (why = '') =>
    grammarError(label, `${show(text)} is not a valid ${typeName(field)} value for column ${show(field.name)}${why}`)
  switch (field.type) {
    case 'string':
    case 'json':
      return text
    case 'int16':
    case 'int32':
    case 'int64': {
      if (!INTEGER.test(text)) throw bad()
      const [min, max] = INT_RANGES[field.type]!
      const digits = text.replace(/^[+-]?0*/, '')
      if (digits.length > MAX_INT_DIGITS) throw bad(` (out of range ${min}..${max})`)
      const n = BigInt(text)
      if (n < min || n > max) throw bad(` (out of range ${min}..${max})`)
      return n
    }
    case 'float32':
    case 'float64':
      if (text === 'NaN') return NaN
      if (text === 'Infinity' || text === '+Infinity') return Infinity
      if (text === '-Infinity') return -Infinity
      if (!FLOAT.test(text)) throw bad()
      return Number(text)
    case 'decimal':
      return parseDecimal(text, field.precision ?? 38, field.scale ?? 0, bad)
    case 'boolean':
      if (text === 'true') return true
      if (text === 'false') return false
      throw bad(' (expected true or false)')
    case 'date': {
      const days = parseDate(text)
      if (days === null) throw bad(' (expected YYYY-MM-DD)')
      return days
    }
    case 'timestamp': {
      const micros = parseTimestamp(text)
      if (micros === null) throw bad(' (expected ISO-8601, e.g. 2024-03-01T10:00:00Z)')
      return micros
    }
    case 'time': {
      const micros = parseTime(text)
      if (micros === null) throw bad(' (expected HH:MM:SS[.ffffff])')
      return micros
    }
    case 'binary':
      throw grammarError(label, `column ${show(field.name)} is binary: it can only be filtered with is.null`)
  }
}

/** `-012.50` in decimal(p,2) → `-12.50`: no leading zeros, exactly `scale` fraction digits, no `-0`. */
function parseDecimal(text: string, precision: number, scale: number, bad: (why?: string) => Error): string {
  const m = DECIMAL.exec(text)
  if (m === null) throw bad()
  const intPart = m[2]!.replace(/^0+/, '')
  const fraction = trimTrailingZeros(m[3] ?? '')
  if (m[2] === '' && (m[3] ?? '') === '') throw bad()
  if (fraction.length > scale) throw bad(` (more than ${scale} digits after the point)`)
  if (intPart.length > precision - scale) throw bad(` (more than ${precision - scale} digits before the point)`)
  const zero = intPart === '' && fraction === ''
  const sign = m[1] === '-' && !zero ? '-' : ''
  return `${sign}${intPart || '0'}${scale > 0 ? `.${fraction.padEnd(scale, '0')}` : ''}`
}

// A loop, not /0+$/: an unanchored-start pattern retries from every position, which is
// quadratic on a long run of zeros followed by another digit.
function trimTrailingZeros(digits: string): string {
  let end = digits.length
  while (end > 0 && digits[end - 1] === '0') end--
  return digits.slice(0, end)
}
