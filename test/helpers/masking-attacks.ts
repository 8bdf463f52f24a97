/**
 * Shared fixture and attack runner of the explore/preview masking leak tests
 * (test/masking-explore-*.test.ts): the same twelve "people" rows on every dataset kind, the
 * masking rules over them, the callers (an attacker without the unmask role, an admin without
 * it, a reader holding it), and a runner that sends one query in every output format and checks
 * (a) no raw value appears in any response byte or decoded cell, (b) every format answers the
 * same rows, (c) the rows are the ones written by hand from the strategy semantics
 * (proto/masking.ts), never copied from the server's output.
 */
import crypto from 'node:crypto'
import { tableFromIPC, type Table } from 'apache-arrow'
import type { Claims, TestServer } from './server.js'

export const ORG = 'acme'
/** the dataset creator: sets the rules (creator may govern masking), no unmask role */
export const CREATOR: Claims = { sub: 'alice', org: ORG, roles: ['editor'] }
/** the attacker of the brief */
export const EVE: Claims = { sub: 'eve', org: ORG, roles: ['viewer'] }
/** admin is NOT an unmask role */
export const ADMIN_NO_PII: Claims = { sub: 'root', org: ORG, roles: ['admin'] }
/** holds the unmask role: sees raw values */
export const READER: Claims = { sub: 'pat', org: ORG, roles: ['viewer', 'pii_reader'] }

export interface Person {
  id: number; email: string; contact: string; card: string; ssn: string | null; phone: string
  amount: number; acct: string; born: string; ts: string; region: string
}

const DOMAIN = (id: number) => (id % 2 === 1 ? 'corp-one.example' : 'corp-two.example')
const LOCAL = ['', 'alice.smith', 'bob.jones', 'carol.white', 'dave.brown', 'erin.black', 'frank.green',
  'grace.hopper', 'heidi.klum', 'ivan.drago', 'judy.moss', 'trailing.at', 'plainlocalpart']
const CONTACT = (id: number) => ([1, 6, 9].includes(id) ? 'contact-red@alpha.example' : [2, 7].includes(id) ? 'contact-blue@beta.example' : `contact-${id}@gamma.example`)
const AMOUNT = [0, 1, 2, 3, 10, 1499, 1500, 2499, 2501, 400, 499, 500, 600]
const BORN = ['', '1985-03-07', '1985-07-23', '1985-11-30', '1985-02-14', '1985-09-09', '1985-12-31',
  '1990-06-15', '1990-02-02', '1990-10-10', '1990-04-04', '1990-08-18', '1990-12-12']

/**
 * The rows. Three groups with disjoint raw `amount` ranges (they become three Parquet files:
 * A = ids 1-4 raw 1..10, B = ids 5-8 raw 1499..2501, C = ids 9-12 raw 400..600).
 */
export const PEOPLE: Person[] = Array.from({ length: 12 }, (_, i) => {
  const id = i + 1
  return {
    id,
    email: id === 11 ? 'trailing.at@' : id === 12 ? 'plainlocalpart' : `${LOCAL[id]}@${DOMAIN(id)}`,
    contact: CONTACT(id),
    card: `4${id}00-7788-9900-${id <= 6 ? '1111' : '2222'}`,
    ssn: id === 12 ? null : `9${id}0-55-${1000 + id}`,
    phone: `+1-555-01${String(id).padStart(2, '0')}`,
    amount: AMOUNT[id]!,
    acct: id <= 2 ? '900000000777' : `9000000001${String(id).padStart(2, '0')}`,
    born: BORN[id]!,
    ts: `2024-${id % 2 === 1 ? '03' : '04'}-${String(10 + id).padStart(2, '0')}T${String(id).padStart(2, '0')}:45:${String(10 + id).padStart(2, '0')}.000000Z`,
    region: id % 3 === 0 ? 'US' : 'EU',
  }
})
export const GROUPS = { A: PEOPLE.slice(0, 4), B: PEOPLE.slice(4, 8), C: PEOPLE.slice(8, 12) }

export const COLUMNS = ['id', 'email', 'contact', 'card', 'ssn', 'phone', 'amount', 'acct', 'born', 'ts', 'region'] as const

export function peopleCsv(rows: Person[]): string {
  const lines = rows.map((r) => COLUMNS.map((c) => (r[c] === null ? '' : String(r[c]).replace(/\.000000Z$/, 'Z'))).join(','))
  return [COLUMNS.join(','), ...lines].join('\n') + '\n'
}

/** The rules under attack (set by the creator with PATCH). */
export const RULES = [
  { column: 'email', strategy: 'email', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'contact', strategy: 'hash', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'card', strategy: 'partial', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'ssn', strategy: 'redact', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'phone', strategy: 'null', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'amount', strategy: 'round', params: { step: 1000 }, unmask_roles: ['pii_reader'] },
  { column: 'acct', strategy: 'hash', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'born', strategy: 'date_trunc', params: { unit: 'year' }, unmask_roles: ['pii_reader'] },
  { column: 'ts', strategy: 'date_trunc', params: { unit: 'month' }, unmask_roles: ['pii_reader'] },
]

// ---------- masked values, written by hand from proto/masking.ts ----------
/** email: "****@" + domain; no "@" or nothing after the last "@": "****" */
export const M_EMAIL: Record<number, string> = {
  1: '****@corp-one.example', 2: '****@corp-two.example', 3: '****@corp-one.example', 4: '****@corp-two.example',
  5: '****@corp-one.example', 6: '****@corp-two.example', 7: '****@corp-one.example', 8: '****@corp-two.example',
  9: '****@corp-one.example', 10: '****@corp-two.example', 11: '****', 12: '****',
}
/** partial (keep_last 4, "*"): ids 1-9 have 19 code points, 10-12 have 20 */
export const M_CARD: Record<number, string> = {
  1: '***************1111', 2: '***************1111', 3: '***************1111', 4: '***************1111',
  5: '***************1111', 6: '***************1111', 7: '***************2222', 8: '***************2222',
  9: '***************2222', 10: '****************2222', 11: '****************2222', 12: '****************2222',
}
/** round step 1000, ties away from zero */
export const M_AMOUNT: Record<number, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 1000, 6: 2000, 7: 2000, 8: 3000, 9: 0, 10: 0, 11: 1000, 12: 1000 }
/** date_trunc year */
export const M_BORN: Record<number, string> = { 1: '1985-01-01', 2: '1985-01-01', 3: '1985-01-01', 4: '1985-01-01', 5: '1985-01-01', 6: '1985-01-01', 7: '1990-01-01', 8: '1990-01-01', 9: '1990-01-01', 10: '1990-01-01', 11: '1990-01-01', 12: '1990-01-01' }
export const MARCH = '2024-03-01T00:00:00.000000Z'
export const APRIL = '2024-04-01T00:00:00.000000Z'

/** Every raw text that must never leave the server for a caller without the unmask role. */
export function rawStrings(rows: Person[] = PEOPLE): string[] {
  const out = new Set<string>()
  for (const r of rows) {
    out.add(r.email)
    const local = r.email.split('@')[0]!
    if (local.length >= 5) out.add(local)
    out.add(r.contact)
    out.add(r.contact.split('@')[0]!)
    // a salt-less digest would let anyone test guesses offline
    out.add(crypto.createHash('sha256').update(r.contact).digest('hex'))
    out.add(crypto.createHash('sha256').update(r.acct).digest('hex'))
    out.add(r.card)
    out.add(r.card.slice(0, 9))
    if (r.ssn) out.add(r.ssn)
    out.add(r.phone)
    out.add(r.phone.slice(3)) // 555-01xx
    out.add(r.acct)
    out.add(r.born)
    out.add(r.ts.slice(10, 19)) // THH:MM:SS
    out.add(r.ts.slice(0, 10)) // the raw day
  }
  return [...out]
}

/** Raw numbers per output column (checked on decoded cells: digits are too short to grep bytes for). */
export const RAW_NUMBERS: Record<string, Set<string>> = {
  amount: new Set(PEOPLE.map((r) => String(r.amount))),
  acct: new Set(PEOPLE.map((r) => r.acct)),
}

// ---------- the four formats ----------
export type Cell = string | null
export interface FormatResult { format: string; status: number; text: string; columns: string[]; rows: Cell[][]; raw: unknown }
export interface AllFormats { json: FormatResult; ndjson: FormatResult; csv: FormatResult; arrow: FormatResult & { table: Table | null } }

const cellOfJson = (v: unknown): Cell => (v === null || v === undefined ? null : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v))

/** RFC 4180 records of a CSV text. */
export function parseCsv(text: string): string[][] {
  const out: string[][] = []
  let row: string[] = []
  let cur = ''
  let quoted = false
  let i = 0
  while (i < text.length) {
    const ch = text[i]!
    if (quoted) {
      if (ch === '"') {
        if (text[i + 1] === '"') { cur += '"'; i += 2; continue }
        quoted = false; i++; continue
      }
      cur += ch; i++; continue
    }
    if (ch === '"') { quoted = true; i++; continue }
    if (ch === ',') { row.push(cur); cur = ''; i++; continue }
    if (ch === '\r' && text[i + 1] === '\n') i++
    if (ch === '\n' || ch === '\r') { row.push(cur); out.push(row); row = []; cur = ''; i++; continue }
    cur += ch; i++
  }
  if (cur !== '' || row.length > 0) { row.push(cur); out.push(row) }
  return out
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0')
function isoMicros(us: bigint): string {
  const ms = Number(us / 1000n)
  const d = new Date(ms)
  const frac = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}T${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${String(frac).padStart(6, '0')}Z`
}

function arrowCell(v: unknown, type: string): Cell {
  if (v === null || v === undefined) return null
  if (type === 'date') {
    const ms = v instanceof Date ? v.getTime() : Number(v)
    return new Date(ms).toISOString().slice(0, 10)
  }
  if (type === 'timestamp') {
    // µs since the epoch (bigint), or ms (number) depending on the arrow-js build
    if (typeof v === 'bigint') return isoMicros(v)
    return isoMicros(BigInt(Math.round(Number(v) * 1000)))
  }
  return typeof v === 'string' ? v : String(v)
}

/** Appends format=X to a GET query (or puts it in a POST body) and reads the response. */
async function fetchFormat(s: TestServer, pathAndQuery: string, format: string, claims: Claims, body?: Record<string, unknown>): Promise<{ status: number; bytes: Buffer }> {
  const res = body
    ? await s.api(pathAndQuery, { method: 'POST', claims, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...body, format }) })
    : await s.api(`${pathAndQuery}${pathAndQuery.includes('?') ? '&' : '?'}format=${format}`, { claims })
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) }
}

/** The same query in json, ndjson, csv and arrow, decoded into rows of text cells. */
export async function allFormats(s: TestServer, pathAndQuery: string, claims: Claims, body?: Record<string, unknown>): Promise<AllFormats> {
  const [j, n, c, a] = await Promise.all(['json', 'ndjson', 'csv', 'arrow'].map((f) => fetchFormat(s, pathAndQuery, f, claims, body)))
  const fail = (f: string, r: { status: number; bytes: Buffer }) => new Error(`${pathAndQuery} ${body ? JSON.stringify(body) : ''} as ${f}: ${r.status} ${r.bytes.toString('utf8').slice(0, 400)}`)
  // json
  if (j!.status !== 200) throw fail('json', j!)
  const jb = JSON.parse(j!.bytes.toString('utf8')) as { columns: { name: string }[]; rows: Record<string, unknown>[]; error?: unknown }
  if (jb.error) throw fail('json', j!)
  const names = jb.columns.map((x) => x.name)
  const json: FormatResult = { format: 'json', status: j!.status, text: j!.bytes.toString('utf8'), columns: names, rows: jb.rows.map((r) => names.map((k) => cellOfJson(r[k]))), raw: jb }
  // ndjson
  if (n!.status !== 200) throw fail('ndjson', n!)
  const lines = n!.bytes.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Record<string, unknown>)
  if (lines.some((l) => 'error' in l)) throw fail('ndjson', n!)
  const ncols = (lines[0]!.columns as { name: string }[]).map((x) => x.name)
  const ndjson: FormatResult = { format: 'ndjson', status: n!.status, text: n!.bytes.toString('utf8'), columns: ncols, rows: lines.slice(1).map((r) => ncols.map((k) => cellOfJson(r[k]))), raw: lines }
  // csv (an empty field is null: the fixtures have no empty strings)
  if (c!.status !== 200) throw fail('csv', c!)
  const recs = parseCsv(c!.bytes.toString('utf8'))
  const csv: FormatResult = { format: 'csv', status: c!.status, text: c!.bytes.toString('utf8'), columns: recs[0] ?? [], rows: recs.slice(1).map((r) => r.map((x) => (x === '' ? null : x))), raw: recs }
  // arrow
  if (a!.status !== 200) throw fail('arrow', a!)
  const table = tableFromIPC(a!.bytes)
  const types = table.schema.fields.map((f) => f.metadata.get('sluice.type') ?? '')
  const arows: Cell[][] = []
  for (let i = 0; i < table.numRows; i++) arows.push(table.schema.fields.map((_f, k) => arrowCell(table.getChildAt(k)!.get(i), types[k]!)))
  const arrow = { format: 'arrow', status: a!.status, text: a!.bytes.toString('latin1'), columns: table.schema.fields.map((f) => f.name), rows: arows, raw: null, table }
  return { json, ndjson, csv, arrow }
}

/* eslint-disable @typescript-eslint/no-explicit-any */
type Fn = (...args: any[]) => any
/** The assertions the runner uses (a tap Test fits). */
export interface AttackTest { ok: Fn; same: Fn; equal: Fn; notOk: Fn; fail: Fn }

/** No raw string in any format's bytes; no raw number in a decoded cell of a masked numeric column. */
export function assertNoRaw(t: AttackTest, r: AllFormats, label: string, raws: string[] = rawStrings()): void {
  for (const f of [r.json, r.ndjson, r.csv, r.arrow]) {
    const found = raws.filter((x) => f.text.includes(x))
    if (found.length > 0) t.fail(`${label} [${f.format}] reveals raw value(s) ${JSON.stringify(found.slice(0, 5))}`)
    f.columns.forEach((name, k) => {
      const raw = RAW_NUMBERS[name]
      if (!raw) return
      const bad = f.rows.map((row) => row[k]).filter((v) => v !== null && raw.has(v))
      if (bad.length > 0) t.fail(`${label} [${f.format}] column ${name} holds raw value(s) ${JSON.stringify(bad.slice(0, 5))}`)
    })
  }
}

/** Every format answers the same columns and cells as JSON. */
export function assertFormatsAgree(t: AttackTest, r: AllFormats, label: string): void {
  for (const f of [r.ndjson, r.csv, r.arrow]) {
    t.same(f.columns, r.json.columns, `${label} [${f.format}] columns`)
    t.same(f.rows, r.json.rows, `${label} [${f.format}] rows equal json's`)
  }
}

/** JSON rows as objects of text cells (numbers as their digits). */
export function objects(f: FormatResult): Record<string, Cell>[] {
  return f.rows.map((row) => Object.fromEntries(f.columns.map((c, k) => [c, row[k]!])))
}

/** Canonical text cells of hand-written expected rows. */
export function textRows(rows: Record<string, unknown>[]): Record<string, Cell>[] {
  return rows.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, cellOfJson(v)])))
}

/**
 * One attack: the query in every format by `claims`; asserts no raw value, formats agree,
 * and the rows equal `expected` (objects with values as the API writes them). Returns the result.
 */
export async function attack(t: AttackTest, s: TestServer, pathAndQuery: string, claims: Claims, expected: Record<string, unknown>[] | null, opts: { body?: Record<string, unknown>; label?: string; raws?: string[] } = {}): Promise<AllFormats> {
  const label = opts.label ?? `${pathAndQuery}${opts.body ? ' ' + JSON.stringify(opts.body) : ''}`
  const r = await allFormats(s, pathAndQuery, claims, opts.body)
  assertNoRaw(t, r, label, opts.raws)
  assertFormatsAgree(t, r, label)
  if (expected) t.same(objects(r.json), textRows(expected), `${label}: rows`)
  return r
}

/** ids as {id} rows */
export const ids = (...list: number[]): Record<string, unknown>[] => list.map((id) => ({ id }))

/** The masked column flags of arrow fields, by name. */
export function arrowMasked(r: AllFormats): Record<string, string | undefined> {
  return Object.fromEntries(r.arrow.table!.schema.fields.map((f) => [f.name, f.metadata.get('sluice.masked')]))
}

export async function patchMasking(s: TestServer, name: string, rules: unknown[], claims: Claims = CREATOR): Promise<Response> {
  return s.api(`/api/datasets/${name}`, { method: 'PATCH', claims, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ settings: { masking: rules } }) })
}

/** Expected masked schema flags of the people columns for a caller subject to RULES. */
export const MASKED_SCHEMA = [
  { name: 'id', type: 'int64', masked: false }, { name: 'email', type: 'string', masked: true },
  { name: 'contact', type: 'string', masked: true }, { name: 'card', type: 'string', masked: true },
  { name: 'ssn', type: 'string', masked: true }, { name: 'phone', type: 'string', masked: true },
  { name: 'amount', type: 'int64', masked: true }, { name: 'acct', type: 'string', masked: true },
  { name: 'born', type: 'date', masked: true }, { name: 'ts', type: 'timestamp', masked: true },
  { name: 'region', type: 'string', masked: false },
]
export const RAW_SCHEMA = MASKED_SCHEMA.map((f) => ({ ...f, type: f.name === 'acct' ? 'int64' : f.type, masked: false }))


const HEX64 = /^[0-9a-f]{64}$/

/** The hash cells of `contact` and `acct` by id, read as `who` (checked: 64 hex, equal exactly when the raw values are equal). */
export async function hashesAs(t: AttackTest, s: TestServer, ds: string, who: Claims, extra = ''): Promise<{ contact: Record<number, string>; acct: Record<number, string> }> {
  const r = await s.api(`/api/datasets/${ds}/explore?select=id,contact,acct&order=id${extra}`, { claims: who })
  const body = await r.json() as { rows: { id: number; contact: string; acct: string }[] }
  if (r.status !== 200) throw new Error(`reading hashes: ${r.status} ${JSON.stringify(body)}`)
  const contact: Record<number, string> = {}
  const acct: Record<number, string> = {}
  for (const row of body.rows) { contact[row.id] = row.contact; acct[row.id] = row.acct }
  const present = PEOPLE.filter((p) => p.id in contact)
  t.ok(present.every((p) => HEX64.test(contact[p.id]!) && HEX64.test(acct[p.id]!)), 'contact and acct (int64 → string) read as 64-hex digests')
  const pairs = (h: Record<number, string>) => present.flatMap((p) => present.filter((o) => o.id > p.id).map((o) => `${p.id}-${o.id}:${h[p.id] === h[o.id]}`))
  const rawPairs = (col: 'contact' | 'acct') => present.flatMap((p) => present.filter((o) => o.id > p.id).map((o) => `${p.id}-${o.id}:${p[col] === o[col]}`))
  t.same(pairs(contact), rawPairs('contact'), 'contact digests are equal exactly when the raw values are')
  t.same(pairs(acct), rawPairs('acct'), 'acct digests are equal exactly when the raw values are')
  return { contact, acct }
}

/** The full masked row of a person (hash cells from `h`). */
export function maskedRow(p: Person, h: { contact: Record<number, string>; acct: Record<number, string> }): Record<string, unknown> {
  return {
    id: p.id, email: M_EMAIL[p.id], contact: h.contact[p.id], card: M_CARD[p.id], ssn: p.ssn === null ? null : '****', phone: null,
    amount: M_AMOUNT[p.id], acct: h.acct[p.id], born: M_BORN[p.id], ts: p.id % 2 === 1 ? MARCH : APRIL, region: p.region,
  }
}

/** The raw row as the API writes it (for the unmasking caller). */
export function rawRow(p: Person): Record<string, unknown> {
  return { ...p, acct: Number(p.acct) }
}

type Suite = AttackTest & { test: Fn }
const enc = encodeURIComponent

/**
 * The attack suite every dataset kind shares: dataset `ds` holds all twelve PEOPLE rows and
 * RULES are set. Every expectation is written by hand from proto/masking.ts.
 */
export async function peopleAttacks(t: Suite, s: TestServer, ds: string, who: Claims = EVE): Promise<void> {
  const q = (query: string) => `/api/datasets/${ds}/explore?${query}`
  const h = await hashesAs(t, s, ds, who)
  const c1 = h.contact[1]!, c2 = h.contact[2]!, a1 = h.acct[1]!
  const one = (label: string, cases: [string, Record<string, unknown>[]][]) => t.test(label, async (tt: any) => {
    // every case runs: a failing one (an error status) does not hide the others
    for (const [query, expected] of cases) await attack(tt, s, q(query), who, expected).catch((err: Error) => tt.fail(err.message))
  })
  const sel = 'select=id&order=id&'
  const ALL = ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12)

  await t.test('every column reads masked, with masked metadata in every format', async (tt: any) => {
    const r = await attack(tt, s, q('order=id'), who, PEOPLE.map((p) => maskedRow(p, h)))
    const cols = (r.json.raw as { columns: { name: string; type: string; masked: boolean }[] }).columns
    tt.same(cols.map((c) => ({ name: c.name, type: c.type, masked: c.masked })), MASKED_SCHEMA, 'json column metadata: masked flags and masked types')
    const ncols = ((r.ndjson.raw as Record<string, unknown>[])[0]!.columns as { name: string; type: string; masked: boolean }[])
    tt.same(ncols.map((c) => ({ name: c.name, type: c.type, masked: c.masked })), MASKED_SCHEMA, 'ndjson column metadata')
    tt.same(arrowMasked(r), Object.fromEntries(MASKED_SCHEMA.map((f) => [f.name, String(f.masked)])), 'arrow field metadata sluice.masked')
    tt.same(r.arrow.table!.schema.fields.map((f) => f.metadata.get('sluice.type')), MASKED_SCHEMA.map((f) => f.type), 'arrow sluice.type is the masked type')
    tt.equal(String(r.arrow.table!.schema.fields.find((f) => f.name === 'acct')!.type), 'Utf8', 'hashed int64 is a string in Arrow')
  })

  await one('email strategy: raw text never matches, masked text does', [
    [sel + 'email=like.alice*', []],
    [sel + 'email=ilike.*ALICE*', []],
    [sel + `email=eq.${enc('alice.smith@corp-one.example')}`, []],
    [sel + 'email=like.*@corp-one.example', ids(1, 3, 5, 7, 9)],
    [sel + 'email=eq.****', ids(11, 12)],
    [sel + `email=in.(${enc('****@corp-two.example')},${enc('bob.jones@corp-two.example')})`, ids(2, 4, 6, 8, 10)],
    [sel + 'email=not.like.****@*', ids(11, 12)],
    [sel + 'email=gte.a', []],
  ])
  await one('hash: filters compare digests, never raw values', [
    [sel + `contact=eq.${c1}`, ids(1, 6, 9)],
    [sel + `contact=in.(${c2},${enc('contact-3@gamma.example')})`, ids(2, 7)],
    [sel + 'contact=like.contact*', []],
    [sel + 'contact=ilike.*ALPHA*', []],
    [sel + `contact=eq.${enc('contact-red@alpha.example')}`, []],
    [sel + `contact=neq.${enc('contact-red@alpha.example')}`, ALL],
    [sel + `acct=eq.${a1}`, ids(1, 2)],
    [sel + 'acct=eq.900000000777', []],
    [sel + 'acct=like.9000*', []],
  ])
  await one('partial: raw prefixes never match, masked text does', [
    [sel + 'card=like.*1111', ids(1, 2, 3, 4, 5, 6)],
    [sel + 'card=like.41*', []],
    [sel + 'card=like.4*', []],
    [sel + 'card=eq.4100-7788-9900-1111', []],
    [sel + `card=eq.${enc('****************2222')}`, ids(10, 11, 12)],
    [sel + 'card=lt.4', ALL],
  ])
  await one('redact and null: raw values never match', [
    [sel + 'ssn=eq.****', ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11)],
    [sel + 'ssn=like.9*', []],
    [sel + 'ssn=gt.9', []],
    [sel + 'ssn=is.null', ids(12)],
    [sel + 'phone=is.null', ALL],
    [sel + 'phone=not.is.null', []],
    [sel + `phone=like.${enc('+1*')}`, []],
    [sel + `phone=eq.${enc('+1-555-0101')}`, []],
  ])
  await one('round: comparisons and ranges see rounded values', [
    [sel + 'amount=eq.0', ids(1, 2, 3, 4, 9, 10)],
    [sel + 'amount=eq.1000', ids(5, 11, 12)],
    [sel + 'amount=lte.10', ids(1, 2, 3, 4, 9, 10)],
    [sel + 'amount=lt.1', ids(1, 2, 3, 4, 9, 10)],
    [sel + 'amount=gt.2000', ids(8)],
    [sel + 'amount=in.(0,3000)', ids(1, 2, 3, 4, 8, 9, 10)],
    [sel + 'amount=eq.1499', []],
    [sel + 'amount=in.(1,2,3,10,1499,2501)', []],
    [sel + 'amount=not.eq.0', ids(5, 6, 7, 8, 11, 12)],
    [sel + 'amount=gte.1&amount=lte.999', []],
  ])
  await one('date_trunc: raw dates and times never match', [
    [sel + 'born=eq.1985-01-01', ids(1, 2, 3, 4, 5, 6)],
    [sel + 'born=eq.1985-07-23', []],
    [sel + 'born=gt.1985-01-01&born=lt.1990-01-01', []],
    [sel + 'ts=eq.2024-03-01T00:00:00Z', ids(1, 3, 5, 7, 9, 11)],
    [sel + 'ts=gt.2024-03-01&ts=lt.2024-04-01', []],
    [sel + 'ts=gte.2024-04-01', ids(2, 4, 6, 8, 10, 12)],
  ])
  await one('and/or/not trees see masked values', [
    [sel + `or=(amount.eq.3000,email.like.alice*,region.eq.US)`, ids(3, 6, 8, 9, 12)],
    [sel + 'and=(card.like.*2222,amount.eq.0)', ids(9, 10)],
    [sel + 'not.or=(amount.eq.0,ssn.is.null)', ids(5, 6, 7, 8, 11)],
    [sel + `or=(contact.eq.${enc('contact-red@alpha.example')},born.eq.1985-07-23,phone.not.is.null)`, []],
    [sel + `or=(contact.eq.${c1},acct.eq.${a1})`, ids(1, 2, 6, 9)],
  ])
  await one('order by masked columns orders masked values', [
    ['select=id,amount&order=amount.desc,id', [8, 6, 7, 5, 11, 12, 1, 2, 3, 4, 9, 10].map((id) => ({ id, amount: M_AMOUNT[id] }))],
    ['select=id&order=born.desc,id', ids(7, 8, 9, 10, 11, 12, 1, 2, 3, 4, 5, 6)],
    // 16 stars sort before 15 stars + digit ("*" < "1")
    ['select=id&order=card,id', ids(10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8, 9)],
    ['select=id&order=email.desc,id', ids(2, 4, 6, 8, 10, 1, 3, 5, 7, 9, 11, 12)],
    ['select=id&order=ts,id', ids(1, 3, 5, 7, 9, 11, 2, 4, 6, 8, 10, 12)],
    ['select=id&order=phone,id&limit=3', ids(1, 2, 3)],
    ['select=id&order=ssn.nullsfirst,id&limit=2', ids(12, 1)],
  ])
  const otherContacts = [3, 4, 5, 8, 10, 11, 12].map((id) => h.contact[id]!).sort()
  await one('group by masked columns and count', [
    ['select=amount,n:count()&group=amount&order=amount', [{ amount: 0, n: 6 }, { amount: 1000, n: 3 }, { amount: 2000, n: 2 }, { amount: 3000, n: 1 }]],
    ['select=email,n:count()&group=email&order=email', [{ email: '****', n: 2 }, { email: '****@corp-one.example', n: 5 }, { email: '****@corp-two.example', n: 5 }]],
    ['select=phone,n:count()&group=phone', [{ phone: null, n: 12 }]],
    ['select=ssn,n:count()&group=ssn&order=ssn', [{ ssn: '****', n: 11 }, { ssn: null, n: 1 }]],
    ['select=b:born,n:count()&group=b&order=b', [{ b: '1985-01-01', n: 6 }, { b: '1990-01-01', n: 6 }]],
    ['select=m:ts.trunc(day),n:count()&group=m&order=m', [{ m: MARCH, n: 6 }, { m: APRIL, n: 6 }]],
    ['select=contact,n:count()&group=contact&order=n.desc,contact', [{ contact: c1, n: 3 }, { contact: c2, n: 2 }, ...otherContacts.map((c) => ({ contact: c, n: 1 }))]],
    ['select=acct,n:count()&group=acct&order=n.desc&limit=1', [{ acct: a1, n: 2 }]],
    ['select=card&group=card&order=card', [{ card: '****************2222' }, { card: '***************1111' }, { card: '***************2222' }]],
  ])
  const contactsSorted = Object.values(h.contact).sort()
  const acctsSorted = Object.values(h.acct).sort()
  await one('min, max, sum, avg and count_distinct of masked values', [
    ['select=lo:email.min(),hi:email.max(),d:email.count_distinct()', [{ lo: '****', hi: '****@corp-two.example', d: 3 }]],
    ['select=lo:amount.min(),hi:amount.max(),s:amount.sum(),c:amount.count_distinct()', [{ lo: 0, hi: 3000, s: 10000, c: 4 }]],
    ['select=lo:card.min(),hi:card.max()', [{ lo: '****************2222', hi: '***************2222' }]],
    ['select=lo:born.min(),hi:born.max()', [{ lo: '1985-01-01', hi: '1990-01-01' }]],
    ['select=lo:ts.min(),hi:ts.max()', [{ lo: MARCH, hi: APRIL }]],
    ['select=lo:ssn.min(),hi:ssn.max(),d:ssn.count_distinct()', [{ lo: '****', hi: '****', d: 1 }]],
    ['select=lo:phone.min(),hi:phone.max(),c:phone.count()', [{ lo: null, hi: null, c: 0 }]],
    ['select=lo:contact.min(),hi:contact.max(),d:contact.count_distinct()', [{ lo: contactsSorted[0], hi: contactsSorted.at(-1), d: 9 }]],
    ['select=lo:acct.min(),hi:acct.max(),d:acct.count_distinct()', [{ lo: acctsSorted[0], hi: acctsSorted.at(-1), d: 11 }]],
    ['select=region,lo:amount.min(),hi:amount.max()&group=region&order=region', [{ region: 'EU', lo: 0, hi: 3000 }, { region: 'US', lo: 0, hi: 2000 }]],
    ['select=lo:amount.min()&amount=gt.0', [{ lo: 1000 }]],
  ])
  await t.test('aggregates of masked columns are flagged masked', async (tt: any) => {
    const r = await attack(tt, s, q('select=lo:email.min(),n:count(),d:contact.count_distinct(),region&group=region&order=region'), who, null)
    const cols = (r.json.raw as { columns: { name: string; masked: boolean }[] }).columns
    tt.same(cols.map((c) => [c.name, c.masked]), [['lo', true], ['n', false], ['d', true], ['region', false]], 'json flags')
    tt.same(arrowMasked(r), { lo: 'true', n: 'false', d: 'true', region: 'false' }, 'arrow flags')
    // EU: ids 1,2,4,5,7,8,10,11 (email min "****" from 11; contacts red, blue, 4, 5, 8, 10, 11)
    // US: ids 3,6,9,12 (email min "****" from 12; contacts 3, red, 12)
    tt.same(objects(r.json), textRows([{ lo: '****', n: 8, d: 7, region: 'EU' }, { lo: '****', n: 4, d: 3, region: 'US' }]), 'rows')
  })
  await t.test('preview shows masked rows', async (tt: any) => {
    const r = await attack(tt, s, `/api/datasets/${ds}/preview?limit=100`, who, null)
    const rows = objects(r.json).sort((a, b) => Number(a.id) - Number(b.id))
    tt.same(rows, textRows(PEOPLE.map((p) => maskedRow(p, h))), 'preview rows are the masked rows')
    tt.same(arrowMasked(r), Object.fromEntries(MASKED_SCHEMA.map((f) => [f.name, String(f.masked)])), 'preview arrow metadata')
    const few = await attack(tt, s, `/api/datasets/${ds}/preview?limit=3`, who, null)
    tt.equal(few.json.rows.length, 3)
  })
  await t.test('POST explore bodies are attacked the same way', async (tt: any) => {
    const post = (body: Record<string, unknown>, expected: Record<string, unknown>[]) => attack(tt, s, `/api/datasets/${ds}/explore`, who, expected, { body })
    await post({ select: 'id', order: 'id', filter: ['amount.eq.0'] }, ids(1, 2, 3, 4, 9, 10))
    await post({ select: 'id', order: 'id', filter: 'or(email.like.alice*,card.like.41*,contact.eq.contact-red@alpha.example)' }, [])
    await post({ select: ['email', 'n:count()'], group: 'email', order: 'email' }, [{ email: '****', n: 2 }, { email: '****@corp-one.example', n: 5 }, { email: '****@corp-two.example', n: 5 }])
    await post({ select: 'lo:amount.min(),hi:amount.max()', filter: 'amount.lte.10' }, [{ lo: 0, hi: 0 }])
    await post({ select: 'id', order: 'id', filter: [`contact.eq.${c1}`, 'phone.is.null'] }, ids(1, 6, 9))
  })
}

/** The unmasking caller sees raw values on the same dataset (masking is per caller). */
export async function readerSeesRaw(t: Suite, s: TestServer, ds: string, who: Claims = READER): Promise<void> {
  await t.test('a caller holding the unmask role sees raw values and raw filters', async (tt: any) => {
    const r = await allFormats(s, `/api/datasets/${ds}/explore?order=id`, who)
    assertFormatsAgree(tt, r, 'reader')
    tt.same(objects(r.json), textRows(PEOPLE.map(rawRow)), 'raw rows')
    tt.same(arrowMasked(r), Object.fromEntries(RAW_SCHEMA.map((f) => [f.name, 'false'])), 'nothing masked in arrow metadata')
    const cols = (r.json.raw as { columns: { name: string; type: string; masked: boolean }[] }).columns
    tt.same(cols.map((c) => ({ name: c.name, type: c.type, masked: c.masked })), RAW_SCHEMA)
    const idsOf = async (query: string) => ((await (await s.api(`/api/datasets/${ds}/explore?select=id&order=id&${query}`, { claims: who })).json()) as { rows: { id: number }[] }).rows.map((x) => x.id)
    tt.same(await idsOf('amount=lte.10'), [1, 2, 3, 4], 'raw range')
    tt.same(await idsOf('email=like.alice*'), [1], 'raw like')
    tt.same(await idsOf(`contact=eq.${enc('contact-red@alpha.example')}`), [1, 6, 9], 'raw eq')
    tt.same(await idsOf('phone=is.null'), [], 'no null phones')
  })
}

/** Dataset metadata (GET one and the list): masked flags and types for the attacker, raw for the reader. */
export async function metadataAttacks(t: Suite, s: TestServer, ds: string): Promise<void> {
  await t.test('dataset metadata says masked: true with masked types, per caller', async (tt: any) => {
    const shape = (schema: { name: string; type: string; masked: boolean }[]) => schema.map((c) => ({ name: c.name, type: c.type, masked: c.masked }))
    for (const [who, want, label] of [[EVE, MASKED_SCHEMA, 'viewer'], [ADMIN_NO_PII, MASKED_SCHEMA, 'admin without pii_reader'], [CREATOR, MASKED_SCHEMA, 'creator'], [READER, RAW_SCHEMA, 'pii_reader']] as const) {
      const one = await s.api(`/api/datasets/${ds}`, { claims: who })
      const d = await one.json() as { schema: { name: string; type: string; masked: boolean }[] }
      tt.equal(one.status, 200)
      tt.same(shape(d.schema), want, `GET: ${label}`)
      for (const listPath of ['/api/datasets?limit=200', '/api/datasets/available?limit=200']) {
        const list = await s.api(listPath, { claims: who })
        const item = ((await list.json()) as { items: { name: string; schema: { name: string; type: string; masked: boolean }[] }[] }).items.find((i) => i.name === ds)
        if (listPath.includes('available') && !item) continue // available lists only granted or own datasets
        tt.ok(item, `listed for ${label}`)
        if (item) tt.same(shape(item.schema), want, `${listPath}: ${label}`)
      }
    }
  })
}
