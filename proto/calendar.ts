/**
 * Proleptic Gregorian calendar arithmetic on days since 1970-01-01 (UTC), valid for negative
 * days too. Algorithms from Howard Hinnant, "chrono-Compatible Low-Level Date Algorithms"
 * (http://howardhinnant.github.io/date_algorithms.html). Pure; any thread.
 */

export const MICROS_PER_DAY = 86_400_000_000
export const MICROS_PER_DAY_N = 86_400_000_000n

/** Year, month (1-12) and day (1-31) of a day number. */
export function civilFromDays(days: number): { y: number; m: number; d: number } {
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d }
}

/** Day number of a civil date (month 1-12). */
export function daysFromCivil(y: number, m: number, d: number): number {
  const yy = m <= 2 ? y - 1 : y
  const era = Math.floor(yy / 400)
  const yoe = yy - era * 400
  const doy = Math.floor((153 * (m > 2 ? m - 3 : m + 9) + 2) / 5) + d - 1
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy
  return era * 146097 + doe - 719468
}

/** Floor division for bigints (rounds toward -infinity, unlike `/`). */
export function floorDivN(a: bigint, b: bigint): bigint {
  const q = a / b
  return (a % b !== 0n && (a < 0n) !== (b < 0n)) ? q - 1n : q
}

/** Split µs since epoch into whole days and µs within the day (0 <= µs < 86_400_000_000). */
export function splitMicros(us: bigint): { days: number; micros: number } {
  const n = Number(us)
  if (Number.isSafeInteger(n)) {
    const days = Math.floor(n / MICROS_PER_DAY)
    return { days, micros: n - days * MICROS_PER_DAY }
  }
  const days = floorDivN(us, MICROS_PER_DAY_N)
  return { days: Number(days), micros: Number(us - days * MICROS_PER_DAY_N) }
}
