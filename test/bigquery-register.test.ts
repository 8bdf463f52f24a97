// Registering BigQuery tables and queries as datasets over HTTP against the BigQuery fake:
// the schema and the estimate come from a dry-run job (asserted on fake.requests: dryRun
// sent, no Authorization with api_endpoint, no query job run), provenance, allow-list,
// one-SELECT rule, invalid_query with BigQuery's message, the maximum_bytes_billed cost guard
// (422 query_too_expensive before anything runs), masking settings with push-down rules.
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { startBigQueryFake } from './helpers/bigquery-fake.js'

const ADMIN = { roles: ['admin'] }
const EDITOR = { roles: ['editor'] }

async function call<T = any>(s: TestServer, method: string, p: string, body?: unknown, claims: { org?: string; roles: string[] } = EDITOR) {
  const r = await s.api(p, { method, claims, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })
  const text = await r.text()
  return { status: r.status, text, headers: r.headers, body: (text ? JSON.parse(text) : undefined) as T }
}

const fake = await startBigQueryFake({ projectId: 'test-project' })
t.teardown(() => fake.close())
await fake.loadTable('sales', 'orders', { sql: `SELECT i::BIGINT AS id, (i * 1.25)::DOUBLE AS amount, 'r' || i AS region, TIMESTAMP '2024-01-01 00:00:00' AS at FROM range(1000) r(i)` })
await fake.loadTable('private', 'salaries', { sql: `SELECT 1::BIGINT AS id` })

const s = await startServer()
t.teardown(() => s.stop())
const base = { project_id: 'test-project', api_endpoint: fake.url, datasets: ['sales'] }
for (const c of [{ id: 'bq', type: 'bigquery', config: base }, { id: 'bq-cheap', type: 'bigquery', config: { ...base, maximum_bytes_billed: 1000 } }]) {
  const r = await call(s, 'POST', '/api/connectors', c, ADMIN)
  if (r.status !== 201) throw new Error(`connector ${c.id}: ${r.text}`)
}

const dryRuns = (n0: number) => fake.requests.slice(n0).filter((r) => r.method === 'POST' && r.path === '/bigquery/v2/projects/test-project/jobs')
const queries = (n0: number) => fake.requests.slice(n0).filter((r) => r.path.endsWith('/queries') || (r.path.endsWith('/jobs') && r.body?.configuration?.dryRun !== true))

t.test('register a table: dry-run schema and bytes', async (t) => {
  const n0 = fake.requests.length
  const r = await call(s, 'POST', '/api/datasets', { name: 'orders', connector_id: 'bq', source_table: 'sales.orders', description: 'from BigQuery' })
  t.equal(r.status, 201, r.text)
  const jobs = dryRuns(n0)
  t.equal(jobs.length, 1, 'one jobs.insert')
  t.equal(jobs[0]!.body.configuration.dryRun, true, 'a dry run')
  t.match(jobs[0]!.body.configuration.query.query, /^SELECT \* FROM `test-project\.sales\.orders`$/)
  t.equal(jobs[0]!.body.configuration.query.useLegacySql, false)
  t.equal(queries(n0).length, 0, 'no query job ran')
  t.ok(fake.requests.slice(n0).every((x) => x.authorization === undefined), 'no Authorization header with api_endpoint')

  const got = await call(s, 'GET', '/api/datasets/orders')
  t.equal(got.status, 200, got.text)
  const p = got.body.provenance
  t.match(p, { source: 'bigquery', connector_id: 'bq', source_table: 'sales.orders' })
  t.ok(p.estimated_bytes > 0, `estimated_bytes ${p.estimated_bytes}`)
  t.same(p.columns.map((c: any) => [c.name, c.bqType, c.field.type]), [
    ['id', 'INT64', 'int64'], ['amount', 'FLOAT64', 'float64'], ['region', 'STRING', 'string'], ['at', 'DATETIME', 'timestamp'],
  ])
  t.notOk('source_query' in p)
})

t.test('register a query', async (t) => {
  const n0 = fake.requests.length
  const r = await call(s, 'POST', '/api/datasets', {
    name: 'east', connector_id: 'bq', source_query: "SELECT id, region AS Region_Name -- a comment; with a semicolon\nFROM sales.orders WHERE region <> 'a;b';",
  })
  t.equal(r.status, 201, r.text)
  const jobs = dryRuns(n0)
  t.equal(jobs.length, 1)
  t.equal(jobs[0]!.body.configuration.dryRun, true)
  t.notOk(/;\s*$/.test(jobs[0]!.body.configuration.query.query), 'the trailing ; is cut')
  const got = await call(s, 'GET', '/api/datasets/east')
  t.match(got.body.provenance, { source: 'bigquery', source_query: /^SELECT id/ })
  t.same(got.body.provenance.columns.map((c: any) => c.name), ['id', 'Region_Name'])
  t.equal(queries(n0).length, 0)
})

t.test('refusals', async (t) => {
  const reg = (body: Record<string, unknown>) => call(s, 'POST', '/api/datasets', { name: 'x', connector_id: 'bq', ...body })
  let r = await reg({ source_table: 'private.salaries' })
  t.equal(r.status, 422, r.text)
  t.equal(r.body.error, 'invalid_parameter', 'outside the allow-list')
  r = await reg({ source_table: 'orders' })
  t.equal(r.body.error, 'invalid_parameter', 'not dataset.table')
  r = await reg({ source_table: 'sales.nope' })
  t.equal(r.status, 422, r.text)
  t.equal(r.body.error, 'invalid_query')
  t.match(r.body.message, /Not found/)
  r = await reg({ source_query: 'SELECT nope FROM sales.orders' })
  t.equal(r.status, 422)
  t.equal(r.body.error, 'invalid_query')
  t.match(r.body.message, /Unrecognized name: nope/, 'BigQuery\'s message')
  r = await reg({ source_query: 'SELECT 1; SELECT 2' })
  t.equal(r.body.error, 'invalid_query', 'two statements')
  r = await reg({ source_query: 'DELETE FROM sales.orders WHERE true' })
  t.equal(r.body.error, 'invalid_query', 'not a SELECT')
  r = await reg({ source_query: 'SELECT id, id AS ID FROM sales.orders' })
  t.equal(r.body.error, 'invalid_query', 'case-insensitive duplicate columns')
  r = await reg({ source_table: 'sales.orders', source_query: 'SELECT 1' })
  t.equal(r.body.error, 'invalid_parameter')
  r = await call(s, 'POST', '/api/datasets', { name: 'orders', connector_id: 'bq', source_table: 'sales.orders' })
  t.equal(r.status, 409, 'name taken')
  r = await call(s, 'POST', '/api/datasets', { name: 'v', connector_id: 'bq', source_table: 'sales.orders' }, { roles: ['viewer'] })
  t.equal(r.status, 403)
})

t.test('cost guard: over maximum_bytes_billed is refused before it runs', async (t) => {
  const n0 = fake.requests.length
  const r = await call(s, 'POST', '/api/datasets', { name: 'pricey', connector_id: 'bq-cheap', source_table: 'sales.orders' })
  t.equal(r.status, 422, r.text)
  t.equal(r.body.error, 'query_too_expensive')
  t.ok(r.body.details.estimated_bytes > 1000, 'the estimate in details')
  t.equal(r.body.details.maximum_bytes_billed, 1000)
  t.match(r.body.message, String(r.body.details.estimated_bytes), 'and in the message')
  t.equal(dryRuns(n0).length, 1, 'only the dry run')
  t.equal(queries(n0).length, 0, 'nothing ran')
  t.equal((await call(s, 'GET', '/api/datasets/pricey')).status, 404, 'not registered')
  const cheap = await call(s, 'POST', '/api/datasets', { name: 'cheap', connector_id: 'bq-cheap', source_query: 'SELECT 1 AS one' })
  t.equal(cheap.status, 201, `a query reading no table is free: ${cheap.text}`)
})

t.test('masking settings: push-down rules', async (t) => {
  const bad = await call(s, 'POST', '/api/datasets', {
    name: 'm1', connector_id: 'bq', source_table: 'sales.orders', settings: { masking: [{ column: 'amount', strategy: 'hash' }] },
  })
  t.equal(bad.status, 422, bad.text)
  t.equal(bad.body.error, 'invalid_settings', 'hash on a float refused')
  const ok = await call(s, 'POST', '/api/datasets', {
    name: 'm2', connector_id: 'bq', source_table: 'sales.orders', settings: { masking: [{ column: 'region', strategy: 'hash' }, { column: 'amount', strategy: 'round', params: { step: 10 } }] },
  })
  t.equal(ok.status, 201, ok.text)
})

t.test('errors on the dry run', async (t) => {
  t.teardown(() => fake.faults.clear())
  fake.faults.fail('POST /bigquery/v2/projects/test-project/jobs', 'quotaExceeded', { times: 1, retryAfterSeconds: 30 })
  let r = await call(s, 'POST', '/api/datasets', { name: 'q1', connector_id: 'bq', source_table: 'sales.orders' })
  t.equal(r.status, 429, r.text)
  t.equal(r.body.error, 'rate_limited')
  t.equal(r.headers.get('retry-after'), '30')
  fake.faults.fail('POST /bigquery/v2/projects/test-project/jobs', 'accessDenied', { times: 1 })
  r = await call(s, 'POST', '/api/datasets', { name: 'q2', connector_id: 'bq', source_table: 'sales.orders' })
  t.equal(r.status, 503, r.text)
  t.equal(r.body.error, 'connector_unavailable')
  fake.faults.clear()
  t.equal((await call(s, 'POST', '/api/connectors/bq/test', undefined, ADMIN)).body.ok, true)
  r = await call(s, 'POST', '/api/datasets', { name: 'q3', connector_id: 'bq', source_table: 'sales.orders' })
  t.equal(r.status, 201, 'up again')
})

// (they used to be 422 unsupported_table; test/bigquery-profile.test.ts and
// test/bigquery-classification.test.ts check their answers)
t.test('profiles, column stats and classification of a BigQuery dataset answer', async (t) => {
  for (const path of ['/api/datasets/orders/profile', '/api/datasets/orders/column-stats', '/api/datasets/orders/classification']) {
    const r = await call(s, 'GET', path)
    t.equal(r.status, 200, path)
  }
  t.equal((await call(s, 'GET', '/api/datasets/orders/explore?limit=1')).status, 200, 'explore works')
})
