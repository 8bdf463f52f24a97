/**
 * Excel dates: a date cell is a number (days since an epoch, the fraction is the time of day)
 * shown with a date/time number format. Conversion is plain arithmetic in UTC, so it never
 * depends on the server's time zone (no `new Date(y, m, d)`, no local-time parsing).
 *
 * - 1900 system (the default): serial 1 = 1900-01-01. Excel counts a 1900-02-29 that never
 *   existed (Lotus compatibility), so from serial 61 (1900-03-01) on the epoch is 1899-12-30,
 *   and below 61 it is 1899-12-31 (serial 60, the phantom 29 February, lands on 1900-03-01).
 * - 1904 system (`date1904` in workbook.xml, old Mac workbooks): serial 0 = 1904-01-01.
 * - The time of day is rounded to the millisecond: serials carry float noise below 1 ms.
 */

export const MS_PER_DAY = 86_400_000
/** days from 1899-12-30 (the 1900 system's epoch from serial 61 on) to 1970-01-01 */
const EPOCH_1900 = 25569
/** days from 1904-01-01 to 1970-01-01 */
const EPOCH_1904 = 24107
/** 0001-01-01 and 10000-01-01 in ms since 1970: outside, a "date" cell is kept as a number */
const MIN_MS = -62_135_596_800_000
const MAX_MS = 253_402_300_800_000

/** ms since 1970-01-01 UTC of a date serial, or NaN when outside years 1-9999. */
export function serialToMs(serial: number, date1904: boolean): number {
  const whole = Math.floor(serial)
  let days = whole - (date1904 ? EPOCH_1904 : EPOCH_1900)
  if (!date1904 && serial < 61) days += 1 // before Excel's phantom 1900-02-29
  const ms = days * MS_PER_DAY + Math.round((serial - whole) * MS_PER_DAY)
  return ms >= MIN_MS && ms < MAX_MS ? ms : NaN
}

/**
 * Whether a number format code shows a date or a time: after dropping quoted text, `[...]`
 * sections (colours, locales, elapsed `[h]`), escaped and padding characters, a y m d h s
 * (or b, the Buddhist year) remains. `General` and numeric formats do not qualify.
 */
export function isDateFormat(code: string): boolean {
  const bare = code
    .replace(/"[^"]*"/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/[\\_*]./g, '')
  if (/general/i.test(bare)) return false
  return /[ymdhsbYMDHSB]/.test(bare.replace(/[eE][+-]/g, ''))
}

const pad2 = (n: number): string => (n < 10 ? '0' : '') + n

/** "YYYY-MM-DD" of days since 1970-01-01 (years 1-9999), UTC. */
function dateText(days: number): string {
  // civil-from-days (Howard Hinnant), as in proto/calendar.ts
  const z = days + 719468
  const era = Math.floor(z / 146097)
  const doe = z - era * 146097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1
  const m = mp < 10 ? mp + 3 : mp - 9
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
  return String(y).padStart(4, '0') + '-' + pad2(m) + '-' + pad2(d)
}

/**
 * Text of a date cell: `YYYY-MM-DD` at midnight, else `YYYY-MM-DD HH:MM:SS` with `.mmm` when
 * the milliseconds are not zero. Both read back as date / timestamp (UTC) by the CSV value
 * parsers (values.ts), which is how the column builder turns them into values.
 */
export function msText(ms: number): string {
  const days = Math.floor(ms / MS_PER_DAY)
  const rest = ms - days * MS_PER_DAY
  if (rest === 0) return dateText(days)
  const s = Math.floor(rest / 1000)
  const milli = rest - s * 1000
  const hms = `${pad2(Math.floor(s / 3600))}:${pad2(Math.floor(s / 60) % 60)}:${pad2(s % 60)}`
  return `${dateText(days)} ${hms}${milli ? '.' + String(milli).padStart(3, '0') : ''}`
}
