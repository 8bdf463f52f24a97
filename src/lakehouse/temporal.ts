/**
 * Exact text <-> value conversions shared by partition values and stats: dates as days since
 * the epoch, timestamps as µs since the epoch (bigint, never through a float), decimals as
 * exact digit strings with exactly `scale` fraction digits.
 *
 * Pure; runs on any thread.
 */

const MS_PER_DAY = 86_400_000

function utcMs(y: number, mo: number, d: number, h = 0, mi = 0, s = 0): number | null {
  if (mo < 1 || mo > 12 || d < 1 || h > 23 || mi > 59 || s > 59) return null
  const dt = new Date(0)
  dt.setUTCFullYear(y, mo - 1, d) // unlike Date.UTC, no 1900 offset for years 0..99
  if (dt.getUTCMonth() !== mo - 1 || dt.getUTCDate() !== d) return null // Feb 30 etc.
  dt.setUTCHours(h, mi, s, 0)
  return dt.getTime()
}

const DATE_RE = /^([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})$/

/** `YYYY-MM-DD` → days since 1970-01-01, or null when it is not a valid date. */
export function parseDateDays(s: string): number | null {
  const m = DATE_RE.exec(s.trim())
  if (!m) return null
  const ms = utcMs(Number(m[1]), Number(m[2]), Number(m[3]))
  return ms === null ? null : Math.round(ms / MS_PER_DAY)
}

const TS_RE =
  /^([+-]?\d{4,6})-(\d{1,2})-(\d{1,2})(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i

/**
 * A timestamp in any form Delta writes (partition values `YYYY-MM-DD HH:MM:SS[.ffffff]`,
 * ISO 8601 with `Z` or an offset as in stats, e.g. `2000-01-01T00:00:00.000-08:00`) → µs
 * since the epoch, UTC. Text without a zone is read as UTC. Digits past µs are truncated.
 * Returns null when the text is not a timestamp.
 */
export function parseTimestampMicros(s: string): bigint | null {
  const m = TS_RE.exec(s.trim())
  if (!m) return null
  const ms = utcMs(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4] ?? 0), Number(m[5] ?? 0), Number(m[6] ?? 0))
  if (ms === null) return null
  let us = BigInt(ms) * 1000n
  if (m[7]) us += BigInt((m[7] + '00000').slice(0, 6))
  const zone = m[8]
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone[0] === '-' ? -1n : 1n
    const digits = zone.slice(1).replace(':', '')
    const offMin = BigInt(Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2, 4) || '0'))
    us -= sign * offMin * 60_000_000n
  }
  return us
}

const pad = (n: number, w: number) => String(n).padStart(w, '0')

function ymd(ms: number): string {
  const d = new Date(ms)
  const y = d.getUTCFullYear()
  const ys = y >= 0 && y <= 9999 ? pad(y, 4) : (y < 0 ? '-' : '+') + pad(Math.abs(y), 6)
  return `${ys}-${pad(d.getUTCMonth() + 1, 2)}-${pad(d.getUTCDate(), 2)}`
}

/** days since the epoch → `YYYY-MM-DD` */
export function formatDateDays(days: number): string {
  return ymd(days * MS_PER_DAY)
}

function floorDiv(a: bigint, b: bigint): bigint {
  const q = a / b
  return a % b !== 0n && (a < 0n) !== (b < 0n) ? q - 1n : q
}

/** µs since the epoch → `YYYY-MM-DDTHH:MM:SS.ffffffZ` (the API wire form). */
export function formatTimestampMicros(us: bigint): string {
  const ms = floorDiv(us, 1000n)
  const d = new Date(Number(ms))
  const micros = Number(us - floorDiv(us, 1_000_000n) * 1_000_000n)
  return `${ymd(Number(ms))}T${pad(d.getUTCHours(), 2)}:${pad(d.getUTCMinutes(), 2)}:${pad(d.getUTCSeconds(), 2)}.${pad(micros, 6)}Z`
}

const DECIMAL_TEXT_RE = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/

/**
 * Normalizes decimal text (`12.3`, `-0.5`, `1E+2`, `7`) to exactly `scale` fraction digits
 * (`"12.30"` for scale 2). Returns null when the text is not a number, when it has non-zero
 * digits beyond `scale`, or when it has more than `precision` digits.
 */
export function normalizeDecimal(text: string, scale: number, precision = 38): string | null {
  const m = DECIMAL_TEXT_RE.exec(text.trim())
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null
  const sign = m[1] === '-' ? '-' : ''
  let digits = (m[2] || '') + (m[3] ?? '')
  let pointPos = (m[2] || '').length + Number(m[4] ?? '0') // digits before the point
  if (pointPos < 0) {
    digits = '0'.repeat(-pointPos) + digits
    pointPos = 0
  }
  if (digits.length < pointPos) digits += '0'.repeat(pointPos - digits.length)
  let intPart = digits.slice(0, pointPos).replace(/^0+/, '')
  let frac = digits.slice(pointPos)
  if (frac.length > scale) {
    if (/[^0]/.test(frac.slice(scale))) return null
    frac = frac.slice(0, scale)
  } else {
    frac = frac.padEnd(scale, '0')
  }
  if (intPart.length + scale > precision) return null
  if (intPart === '') intPart = '0'
  const body = scale > 0 ? `${intPart}.${frac}` : intPart
  return /^[0.]*$/.test(body) ? body : sign + body
}

const TIME_RE = /^(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?$/

/** `HH:MM:SS[.ffffff]` → µs since midnight, or null. */
export function parseTimeMicros(s: string): bigint | null {
  const m = TIME_RE.exec(s.trim())
  if (!m) return null
  const h = Number(m[1]), mi = Number(m[2]), sec = Number(m[3] ?? 0)
  if (h > 23 || mi > 59 || sec > 59) return null
  return BigInt((h * 3600 + mi * 60 + sec) * 1_000_000) + BigInt(((m[4] ?? '') + '000000').slice(0, 6))
}
