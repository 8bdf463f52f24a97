/**
 * Pure value validators for column classification. Each takes one trimmed string and says
 * whether it is a well-formed instance of the type — with checksums where the format has one
 * (Luhn, IBAN mod-97) so look-alikes such as 16-digit order numbers do not pass.
 * Any thread.
 */

/** Luhn (mod 10) over the digits of `s`; spaces and dashes allowed as separators. */
export function luhn(s: string): boolean {
  const digits = s.replace(/[ -]/g, '')
  if (!/^\d+$/.test(digits)) return false
  let sum = 0
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48
    if (i % 2 === 1) { d *= 2; if (d > 9) d -= 9 }
    sum += d
  }
  return sum % 10 === 0
}

/** 13–19 digits with a known issuer prefix (Visa, Mastercard, Amex, Discover, JCB, Diners, UnionPay, Maestro) and a valid Luhn digit. */
export function isCreditCard(s: string): boolean {
  if (!/^\d[\d -]{11,22}\d$/.test(s)) return false
  const d = s.replace(/[ -]/g, '')
  if (d.length < 13 || d.length > 19) return false
  const prefixOk =
    /^4/.test(d) || /^(5[1-5]|2[2-7])/.test(d) || /^3[47]/.test(d) || /^6(011|5|4[4-9])/.test(d) ||
    /^35(2[89]|[3-8])/.test(d) || /^3(0[0-5]|[689])/.test(d) || /^62/.test(d) || /^(50|5[6-8]|6[0-9])/.test(d)
  // all-same digits pass Luhn for some lengths ("0000000000000000") and are placeholders, not cards
  return prefixOk && !/^(\d)\1+$/.test(d) && luhn(d)
}

/** IBAN lengths per country (SWIFT IBAN registry); a country not listed is rejected. */
export const IBAN_LENGTHS: Readonly<Record<string, number>> = {
  AD: 24, AE: 23, AL: 28, AT: 20, AZ: 28, BA: 20, BE: 16, BG: 22, BH: 22, BR: 29, CH: 21, CR: 22,
  CY: 28, CZ: 24, DE: 22, DK: 18, DO: 28, EE: 20, EG: 29, ES: 24, FI: 18, FO: 18, FR: 27, GB: 22,
  GE: 22, GI: 23, GL: 18, GR: 27, GT: 28, HR: 21, HU: 28, IE: 22, IL: 23, IS: 26, IT: 27, JO: 30,
  KW: 30, KZ: 20, LB: 28, LI: 21, LT: 20, LU: 20, LV: 21, MC: 27, MD: 24, ME: 22, MK: 19, MR: 27,
  MT: 31, MU: 30, NL: 18, NO: 15, PK: 24, PL: 28, PS: 29, PT: 25, QA: 29, RO: 24, RS: 22, SA: 24,
  SE: 24, SI: 19, SK: 24, SM: 27, TN: 24, TR: 26, UA: 29, VG: 24, XK: 20,
}

/** IBAN: known country, that country's length, ISO 13616 mod-97 == 1. Spaces allowed in groups of 4. */
export function isIban(s: string): boolean {
  const v = s.replace(/ /g, '').toUpperCase()
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(v)) return false
  if (IBAN_LENGTHS[v.slice(0, 2)] !== v.length) return false
  const moved = v.slice(4) + v.slice(0, 4)
  let rem = 0
  for (const ch of moved) {
    const c = ch.charCodeAt(0)
    const n = c >= 65 ? c - 55 : c - 48
    rem = n >= 10 ? (rem * 100 + n) % 97 : (rem * 10 + n) % 97
  }
  return rem === 1
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/

/** Dotted-quad IPv4 without leading zeros (so "1.02.3.4"-style versions fail), each octet 0..255. */
export function isIpv4(s: string): boolean {
  const parts = s.split('.')
  return parts.length === 4 && parts.every((p) => OCTET.test(p))
}

/** IPv4 address kind; null when not an IPv4 address. */
export function ipv4Range(s: string): 'private' | 'loopback' | 'link_local' | 'reserved' | 'public' | null {
  if (!isIpv4(s)) return null
  const [a, b] = s.split('.').map(Number) as [number, number]
  if (a === 10 || (a === 172 && b >= 16 && b <= 31) || (a === 192 && b === 168)) return 'private'
  if (a === 127) return 'loopback'
  if (a === 169 && b === 254) return 'link_local'
  if (a === 0 || a >= 224) return 'reserved'
  return 'public'
}

/** IPv6 in full, compressed (::) or IPv4-suffixed form; an optional %zone is accepted. */
export function isIpv6(s: string): boolean {
  let v = s
  const zone = v.indexOf('%')
  if (zone >= 0) v = v.slice(0, zone)
  if (!/^[0-9A-Fa-f:.]+$/.test(v) || !v.includes(':')) return false
  const lastColon = v.lastIndexOf(':')
  const tail = v.slice(lastColon + 1)
  if (tail.includes('.')) {
    if (!isIpv4(tail)) return false
    v = v.slice(0, lastColon + 1) + '0:0' // an embedded IPv4 fills two groups
  }
  const halves = v.split('::')
  if (halves.length > 2) return false
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')))
  if (!groups.every((g) => /^[0-9A-Fa-f]{1,4}$/.test(g))) return false
  return halves.length === 2 ? groups.length <= 7 : groups.length === 8
}

/**
 * An IPv4 or IPv6 address, optionally with a prefix length: PostgreSQL's `inet` text form
 * writes host addresses as "192.0.2.1/32" (and networks as "10.0.0.0/8").
 */
export function isIp(s: string): boolean {
  const slash = s.indexOf('/')
  if (slash < 0) return isIpv4(s) || isIpv6(s)
  const addr = s.slice(0, slash)
  const bits = s.slice(slash + 1)
  if (!/^\d{1,3}$/.test(bits)) return false
  return isIpv4(addr) ? Number(bits) <= 32 : isIpv6(addr) && Number(bits) <= 128
}

/** Pragmatic email syntax: one @, local part of atoms, a dotted domain with a 2+ letter TLD. */
export function isEmail(s: string): boolean {
  if (s.length > 254) return false
  return /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*@([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}$/.test(s)
}

/**
 * Phone shapes: E.164 (+ and 8–15 digits, separators allowed) or a national form with
 * separators / a leading 0 or parentheses, 7–15 digits. Bare digit runs without any phone
 * punctuation or trunk prefix are rejected: they are far more often ids or amounts.
 */
export function isPhone(s: string): boolean {
  if (!/^[+(]?[\d][\d ()./-]{5,22}\d$/.test(s) && !/^\+?\d[\d ()./-]{5,22}\d$/.test(s)) return false
  if (/\d\.\d+\.\d/.test(s) && !/\s/.test(s) && !s.startsWith('+')) return false // 1.2.3-like versions / dotted decimals
  // dates ("2024-03-01", "01/03/1985") and SSN-shaped 3-2-4 groups are not phone numbers
  if (/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{4}$|^\d{3}[- ]\d{2}[- ]\d{4}$/.test(s)) return false
  const digits = s.replace(/\D/g, '')
  if (s.startsWith('+')) return digits.length >= 8 && digits.length <= 15 && digits[0] !== '0'
  if (digits.length < 7 || digits.length > 15) return false
  const punctuated = /[ ()/-]/.test(s) || /^\d{2,4}\.\d{3,4}\.\d{3,4}$/.test(s)
  return punctuated || (digits[0] === '0' && digits.length >= 9 && digits.length <= 11)
}

/** Canonical 8-4-4-4-12 hex UUID (any version), optional braces. */
export const isUuid = (s: string): boolean =>
  /^\{?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\}?$/.test(s)

/** Absolute http(s)/ftp URL, or a www. host with a path. */
export function isUrl(s: string): boolean {
  if (/\s/.test(s)) return false
  if (/^www\.[A-Za-z0-9-]+\.[A-Za-z]{2,}/.test(s)) return true
  if (!/^(https?|ftp):\/\//i.test(s)) return false
  try { return new URL(s).hostname.length > 0 } catch { return false }
}

/** A latitude in [-90, 90] / longitude in [-180, 180] with at least 2 decimals. */
export const isLatitude = (n: number): boolean => Number.isFinite(n) && n >= -90 && n <= 90
export const isLongitude = (n: number): boolean => Number.isFinite(n) && n >= -180 && n <= 180

/** "lat,lon" / "lat lon" / "(lat, lon)" / "POINT(lon lat)" text with plausible ranges and ≥ 3 decimals each. */
export function isLatLonPair(s: string): boolean {
  const point = /^POINT\s*\(\s*(-?\d{1,3}\.\d{3,})\s+(-?\d{1,2}\.\d{3,})\s*\)$/i.exec(s)
  if (point) return isLongitude(Number(point[1])) && isLatitude(Number(point[2]))
  const m = /^\(?\s*(-?\d{1,2}\.\d{3,})\s*[, ;]\s*(-?\d{1,3}\.\d{3,})\s*\)?$/.exec(s)
  return m !== null && isLatitude(Number(m[1])) && isLongitude(Number(m[2]))
}

/**
 * US SSN: AAA-GG-SSSS (dashes or spaces, or 9 bare digits when `bare`) with the SSA
 * exclusions: area 000, 666 and 900–999, group 00, serial 0000; also the advertising
 * number 078-05-1120 and the 987-65-432x range are rejected.
 */
export function isUsSsn(s: string, bare = false): boolean {
  const m = /^(\d{3})[- ](\d{2})[- ](\d{4})$/.exec(s) ?? (bare ? /^(\d{3})(\d{2})(\d{4})$/.exec(s) : null)
  if (!m) return false
  const [area, group, serial] = [m[1]!, m[2]!, m[3]!]
  if (area === '000' || area === '666' || area[0] === '9') return false
  if (group === '00' || serial === '0000') return false
  return `${area}${group}${serial}` !== '078051120'
}

/** Other national ids with a checksum: UK NINO shape, Dutch BSN (11-proof), French INSEE NIR (mod 97). */
export function isUkNino(s: string): boolean {
  const v = s.replace(/ /g, '').toUpperCase()
  return /^(?!BG|GB|NK|KN|TN|NT|ZZ)[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]\d{6}[A-D]$/.test(v)
}
export function isNlBsn(s: string): boolean {
  if (!/^\d{9}$/.test(s)) return false
  let sum = 0
  for (let i = 0; i < 8; i++) sum += (9 - i) * (s.charCodeAt(i) - 48)
  sum -= s.charCodeAt(8) - 48
  return sum % 11 === 0 && s !== '000000000'
}
export function isFrNir(s: string): boolean {
  const v = s.replace(/ /g, '')
  const m = /^([12]\d{4}(?:\d{2}|2A|2B)\d{6})(\d{2})$/.exec(v)
  if (!m) return false
  const body = BigInt(m[1]!.replace('2A', '19').replace('2B', '18'))
  return 97n - (body % 97n) === BigInt(m[2]!)
}
/** A national id in any supported format (SSN with separators, NINO, NIR). BSN only when `bare` (9 bare digits are too common). */
export const isNationalId = (s: string, bare = false): boolean =>
  isUsSsn(s, false) || isUkNino(s) || isFrNir(s) || (bare && (isUsSsn(s, true) || isNlBsn(s)))

export type PostalCountry = 'US' | 'UK' | 'DE' | 'FR' | 'NL' | 'CA'

const POSTAL: Readonly<Record<PostalCountry, RegExp>> = {
  US: /^\d{5}(-\d{4})?$/,
  UK: /^(GIR 0AA|[A-PR-UWYZ]([0-9]{1,2}|[A-HK-Y][0-9]{1,2}|[0-9][A-HJKPSTUW]|[A-HK-Y][0-9][ABEHMNPRVWXY]) ?[0-9][ABD-HJLNP-UW-Z]{2})$/i,
  DE: /^(?!00)\d{5}$/,
  FR: /^(?!00)\d{5}$/,
  NL: /^[1-9]\d{3} ?(?!SA|SD|SS)[A-Z]{2}$/i,
  CA: /^[ABCEGHJ-NPRSTVXY]\d[ABCEGHJ-NPRSTV-Z] ?\d[ABCEGHJ-NPRSTV-Z]\d$/i,
}

/** Postal code of any supported country (US ZIP/ZIP+4, UK, DE, FR, NL, CA). Five bare digits match several countries. */
export function isPostalCode(s: string, country?: PostalCountry): boolean {
  if (country) return POSTAL[country].test(s)
  for (const re of Object.values(POSTAL)) if (re.test(s)) return true
  return false
}
