/**
 * Partition values (PROTOCOL.md "Partition Value Serialization"): strings in the log, typed
 * here into the representation of `Literal` (proto/plan.ts): ints → bigint, floats → number,
 * date → days since epoch (number), timestamp → µs since epoch (bigint), time → µs since
 * midnight (bigint), decimal/string/json → string, boolean → boolean, binary → base64 string.
 *
 * In the log a null partition value is JSON null or the empty string. The directory name
 * `__HIVE_DEFAULT_PARTITION__` is an on-disk convention only; a string value equal to it in
 * the log is that string.
 *
 * Pure; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Literal } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import {
  formatDateDays, formatTimestampMicros, normalizeDecimal, parseDateDays, parseTimeMicros,
  parseTimestampMicros,
} from './temporal.js'

const INT_RANGES = {
  int16: [-32768n, 32767n],
  int32: [-2147483648n, 2147483647n],
  int64: [-9223372036854775808n, 9223372036854775807n],
} as const

const bad = (field: Field, raw: string) =>
  new SluiceError(422, 'unsupported_table', `partition value "${raw}" of column "${field.name}" is not a valid ${field.type}`)

/**
 * Types one serialized partition value for `field`. Returns null for a null value.
 * Throws `422 unsupported_table` when the text does not fit the column's type.
 */
export function parsePartitionValue(raw: string | null | undefined, field: Field): Literal | null {
  if (raw === null || raw === undefined || raw === '') return null
  switch (field.type) {
    case 'string':
    case 'json':
      return raw
    case 'int16':
    case 'int32':
    case 'int64': {
      const t = raw.trim()
      if (!/^[+-]?\d+$/.test(t)) throw bad(field, raw)
      const v = BigInt(t)
      const [lo, hi] = INT_RANGES[field.type]
      if (v < lo || v > hi) throw bad(field, raw)
      return v
    }
    case 'float32':
    case 'float64': {
      const t = raw.trim()
      if (t === 'NaN') return NaN
      if (t === 'Infinity' || t === '+Infinity') return Infinity
      if (t === '-Infinity') return -Infinity
      if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(t)) throw bad(field, raw)
      return field.type === 'float32' ? Math.fround(Number(t)) : Number(t)
    }
    case 'decimal': {
      const v = normalizeDecimal(raw, field.scale ?? 0, field.precision ?? 38)
      if (v === null) throw bad(field, raw)
      return v
    }
    case 'boolean': {
      const t = raw.trim().toLowerCase()
      if (t === 'true') return true
      if (t === 'false') return false
      throw bad(field, raw)
    }
    case 'date': {
      const v = parseDateDays(raw)
      if (v === null) throw bad(field, raw)
      return v
    }
    case 'timestamp': {
      const v = parseTimestampMicros(raw)
      if (v === null) throw bad(field, raw)
      return v
    }
    case 'time': {
      const v = parseTimeMicros(raw)
      if (v === null) throw bad(field, raw)
      return v
    }
    case 'binary':
      // "a string of escaped binary values": one char per byte
      return Buffer.from(raw, 'latin1').toString('base64')
  }
}

/**
 * Serializes a typed value for `add.partitionValues` (the inverse of parsePartitionValue);
 * null → null. Timestamps are written as ISO 8601 UTC with µs (`...T10:00:00.000000Z`), the
 * form the protocol recommends.
 */
export function formatPartitionValue(value: Literal | null | undefined, field: Field): string | null {
  if (value === null || value === undefined) return null
  switch (field.type) {
    case 'date':
      return typeof value === 'number' ? formatDateDays(value) : String(value)
    case 'timestamp':
      return typeof value === 'bigint' ? formatTimestampMicros(value) : String(value)
    case 'time': {
      if (typeof value !== 'bigint') return String(value)
      const s = formatTimestampMicros(value)
      return s.slice(11, 26)
    }
    case 'float32':
    case 'float64':
      return typeof value === 'number' ? (Number.isNaN(value) ? 'NaN' : String(value)) : String(value)
    case 'binary':
      return typeof value === 'string' ? Buffer.from(value, 'base64').toString('latin1') : String(value)
    default:
      return String(value)
  }
}

/** Types every partition column of one file; columns absent from `partitionValues` are null. */
export function parsePartitionValues(
  partitionValues: Record<string, string | null>,
  partitionFields: Field[],
): Record<string, Literal | null> {
  const out: Record<string, Literal | null> = {}
  for (const f of partitionFields) out[f.name] = parsePartitionValue(partitionValues[f.name], f)
  return out
}
