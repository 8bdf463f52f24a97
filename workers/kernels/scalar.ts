/**
 * Scalar helpers: UTC time buckets (`trunc`) and code point string order. Pure; any thread.
 */
import type { Column } from '../../proto/batch.js'
import type { TruncUnit } from '../../proto/plan.js'
import { MICROS_PER_DAY, MICROS_PER_DAY_N, civilFromDays, daysFromCivil, floorDivN } from './calendar.js'

const UNIT_MICROS: Partial<Record<TruncUnit, number>> = {
  second: 1_000_000, minute: 60_000_000, hour: 3_600_000_000, day: MICROS_PER_DAY,
}

/**
 * Start of the bucket containing `days` (days since 1970-01-01): ISO weeks start on Monday;
 * month, quarter and year go through the civil calendar, so dates before 1970 are right.
 * Units below a day leave the date unchanged.
 */
export function truncDateDays(days: number, unit: TruncUnit): number {
  switch (unit) {
    case 'second': case 'minute': case 'hour': case 'day': return days
    // 1970-01-01 was a Thursday: (days + 3) mod 7 is 0 on Mondays
    case 'week': return days - (((days + 3) % 7) + 7) % 7
    case 'month': { const { y, m } = civilFromDays(days); return daysFromCivil(y, m, 1) }
    case 'quarter': { const { y, m } = civilFromDays(days); return daysFromCivil(y, m - ((m - 1) % 3), 1) }
    case 'year': { const { y } = civilFromDays(days); return daysFromCivil(y, 1, 1) }
  }
}

/** Start of the UTC bucket containing `us` (µs since epoch); floors, also before 1970. */
export function truncTimestampMicros(us: bigint, unit: TruncUnit): bigint {
  const n = Number(us)
  if (Number.isSafeInteger(n)) return BigInt(truncMicrosNumber(n, unit))
  const step = UNIT_MICROS[unit]
  if (step !== undefined) { const s = BigInt(step); return floorDivN(us, s) * s }
  const days = Number(floorDivN(us, MICROS_PER_DAY_N))
  return BigInt(truncDateDays(days, unit)) * MICROS_PER_DAY_N
}

/** truncTimestampMicros for µs values that are safe integers (|us| < 2^53). */
export function truncMicrosNumber(us: number, unit: TruncUnit): number {
  const step = UNIT_MICROS[unit]
  if (step !== undefined) return Math.floor(us / step) * step
  return truncDateDays(Math.floor(us / MICROS_PER_DAY), unit) * MICROS_PER_DAY
}

/** A date or timestamp column truncated to `unit` (same type, same name, nulls kept). */
export function truncColumn(col: Column, unit: TruncUnit): Column {
  const n = col.values.length
  if (col.type === 'date') {
    const v = col.values as Int32Array
    const out = new Int32Array(n)
    for (let i = 0; i < n; i++) out[i] = truncDateDays(v[i]!, unit)
    return { ...col, values: out }
  }
  if (col.type === 'timestamp') {
    const v = col.values as BigInt64Array
    const out = new BigInt64Array(n)
    // memoize the last bucket: sorted or clustered timestamps hit it almost always
    let lo = 1
    let hi = 0
    let bucket = 0n
    for (let i = 0; i < n; i++) {
      const x = Number(v[i]!)
      if (x >= lo && x < hi) { out[i] = bucket; continue }
      if (!Number.isSafeInteger(x)) { out[i] = truncTimestampMicros(v[i]!, unit); continue }
      const start = truncMicrosNumber(x, unit)
      const end = nextBucketStart(start, unit)
      lo = start; hi = end; bucket = BigInt(start)
      out[i] = bucket
    }
    return { ...col, values: out }
  }
  throw new TypeError(`trunc of a ${col.type} column`)
}

function nextBucketStart(start: number, unit: TruncUnit): number {
  const step = UNIT_MICROS[unit]
  if (step !== undefined) return start + step
  if (unit === 'week') return start + 7 * MICROS_PER_DAY
  const { y, m } = civilFromDays(start / MICROS_PER_DAY)
  const m1 = m - 1 + (unit === 'month' ? 1 : unit === 'quarter' ? 3 : 12)
  return daysFromCivil(y + Math.floor(m1 / 12), (m1 % 12) + 1, 1) * MICROS_PER_DAY
}

/**
 * Order of two strings by Unicode code point: -1, 0 or 1. JS `<` compares UTF-16 code
 * units, which puts astral characters (surrogates D800-DFFF) before U+E000..U+FFFF; code
 * point order puts them after. Only the first differing unit matters.
 */
export function compareStrings(a: string, b: string): number {
  if (a === b) return 0
  const n = a.length < b.length ? a.length : b.length
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i)
    let y = b.charCodeAt(i)
    if (x === y) continue
    if (x >= 0xd800 && y >= 0xd800) {
      // lift surrogates above U+E000..U+FFFF
      x = x < 0xe000 ? x + 0x2000 : x - 0x800
      y = y < 0xe000 ? y + 0x2000 : y - 0x800
    }
    return x < y ? -1 : 1
  }
  return a.length < b.length ? -1 : a.length > b.length ? 1 : 0
}
