/**
 * Column classification from a name and a sample: value validators first (a type is
 * detected from values when ≥ 80 % of the non-null sample validates), then the name hint,
 * then the logical type (numbers → measure/identifier, temporal → timestamp, low-cardinality
 * strings → categorical, long multi-word strings → free_text). Pure; any thread.
 *
 * Confidence: value-based 0.5 + 0.5·rate (+0.1 when the name agrees, capped at 1); a name hint
 * alone 0.5 (only when the sample is small or does not contradict it); type fallbacks fixed.
 */
import { SENSITIVITY_OF, type ColumnClassification, type SemanticType } from '../../../proto/classification.js'
import type { Column } from '../../../proto/batch.js'
import type { Field } from '../../../proto/types.js'
import { looksLikeIdentifierName, nameHint, nameTokens } from './names.js'
import * as v from './validators.js'

/** Share of non-null values that must validate for value-based detection. */
export const MIN_MATCH_RATE = 0.8
/** With an agreeing name hint, dirty columns (typos, placeholders) still count from this rate. */
export const MIN_MATCH_RATE_WITH_HINT = 0.5
/** Below this many non-null values a name hint is trusted without value evidence. */
export const MIN_EVIDENCE = 5
const MAX_SAMPLE = 2000
const DAY_MICROS = 86_400_000_000

const result = (name: string, semantic_type: SemanticType, confidence: number): ColumnClassification => ({
  name, semantic_type, sensitivity: SENSITIVITY_OF[semantic_type], confidence: Math.round(Math.min(1, confidence) * 100) / 100, source: 'auto',
})

/** Non-null values of a column as strings (numbers in plain decimal), at most MAX_SAMPLE. */
export function sampleStrings(col: Column | undefined, length: number): string[] {
  if (!col) return []
  const out: string[] = []
  const n = Math.min(length, col.values.length)
  for (let i = 0; i < n && out.length < MAX_SAMPLE; i++) {
    if (col.nulls && col.nulls[i] === 1) continue
    const x = col.values[i]
    if (x === undefined || x instanceof Uint8Array) continue
    const s = String(x).trim()
    if (s !== '') out.push(s)
  }
  return out
}

/** Share of `values` for which `ok` holds (0 for an empty sample). */
export function matchRate(values: readonly string[], ok: (s: string) => boolean): number {
  if (values.length === 0) return 0
  let hits = 0
  for (const s of values) if (ok(s)) hits++
  return hits / values.length
}

const VERSIONISH = ['version', 'ver', 'build', 'release', 'firmware', 'revision', 'rev']

/** Dotted quads whose octets all stay below 50 look like version numbers, not addresses. */
function versionLike(values: readonly string[]): boolean {
  let max = 0
  for (const s of values) for (const p of s.split('.')) max = Math.max(max, Number(p) || 0)
  return max < 50
}

// Small list of common given names (several languages) for plain "name" columns.
const GIVEN_NAMES = new Set(('james john robert michael william david richard joseph thomas charles mary patricia jennifer linda ' +
  'elizabeth barbara susan jessica sarah karen emma olivia ava sophia mia noah liam lucas oliver leon ' +
  'paul peter anna maria hans jan lukas felix max sophie marie julia laura lea hannah lena jonas finn ' +
  'pierre jean louis camille chloe manon lea hugo daan sem bram fleur sanne anouk jose juan carlos ' +
  'lucia sofia pablo diego carmen ana luis miguel ahmed mohammed fatima ali yuki hiro wei li chen').split(' '))

const NAME_SHAPE = /^[\p{Lu}][\p{L}'’-]*\.?(\s+[\p{Lu}][\p{L}'’-]*\.?){0,3}$/u
const SURNAME_FIRST = /^[\p{Lu}][\p{L}'’-]+,\s*[\p{Lu}][\p{L}'’-]+$/u
// lowercase particles ("Liam de Vries", "Ludwig van Beethoven") are part of real names
const PARTICLES = /\s(?:de|da|di|du|del|della|der|den|van|von|le|la|bin|al|ten|ter|y)(?=\s)/g
const isNameShaped = (s: string) => s.length <= 60 && (NAME_SHAPE.test(s.replace(PARTICLES, '')) || SURNAME_FIRST.test(s))
const startsWithGivenName = (s: string) => GIVEN_NAMES.has((s.split(/[\s,]+/)[0] ?? '').toLowerCase())

interface StringRule { type: SemanticType; ok: (s: string) => boolean; needsHint?: boolean }

// Most specific first: checksummed formats before shapes that would also match them.
const STRING_RULES: readonly StringRule[] = [
  { type: 'email', ok: v.isEmail },
  { type: 'uuid', ok: v.isUuid },
  { type: 'url', ok: v.isUrl },
  { type: 'iban', ok: v.isIban },
  { type: 'credit_card', ok: v.isCreditCard },
  { type: 'ip_address', ok: v.isIp },
  { type: 'national_id', ok: (s) => v.isNationalId(s, false) },
  { type: 'geo_coordinate', ok: v.isLatLonPair },
  { type: 'phone', ok: v.isPhone },
  // distinctive alphanumeric postal formats (UK, NL, CA) are detected from values; bare 5 digits need a name
  { type: 'postal_code', ok: (s) => /[A-Za-z]/.test(s) && v.isPostalCode(s) },
]

/** Hint-specific validators, looser than the value-only rules (bare SSN/BSN digits, bare ZIPs). */
const HINTED: Partial<Record<SemanticType, (s: string) => boolean>> = {
  national_id: (s) => v.isNationalId(s, true),
  postal_code: (s) => v.isPostalCode(s),
  email: v.isEmail,
  // under a phone name, bare international digit runs ("4915112345678") count too
  phone: (s) => v.isPhone(s) || /^\d{8,15}$/.test(s), iban: v.isIban, credit_card: v.isCreditCard, ip_address: v.isIp,
  uuid: v.isUuid, url: v.isUrl, geo_coordinate: v.isLatLonPair,
  person_name: isNameShaped,
}

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/
const parseDateDays = (s: string): number | null => {
  const m = ISO_DATE.exec(s)
  if (!m) return null
  const t = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
  return Number.isNaN(t) || Number(m[2]) > 12 || Number(m[3]) > 31 ? null : Math.floor(t / 86_400_000)
}

/** Plausible birth dates: between 1900-01-01 and today, ages mostly 0..120. */
function plausibleBirthDays(days: readonly number[], todayDays: number): number {
  const min = Date.UTC(1900, 0, 1) / 86_400_000
  let ok = 0
  for (const d of days) if (d >= min && d <= todayDays) ok++
  return days.length === 0 ? 0 : ok / days.length
}

const isBirthName = (name: string) => nameHint(name) === 'date_of_birth'

/**
 * Classify one column. `col` is its sample column (undefined when the sample lacks it).
 * `todayDays` (days since epoch) bounds plausible birth dates; defaults to now.
 */
export function classifyColumn(field: Field, col: Column | undefined, length: number, todayDays = Math.floor(Date.now() / 86_400_000)): ColumnClassification {
  const name = field.name
  const hint = nameHint(name)
  const tokens = nameTokens(name)

  switch (field.type) {
    case 'boolean': return result(name, 'categorical', 0.9)
    case 'binary': return result(name, 'other', 0.5)
    case 'time': return result(name, 'timestamp', 0.7)
    case 'date': case 'timestamp': {
      if (!isBirthName(name)) return result(name, 'timestamp', 0.95)
      const days: number[] = []
      if (col) for (let i = 0; i < Math.min(length, col.values.length); i++) {
        if (col.nulls && col.nulls[i] === 1) continue
        const x = col.values[i]
        days.push(field.type === 'date' ? Number(x) : Math.floor(Number(x as bigint) / DAY_MICROS))
      }
      const rate = plausibleBirthDays(days, todayDays)
      if (days.length < MIN_EVIDENCE) return result(name, 'date_of_birth', 0.6)
      return rate >= MIN_MATCH_RATE ? result(name, 'date_of_birth', 0.6 + 0.4 * rate) : result(name, 'timestamp', 0.6)
    }
    case 'int16': case 'int32': case 'int64': case 'float32': case 'float64': case 'decimal':
      return classifyNumeric(field, col, length, hint, tokens)
    default:
      return classifyText(field, sampleStrings(col, length), hint, todayDays)
  }
}

function classifyNumeric(field: Field, col: Column | undefined, length: number, hint: SemanticType | null, tokens: string[]): ColumnClassification {
  const name = field.name
  const values = sampleStrings(col, length)
  const nums = values.map(Number)
  const isInt = field.type.startsWith('int') || (field.type === 'decimal' && (field.scale ?? 0) === 0)
  if (hint === 'geo_coordinate' && !isInt) {
    const lat = tokens.some((t) => t.startsWith('lat') || t === 'breitengrad')
    const rate = matchRate(values, (s) => { const n = Number(s); return lat ? v.isLatitude(n) : v.isLongitude(n) })
    if (values.length < MIN_EVIDENCE) return result(name, 'geo_coordinate', 0.5)
    if (rate >= MIN_MATCH_RATE) return result(name, 'geo_coordinate', 0.5 + 0.4 * rate)
  }
  if (isInt) {
    // cards stored as integers: value evidence is strong enough on its own (random 16-digit ids pass Luhn ~10 %)
    const card = tokens.includes('imei') ? 0 : matchRate(values, v.isCreditCard)
    if (values.length >= MIN_EVIDENCE && card >= MIN_MATCH_RATE) return result(name, 'credit_card', 0.5 + 0.5 * card + (hint === 'credit_card' ? 0.1 : 0))
    if (hint === 'national_id' || hint === 'postal_code') {
      // leading zeros are lost in integer columns: pad before validating
      const width = hint === 'postal_code' ? 5 : 9
      const rate = matchRate(values, (s) => HINTED[hint]!(s.padStart(width, '0')))
      if (values.length < MIN_EVIDENCE) return result(name, hint, 0.5)
      if (rate >= MIN_MATCH_RATE) return result(name, hint, 0.4 + 0.4 * rate)
    }
    if (hint === 'phone' && values.length >= MIN_EVIDENCE && matchRate(values, (s) => s.length >= 8 && s.length <= 15) >= MIN_MATCH_RATE)
      return result(name, 'phone', 0.6)
    if (looksLikeIdentifierName(name)) return result(name, 'identifier', 0.8)
    const distinct = new Set(values).size
    if (values.length >= 20 && distinct <= 12 && nums.every((n) => n >= 0 && n < 100)) return result(name, 'categorical', 0.5)
    return result(name, 'measure', 0.8)
  }
  if (looksLikeIdentifierName(name)) return result(name, 'identifier', 0.6)
  return result(name, 'measure', 0.9)
}

function classifyText(field: Field, values: string[], hint: SemanticType | null, todayDays: number): ColumnClassification {
  const name = field.name
  const tokens = nameTokens(name)
  if (values.length === 0) return hint ? result(name, hint, 0.4) : result(name, 'other', 0.2)

  // dates in text
  const dateRate = matchRate(values, (s) => parseDateDays(s) !== null)
  if (dateRate >= MIN_MATCH_RATE) {
    if (hint === 'date_of_birth') {
      const days = values.map(parseDateDays).filter((d): d is number => d !== null)
      const rate = plausibleBirthDays(days, todayDays)
      if (rate >= MIN_MATCH_RATE) return result(name, 'date_of_birth', 0.6 + 0.4 * rate * dateRate)
    }
    return result(name, 'timestamp', 0.5 + 0.4 * dateRate)
  }

  const versionVeto = tokens.some((t) => VERSIONISH.includes(t))
  // IMEIs are 15 Luhn-valid digits, many with a JCB-like 35 prefix
  const deviceVeto = tokens.some((t) => t === 'imei' || t === 'imeisv' || t === 'meid')
  // a handful of values is weak evidence however well they validate
  const evidenceCap = values.length < MIN_EVIDENCE ? 0.6 : 1
  for (const rule of STRING_RULES) {
    const rate = matchRate(values, rule.ok)
    const agrees = hint === rule.type
    if (rate < (agrees ? MIN_MATCH_RATE_WITH_HINT : MIN_MATCH_RATE)) continue
    if (rule.type === 'ip_address' && !agrees && (versionVeto || versionLike(values))) continue
    if (rule.type === 'credit_card' && deviceVeto) continue
    return result(name, rule.type, Math.min(evidenceCap, 0.5 + 0.5 * rate + (agrees ? 0.1 : 0)))
  }

  if (hint) {
    const check = HINTED[hint]
    const rate = check ? matchRate(values, check) : 0
    if (check && rate >= (hint === 'person_name' ? MIN_MATCH_RATE : MIN_MATCH_RATE_WITH_HINT))
      return result(name, hint, Math.min(evidenceCap, 0.5 + 0.4 * rate))
    // values contradict the name (e.g. "phone_model" holding "Pixel 7"): trust them over the name
    if (values.length < MIN_EVIDENCE || rate >= 0.2) return result(name, hint, 0.5)
  }

  // plain "name" / "full name" columns: person names when most start with a known given name
  if (tokens.includes('name') || tokens.includes('naam') || tokens.includes('nom') || tokens.includes('nombre')) {
    const rate = matchRate(values, (s) => isNameShaped(s) && startsWithGivenName(s))
    if (rate >= 0.5) return result(name, 'person_name', Math.min(evidenceCap, 0.5 + 0.4 * rate))
  }
  // any other name ("customer", "holder"): person names when nearly all are "Given Family" with a known given name
  if (values.length >= MIN_EVIDENCE && matchRate(values, (s) => /\s/.test(s) && isNameShaped(s) && startsWithGivenName(s)) >= MIN_MATCH_RATE)
    return result(name, 'person_name', 0.6)

  const distinct = new Set(values).size
  let chars = 0; let words = 0
  for (const s of values) { chars += s.length; words += s.split(/\s+/).length }
  const avgChars = chars / values.length; const avgWords = words / values.length
  if (avgWords >= 5 && avgChars >= 30) return result(name, 'free_text', 0.8)
  if (looksLikeIdentifierName(name)) return result(name, 'identifier', 0.8)
  if (values.length >= 20 && distinct <= Math.max(10, values.length * 0.2) && distinct <= 100) return result(name, 'categorical', 0.8)
  // unique, space-free codes with digits: keys
  if (distinct >= values.length * 0.9 && matchRate(values, (s) => /^[A-Za-z0-9._:#/@-]+$/.test(s) && /\d/.test(s)) >= MIN_MATCH_RATE)
    return result(name, 'identifier', 0.6)
  return result(name, 'other', 0.4)
}

/** Classify every field, matching sample columns by name. */
export function classifyColumns(fields: readonly Field[], sample: { length: number; columns: Column[] }, todayDays?: number): ColumnClassification[] {
  const byName = new Map(sample.columns.map((c) => [c.name, c]))
  return fields.map((f) => classifyColumn(f, byName.get(f.name), sample.length, todayDays))
}
