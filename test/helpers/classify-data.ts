// Labelled columns of generated data for the classification tests: realistic positives for each
// sensitive type, neutral columns and look-alikes that must not be flagged. Seeded (loadtest rng).
import { rng } from '../../loadtest/generate.js'
import type { Batch, Column } from '../../proto/batch.js'
import type { SemanticType } from '../../proto/classification.js'
import type { Field, LogicalType } from '../../proto/types.js'

export interface LabelledColumn {
  field: Field
  values: (string | number | bigint | null)[]
  label: SemanticType
  /** a column built to resemble a sensitive type while not being one */
  lookalike?: string
}

export const ROWS = 200
/** 2026-01-01 in days since epoch, fixed so birth-date plausibility does not drift. */
export const TODAY_DAYS = Math.floor(Date.UTC(2026, 0, 1) / 86_400_000)

const FIRST = ['James', 'Mary', 'Liam', 'Emma', 'Noah', 'Olivia', 'Lukas', 'Sophie', 'Pierre', 'Camille', 'Daan', 'Fleur', 'Carlos', 'Lucia', 'Ahmed', 'Fatima', 'Yuki', 'Wei', 'Grace', 'Henrik', 'Ingrid', 'Mateo', 'Aisha', 'Oskar', 'Zoe', 'Elif', 'Ravi', 'Priya']
const LAST = ['Smith', 'Johnson', 'Müller', 'Schmidt', 'Dubois', 'Martin', 'de Vries', 'Jansen', 'García', 'López', "O'Brien", 'Nakamura', 'Chen', 'Kowalski', 'Novak', 'Rossi', 'Andersen', 'Okafor', 'Patel', 'Nguyen', 'Van Dijk', 'Schäfer']
const DOMAINS = ['gmail.com', 'example.org', 'web.de', 'orange.fr', 'company.co.uk', 'mail.example.com', 'outlook.com']
const PRODUCTS = ['Oak Desk', 'Steel Chair', 'Desk Lamp Pro', 'Standing Mat', 'Cable Tray', 'Monitor Arm', 'Laptop Stand', 'Ergo Mouse', 'Blue Sofa', 'Bookshelf 5', 'Coffee Table', 'Wall Clock']
const WORDS = 'the delivery arrived late and the box was damaged but support replaced it quickly thanks great service would order again package missing item color differs from picture'.split(' ')

type Gen = (r: () => number, i: number) => string | number | bigint | null

const int = (r: () => number, lo: number, hi: number) => lo + Math.floor(r() * (hi - lo + 1))
const pick = <T>(r: () => number, xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!
const digits = (r: () => number, n: number) => Array.from({ length: n }, () => String(int(r, 0, 9))).join('')

export function luhnCheckDigit(body: string): number {
  let sum = 0
  for (let i = 0; i < body.length; i++) {
    let d = body.charCodeAt(body.length - 1 - i) - 48
    if (i % 2 === 0) { d *= 2; if (d > 9) d -= 9 }
    sum += d
  }
  return (10 - (sum % 10)) % 10
}
function cardNumber(r: () => number): string {
  const prefix = pick(r, ['4', '51', '55', '2221', '37', '6011'])
  const len = prefix === '37' ? 15 : 16
  const body = prefix + digits(r, len - 1 - prefix.length)
  return body + luhnCheckDigit(body)
}
function mod97(s: string): number {
  let rem = 0
  for (const ch of s) { const c = ch.charCodeAt(0); const n = c >= 65 ? c - 55 : c - 48; rem = n >= 10 ? (rem * 100 + n) % 97 : (rem * 10 + n) % 97 }
  return rem
}
export function makeIban(country: string, bban: string): string {
  const check = 98 - mod97(bban + country + '00')
  return country + String(check).padStart(2, '0') + bban
}
function iban(r: () => number): string {
  const c = pick(r, ['DE', 'FR', 'NL', 'GB', 'ES', 'BE'])
  const bban = c === 'DE' ? digits(r, 18) : c === 'FR' ? digits(r, 10) + 'ABC' + digits(r, 8) + digits(r, 2)
    : c === 'NL' ? pick(r, ['ABNA', 'RABO', 'INGB']) + digits(r, 10) : c === 'GB' ? pick(r, ['NWBK', 'BARC']) + digits(r, 14)
      : c === 'ES' ? digits(r, 20) : digits(r, 12)
  return makeIban(c, bban)
}
const groups4 = (s: string) => s.replace(/(.{4})/g, '$1 ').trim()
function ssn(r: () => number): string {
  let area: number
  do area = int(r, 1, 899); while (area === 666)
  return `${String(area).padStart(3, '0')}-${String(int(r, 1, 99)).padStart(2, '0')}-${String(int(r, 1, 9999)).padStart(4, '0')}`
}
function bsn(r: () => number): string {
  for (;;) {
    const d = digits(r, 8)
    let sum = 0
    for (let i = 0; i < 8; i++) sum += (9 - i) * (d.charCodeAt(i) - 48)
    const last = sum % 11
    if (last <= 9 && d[0] !== '0') return d + last
  }
}
const nino = (r: () => number) => pick(r, ['AB', 'CE', 'JK', 'PR', 'WX', 'EH']) + digits(r, 6) + pick(r, ['A', 'B', 'C', 'D'])
const ipv4 = (r: () => number) => `${int(r, 1, 223)}.${int(r, 0, 255)}.${int(r, 0, 255)}.${int(r, 1, 254)}`
const ipv6 = (r: () => number) => pick(r, ['2001:db8', 'fe80', '2a02:1810']) + '::' + Array.from({ length: int(r, 1, 4) }, () => int(r, 0, 65535).toString(16)).join(':')
const email = (r: () => number) => `${pick(r, FIRST).toLowerCase()}${pick(r, ['.', '_', ''])}${pick(r, LAST).toLowerCase().replace(/[^a-z]/g, '')}${r() < 0.3 ? int(r, 1, 99) : ''}@${pick(r, DOMAINS)}`
const ukPostcode = (r: () => number) => pick(r, ['SW1A', 'EC1V', 'M1', 'B33', 'CR2', 'LS11', 'W1D']) + ' ' + int(r, 0, 9) + pick(r, ['AA', 'BQ', 'DX', 'NP', 'HJ'])
const isoDay = (days: number) => new Date(days * 86_400_000).toISOString().slice(0, 10)
const birthDays = (r: () => number) => TODAY_DAYS - int(r, 18 * 365, 90 * 365)

// [name, logical type, label, generator, look-alike note]
type Spec = [string, LogicalType, SemanticType, Gen, string?]

const SPECS: Spec[] = [
  // --- email (4)
  ['email', 'string', 'email', (r) => email(r)],
  ['customerEmail', 'string', 'email', (r) => email(r)],
  ['E_Mail', 'string', 'email', (r) => (r() < 0.1 ? email(r).replace('@', '') : email(r))], // ~10 % typos
  ['contact', 'string', 'email', (r) => email(r)], // no name hint
  // --- phone (4)
  ['phone', 'string', 'phone', (r) => `+1 ${int(r, 200, 989)}-${int(r, 200, 999)}-${digits(r, 4)}`],
  ['telefon', 'string', 'phone', (r) => `0${int(r, 30, 89)} ${digits(r, 7)}`],
  ['mobile_number', 'string', 'phone', (r) => `+44 7${digits(r, 3)} ${digits(r, 6)}`],
  ['contact_tel', 'string', 'phone', (r) => `+33${int(r, 1, 9)}${digits(r, 8)}`],
  ['msisdn', 'string', 'phone', (r) => `49${int(r, 151, 179)}${digits(r, 8)}`], // bare digits, name only
  ['account_holder', 'string', 'person_name', (r) => `${pick(r, FIRST)} ${pick(r, LAST)}`],
  // --- person_name (6)
  ['first_name', 'string', 'person_name', (r) => pick(r, FIRST)],
  ['last_name', 'string', 'person_name', (r) => pick(r, LAST)],
  ['Surname', 'string', 'person_name', (r) => pick(r, LAST)],
  ['customer_name', 'string', 'person_name', (r) => `${pick(r, FIRST)} ${pick(r, LAST)}`],
  ['name', 'string', 'person_name', (r) => `${pick(r, FIRST)} ${pick(r, LAST)}`],
  ['Vorname', 'string', 'person_name', (r) => pick(r, FIRST)],
  // --- national_id (4)
  ['ssn', 'string', 'national_id', (r) => ssn(r)],
  ['tax_ref', 'string', 'national_id', (r) => ssn(r)], // no hint, dashed SSN shape
  ['nino', 'string', 'national_id', (r) => nino(r)],
  ['bsn', 'string', 'national_id', (r) => bsn(r)],
  // --- credit_card (4)
  ['card_number', 'string', 'credit_card', (r) => groups4(cardNumber(r))],
  ['pan', 'string', 'credit_card', (r) => cardNumber(r).replace(/(\d{4})(?=\d)/g, '$1-')],
  ['payment_ref', 'string', 'credit_card', (r) => cardNumber(r)], // no hint, bare digits
  ['cc_num', 'int64', 'credit_card', (r) => BigInt(cardNumber(r))],
  // --- iban (3)
  ['iban', 'string', 'iban', (r) => iban(r)],
  ['payout_account', 'string', 'iban', (r) => groups4(iban(r))],
  ['Kontonummer', 'string', 'iban', (r) => iban(r)],
  // --- ip_address (3)
  ['ip', 'string', 'ip_address', (r) => ipv4(r)],
  ['client_addr', 'string', 'ip_address', (r) => (r() < 0.5 ? ipv4(r) : ipv6(r))],
  ['internal_host', 'string', 'ip_address', (r) => `10.${int(r, 0, 3)}.${int(r, 0, 255)}.${int(r, 1, 254)}`],
  // --- postal_code (4)
  ['zip', 'string', 'postal_code', (r) => String(int(r, 501, 99950)).padStart(5, '0')],
  ['postcode', 'string', 'postal_code', (r) => ukPostcode(r)],
  ['plz', 'int32', 'postal_code', (r) => int(r, 1067, 99998)],
  ['delivery_area', 'string', 'postal_code', (r) => `${int(r, 1000, 9999)} ${pick(r, ['AB', 'CD', 'XK', 'LM'])}`], // NL, no hint
  // --- date_of_birth (3)
  ['dob', 'date', 'date_of_birth', (r) => birthDays(r)],
  ['birth_date', 'string', 'date_of_birth', (r) => isoDay(birthDays(r))],
  ['Geburtsdatum', 'timestamp', 'date_of_birth', (r) => BigInt(birthDays(r)) * 86_400_000_000n],
  // --- geo_coordinate (3)
  ['lat', 'float64', 'geo_coordinate', (r) => Math.round((r() * 180 - 90) * 1e6) / 1e6],
  ['longitude', 'float64', 'geo_coordinate', (r) => Math.round((r() * 360 - 180) * 1e6) / 1e6],
  ['position', 'string', 'geo_coordinate', (r) => `${(r() * 120 - 60).toFixed(5)},${(r() * 340 - 170).toFixed(5)}`],

  // --- neutral columns
  ['id', 'int64', 'identifier', (_r, i) => BigInt(i + 1)],
  ['customer_id', 'int32', 'identifier', (r) => int(r, 1, 50_000)],
  ['request_id', 'string', 'uuid', (r) => [8, 4, 4, 4, 12].map((n) => Array.from({ length: n }, () => int(r, 0, 15).toString(16)).join('')).join('-')],
  ['homepage', 'string', 'url', (r) => `https://www.${pick(r, ['example', 'shop', 'acme'])}.com/p/${int(r, 1, 9999)}`],
  ['comment', 'string', 'free_text', (r) => Array.from({ length: int(r, 6, 20) }, () => pick(r, WORDS)).join(' ')],
  ['status', 'string', 'categorical', (r) => pick(r, ['open', 'shipped', 'cancelled', 'returned'])],
  ['country', 'string', 'categorical', (r) => pick(r, ['DE', 'FR', 'NL', 'GB', 'US', 'ES'])],
  ['amount', 'float64', 'measure', (r) => Math.round(r() * 50_000) / 100],
  ['qty', 'int32', 'measure', (r) => int(r, 1, 500)],
  ['price', 'decimal', 'measure', (r) => (r() * 300).toFixed(2)],
  ['created_at', 'timestamp', 'timestamp', (r) => BigInt(TODAY_DAYS - int(r, 0, 900)) * 86_400_000_000n + BigInt(int(r, 0, 86_399)) * 1_000_000n],
  ['order_date', 'string', 'timestamp', (r) => isoDay(TODAY_DAYS - int(r, 0, 900))],
  ['is_active', 'boolean', 'categorical', (r) => (r() < 0.5 ? 1 : 0)],

  // --- look-alikes (must not be flagged sensitive)
  ['order_number', 'string', 'identifier', (r) => { const b = '4' + digits(r, 14); return b + ((luhnCheckDigit(b) + int(r, 1, 9)) % 10) }, '16 digits, Visa prefix, failing Luhn'],
  ['tracking_no', 'int64', 'identifier', (r) => BigInt('5' + digits(r, 15)), 'random 16-digit ints (~10 % pass Luhn)'],
  ['product_code', 'string', 'identifier', (r) => { const s = makeIban('DE', digits(r, 18)); return s.slice(0, 2) + String((Number(s.slice(2, 4)) + int(r, 1, 9)) % 100).padStart(2, '0') + s.slice(4) }, 'IBAN-shaped, failing mod-97'],
  ['sku', 'string', 'identifier', (r) => `XX${digits(r, 2)}${digits(r, 18)}`, 'IBAN shape with unknown country'],
  ['app_version', 'string', 'identifier', (r) => `${int(r, 1, 3)}.${int(r, 0, 9)}.${int(r, 0, 4)}.${int(r, 0, 20)}`, 'dotted quads'],
  ['build', 'string', 'identifier', (r) => `${int(r, 1, 12)}.${int(r, 0, 40)}.${int(r, 0, 30)}.${int(r, 0, 9999) % 256}`, 'dotted quads, version name'],
  ['quantity', 'int32', 'measure', (r) => int(r, 10_000, 99_999), 'zip-like 5-digit integers'],
  ['store_code', 'string', 'identifier', (r) => String(int(r, 10_000, 99_999)), '5-digit strings without a postal name'],
  ['product_name', 'string', 'categorical', (r) => pick(r, PRODUCTS), 'name column holding products'],
  ['name', 'string', 'other', (r) => `${pick(r, PRODUCTS)} ${int(r, 100, 999)}`, 'plain name column holding product titles'],
  ['ticket_ref', 'string', 'identifier', (r) => `${int(r, 900, 999)}-${digits(r, 2)}-${digits(r, 4)}`, 'SSN shape with invalid 9xx area'],
  ['temperature', 'float64', 'measure', (r) => Math.round((r() * 60 - 20) * 10) / 10, 'floats in latitude range'],
  ['ratio', 'float64', 'measure', (r) => Math.round((r() * 2 - 1) * 1e4) / 1e4, 'small signed floats'],
  ['handle', 'string', 'identifier', (r) => `@${pick(r, FIRST).toLowerCase()}_${int(r, 1, 9999)}`, 'social handles, not emails'],
  ['api_path', 'string', 'identifier', (r) => `/api/v1/items/${int(r, 1, 99999)}`, 'paths, not URLs'],
  ['checksum', 'string', 'identifier', (r) => Array.from({ length: 32 }, () => int(r, 0, 15).toString(16)).join(''), '32 hex chars, not a UUID'],
  ['phone_model', 'string', 'categorical', (r) => pick(r, ['Pixel 8', 'iPhone 15', 'Galaxy S24', 'Fairphone 5']), 'name says phone, values are models'],
  ['invoice_no', 'string', 'identifier', (r) => `INV-${digits(r, 4)}-${digits(r, 6)}`, 'dashed digit groups'],
  ['signup_date', 'date', 'timestamp', (r) => TODAY_DAYS - int(r, 0, 3000), 'dates without a birth name'],
  ['imei', 'string', 'identifier', (r) => { const b = '35' + digits(r, 12); return b + luhnCheckDigit(b) }, 'IMEIs: 15 Luhn-valid digits with a 35 prefix'],
  ['ean', 'int64', 'identifier', (r) => BigInt('40' + digits(r, 11)), 'EAN-13 barcodes (13 digits, Visa-like 4 prefix)'],
  ['zipper_length', 'int32', 'measure', (r) => int(r, 10, 80), 'name starts with zip'],
  ['score', 'int32', 'measure', (r) => int(r, 0, 100_000_000), 'eight/nine digit numbers'],
]

/** The labelled columns, regenerated identically for a seed. */
export function labelledColumns(seed = 20261128): LabelledColumn[] {
  const r = rng(seed)
  return SPECS.map(([name, type, label, gen, lookalike]) => {
    const values = Array.from({ length: ROWS }, (_, i) => (r() < 0.05 ? null : gen(r, i)))
    const field: Field = { name, type, nullable: true, ...(type === 'decimal' ? { precision: 12, scale: 2 } : {}) }
    return { field, values, label, ...(lookalike ? { lookalike } : {}) }
  })
}

/** One Batch holding a labelled column, in the representation workers compute on (proto/batch.ts). */
export function toBatch(col: LabelledColumn): Batch {
  return { length: col.values.length, columns: [toColumn(col)] }
}

export function toColumn(col: LabelledColumn): Column {
  const { field, values } = col
  const nulls = Uint8Array.from(values, (x) => (x === null ? 1 : 0))
  let out: Column['values']
  switch (field.type) {
    case 'int16': case 'int32': case 'date': out = Int32Array.from(values, (x) => Number(x ?? 0)); break
    case 'int64': case 'timestamp': out = BigInt64Array.from(values, (x) => BigInt(x ?? 0)); break
    case 'float32': case 'float64': out = Float64Array.from(values, (x) => Number(x ?? 0)); break
    case 'boolean': out = Uint8Array.from(values, (x) => Number(x ?? 0)); break
    default: out = values.map((x) => (x === null ? '' : String(x)))
  }
  return { name: field.name, type: field.type, values: out, nulls, ...(field.type === 'decimal' ? { precision: 12, scale: 2 } : {}) }
}
