// Validators and name hints of the column classifier (workers/kernels/classify/).
import t from 'tap'
import * as v from '../workers/kernels/classify/validators.js'
import { nameHint, nameTokens } from '../workers/kernels/classify/names.js'
import { classifyColumn } from '../workers/kernels/classify/detect.js'
import { makeIban } from './helpers/classify-data.js'

t.test('Luhn and card numbers', async (t) => {
  for (const ok of ['4111111111111111', '4111 1111 1111 1111', '5555-5555-5555-4444', '378282246310005', '6011111111111117', '3530111333300000', '2223003122003222', '4012888888881881'])
    t.ok(v.isCreditCard(ok), ok)
  for (const bad of ['4111111111111112', '1234567812345678', '0000000000000000', '411111111111', '4111111111111111111111', '9111111111111119', '4111a11111111111'])
    t.notOk(v.isCreditCard(bad), bad)
  t.ok(v.luhn('79927398713'))
  t.notOk(v.luhn('79927398710'))
})

t.test('IBAN mod-97 with country lengths', async (t) => {
  for (const ok of ['GB82WEST12345698765432', 'DE89370400440532013000', 'FR1420041010050500013M02606', 'NL91ABNA0417164300', 'BE68539007547034',
    'ES9121000418450200051332', 'CH9300762011623852957', 'NO9386011117947', 'MT84MALT011000012345MTLCAST001S', 'de89 3704 0044 0532 0130 00'])
    t.ok(v.isIban(ok), ok)
  for (const bad of ['DE89370400440532013001', 'GB82WEST1234569876543', 'XX82WEST12345698765432', 'DE8937040044053201300', 'NL91ABNA041716430O', 'GB00WEST12345698765432'])
    t.notOk(v.isIban(bad), bad)
  t.ok(v.isIban(makeIban('DE', '370400440532013000')), 'helper builds valid IBANs')
})

t.test('IPv4 / IPv6 and ranges', async (t) => {
  for (const ok of ['8.8.8.8', '0.0.0.0', '255.255.255.255', '192.168.1.10']) t.ok(v.isIpv4(ok), ok)
  for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.a', '']) t.notOk(v.isIpv4(bad), bad)
  t.equal(v.ipv4Range('10.1.2.3'), 'private')
  t.equal(v.ipv4Range('172.16.0.1'), 'private')
  t.equal(v.ipv4Range('172.32.0.1'), 'public')
  t.equal(v.ipv4Range('127.0.0.1'), 'loopback')
  t.equal(v.ipv4Range('169.254.3.4'), 'link_local')
  t.equal(v.ipv4Range('239.1.1.1'), 'reserved')
  t.equal(v.ipv4Range('x'), null)
  for (const ok of ['::1', '::', '2001:db8::1', '2001:0db8:85a3:0000:0000:8a2e:0370:7334', 'fe80::1%eth0', '::ffff:192.168.1.1', '64:ff9b::1.2.3.4'])
    t.ok(v.isIpv6(ok), ok)
  for (const bad of ['2001:db8:::1', '1:2:3:4:5:6:7:8:9', '12345::1', 'g::1', '1:2:3:4:5:6:7', '::ffff:999.1.1.1', 'abc'])
    t.notOk(v.isIpv6(bad), bad)
})

t.test('email, phone, uuid, url, coordinates', async (t) => {
  for (const ok of ['a@b.co', 'first.last+tag@mail.example.com', "o'brien@example.ie"]) t.ok(v.isEmail(ok), ok)
  for (const bad of ['a@b', 'a.example.com', '@handle', 'a@@b.com', 'a b@c.de', 'a.@b.com']) t.notOk(v.isEmail(bad), bad)
  for (const ok of ['+1 415-555-2671', '+442071838750', '030 1234567', '(415) 555-2671', '0612345678', '+33 6 12 34 56 78']) t.ok(v.isPhone(ok), ok)
  for (const bad of ['2024-03-01', '01/03/1985', '123-45-6789', '12345', '1.2.3.4', '4111111111111111', '+0123456789', 'call me']) t.notOk(v.isPhone(bad), bad)
  t.ok(v.isUuid('123e4567-e89b-12d3-a456-426614174000'))
  t.ok(v.isUuid('{123E4567-E89B-12D3-A456-426614174000}'))
  t.notOk(v.isUuid('123e4567e89b12d3a456426614174000'))
  t.ok(v.isUrl('https://example.com/a?b=1'))
  t.ok(v.isUrl('www.example.org/path'))
  t.notOk(v.isUrl('/api/v1/items'))
  t.notOk(v.isUrl('http://'))
  t.ok(v.isLatLonPair('52.52000,13.40500'))
  t.ok(v.isLatLonPair('(-33.8688, 151.2093)'))
  t.ok(v.isLatLonPair('POINT(13.4050 52.5200)'))
  t.notOk(v.isLatLonPair('95.123,13.405'), 'latitude out of range')
  t.notOk(v.isLatLonPair('1.5,2.5'), 'too few decimals')
})

t.test('national ids and postal codes', async (t) => {
  t.ok(v.isUsSsn('123-45-6789'))
  for (const bad of ['000-12-3456', '666-12-3456', '912-34-5678', '123-00-4567', '123-45-0000', '078-05-1120', '123456789']) t.notOk(v.isUsSsn(bad), bad)
  t.ok(v.isUsSsn('123456789', true), 'bare digits only when asked')
  t.ok(v.isUkNino('AB 12 34 56 C'))
  t.notOk(v.isUkNino('GB123456A'))
  t.notOk(v.isUkNino('DA123456A'), 'D is not a valid first letter')
  t.ok(v.isNlBsn('111222333'))
  t.notOk(v.isNlBsn('111222334'))
  t.ok(v.isFrNir('1 84 12 76 451 089 46'))
  t.notOk(v.isFrNir('1 84 12 76 451 089 47'))
  t.ok(v.isPostalCode('94105', 'US'))
  t.ok(v.isPostalCode('94105-1234', 'US'))
  t.ok(v.isPostalCode('SW1A 1AA', 'UK'))
  t.ok(v.isPostalCode('EC1V9BD', 'UK'))
  t.ok(v.isPostalCode('10115', 'DE'))
  t.notOk(v.isPostalCode('00123', 'DE'))
  t.ok(v.isPostalCode('75008', 'FR'))
  t.ok(v.isPostalCode('1012 AB', 'NL'))
  t.notOk(v.isPostalCode('0123 AB', 'NL'))
  t.notOk(v.isPostalCode('1012 SA', 'NL'))
  t.ok(v.isPostalCode('K1A 0B1', 'CA'))
  t.notOk(v.isPostalCode('ABCDE'))
})

t.test('name hints across casings and languages', async (t) => {
  t.same(nameTokens('customerEMailAddr'), ['customer', 'e', 'mail', 'addr'])
  t.same(nameTokens('IPAddress2'), ['ip', 'address', '2'])
  const cases: [string, string | null][] = [
    ['email', 'email'], ['E_Mail', 'email'], ['mail', 'email'], ['contactEmailAddress', 'email'], ['courriel', 'email'],
    ['phone', 'phone'], ['tel', 'phone'], ['Mobile', 'phone'], ['telefonnummer', 'phone'],
    ['first_name', 'person_name'], ['LastName', 'person_name'], ['surname', 'person_name'], ['Nachname', 'person_name'], ['voornaam', 'person_name'],
    ['dob', 'date_of_birth'], ['birth_date', 'date_of_birth'], ['dateOfBirth', 'date_of_birth'], ['Geburtsdatum', 'date_of_birth'],
    ['ssn', 'national_id'], ['social_security_number', 'national_id'], ['iban', 'iban'], ['card_number', 'credit_card'], ['creditCardNo', 'credit_card'],
    ['ip', 'ip_address'], ['client_ip', 'ip_address'], ['zip', 'postal_code'], ['postcode', 'postal_code'], ['PLZ', 'postal_code'], ['code_postal', 'postal_code'],
    ['lat', 'geo_coordinate'], ['lon', 'geo_coordinate'], ['Longitude', 'geo_coordinate'],
    ['amount', null], ['zipper_color', null], ['description', null], ['shipping', null],
  ]
  for (const [name, want] of cases) t.equal(nameHint(name), want, name)
})

t.test('detector: name hint alone, contradicting values, birth-date range', async (t) => {
  const str = (name: string, values: string[]) => classifyColumn({ name, type: 'string', nullable: true }, { name, type: 'string', values, nulls: null }, values.length)
  const hintOnly = str('email', ['a@b.de', 'x'])
  t.equal(hintOnly.semantic_type, 'email')
  t.ok(hintOnly.confidence <= 0.6, 'small sample: name hint gives a lower confidence')
  t.equal(str('phone', ['Pixel 7', 'iPhone 15', 'Galaxy', 'Pixel 7', 'Moto G', 'Nokia 3']).semantic_type !== 'phone', true, 'values contradict the name')
  const today = Math.floor(Date.UTC(2026, 0, 1) / 86_400_000)
  const dates = (name: string, days: number[]) => classifyColumn({ name, type: 'date', nullable: true }, { name, type: 'date', values: Int32Array.from(days), nulls: null }, days.length, today)
  t.equal(dates('birth_date', [0, 3000, -5000, 7000, 9000, 1000]).semantic_type, 'date_of_birth')
  t.equal(dates('birth_date', [today + 100, today + 200, today + 300, today + 400, today + 500]).semantic_type, 'timestamp', 'future dates are not births')
  t.equal(dates('shipped_on', [0, 3000, -5000, 7000, 9000]).semantic_type, 'timestamp')
})

t.test('detector: plain "name" columns need given names; particles allowed', async (t) => {
  const str = (name: string, values: string[]) => classifyColumn({ name, type: 'string', nullable: true }, { name, type: 'string', values, nulls: null }, values.length)
  t.equal(str('name', ['Liam de Vries', 'Emma van Dijk', 'Noah Smith', 'Sophie von Weber', 'Mary Jones', 'Lukas Meyer']).semantic_type, 'person_name')
  t.not(str('name', ['Oak Desk', 'Steel Chair', 'Blue Sofa', 'Ergo Mouse', 'Wall Clock', 'Desk Lamp']).semantic_type, 'person_name')
})
