/**
 * Independent held-out labelled set for automatic column classification
 * (proto/classification.ts). Written WITHOUT looking at the detector, its tests or its
 * tuning data: the labels are what a careful human would assign from the column's meaning,
 * not what any particular rule would say. Not a test file itself (see
 * test/classify-heldout.test.ts).
 *
 * Columns are grouped into realistic tables (one Batch each, so cross-column context such as
 * lat/lon pairs exists as in real data). All values come from a seeded PRNG, so the set is
 * deterministic. Check digits are real: IBAN mod-97, card Luhn, BSN 11-proof, NHS mod-11,
 * French NIR key; look-alikes fail them on purpose where noted.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { SemanticType } from '../../proto/classification.js'
import type { Field, LogicalType } from '../../proto/types.js'

// ---------------------------------------------------------------------------------------------
// PRNG + small helpers
// ---------------------------------------------------------------------------------------------

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

export class Gen {
  constructor(readonly r: () => number) {}
  int(lo: number, hi: number): number { return lo + Math.floor(this.r() * (hi - lo + 1)) }
  pick<T>(a: readonly T[]): T { return a[Math.floor(this.r() * a.length)]! }
  chance(p: number): boolean { return this.r() < p }
  digits(n: number): string { let s = ''; for (let i = 0; i < n; i++) s += String(this.int(0, 9)); return s }
  pad(n: number, w: number): string { return String(n).padStart(w, '0') }
  letters(n: number, alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ'): string {
    let s = ''; for (let i = 0; i < n; i++) s += alphabet[this.int(0, alphabet.length - 1)]; return s
  }
  hex(n: number): string { let s = ''; for (let i = 0; i < n; i++) s += '0123456789abcdef'[this.int(0, 15)]; return s }
  float(lo: number, hi: number): number { return lo + this.r() * (hi - lo) }
  /** weighted pick: [[value, weight], ...] */
  weighted<T>(a: readonly (readonly [T, number])[]): T {
    const total = a.reduce((s, [, w]) => s + w, 0)
    let x = this.r() * total
    for (const [v, w] of a) { if ((x -= w) < 0) return v }
    return a[a.length - 1]![0]
  }
}

// ---------------------------------------------------------------------------------------------
// Check-digit algorithms
// ---------------------------------------------------------------------------------------------

export function luhnValid(d: string): boolean {
  let sum = 0
  for (let i = 0; i < d.length; i++) {
    let x = d.charCodeAt(d.length - 1 - i) - 48
    if (i % 2 === 1) { x *= 2; if (x > 9) x -= 9 }
    sum += x
  }
  return sum % 10 === 0
}

/** The digit that makes `body + digit` Luhn-valid. */
export function luhnCheckDigit(body: string): string {
  for (let c = 0; c <= 9; c++) if (luhnValid(body + c)) return String(c)
  throw new Error('unreachable')
}

function mod97(numeric: string): number {
  let m = 0
  for (const ch of numeric) m = (m * 10 + (ch.charCodeAt(0) - 48)) % 97
  return m
}

function ibanNumeric(s: string): string {
  let out = ''
  for (const ch of s.toUpperCase()) out += /[A-Z]/.test(ch) ? String(ch.charCodeAt(0) - 55) : ch
  return out
}

export function ibanValid(iban: string): boolean {
  const s = iban.replace(/\s+/g, '').toUpperCase()
  return mod97(ibanNumeric(s.slice(4) + s.slice(0, 4))) === 1
}

export function makeIban(country: string, bban: string): string {
  const check = 98 - mod97(ibanNumeric(bban + country + '00'))
  return country + String(check).padStart(2, '0') + bban
}

export function bsnValid(d: string): boolean {
  if (!/^\d{9}$/.test(d)) return false
  let s = 0
  for (let i = 0; i < 8; i++) s += (d.charCodeAt(i) - 48) * (9 - i)
  s -= d.charCodeAt(8) - 48
  return s % 11 === 0
}

export function nhsValid(d: string): boolean {
  if (!/^\d{10}$/.test(d)) return false
  let s = 0
  for (let i = 0; i < 9; i++) s += (d.charCodeAt(i) - 48) * (10 - i)
  let c = 11 - (s % 11)
  if (c === 11) c = 0
  return c !== 10 && c === d.charCodeAt(9) - 48
}

// ---------------------------------------------------------------------------------------------
// Vocabularies
// ---------------------------------------------------------------------------------------------

const FIRST_EN = ['James', 'Mary', 'Robert', 'Patricia', 'John', 'Jennifer', 'Michael', 'Linda', 'David', 'Elizabeth', 'William', 'Barbara', 'Richard', 'Susan', 'Joseph', 'Jessica', 'Thomas', 'Sarah', 'Charles', 'Karen', 'Christopher', 'Nancy', 'Daniel', 'Lisa', 'Matthew', 'Betty', 'Anthony', 'Margaret', 'Mark', 'Sandra', 'Olivia', 'Liam', 'Noah', 'Emma', 'Ava', 'Sophia', 'Isabella', 'Mason', 'Ethan', 'Harper', 'Aiden', 'Chloe', 'Zoe', 'Tyrone', 'Keisha', 'DeShawn', 'Priya', 'Rahul', 'Wei', 'Mei', 'Hiroshi', 'Yuki', 'Aleksandr', 'Olga', 'Fatima', 'Mohammed', 'Aisha', 'Omar']
const LAST_EN = ['Smith', 'Johnson', 'Williams', 'Brown', 'Jones', 'Garcia', 'Miller', 'Davis', 'Rodriguez', 'Martinez', 'Hernandez', 'Lopez', 'Gonzalez', 'Wilson', 'Anderson', 'Thomas', 'Taylor', 'Moore', 'Jackson', 'Martin', 'Lee', 'Perez', 'Thompson', 'White', 'Harris', 'Sanchez', 'Clark', 'Ramirez', 'Lewis', 'Robinson', "O'Brien", 'McDonald', 'Nguyen', 'Patel', 'Kim', 'Chen', 'Wang', 'Singh', 'Kowalski', 'Ivanov', 'Okafor', 'Haddad']
const FIRST_DE = ['Lukas', 'Leon', 'Finn', 'Jonas', 'Paul', 'Felix', 'Maximilian', 'Elias', 'Noah', 'Ben', 'Anna', 'Mia', 'Emma', 'Lea', 'Hannah', 'Sophie', 'Lena', 'Marie', 'Johanna', 'Greta', 'Jürgen', 'Günther', 'Uwe', 'Dieter', 'Ursula', 'Bärbel', 'Jörg', 'Käthe', 'Sören', 'Björn']
const LAST_DE = ['Müller', 'Schmidt', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Schulz', 'Hoffmann', 'Schäfer', 'Koch', 'Bauer', 'Richter', 'Klein', 'Wolf', 'Schröder', 'Neumann', 'Schwarz', 'Zimmermann', 'Braun', 'Krüger', 'Hofmann', 'Hartmann', 'Lange', 'Schmitt', 'Werner', 'Krause', 'Meier', 'Lehmann', 'Weiß', 'Groß', 'Köhler', 'Jäger']
const FIRST_FR = ['Jean', 'Marie', 'Pierre', 'Michel', 'Philippe', 'Nathalie', 'Isabelle', 'Sylvie', 'Catherine', 'Françoise', 'Hélène', 'Amélie', 'Chloé', 'Léa', 'Inès', 'Théo', 'Hugo', 'Louis', 'Gabriel', 'Raphaël', 'Jean-Luc', 'Anne-Sophie', 'Jérôme', 'Benoît', 'Céline', 'Loïc', 'Gaëlle', 'Noémie']
const LAST_FR = ['Martin', 'Bernard', 'Dubois', 'Thomas', 'Robert', 'Richard', 'Petit', 'Durand', 'Leroy', 'Moreau', 'Simon', 'Laurent', 'Lefèvre', 'Michel', 'Garcia', 'David', 'Bertrand', 'Roux', 'Vincent', 'Fournier', 'Morel', 'Girard', 'André', 'Lefebvre', 'Mercier', 'Dupont', 'Lambert', 'Bonnet', 'François', 'Martinez', 'Gauthier', 'Chevalier', 'Lemaître']
const FIRST_NL = ['Daan', 'Sem', 'Lucas', 'Levi', 'Bram', 'Thijs', 'Jesse', 'Ruben', 'Sanne', 'Fleur', 'Julia', 'Tess', 'Anouk', 'Lotte', 'Femke', 'Maud', 'Joris', 'Pieter', 'Willemijn', 'Geert', 'Hendrik', 'Marieke', 'Sjoerd', 'Ilse']
const LAST_NL = ['de Jong', 'Jansen', 'de Vries', 'van den Berg', 'van Dijk', 'Bakker', 'Janssen', 'Visser', 'Smit', 'Meijer', 'de Boer', 'Mulder', 'de Groot', 'Bos', 'Vos', 'Peters', 'Hendriks', 'van Leeuwen', 'Dekker', 'Brouwer', 'de Wit', 'Dijkstra', 'Smits', 'de Graaf', 'van der Meer', 'van der Linden', 'Kok', 'Jacobs', 'de Haan', 'Vermeulen']
const FIRST_ES = ['José', 'Antonio', 'Manuel', 'Francisco', 'Javier', 'Carmen', 'María', 'Lucía', 'Sofía', 'Martina', 'Alejandro', 'Pablo', 'Álvaro', 'Elena', 'Paula', 'Ángel', 'Raúl', 'Nuria']
const LAST_ES = ['García', 'Fernández', 'González', 'Rodríguez', 'López', 'Martínez', 'Sánchez', 'Pérez', 'Gómez', 'Martín', 'Jiménez', 'Ruiz', 'Hernández', 'Díaz', 'Moreno', 'Muñoz', 'Álvarez', 'Romero', 'Navarro', 'Torres']

type Locale = 'en' | 'de' | 'fr' | 'nl' | 'es'
const NAMES: Record<Locale, [string[], string[]]> = {
  en: [FIRST_EN, LAST_EN], de: [FIRST_DE, LAST_DE], fr: [FIRST_FR, LAST_FR], nl: [FIRST_NL, LAST_NL], es: [FIRST_ES, LAST_ES],
}

const ASCII_FOLD: Record<string, string> = { ä: 'ae', ö: 'oe', ü: 'ue', ß: 'ss', é: 'e', è: 'e', ê: 'e', ë: 'e', à: 'a', â: 'a', ç: 'c', î: 'i', ï: 'i', ô: 'o', û: 'u', ù: 'u', á: 'a', í: 'i', ó: 'o', ú: 'u', ñ: 'n' }
const fold = (s: string) => s.toLowerCase().replace(/[^a-z0-9]/g, (c) => ASCII_FOLD[c] ?? '')

const PRODUCT_ADJ = ['Ergonomic', 'Wireless', 'Stainless', 'Organic', 'Compact', 'Deluxe', 'Portable', 'Vintage', 'Smart', 'Heavy-Duty', 'Ultra-Slim', 'Recycled', 'Premium', 'Classic']
const PRODUCT_NOUN = ['Chair', 'Mouse', 'Kettle', 'Backpack', 'Desk Lamp', 'Keyboard', 'Water Bottle', 'Headphones', 'Coffee Grinder', 'Yoga Mat', 'Phone Case', 'Notebook', 'Sneakers', 'Blender', 'Monitor Stand', 'Cutting Board']
const PRODUCT_SUFFIX = ['', '', ' Pro', ' Mini', ' XL', ' 2.0', ' (Black)', ' (Set of 2)', ' M185', ' v3']

const WORDS_EN = 'the product arrived quickly and works as described but the packaging was damaged I would order again customer service was helpful delivery took longer than expected quality is great for the price not sure about the color size runs small battery life could be better easy to set up instructions were unclear refund was processed fast overall happy with purchase'.split(' ')
const WORDS_DE = 'die Lieferung kam schnell an und alles funktioniert wie beschrieben leider war die Verpackung beschädigt gerne wieder Kundenservice war sehr freundlich Qualität ist gut für den Preis'.split(' ')
const WORDS_FR = 'le colis est arrivé rapidement et le produit fonctionne bien mais emballage abîmé service client très réactif qualité correcte pour le prix je recommande'.split(' ')

function sentence(g: Gen, words: readonly string[], lo: number, hi: number): string {
  const n = g.int(lo, hi)
  const w: string[] = []
  for (let i = 0; i < n; i++) w.push(g.pick(words))
  const s = w.join(' ')
  return s.charAt(0).toUpperCase() + s.slice(1) + g.pick(['.', '.', '!', '.', '?', '...'])
}

// ---------------------------------------------------------------------------------------------
// Value generators (each returns one non-null value in the Batch representation)
// ---------------------------------------------------------------------------------------------

const EMAIL_DOMAINS = ['gmail.com', 'yahoo.com', 'outlook.com', 'hotmail.co.uk', 'web.de', 'gmx.de', 't-online.de', 'orange.fr', 'free.fr', 'ziggo.nl', 'kpnmail.nl', 'icloud.com', 'protonmail.com', 'acme-corp.com', 'mail.example.org', 'uni-heidelberg.de', 'student.uva.nl', 'telefonica.es']

function personName(g: Gen, loc?: Locale): [string, string] {
  const l = loc ?? g.pick<Locale>(['en', 'en', 'de', 'fr', 'nl', 'es'])
  const [f, s] = NAMES[l]
  return [g.pick(f), g.pick(s)]
}

export function email(g: Gen): string {
  const [f, l] = personName(g)
  const ff = fold(f), ll = fold(l)
  const local = g.weighted<string>([
    [`${ff}.${ll}`, 4], [`${ff[0]}${ll}`, 2], [`${ff}${g.int(1, 99)}`, 2], [`${ff}_${ll}${g.int(70, 99)}`, 1],
    [`${ff}.${ll}+news`, 1], [`${ll}.${ff}`, 1], [`${ff[0]}.${ll}`, 1],
  ])
  const e = `${local}@${g.pick(EMAIL_DOMAINS)}`
  return g.chance(0.05) ? e.replace(/^./, (c) => c.toUpperCase()) : e
}

const US_AREA = ['201', '212', '213', '305', '312', '404', '415', '512', '617', '646', '702', '713', '718', '206', '303', '480', '503', '619', '773', '917']
export function phoneUS(g: Gen): string {
  const a = g.pick(US_AREA), x = `${g.int(2, 9)}${g.digits(2)}`, n = g.digits(4)
  return g.weighted<string>([[`(${a}) ${x}-${n}`, 4], [`${a}-${x}-${n}`, 3], [`+1 ${a} ${x} ${n}`, 2], [`${a}.${x}.${n}`, 1], [`+1-${a}-${x}-${n}`, 1]])
}
export function phoneDE(g: Gen): string {
  const mobile = g.pick(['151', '152', '157', '160', '162', '170', '171', '172', '175', '176', '177', '179'])
  const city = g.pick(['30', '40', '89', '221', '69', '711', '211', '351', '341'])
  return g.weighted<string>([
    [`+49 ${mobile} ${g.digits(g.int(7, 8))}`, 3], [`0${mobile} ${g.digits(7)}`, 2], [`+49 ${city} ${g.digits(g.int(6, 8))}`, 2],
    [`0${city}/${g.digits(g.int(6, 7))}`, 2], [`+49 (0)${city} ${g.digits(3)} ${g.digits(4)}`, 1], [`0${city}-${g.digits(7)}`, 1],
  ])
}
export function phoneUK(g: Gen): string {
  return g.weighted<string>([
    [`+44 7${g.digits(3)} ${g.digits(6)}`, 3], [`07${g.digits(3)} ${g.digits(6)}`, 3], [`+44 20 ${g.digits(4)} ${g.digits(4)}`, 2],
    [`020 ${g.digits(4)} ${g.digits(4)}`, 2], [`0161 ${g.digits(3)} ${g.digits(4)}`, 1], [`+44 (0)131 ${g.digits(3)} ${g.digits(4)}`, 1],
  ])
}
export function phoneFR(g: Gen): string {
  const pairs = () => [0, 0, 0, 0].map(() => g.digits(2))
  const p = g.pick(['6', '7', '1', '2', '3', '4', '5', '9'])
  const q = pairs()
  return g.weighted<string>([[`0${p} ${q.join(' ')}`, 4], [`+33 ${p} ${q.join(' ')}`, 3], [`0${p}.${q.join('.')}`, 2], [`+33${p}${q.join('')}`, 1]])
}
export function phoneNL(g: Gen): string {
  return g.weighted<string>([
    [`06-${g.digits(8)}`, 3], [`+31 6 ${g.digits(8)}`, 3], [`020 ${g.digits(3)} ${g.digits(4)}`, 2], [`+31 (0)10 ${g.digits(7)}`, 1], [`06 ${g.digits(2)} ${g.digits(2)} ${g.digits(2)} ${g.digits(2)}`, 1],
  ])
}
/** E.164 without the plus, as telecom CDRs store it. */
export function msisdn(g: Gen): string {
  return g.weighted<string>([
    [`316${g.digits(8)}`, 3], [`447${g.digits(9)}`, 3], [`4915${g.int(1, 7)}${g.digits(8)}`, 3], [`336${g.digits(8)}`, 2], [`1${g.pick(US_AREA)}${g.int(2, 9)}${g.digits(6)}`, 3],
  ])
}

export function usZip(g: Gen): string {
  const z = g.pad(g.int(601, 99950), 5)
  return g.chance(0.15) ? `${z}-${g.digits(4)}` : z
}
const UK_AREAS = ['SW', 'SE', 'EC', 'WC', 'W', 'N', 'E', 'NW', 'M', 'B', 'LS', 'G', 'EH', 'CR', 'DN', 'BS', 'L', 'NE', 'CF', 'OX', 'CB', 'BT', 'S', 'RG', 'GU', 'KT', 'YO', 'AB']
export function ukPostcode(g: Gen): string {
  const area = g.pick(UK_AREAS)
  const district = g.chance(0.1) && area.length === 1 ? `${g.int(1, 9)}${g.pick(['A', 'C', 'E', 'H', 'J', 'K'])}` : String(g.int(1, area.length === 1 ? 20 : 29))
  const inward = `${g.int(0, 9)}${g.letters(2, 'ABDEFGHJLNPQRSTUWXYZ')}`
  const pc = `${area}${district} ${inward}`
  return g.chance(0.1) ? pc.replace(' ', '') : g.chance(0.05) ? pc.toLowerCase() : pc
}
export function dePlz(g: Gen): string { return g.pad(g.int(1067, 99998), 5) }
export function frCodePostal(g: Gen): string {
  const dept = g.pick(['75', '13', '69', '31', '06', '44', '67', '33', '59', '34', '35', '01', '02', '38', '92', '93', '94'])
  return dept + g.pick(['000', '001', '008', '011', '015', '016', '017', '100', '200', '300', '400', '500', '600', '700', '800', '120', '340', '570'])
}
export function nlPostcode(g: Gen): string {
  const d = String(g.int(1011, 9999))
  const l = g.letters(2, 'ABCDEGHJKLMNPRSTVWXZ')
  return g.weighted<string>([[`${d} ${l}`, 6], [`${d}${l}`, 3], [`${d} ${l.toLowerCase()}`, 1]])
}

export function ssn(g: Gen): string {
  let area = g.int(1, 899)
  while (area === 666) area = g.int(1, 899)
  const s = `${g.pad(area, 3)}-${g.pad(g.int(1, 99), 2)}-${g.pad(g.int(1, 9999), 4)}`
  return s
}
export function nino(g: Gen): string {
  const first = 'ABCEGHJKLMNOPRSTWXYZ', second = 'ABCEGHJKLMNPRSTWXYZ'
  let pre = ''
  do pre = g.letters(1, first) + g.letters(1, second)
  while (['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ'].includes(pre))
  const d = g.digits(6), suf = g.pick(['A', 'B', 'C', 'D'])
  return g.chance(0.6) ? `${pre} ${d.slice(0, 2)} ${d.slice(2, 4)} ${d.slice(4)} ${suf}` : `${pre}${d}${suf}`
}
export function bsn(g: Gen): string {
  for (;;) {
    const body = String(g.int(1, 6)) + g.digits(7)
    let s = 0
    for (let i = 0; i < 8; i++) s += (body.charCodeAt(i) - 48) * (9 - i)
    const c = s % 11
    if (c === 10) continue
    const v = body + c
    if (bsnValid(v)) return v
  }
}
export function nhsNumber(g: Gen): string {
  for (;;) {
    const body = String(g.pick([4, 6, 7])) + g.digits(8)
    let s = 0
    for (let i = 0; i < 9; i++) s += (body.charCodeAt(i) - 48) * (10 - i)
    let c = 11 - (s % 11)
    if (c === 11) c = 0
    if (c === 10) continue
    const v = body + c
    return g.chance(0.7) ? `${v.slice(0, 3)} ${v.slice(3, 6)} ${v.slice(6)}` : v
  }
}
/** French NIR (numéro de sécurité sociale): 13 digits + key 97 - (n mod 97). */
export function frNir(g: Gen): string {
  const n = `${g.int(1, 2)}${g.pad(g.int(40, 99), 2)}${g.pad(g.int(1, 12), 2)}${g.pad(g.int(1, 95), 2)}${g.pad(g.int(1, 990), 3)}${g.pad(g.int(1, 999), 3)}`
  const key = g.pad(97 - Number(BigInt(n) % 97n), 2)
  return g.chance(0.7) ? n + key : `${n[0]} ${n.slice(1, 3)} ${n.slice(3, 5)} ${n.slice(5, 7)} ${n.slice(7, 10)} ${n.slice(10, 13)} ${key}`
}

export function iban(g: Gen): string {
  const c = g.pick(['DE', 'DE', 'FR', 'NL', 'NL', 'GB', 'ES', 'IT', 'BE', 'CH', 'AT'])
  switch (c) {
    case 'DE': return makeIban('DE', g.pick(['10010010', '37040044', '50010517', '20041133', '12030000', '76026000']) + g.digits(10))
    case 'FR': {
      const bank = g.pick(['30004', '30003', '20041', '10278', '11315']), branch = g.digits(5), acct = g.digits(11)
      const key = 97 - Number((89n * BigInt(bank) + 15n * BigInt(branch) + 3n * BigInt(acct)) % 97n)
      return makeIban('FR', bank + branch + acct + g.pad(key, 2))
    }
    case 'NL': return makeIban('NL', g.pick(['ABNA', 'RABO', 'INGB', 'TRIO', 'SNSB', 'KNAB', 'ASNB']) + g.digits(10))
    case 'GB': return makeIban('GB', g.pick(['NWBK', 'BARC', 'LOYD', 'HBUK', 'MIDL', 'MONZ']) + g.digits(6) + g.digits(8))
    case 'ES': return makeIban('ES', g.pick(['2100', '0049', '0182', '2085', '0081']) + g.digits(4) + g.digits(2) + g.digits(10))
    case 'IT': return makeIban('IT', g.letters(1) + g.pick(['03069', '02008', '05034', '01030']) + g.digits(5) + g.digits(12))
    case 'BE': {
      const first10 = g.digits(10)
      let chk = Number(BigInt(first10) % 97n); if (chk === 0) chk = 97
      return makeIban('BE', first10 + g.pad(chk, 2))
    }
    case 'CH': return makeIban('CH', g.pad(g.int(100, 9999), 5) + g.digits(12))
    default: return makeIban('AT', g.pick(['12000', '20111', '32000', '14000']) + g.digits(11))
  }
}
export function groupBy4(s: string): string { return s.replace(/(.{4})/g, '$1 ').trim() }

export type CardBrand = 'visa' | 'mc' | 'mc2' | 'amex' | 'discover' | 'jcb'
export function cardDigits(g: Gen, brand?: CardBrand): string {
  const b = brand ?? g.weighted<CardBrand>([['visa', 5], ['mc', 3], ['mc2', 1], ['amex', 2], ['discover', 1], ['jcb', 1]])
  let prefix: string, len: number
  switch (b) {
    case 'visa': prefix = '4'; len = 16; break
    case 'mc': prefix = String(g.int(51, 55)); len = 16; break
    case 'mc2': prefix = String(g.int(2221, 2720)); len = 16; break
    case 'amex': prefix = g.pick(['34', '37']); len = 15; break
    case 'discover': prefix = g.pick(['6011', '65']); len = 16; break
    case 'jcb': prefix = String(g.int(3528, 3589)); len = 16; break
  }
  const body = prefix + g.digits(len - 1 - prefix.length)
  return body + luhnCheckDigit(body)
}
export function cardFormatted(g: Gen): string {
  const d = cardDigits(g)
  if (d.length === 15) return g.chance(0.5) ? `${d.slice(0, 4)} ${d.slice(4, 10)} ${d.slice(10)}` : `${d.slice(0, 4)}-${d.slice(4, 10)}-${d.slice(10)}`
  return g.chance(0.6) ? groupBy4(d) : groupBy4(d).replace(/ /g, '-')
}

export function ipv4(g: Gen): string {
  return g.weighted<string>([
    [`${g.int(1, 223)}.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}`, 5],
    [`10.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}`, 2],
    [`192.168.${g.int(0, 10)}.${g.int(1, 254)}`, 2],
    [`172.${g.int(16, 31)}.${g.int(0, 255)}.${g.int(1, 254)}`, 1],
  ])
}
export function ipv6(g: Gen): string {
  const h = () => g.hex(g.int(1, 4)).replace(/^0+(?=.)/, '')
  return g.weighted<string>([
    [Array.from({ length: 8 }, h).join(':'), 3],
    [`2001:db8:${h()}:${h()}::${h()}`, 2],
    [`fe80::${h()}:${h()}:${h()}:${h()}`, 2],
    [`2a02:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}:${h()}`, 2],
    [`2600:1700:${h()}::${h()}`, 1],
    [`::ffff:${g.int(1, 223)}.${g.int(0, 255)}.${g.int(0, 255)}.${g.int(1, 254)}`, 1],
    [Array.from({ length: 8 }, () => g.hex(4)).join(':').toUpperCase(), 1],
  ])
}

const CITIES: [number, number][] = [[52.3702, 4.8952], [51.5074, -0.1278], [48.8566, 2.3522], [52.52, 13.405], [40.7128, -74.006], [34.0522, -118.2437], [41.3874, 2.1686], [45.4642, 9.19], [59.3293, 18.0686], [-33.8688, 151.2093], [35.6762, 139.6503], [-23.5505, -46.6333], [19.4326, -99.1332], [50.1109, 8.6821], [53.3498, -6.2603]]
export function latLon(g: Gen): [number, number] {
  const [la, lo] = g.pick(CITIES)
  const dec = g.int(4, 6), f = 10 ** dec
  return [Math.round((la + g.float(-0.3, 0.3)) * f) / f, Math.round((lo + g.float(-0.4, 0.4)) * f) / f]
}

const DAY_MS = 86_400_000
/** Days since epoch for a date of birth of an adult aged 18..95 in 2024. */
export function dobDays(g: Gen): number {
  const start = Date.UTC(1929, 0, 1) / DAY_MS, end = Date.UTC(2006, 0, 1) / DAY_MS
  // bias towards working ages
  const t = g.chance(0.7) ? g.float(0.35, 0.9) : g.r()
  return Math.floor(start + t * (end - start))
}
export function isoDate(days: number): string { return new Date(days * DAY_MS).toISOString().slice(0, 10) }
export function dmyDot(days: number): string { const [y, m, d] = isoDate(days).split('-'); return `${d}.${m}.${y}` }
export function mdySlash(days: number): string { const [y, m, d] = isoDate(days).split('-'); return `${m}/${d}/${y}` }

export function uuidV4(g: Gen): string {
  const h = g.hex(32).split('')
  h[12] = '4'; h[16] = '89ab'[g.int(0, 3)]!
  const s = h.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20)}`
}

export function url(g: Gen): string {
  const host = g.pick(['www.example-shop.com', 'shop.acme.de', 'blog.contoso.io', 'm.facebook.com', 'www.google.com', 'news.ycombinator.com', 't.co', 'www.bol.com', 'www.lemonde.fr'])
  const path = g.pick(['/', '/products/', '/c/shoes/', '/blog/2023/10/', '/search', '/p/', '/landing/black-friday', '/en-gb/checkout'])
  const tail = g.chance(0.5) ? `${g.pick(['item', 'page', 'sku'])}-${g.int(1, 9999)}` : ''
  const q = g.chance(0.4) ? `?utm_source=${g.pick(['newsletter', 'google', 'facebook'])}&utm_medium=${g.pick(['email', 'cpc', 'social'])}&id=${g.int(1, 99999)}` : ''
  return `${g.chance(0.9) ? 'https' : 'http'}://${host}${path}${tail}${q}`
}

// ---------------------------------------------------------------------------------------------
// Column spec + tables
// ---------------------------------------------------------------------------------------------

export type CellValue = string | number | bigint | null

export interface HeldoutColumn {
  name: string
  type: LogicalType
  precision?: number
  scale?: number
  /** what a careful human assigns */
  expected: SemanticType
  /** hard negative / look-alike: the name or the values invite a sensitive (or wrong) answer */
  lookalike?: boolean
  note?: string
  gen: (g: Gen, row: number) => CellValue
}

export interface HeldoutTable {
  name: string
  domain: string
  rows: number
  columns: HeldoutColumn[]
}

const nullable = (p: number, f: (g: Gen, row: number) => CellValue) => (g: Gen, row: number): CellValue => (g.chance(p) ? null : f(g, row))

const TS_2023 = BigInt(Date.UTC(2023, 0, 1)) * 1000n
const tsMicros = (g: Gen) => TS_2023 + BigInt(g.int(0, 365 * 86400)) * 1_000_000n + BigInt(g.int(0, 999_999))

/** Luhn-failing 16-digit order number. */
function orderNumber16(g: Gen): string {
  for (;;) {
    const v = `${g.pick(['20', '30', '40', '41', '52', '60', '10'])}${g.digits(14)}`
    if (!luhnValid(v)) return v
  }
}
/** IMEI: 8-digit TAC + 6-digit serial + Luhn check digit (15 digits, Luhn-valid by design). */
function imei(g: Gen): string {
  const body = g.pick(['35332509', '35875211', '86753103', '35209810', '01326300', '35693803', '86891703']) + g.digits(6)
  return body + luhnCheckDigit(body)
}
function ean13(g: Gen, prefix?: string): string {
  const body = prefix ?? g.pick(['400', '401', '50', '87', '300', '84', '978'])
  const b = body + g.digits(12 - body.length)
  let s = 0
  for (let i = 0; i < 12; i++) s += (b.charCodeAt(i) - 48) * (i % 2 === 0 ? 1 : 3)
  return b + ((10 - (s % 10)) % 10)
}
const isbn13 = (g: Gen) => ean13(g, g.pick(['9780', '9781', '9783', '9782', '97890']))
/** Looks like an IBAN (CC + 2 digits + alnum) but fails mod-97. */
function paymentReference(g: Gen): string {
  for (;;) {
    const v = `${g.pick(['DE', 'NL', 'GB', 'FR'])}${g.digits(2)}${g.letters(4)}${g.digits(g.int(10, 14))}`
    if (!ibanValid(v)) return v
  }
}
const FIRMWARE = Array.from({ length: 24 }, (_, i) => `${[10, 4, 2, 12, 7, 192][i % 6]}.${i % 5}.${(i * 7) % 30}.${(i * 37) % 250}`)

export function heldoutTables(): HeldoutTable[] {
  return [
    // ------------------------------------------------------------------ e-commerce
    {
      name: 'shop_orders', domain: 'e-commerce', rows: 800,
      columns: [
        { name: 'order_number', type: 'string', expected: 'identifier', lookalike: true, note: '16 digits, Luhn fails', gen: (g) => orderNumber16(g) },
        { name: 'customer_id', type: 'int64', expected: 'identifier', lookalike: true, gen: (g) => BigInt(g.int(100000, 9999999)) },
        { name: 'customer_email', type: 'string', expected: 'email', gen: email },
        { name: 'email_sent', type: 'boolean', expected: 'categorical', lookalike: true, note: 'name lies: boolean', gen: (g) => (g.chance(0.7) ? 1 : 0) },
        { name: 'shipping_zip', type: 'string', expected: 'postal_code', gen: usZip },
        { name: 'code', type: 'string', expected: 'identifier', lookalike: true, note: '5-digit product codes', gen: (g) => String(g.int(10000, 99999)) },
        { name: 'sku', type: 'string', expected: 'identifier', lookalike: true, gen: (g) => `${g.letters(3)}-${g.digits(5)}-${g.pick(['XS', 'S', 'M', 'L', 'XL', 'BLK', 'WHT'])}` },
        { name: 'name', type: 'string', expected: 'categorical', lookalike: true, note: 'product names', gen: (g) => `${g.pick(PRODUCT_ADJ)} ${g.pick(PRODUCT_NOUN)}${g.pick(PRODUCT_SUFFIX)}` },
        { name: 'card_number', type: 'string', expected: 'credit_card', gen: (g) => cardDigits(g) },
        { name: 'card_type', type: 'string', expected: 'categorical', lookalike: true, gen: (g) => g.pick(['visa', 'mastercard', 'amex', 'discover', 'paypal']) },
        { name: 'amount', type: 'decimal', precision: 12, scale: 2, expected: 'measure', gen: (g) => (g.int(199, 99999) / 100).toFixed(2) },
        { name: 'placed_at', type: 'timestamp', expected: 'timestamp', gen: tsMicros },
        { name: 'ean', type: 'string', expected: 'identifier', lookalike: true, note: 'EAN-13 barcodes', gen: (g) => ean13(g) },
        { name: 'review_text', type: 'string', expected: 'free_text', gen: nullable(0.4, (g) => sentence(g, g.pick([WORDS_EN, WORDS_EN, WORDS_DE, WORDS_FR]), 6, 30)) },
        { name: 'zip_file', type: 'string', expected: 'other', lookalike: true, note: 'file names', gen: (g) => `export_${2020 + g.int(0, 4)}_${g.pad(g.int(1, 12), 2)}_${g.int(1, 999)}.zip` },
        { name: 'status', type: 'string', expected: 'categorical', gen: (g) => g.pick(['pending', 'paid', 'shipped', 'delivered', 'returned', 'cancelled']) },
      ],
    },
    // ------------------------------------------------------------------ HR
    {
      name: 'hr_employees', domain: 'HR', rows: 400,
      columns: [
        { name: 'employee_id', type: 'int32', expected: 'identifier', gen: (g, i) => 10000 + i * 3 + g.int(0, 2) },
        { name: 'full_name', type: 'string', expected: 'person_name', gen: (g) => personName(g).join(' ') },
        { name: 'first_name', type: 'string', expected: 'person_name', gen: (g) => personName(g)[0] },
        { name: 'nachname', type: 'string', expected: 'person_name', note: 'German surnames', gen: (g) => personName(g, 'de')[1] },
        { name: 'date_of_birth', type: 'date', expected: 'date_of_birth', gen: dobDays },
        { name: 'hire_date', type: 'date', expected: 'timestamp', lookalike: true, note: 'dates 1985-2024, not birth dates', gen: (g) => Math.floor(Date.UTC(1985, 0, 1) / DAY_MS) + g.int(0, 39 * 365) },
        { name: 'ssn', type: 'string', expected: 'national_id', gen: ssn },
        { name: 'ni_number', type: 'string', expected: 'national_id', note: 'UK NINO', gen: nino },
        { name: 'salary_iban', type: 'string', expected: 'iban', gen: iban },
        { name: 'work_phone', type: 'string', expected: 'phone', gen: (g) => g.pick([phoneUS, phoneUK, phoneDE])(g) },
        { name: 'department', type: 'string', expected: 'categorical', gen: (g) => g.pick(['Engineering', 'Sales', 'Finance', 'HR', 'Legal', 'Operations', 'Marketing']) },
        { name: 'cost_center', type: 'string', expected: 'categorical', lookalike: true, note: '5-digit codes, few distinct', gen: (g) => g.pick(['40110', '40120', '40210', '51000', '51100', '60300', '70010', '70020']) },
        { name: 'salary', type: 'decimal', precision: 12, scale: 2, expected: 'measure', gen: (g) => (g.int(3200000, 18000000) / 100).toFixed(2) },
        { name: 'age', type: 'int32', expected: 'measure', lookalike: true, gen: (g) => g.int(18, 67) },
        { name: 'manager_name', type: 'string', expected: 'person_name', note: 'Last, First format with nulls', gen: nullable(0.15, (g) => { const [f, l] = personName(g); return `${l}, ${f}` }) },
        { name: 'company_name', type: 'string', expected: 'categorical', lookalike: true, note: 'surname-based companies', gen: (g) => `${g.pick(LAST_DE)} ${g.pick(['GmbH', 'AG', '& Söhne', 'KG'])}` },
      ],
    },
    // ------------------------------------------------------------------ healthcare-ish
    {
      name: 'clinic_patients', domain: 'healthcare', rows: 500,
      columns: [
        { name: 'patient_uuid', type: 'string', expected: 'uuid', gen: uuidV4 },
        { name: 'patient_name', type: 'string', expected: 'person_name', gen: (g) => personName(g, g.pick<Locale>(['en', 'nl', 'fr'])).join(' ') },
        { name: 'nhs_number', type: 'string', expected: 'national_id', gen: nhsNumber },
        { name: 'bsn', type: 'string', expected: 'national_id', note: 'NL, 11-proof', gen: bsn },
        { name: 'numero_secu', type: 'string', expected: 'national_id', note: 'French NIR with key', gen: frNir },
        { name: 'geburtsdatum', type: 'string', expected: 'date_of_birth', note: 'dd.mm.yyyy', gen: (g) => dmyDot(dobDays(g)) },
        { name: 'dob', type: 'string', expected: 'date_of_birth', note: 'mm/dd/yyyy', gen: (g) => mdySlash(dobDays(g)) },
        { name: 'visit_date', type: 'string', expected: 'timestamp', lookalike: true, note: 'ISO dates 2022-2024', gen: (g) => isoDate(Math.floor(Date.UTC(2022, 0, 1) / DAY_MS) + g.int(0, 900)) },
        { name: 'postcode', type: 'string', expected: 'postal_code', note: 'UK', gen: ukPostcode },
        { name: 'postcode_nl', type: 'string', expected: 'postal_code', gen: nlPostcode },
        { name: 'diagnosis_code', type: 'string', expected: 'categorical', gen: (g) => g.pick(['E11.9', 'I10', 'J45.909', 'M54.5', 'F32.9', 'K21.9', 'N39.0', 'R51']) },
        { name: 'clinician_notes', type: 'string', expected: 'free_text', gen: (g) => sentence(g, 'patient reports mild headache for three days no fever advised rest and fluids follow up in two weeks blood pressure slightly elevated prescribed medication reviewed lab results normal'.split(' '), 8, 40) },
        { name: 'home_phone', type: 'string', expected: 'phone', note: 'with junk tokens and nulls', gen: (g) => (g.chance(0.15) ? null : g.chance(0.1) ? g.pick(['N/A', '-', 'unknown', '', '0']) : g.pick([phoneNL, phoneUK, phoneFR])(g)) },
        { name: 'secondary_email', type: 'string', expected: 'email', note: '75% null', gen: nullable(0.75, email) },
        { name: 'weight_kg', type: 'float64', expected: 'measure', gen: (g) => Math.round(g.float(45, 130) * 10) / 10 },
      ],
    },
    // ------------------------------------------------------------------ telecom logs
    {
      name: 'telecom_cdr', domain: 'telecom', rows: 1000,
      columns: [
        { name: 'call_id', type: 'string', expected: 'uuid', gen: uuidV4 },
        { name: 'msisdn', type: 'string', expected: 'phone', note: 'E.164 digits, no plus', gen: msisdn },
        { name: 'imei', type: 'string', expected: 'identifier', lookalike: true, note: '15 digits, Luhn-valid device ids', gen: imei },
        { name: 'client_ip', type: 'string', expected: 'ip_address', gen: ipv4 },
        { name: 'src_addr', type: 'string', expected: 'ip_address', note: 'IPv6', gen: ipv6 },
        { name: 'peer', type: 'string', expected: 'ip_address', note: 'mixed v4/v6, nondescript name', gen: (g) => (g.chance(0.5) ? ipv4(g) : ipv6(g)) },
        { name: 'firmware_version', type: 'string', expected: 'categorical', lookalike: true, note: 'a.b.c.d versions', gen: (g) => g.pick(FIRMWARE) },
        { name: 'ip_count', type: 'int32', expected: 'measure', lookalike: true, gen: (g) => g.int(0, 40) },
        { name: 'phone_model', type: 'string', expected: 'categorical', lookalike: true, gen: (g) => g.pick(['iPhone 13', 'iPhone 14 Pro', 'iPhone SE', 'Galaxy S21', 'Galaxy A52', 'Pixel 7', 'Redmi Note 11', 'Nokia G21', 'OnePlus 9']) },
        { name: 'mac_address', type: 'string', expected: 'identifier', lookalike: true, note: 'looks hex-colon like IPv6', gen: (g) => Array.from({ length: 6 }, () => g.hex(2).toUpperCase()).join(':') },
        { name: 'event_time', type: 'string', expected: 'timestamp', lookalike: true, note: 'ISO-8601 strings', gen: (g) => new Date(Number(tsMicros(g) / 1000n)).toISOString() },
        { name: 'duration_s', type: 'int32', expected: 'measure', gen: (g) => g.int(0, 3600) },
        { name: 'cell_id', type: 'int64', expected: 'identifier', gen: (g) => BigInt(g.int(1000000, 268435455)) },
        { name: 'phone_minutes', type: 'float64', expected: 'measure', lookalike: true, gen: (g) => Math.round(g.float(0, 600) * 100) / 100 },
        { name: 'session_hash', type: 'string', expected: 'identifier', lookalike: true, note: 'sha256 hex', gen: (g) => g.hex(64) },
      ],
    },
    // ------------------------------------------------------------------ finance
    {
      name: 'payments', domain: 'finance', rows: 600,
      columns: [
        { name: 'txn_id', type: 'string', expected: 'identifier', gen: (g) => `TX${g.digits(12)}` },
        { name: 'iban', type: 'string', expected: 'iban', note: 'print format, grouped by 4', gen: (g) => groupBy4(iban(g)) },
        { name: 'counterparty_account', type: 'string', expected: 'iban', note: 'electronic format, nondescript name', gen: iban },
        { name: 'payment_reference', type: 'string', expected: 'identifier', lookalike: true, note: 'IBAN-shaped, fails mod-97', gen: paymentReference },
        { name: 'cc', type: 'string', expected: 'credit_card', note: 'grouped with spaces/dashes', gen: cardFormatted },
        { name: 'pan', type: 'int64', expected: 'credit_card', note: 'stored as int64', gen: (g) => BigInt(cardDigits(g, g.pick<CardBrand>(['visa', 'mc', 'discover']))) },
        { name: 'iban_verified', type: 'boolean', expected: 'categorical', lookalike: true, gen: (g) => (g.chance(0.9) ? 1 : 0) },
        { name: 'bic', type: 'string', expected: 'categorical', gen: (g) => g.pick(['DEUTDEFF', 'COBADEFFXXX', 'INGBNL2A', 'RABONL2U', 'BNPAFRPP', 'NWBKGB2L', 'CAIXESBB']) },
        { name: 'invoice_no', type: 'int64', expected: 'identifier', lookalike: true, note: '10-digit ints, phone-length', gen: (g) => BigInt(2023000000 + g.int(0, 999999)) },
        { name: 'amount_eur', type: 'string', expected: 'measure', note: 'German-formatted amounts', gen: (g) => g.int(1, 99999).toLocaleString('de-DE') + ',' + g.pad(g.int(0, 99), 2) },
        { name: 'booked_at', type: 'timestamp', expected: 'timestamp', gen: tsMicros },
        { name: 'currency', type: 'string', expected: 'categorical', gen: (g) => g.pick(['EUR', 'EUR', 'EUR', 'GBP', 'USD', 'CHF']) },
        { name: 'account_holder', type: 'string', expected: 'person_name', gen: (g) => personName(g).join(' ').toUpperCase() },
        { name: 'isbn', type: 'string', expected: 'identifier', lookalike: true, note: 'ISBN-13 in a books ledger', gen: isbn13 },
      ],
    },
    // ------------------------------------------------------------------ IoT
    {
      name: 'iot_readings', domain: 'IoT', rows: 900,
      columns: [
        { name: 'device_serial', type: 'string', expected: 'identifier', gen: (g) => `SN-${g.hex(4).toUpperCase()}-${g.hex(4).toUpperCase()}` },
        { name: 'lat', type: 'float64', expected: 'geo_coordinate', gen: (g) => latLon(g)[0] },
        { name: 'lon', type: 'float64', expected: 'geo_coordinate', gen: (g) => latLon(g)[1] },
        { name: 'position', type: 'string', expected: 'geo_coordinate', note: '"lat, lon" strings', gen: (g) => latLon(g).join(', ') },
        { name: 'geom', type: 'string', expected: 'geo_coordinate', note: 'WKT POINT(lon lat)', gen: (g) => { const [a, b] = latLon(g); return `POINT(${b} ${a})` } },
        { name: 'pitch_deg', type: 'float64', expected: 'measure', lookalike: true, note: 'angles -90..90', gen: (g) => Math.round(g.float(-90, 90) * 10000) / 10000 },
        { name: 'yaw_deg', type: 'float64', expected: 'measure', lookalike: true, note: 'angles -180..180', gen: (g) => Math.round(g.float(-180, 180) * 10000) / 10000 },
        { name: 'temperature_c', type: 'float64', expected: 'measure', gen: (g) => Math.round(g.float(-20, 45) * 100) / 100 },
        { name: 'gateway_version', type: 'string', expected: 'categorical', lookalike: true, note: 'version strings that parse as IPv4', gen: (g) => `${g.int(1, 12)}.${g.int(0, 20)}.${g.int(0, 50)}.${g.int(0, 250)}` },
        { name: 'reading_ts', type: 'timestamp', expected: 'timestamp', gen: tsMicros },
        { name: 'status_text', type: 'string', expected: 'other', note: 'nulls + mixed junk', gen: nullable(0.3, (g) => g.pick(['OK', 'ERR#12', '', '???', '0x1F', 'n/a', 'TIMEOUT', 'ok ', '-1', 'null', '🔥', 'reset@boot'])) },
        { name: 'firmware_sha', type: 'string', expected: 'identifier', lookalike: true, note: 'git sha-1', gen: (g) => g.hex(40) },
        { name: 'trace_id', type: 'string', expected: 'identifier', lookalike: true, note: '32 hex, no dashes', gen: (g) => g.hex(32) },
      ],
    },
    // ------------------------------------------------------------------ marketing / CRM
    {
      name: 'crm_contacts', domain: 'marketing', rows: 700,
      columns: [
        { name: 'contact_id', type: 'string', expected: 'uuid', gen: uuidV4 },
        { name: 'Email Address', type: 'string', expected: 'email', gen: email },
        { name: 'contact', type: 'string', expected: 'email', note: 'nondescript name, emails', gen: email },
        { name: 'nom_complet', type: 'string', expected: 'person_name', note: 'French names', gen: (g) => personName(g, 'fr').join(' ') },
        { name: 'naam', type: 'string', expected: 'person_name', note: 'Dutch names', gen: (g) => personName(g, 'nl').join(' ') },
        { name: 'telefon', type: 'string', expected: 'phone', gen: phoneDE },
        { name: 'mobile', type: 'string', expected: 'phone', gen: phoneUK },
        { name: 'tel', type: 'string', expected: 'phone', gen: phoneFR },
        { name: 'phone_number', type: 'string', expected: 'phone', gen: phoneUS },
        { name: 'plz', type: 'string', expected: 'postal_code', gen: dePlz },
        { name: 'code_postal', type: 'string', expected: 'postal_code', gen: frCodePostal },
        { name: 'zip', type: 'int32', expected: 'postal_code', note: 'US ZIP as int, leading zeros lost', gen: (g) => g.int(601, 99950) },
        { name: 'birthday', type: 'string', expected: 'date_of_birth', note: 'ISO date strings', gen: (g) => isoDate(dobDays(g)) },
        { name: 'landing_page', type: 'string', expected: 'url', gen: url },
        { name: 'utm_campaign', type: 'string', expected: 'categorical', gen: (g) => g.pick(['bf_2023', 'spring_sale', 'newsletter_w12', 'retargeting', 'brand']) },
        { name: 'emails_opened', type: 'int32', expected: 'measure', lookalike: true, gen: (g) => g.int(0, 120) },
        { name: 'country', type: 'string', expected: 'categorical', gen: (g) => g.pick(['DE', 'NL', 'FR', 'GB', 'US', 'ES']) },
        { name: 'last_login_ip', type: 'string', expected: 'ip_address', note: '40% null', gen: nullable(0.4, ipv4) },
        { name: 'signup_date', type: 'date', expected: 'timestamp', lookalike: true, gen: (g) => Math.floor(Date.UTC(2015, 0, 1) / DAY_MS) + g.int(0, 3200) },
        { name: 'user_agent', type: 'string', expected: 'other', gen: (g) => g.pick(['Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/119.0.0.0 Safari/537.36', 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.1 Mobile/15E148 Safari/604.1', 'Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Safari/605.1.15', 'curl/8.4.0']) },
      ],
    },
  ]
}

// ---------------------------------------------------------------------------------------------
// Batch building
// ---------------------------------------------------------------------------------------------

export function fieldOf(c: HeldoutColumn): Field {
  const f: Field = { name: c.name, type: c.type, nullable: true }
  if (c.type === 'decimal') { f.precision = c.precision ?? 38; f.scale = c.scale ?? 0 }
  return f
}

function columnOf(c: HeldoutColumn, cells: CellValue[]): Column {
  const n = cells.length
  const nulls = new Uint8Array(n)
  let anyNull = false
  cells.forEach((v, i) => { if (v === null) { nulls[i] = 1; anyNull = true } })
  let values: Column['values']
  switch (c.type) {
    case 'string': case 'json': case 'decimal': values = cells.map((v) => (v === null ? '' : String(v))); break
    case 'int16': case 'int32': case 'date': values = Int32Array.from(cells, (v) => (v === null ? 0 : Number(v))); break
    case 'int64': case 'timestamp': case 'time': values = BigInt64Array.from(cells, (v) => (v === null ? 0n : BigInt(v))); break
    case 'float32': case 'float64': values = Float64Array.from(cells, (v) => (v === null ? 0 : Number(v))); break
    case 'boolean': values = Uint8Array.from(cells, (v) => (v === null ? 0 : Number(v))); break
    default: throw new Error(`unsupported type ${c.type}`)
  }
  const col: Column = { name: c.name, type: c.type, values, nulls: anyNull ? nulls : null }
  if (c.type === 'decimal') { col.precision = c.precision ?? 38; col.scale = c.scale ?? 0 }
  return col
}

export function batchOf(table: HeldoutTable, seed: number): Batch {
  const columns = table.columns.map((c, ci) => {
    const g = new Gen(mulberry32(seed * 7919 + ci * 104729 + 1))
    const cells: CellValue[] = []
    for (let i = 0; i < table.rows; i++) cells.push(c.gen(g, i))
    return columnOf(c, cells)
  })
  return { length: table.rows, columns }
}
