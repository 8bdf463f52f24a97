// Classification of PostgreSQL-backed datasets over real HTTP against a real PostgreSQL:
// a registered table (classified lazily on the first GET, sampled with a LIMIT in a worker),
// a registered source query, an override kept by a refresh, and an import that is classified
// after its commit, before its job reports success.
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { createPgConnector, pgTestDatabase } from './helpers/pg.js'
import { CUSTOMER_COLUMNS, CUSTOMER_TYPES, customersCsv } from './helpers/governance-data.js'

const json = { 'content-type': 'application/json' }
const ADMIN = { sub: 'root', org: 'acme', roles: ['admin'] }

interface Col { name: string; semantic_type: string | null; source: string | null; masked: boolean }

async function types(s: TestServer, name: string): Promise<Record<string, string | null>> {
  const r = await s.api(`/api/datasets/${name}/classification`)
  const b = await r.json() as { columns: Col[] }
  if (r.status !== 200) throw new Error(`${name}: ${r.status} ${JSON.stringify(b)}`)
  return Object.fromEntries(b.columns.map((c) => [c.name, c.semantic_type]))
}

async function waitJob(s: TestServer, id: string): Promise<{ state: string; error: unknown }> {
  for (const started = Date.now(); Date.now() - started < 60_000;) {
    const { job } = await (await s.api(`/api/jobs/${id}`)).json() as { job: { state: string; error: unknown } }
    if (job.state !== 'running' && job.state !== 'queued') return job
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`job ${id} did not finish`)
}

const classifiedLog = (s: TestServer, name: string) =>
  s.logs.some((l) => { const o = JSON.parse(l) as { msg?: string; dataset?: string }; return o.msg === 'dataset classified' && o.dataset === name })

t.test('PostgreSQL datasets', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.customers (customer text, contact text, tel text, pay_token text, order_number int8,
    iban text, client_ip inet, region text, amount numeric(10,2))`)
  for (const line of customersCsv(400).trim().split('\n').slice(1)) {
    await db.query('INSERT INTO public.customers VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', line.split(','))
  }
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'pg')
  const expected = { ...CUSTOMER_TYPES }

  t.test('a registered table classifies on the first GET', async (t) => {
    const reg = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'pg_customers', connector_id: 'pg', source_table: 'public.customers' }) })
    t.equal(reg.status, 201, await reg.clone().text())
    t.notOk(classifiedLog(s, 'pg_customers'), 'registering reads no rows')
    const r = await s.api('/api/datasets/pg_customers/classification')
    const text = await r.text()
    t.equal(r.status, 200, text)
    const cols = (JSON.parse(text) as { columns: Col[] }).columns
    t.same(cols.map((c) => c.name), CUSTOMER_COLUMNS)
    t.same(Object.fromEntries(cols.map((c) => [c.name, c.semantic_type])), expected)
    t.notOk(/@example\.com|DE\d\d/.test(text), 'no value in the answer')
    const sessions = await db.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'sluice%'`, [db.database])
    t.equal(sessions.rows[0]!.n, 0, 'the sample connection is closed')
  })

  t.test('a source query classifies too', async (t) => {
    const reg = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'pg_contacts', connector_id: 'pg', source_query: 'SELECT contact AS mail, client_ip FROM public.customers' }) })
    t.equal(reg.status, 201, await reg.clone().text())
    t.same(await types(s, 'pg_contacts'), { mail: 'email', client_ip: 'ip_address' })
  })

  t.test('an override survives a refresh', async (t) => {
    const p = await s.api('/api/datasets/pg_customers/classification', { method: 'PATCH', claims: ADMIN, headers: json, body: JSON.stringify({ columns: [{ name: 'region', semantic_type: 'other' }] }) })
    t.equal(p.status, 200)
    const r = await s.api('/api/datasets/pg_customers/classification/refresh', { method: 'POST' })
    t.equal(r.status, 200, await r.clone().text())
    t.same(await types(s, 'pg_customers'), { ...expected, region: 'other' })
  })

  t.test('an import is classified after its commit, before the job succeeds', async (t) => {
    const r = await s.api('/api/datasets/import', { method: 'POST', headers: json, body: JSON.stringify({ connector_id: 'pg', source_table: 'public.customers', name: 'imp_customers', rename: { contact: 'email_address' } }) })
    const { job } = await r.json() as { job: { id: string } }
    t.equal(r.status, 202)
    const done = await waitJob(s, job.id)
    t.equal(done.state, 'succeeded', JSON.stringify(done.error))
    t.ok(classifiedLog(s, 'imp_customers'), 'classified by the import job')
    const { contact, ...rest } = expected
    t.same(await types(s, 'imp_customers'), { ...rest, email_address: contact }, 'read from the imported Parquet files')

    const refresh = await s.api('/api/datasets/imp_customers/refresh', { method: 'POST' })
    t.equal(refresh.status, 202, await refresh.clone().text())
    const again = await waitJob(s, (await refresh.json() as { job: { id: string } }).job.id)
    t.equal(again.state, 'succeeded', JSON.stringify(again.error))
    const times = s.logs.filter((l) => l.includes('"dataset classified"') && l.includes('imp_customers')).length
    t.equal(times, 2, 'the refresh classified again')
  })
})
