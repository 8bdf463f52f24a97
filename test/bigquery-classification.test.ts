// Classification of BigQuery-backed datasets over real HTTP, on the BigQuery fake through the
// real client library: the first GET samples the table with one LIMIT-ed query job (after a
// dry run: the cost guard) and finds the same semantic types as for the same rows in
// PostgreSQL; the answer holds no value; a source query classifies too; a dataset over the
// connector's maximum_bytes_billed is 422 query_too_expensive with no query job run.
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { startBigQueryFake, type BigQueryFake } from './helpers/bigquery-fake.js'
import { CUSTOMER_COLUMNS, CUSTOMER_TYPES, customersCsv } from './helpers/governance-data.js'

const json = { 'content-type': 'application/json' }
const ADMIN = { sub: 'root', org: 'acme', roles: ['admin'] }

interface Col { name: string; semantic_type: string | null; source: string | null; masked: boolean }

async function types(s: TestServer, name: string): Promise<Record<string, string | null>> {
  const r = await s.api(`/api/datasets/${name}/classification`)
  const text = await r.text()
  if (r.status !== 200) throw new Error(`classification of ${name}: ${r.status} ${text}`)
  return Object.fromEntries((JSON.parse(text) as { columns: Col[] }).columns.map((c) => [c.name, c.semantic_type]))
}

const jobsOf = (fake: BigQueryFake, from: number, dry: boolean) => fake.requests.slice(from)
  .filter((r) => r.method === 'POST' && /\/jobs$/.test(r.path) && (r.body?.configuration?.dryRun === true) === dry)

t.test('BigQuery datasets', async (t) => {
  const fake = await startBigQueryFake({ projectId: 'test-project', defaultPageSize: 1000 })
  t.teardown(() => fake.close())
  const lines = customersCsv(400).trim().split('\n').slice(1).map((l) => l.split(','))
  await fake.loadTable('crm', 'customers', {
    schema: CUSTOMER_COLUMNS.map((name) => ({ name, type: name === 'order_number' ? 'INT64' : name === 'amount' ? 'NUMERIC' : 'STRING' })),
    rows: lines,
  })
  const s = await startServer()
  t.teardown(() => s.stop())
  for (const [id, extra] of [['bq', {}], ['bq-cheap', { maximum_bytes_billed: '1000' }]] as const) {
    const r = await s.api('/api/connectors', { method: 'POST', claims: ADMIN, headers: json, body: JSON.stringify({ id, type: 'bigquery', config: { project_id: fake.projectId, api_endpoint: fake.url, ...extra } }) })
    t.equal(r.status, 201, await r.clone().text())
  }

  t.test('a registered table classifies on the first GET', async (t) => {
    const reg = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'bq_customers', connector_id: 'bq', source_table: 'crm.customers' }) })
    t.equal(reg.status, 201, await reg.clone().text())
    const before = fake.requests.length
    const r = await s.api('/api/datasets/bq_customers/classification')
    const text = await r.text()
    t.equal(r.status, 200, text)
    const cols = (JSON.parse(text) as { columns: Col[] }).columns
    t.same(cols.map((c) => c.name), CUSTOMER_COLUMNS)
    t.same(Object.fromEntries(cols.map((c) => [c.name, c.semantic_type])), CUSTOMER_TYPES, 'the types PostgreSQL finds for these rows')
    t.notOk(/@example\.com|DE\d\d/.test(text), 'no value in the answer')
    const jobs = jobsOf(fake, before, false)
    t.equal(jobs.length, 1, 'one query job')
    t.match(jobs[0]!.body.configuration.query.query, /^SELECT .* FROM `test-project\.crm\.customers` AS `src` LIMIT 5000$/, 'a LIMIT-ed sample')
    t.equal(jobsOf(fake, before, true).length, 1, 'dry-run first')
    const again = fake.requests.length
    await types(s, 'bq_customers')
    t.equal(fake.requests.length, again, 'stored: a second GET reads nothing')
  })

  t.test('a source query classifies too', async (t) => {
    const reg = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'bq_contacts', connector_id: 'bq', source_query: 'SELECT contact AS mail, tel AS phone_no FROM crm.customers' }) })
    t.equal(reg.status, 201, await reg.clone().text())
    t.same(await types(s, 'bq_contacts'), { mail: 'email', phone_no: 'phone' })
  })

  t.test('refresh after a manual override keeps the override', async (t) => {
    const p = await s.api('/api/datasets/bq_customers/classification', { method: 'PATCH', claims: ADMIN, headers: json, body: JSON.stringify({ columns: [{ name: 'region', semantic_type: 'other' }] }) })
    t.equal(p.status, 200)
    const before = fake.requests.length
    const r = await s.api('/api/datasets/bq_customers/classification/refresh', { method: 'POST' })
    t.equal(r.status, 200, await r.clone().text())
    t.equal(jobsOf(fake, before, false).length, 1, 'sampled again')
    t.same(await types(s, 'bq_customers'), { ...CUSTOMER_TYPES, region: 'other' })
  })

  t.test('over maximum_bytes_billed: 422 query_too_expensive, no query job', async (t) => {
    await fake.loadTable('crm', 'small', { schema: [{ name: 'mail', type: 'STRING' }], rows: [['a@example.com']] })
    const reg = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'bq_small', connector_id: 'bq-cheap', source_table: 'crm.small' }) })
    t.equal(reg.status, 201, await reg.clone().text())
    await fake.loadTable('crm', 'small', { schema: [{ name: 'mail', type: 'STRING' }], rows: Array.from({ length: 200 }, (_, i) => [`user${i}@example.com`]) })
    const before = fake.requests.length
    const r = await s.api('/api/datasets/bq_small/classification')
    const text = await r.text()
    t.equal(r.status, 422, text)
    t.equal(JSON.parse(text).error, 'query_too_expensive')
    t.equal(jobsOf(fake, before, false).length, 0, 'nothing run')
  })
})
