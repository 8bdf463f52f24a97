/**
 * CSV fixtures for the classification and governance-summary tests: customer rows with
 * emails, phones, card numbers that pass Luhn, order numbers that fail it, IBANs, IP
 * addresses and person names. Deterministic (seeded); every value is fake.
 */
import { luhnCheckDigit, makeIban } from './classify-data.js'

const FIRST = ['Emma', 'Liam', 'Sophie', 'Lukas', 'Maria', 'James', 'Julia', 'Pierre', 'Lucia', 'Noah']
const LAST = ['Jansen', 'Müller', 'Smith', 'Dubois', 'García', 'de Vries', 'Rossi', 'Novak']

function rng(seed: number): () => number {
  let x = seed >>> 0
  return () => { x = (Math.imul(x, 1664525) + 1013904223) >>> 0; return x / 2 ** 32 }
}

const digits = (r: () => number, n: number) => Array.from({ length: n }, () => String(Math.floor(r() * 10))).join('')

/** A 16-digit Visa-like number that passes Luhn. */
function card(r: () => number): string {
  const body = '4' + digits(r, 14)
  return body + luhnCheckDigit(body)
}

/** A 16-digit number that fails Luhn (an order number that merely looks like a card). */
function orderNumber(r: () => number): string {
  const body = '4' + digits(r, 14)
  return body + ((luhnCheckDigit(body) + 1 + Math.floor(r() * 8)) % 10)
}

export const CUSTOMER_COLUMNS = ['customer', 'contact', 'tel', 'pay_token', 'order_number', 'iban', 'client_ip', 'region', 'amount']

/** Expected automatic semantic types of CUSTOMER_COLUMNS. */
export const CUSTOMER_TYPES: Record<string, string> = {
  customer: 'person_name', contact: 'email', tel: 'phone', pay_token: 'credit_card', order_number: 'identifier',
  iban: 'iban', client_ip: 'ip_address', region: 'categorical', amount: 'measure',
}

/** `rows` customer rows as CSV (header included). */
export function customersCsv(rows: number, seed = 7): string {
  const r = rng(seed)
  const lines = [CUSTOMER_COLUMNS.join(',')]
  for (let i = 0; i < rows; i++) {
    const first = FIRST[Math.floor(r() * FIRST.length)]!
    const last = LAST[Math.floor(r() * LAST.length)]!
    lines.push([
      `${first} ${last}`,
      `${first.toLowerCase()}.${i}@example.com`,
      `+44 7${digits(r, 3)} ${digits(r, 6)}`,
      card(r),
      orderNumber(r),
      makeIban('DE', digits(r, 18)),
      `${60 + Math.floor(r() * 190)}.${Math.floor(r() * 256)}.${Math.floor(r() * 256)}.${1 + Math.floor(r() * 254)}`,
      ['EU', 'US', 'APAC'][i % 3],
      (Math.floor(r() * 100000) / 100).toFixed(2),
    ].join(','))
  }
  return lines.join('\n') + '\n'
}
