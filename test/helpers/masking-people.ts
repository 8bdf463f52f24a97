/**
 * Fixture of the masking leak tests (profiles, column stats): "people" rows with PII in both
 * engines on one test server — uploaded as `people_lake` (a Delta table), and as the
 * PostgreSQL table `public.people` registered as `people_pg` — with masking rules on every
 * strategy. Raw values are made distinctive so that a leak shows up as text in a response:
 * emails `user07.secret@corp-a.example`, amounts with three decimals (masked ones are
 * multiples of 10), timestamps with microseconds (masked ones are month starts).
 */
import type { TestServer } from './server.js'
import { startServer, uploadForm } from './server.js'
import { createPgConnector, pgTestDatabase, type PgTestDatabase } from './pg.js'

export interface Person { uid: number; eh: string; ee: string; ep: string; er: string; amount: number; ts: string; note: string; day: string }

/** `n` rows; emails repeat every 10 rows (so equal values must collide under hash). */
export function people(n = 40): Person[] {
  return Array.from({ length: n }, (_, i) => {
    const u = i % 10
    const email = `user${String(u).padStart(2, '0')}.secret@corp-${'abc'[u % 3]}.example`
    const month = 1 + (i % 5)
    const dom = 2 + (i % 25)
    return {
      uid: 900_000_000_001 + i * 7919,
      eh: email, ee: email, ep: email, er: email,
      amount: Number((100.007 + i * 97.131).toFixed(3)),
      ts: `2024-0${month}-${String(dom).padStart(2, '0')}T${String(3 + (i % 20)).padStart(2, '0')}:17:29.${String(123457 + i).padStart(6, '0')}Z`,
      note: `secret-note-${i}`,
      day: `2024-0${month}-${String(dom).padStart(2, '0')}`,
    }
  })
}

/** The unmask role of every rule. */
export const PII_READER = 'pii_reader'
/** A caller subject to every rule, and one who may see raw values. */
export const MASKED = { sub: 'mallory', roles: ['viewer'] }
export const UNMASKED = { sub: 'carol', roles: ['viewer', PII_READER] }

/** One rule per strategy (redact, null, hash, partial, email, round, date_trunc). */
export const RULES = [
  { column: 'eh', strategy: 'hash', params: {}, unmask_roles: [PII_READER] },
  { column: 'uid', strategy: 'hash', params: {}, unmask_roles: [PII_READER] },
  { column: 'ee', strategy: 'email', params: {}, unmask_roles: [PII_READER] },
  { column: 'ep', strategy: 'partial', params: {}, unmask_roles: [PII_READER] },
  { column: 'er', strategy: 'redact', params: {}, unmask_roles: [PII_READER] },
  { column: 'amount', strategy: 'round', params: { step: 10 }, unmask_roles: [PII_READER] },
  { column: 'ts', strategy: 'date_trunc', params: { unit: 'month' }, unmask_roles: [PII_READER] },
  { column: 'note', strategy: 'null', params: {}, unmask_roles: [PII_READER] },
]

/** Masked columns and the columns no rule touches. */
export const MASKED_COLUMNS = RULES.map((r) => r.column)

export function peopleCsv(rows: readonly Person[]): string {
  return 'uid,eh,ee,ep,er,amount,ts,note,day\n' +
    rows.map((r) => [r.uid, r.eh, r.ee, r.ep, r.er, r.amount, r.ts, r.note, r.day].join(',')).join('\n') + '\n'
}

/** Raw texts of the masked columns that must never appear in a masked caller's response. */
export function rawTexts(rows: readonly Person[]): string[] {
  const out = new Set<string>()
  for (const r of rows) {
    for (const s of [r.eh, r.ts, r.note, 'user0', '.secret', r.eh.split('@')[0]!]) out.add(s)
  }
  return [...out]
}

/** Numeric tokens of a response text (raw uids and amounts must not be among them). */
export function numberTokens(text: string): Set<number> {
  return new Set([...text.matchAll(/-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g)].map((m) => Number(m[0])))
}

export async function createPeopleTable(db: PgTestDatabase, rows: readonly Person[]): Promise<void> {
  await db.query(`CREATE TABLE public.people (uid int8 PRIMARY KEY, eh text, ee text, ep text, er text, amount float8,
    ts timestamptz NOT NULL, note text, day date NOT NULL)`)
  const params: unknown[] = []
  const tuples = rows.map((r) => {
    const base = params.length
    params.push(r.uid, r.eh, r.ee, r.ep, r.er, r.amount, r.ts, r.note, r.day)
    return `(${Array.from({ length: 9 }, (_, k) => `$${base + k + 1}`).join(',')})`
  })
  await db.query(`INSERT INTO public.people VALUES ${tuples.join(',')}`, params)
  await db.query('ANALYZE public.people')
}

async function ok(r: Response, what: string, status: number): Promise<void> {
  if (r.status !== status) throw new Error(`${what}: ${r.status} ${await r.text()}`)
}

/** Sets the masking rules of a dataset (as an admin). */
export async function setMasking(s: TestServer, name: string, rules: unknown[]): Promise<void> {
  await ok(await s.api(`/api/datasets/${name}`, {
    method: 'PATCH', claims: { sub: 'root', roles: ['admin'] }, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { masking: rules } }),
  }), `masking ${name}`, 200)
}

/** The server with `people_lake` and `people_pg`, both under RULES. */
export async function peopleInTwoEngines(t: { teardown(fn: () => unknown): void }, rows: readonly Person[]): Promise<{ s: TestServer; db: PgTestDatabase }> {
  const db = await pgTestDatabase(t)
  await createPeopleTable(db, rows)
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  await ok(await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'people_lake' }, { name: 'people.csv', content: peopleCsv(rows) }) }), 'upload', 201)
  await ok(await s.api('/api/datasets', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'people_pg', connector_id: 'warehouse', source_table: 'public.people' }),
  }), 'register', 201)
  for (const name of ['people_lake', 'people_pg']) await setMasking(s, name, RULES)
  return { s, db }
}
