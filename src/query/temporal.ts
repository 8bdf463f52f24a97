/**
 * Text → epoch numbers for dates, times and timestamps, without `Date` (whose two-digit
 * year rule and local time zone would silently change values). Every pattern is anchored
 * and has fixed-width fields, so it cannot backtrack.
 *
 * Pure; safe on any thread.
 */

const US_PER_SECOND = 1_000_000n
const SECONDS_PER_DAY = 86_400

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/
const TIME = /^(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?$/
const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?([Zz]|[+-]\d{2}:\d{2})?)?$/

/** Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil). */
export function daysFromCivil(year: number, month: number, day: number): number {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yoe = y - era * 400
  const doy = Math.floor((153 * (month + (month > 2 ? -3 : 9)) + 2) / 5) + day - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146_097 + doe - 719_468
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31
}

function civilDays(ys: string, ms: string, ds: string): number | null {
  const year = Number(ys)
  const month = Number(ms)
  const day = Number(ds)
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return null
  return daysFromCivil(year, month, day)
}

/** µs since midnight, or null when out of range */
function clockMicros(hs: string, ms: string, ss: string | undefined, fraction: string | undefined): bigint | null {
  const h = Number(hs)
  const m = Number(ms)
  const s = ss === undefined ? 0 : Number(ss)
  if (h > 23 || m > 59 || s > 59) return null
  const micros = fraction === undefined ? 0n : BigInt(fraction.padEnd(6, '0'))
  return BigInt(h * 3600 + m * 60 + s) * US_PER_SECOND + micros
}

/** `YYYY-MM-DD` (a real calendar date) → days since epoch, or null. */
export function parseDate(text: string): number | null {
  const m = DATE.exec(text)
  return m === null ? null : civilDays(m[1]!, m[2]!, m[3]!)
}

/** `HH:MM[:SS[.ffffff]]` → µs since midnight, or null. */
export function parseTime(text: string): bigint | null {
  const m = TIME.exec(text)
  return m === null ? null : clockMicros(m[1]!, m[2]!, m[3], m[4])
}

/**
 * ISO-8601 `YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]][Z|±HH:MM]]` → µs since epoch UTC, or null.
 * No zone means UTC.
 */
export function parseTimestamp(text: string): bigint | null {
  const m = TIMESTAMP.exec(text)
  if (m === null) return null
  const days = civilDays(m[1]!, m[2]!, m[3]!)
  if (days === null) return null
  const clock = m[4] === undefined ? 0n : clockMicros(m[4], m[5]!, m[6], m[7])
  if (clock === null) return null
  let offsetSeconds = 0
  const zone = m[8]
  if (zone !== undefined && zone !== 'Z' && zone !== 'z') {
    const hours = Number(zone.slice(1, 3))
    const minutes = Number(zone.slice(4, 6))
    if (hours > 23 || minutes > 59) return null
    offsetSeconds = (zone[0] === '-' ? -1 : 1) * (hours * 3600 + minutes * 60)
  }
  return BigInt(days * SECONDS_PER_DAY - offsetSeconds) * US_PER_SECOND + clock
}
