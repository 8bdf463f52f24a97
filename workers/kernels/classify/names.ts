/**
 * Column-name hints: which semantic type a column's name suggests. Names are split into
 * lowercase tokens across casings (camelCase, snake_case, kebab-case, spaces), so
 * "customerEmail", "E_Mail" and "billing-postcode" all tokenize. Hints cover English,
 * German, French, Dutch and Spanish words. Any thread.
 */
import type { SemanticType } from '../../../proto/classification.js'

/** "customerEMailAddr" → ["customer", "e", "mail", "addr"]; digits split off too. */
export function nameTokens(name: string): string[] {
  return name
    .replace(/([a-z\d])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .toLowerCase()
    .split(/[^a-z0-9äöüßéèàç]+/)
    .flatMap((t) => t.split(/(?<=[a-z])(?=\d)|(?<=\d)(?=[a-z])/))
    .filter((t) => t.length > 0)
}

/** The name joined without separators ("e_mail" → "email"), for compound matches. */
const squash = (tokens: string[]) => tokens.join('')

interface Hint { type: SemanticType; tokens?: readonly string[]; squashed?: RegExp }

// Order matters: the first hint that matches wins ("birth_date" is date_of_birth, not timestamp).
const HINTS: readonly Hint[] = [
  { type: 'email', tokens: ['email', 'mail', 'courriel', 'correo'], squashed: /e?mail(addr(ess)?)?$|^emailaddress|emailadresse/ },
  { type: 'credit_card', tokens: ['pan', 'cc', 'ccnum'], squashed: /(credit|debit)?card(num(ber)?|no|nr)|creditcard|kreditkarte|cartebancaire|tarjeta|ccnumber/ },
  { type: 'iban', tokens: ['iban'], squashed: /iban|bankaccount|rekeningnummer|kontonummer/ },
  { type: 'national_id', tokens: ['ssn', 'nino', 'bsn', 'nir', 'sozialversicherungsnummer', 'nif', 'dni', 'nie'], squashed: /socialsecurity|nationalid|nationalinsurance|taxid|steuerid|burgerservicenummer|personalnumber|numerosecu/ },
  { type: 'date_of_birth', tokens: ['dob', 'birthday', 'birthdate', 'geburtsdatum', 'geboortedatum'], squashed: /birth|geburt|naissance|nacimiento|geboorte/ },
  { type: 'phone', tokens: ['phone', 'tel', 'telephone', 'telefon', 'telefoon', 'mobile', 'mobil', 'cell', 'fax', 'handy', 'portable', 'msisdn', 'gsm', 'telefono'], squashed: /phone|telefon|mobilenumber/ },
  { type: 'ip_address', tokens: ['ip', 'ipv4', 'ipv6', 'ipaddr'], squashed: /ipaddress|ipaddr|remoteaddr|clientip/ },
  { type: 'postal_code', tokens: ['zip', 'zipcode', 'postcode', 'postalcode', 'plz', 'postleitzahl', 'cp', 'postcode', 'postcodes'], squashed: /zipcode|postalcode|postcode|codepostal|postleitzahl/ },
  { type: 'geo_coordinate', tokens: ['lat', 'lon', 'lng', 'long', 'latitude', 'longitude', 'coordinates', 'coords', 'geo', 'location', 'latlng', 'latlon', 'breitengrad', 'laengengrad'], squashed: /latitude|longitude|latlng|latlon|geopoint|coordinates/ },
  { type: 'person_name', tokens: ['holder', 'firstname', 'lastname', 'surname', 'forename', 'givenname', 'familyname', 'fullname', 'vorname', 'nachname', 'prenom', 'nom', 'voornaam', 'achternaam', 'apellido', 'nombre', 'maidenname', 'cardholder', 'accountholder'], squashed: /^(first|last|given|family|full|middle|maiden|customer|contact|holder|account|person|user|employee|patient|cardholder)name$|firstname|lastname|surname|forename|vorname|nachname|voornaam|achternaam/ },
  { type: 'uuid', tokens: ['uuid', 'guid'] },
  { type: 'url', tokens: ['url', 'uri', 'link', 'href', 'website', 'homepage', 'webseite'] },
]

/** The semantic type the column name suggests, or null. */
export function nameHint(name: string): SemanticType | null {
  const tokens = nameTokens(name)
  const joined = squash(tokens)
  for (const h of HINTS) {
    if (h.tokens && tokens.some((t) => h.tokens!.includes(t))) return h.type
    if (h.squashed && h.squashed.test(joined)) return h.type
  }
  return null
}

/** Names that suggest a key or reference rather than a quantity: id, *_id, *_no, code, sku, ref. */
export function looksLikeIdentifierName(name: string): boolean {
  const tokens = nameTokens(name)
  const last = tokens[tokens.length - 1] ?? ''
  return ['id', 'key', 'no', 'nr', 'num', 'number', 'code', 'sku', 'ref', 'reference', 'nummer', 'numero', 'ean', 'gtin', 'isbn', 'imei', 'hash', 'checksum'].includes(last) ||
    tokens[0] === 'id' || tokens.includes('uuid') || tokens.includes('guid')
}

/** Names that suggest a point in time (timestamps and dates that are not birth dates). */
export function looksLikeTimeName(name: string): boolean {
  const tokens = nameTokens(name)
  return tokens.some((t) => ['ts', 'time', 'timestamp', 'date', 'at', 'day', 'created', 'updated', 'datum', 'when'].includes(t))
}
