/**
 * The non-grammar explore parameters: limit, offset, format, version, as_of, cursor. A bad
 * value is 422 invalid_parameter naming the parameter (API.md, Errors).
 *
 * Pure; safe on any thread.
 */
import { invalidParameter } from '../../proto/errors.js'
import { OUTPUT_FORMATS, type OutputFormat, type ReadAt } from '../../proto/plan.js'
import { show } from './reader.js'
import { parseTimestamp } from './temporal.js'

export type OptionKey = 'limit' | 'offset' | 'format' | 'version' | 'as_of' | 'cursor'

/** Options as given; null = absent. */
export interface OptionValues {
  limit: number | null
  offset: number
  format: OutputFormat | null
  version: number | null
  asOf: string | null
}

export const noOptions = (): OptionValues => ({ limit: null, offset: 0, format: null, version: null, asOf: null })

const DIGITS = /^\d{1,15}$/

function describe(value: unknown): string {
  if (typeof value === 'string') return show(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value === null) return String(value)
  return Array.isArray(value) ? 'an array' : `a ${typeof value}`
}

/** a JSON number or a text of digits → a non-negative safe integer */
function nonNegativeInteger(key: OptionKey, value: unknown): number {
  if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value
  if (typeof value === 'string' && DIGITS.test(value)) return Number(value)
  throw invalidParameter(key, `expected a non-negative integer, got ${describe(value)}`)
}

/**
 * Applies one option to `into`. `value` is the URL text or the JSON value.
 * Throws 422 invalid_parameter naming `key`.
 */
export function applyOption(into: OptionValues, key: OptionKey, value: unknown): void {
  switch (key) {
    case 'limit':
      into.limit = nonNegativeInteger(key, value)
      return
    case 'offset':
      into.offset = nonNegativeInteger(key, value)
      return
    case 'version':
      into.version = nonNegativeInteger(key, value)
      return
    case 'format':
      if (typeof value !== 'string' || !(OUTPUT_FORMATS as readonly string[]).includes(value)) {
        throw invalidParameter(key, `expected one of ${OUTPUT_FORMATS.join(', ')}, got ${describe(value)}`)
      }
      into.format = value as OutputFormat
      return
    case 'as_of': {
      const micros = typeof value === 'string' ? parseTimestamp(value) : null
      if (micros === null) {
        throw invalidParameter(key, `expected an ISO-8601 timestamp such as 2024-03-01T10:00:00Z, got ${describe(value)}`)
      }
      into.asOf = isoMillis(micros)
      return
    }
    case 'cursor':
      throw invalidParameter(key, 'cursor (keyset) paging is not implemented yet; use limit and offset')
  }
}

/** version and as_of are exclusive. Throws 422 invalid_parameter. */
export function readAtOf(o: OptionValues): ReadAt {
  if (o.version !== null && o.asOf !== null) throw invalidParameter('as_of', 'cannot be combined with version; give one of them')
  return { version: o.version, asOf: o.asOf }
}

/**
 * µs since epoch → `YYYY-MM-DDTHH:MM:SS.sssZ`, rounded down to the millisecond: Delta
 * commit timestamps are milliseconds, so "the last commit at or before as_of" is unchanged.
 */
function isoMillis(micros: bigint): string {
  const ms = micros >= 0n ? micros / 1000n : -((-micros + 999n) / 1000n)
  return new Date(Number(ms)).toISOString()
}
