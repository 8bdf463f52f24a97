// BigQuery connectors over HTTP against the BigQuery fake (test/helpers/bigquery-fake.ts):
// config validation, credentials write-only (never returned, logged or stored in clear),
// POST /test (datasets.list maxResults 1), browse (allow-list, pagination, columns and row
// counts), and the error mapping: 503 connector_unavailable fast, 429 rate_limited with
// Retry-After. Asserts on what reached the fake (`fake.requests`).
import t from 'tap'
import crypto from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { startServer, type TestServer } from './helpers/server.js'
import { startBigQueryFake } from './helpers/bigquery-fake.js'
import { closedPort } from './helpers/tcp-proxy.js'
import { schemaValidator } from './helpers/lakehouse.js'

const ADMIN = { roles: ['admin'] }
const EDITOR = { roles: ['editor'] }

async function call<T = any>(s: TestServer, method: string, p: string, body?: unknown, claims: { org?: string; roles: string[] } = ADMIN) {
  const r = await s.api(p, { method, claims, ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })
  const text = await r.text()
  return { status: r.status, text, headers: r.headers, body: (text ? JSON.parse(text) : undefined) as T }
}

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 })
const PEM = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString()
const KEY = { type: 'service_account', project_id: 'test-project', client_email: 'sluice@test-project.iam.gserviceaccount.com', private_key: PEM, private_key_id: 'k1' }
const PEM_BODY = PEM.split('\n')[1]!

const fake = await startBigQueryFake({ projectId: 'test-project' })
t.teardown(() => fake.close())
await fake.loadTable('sales', 'orders', { sql: `SELECT i::BIGINT AS id, (i * 1.25)::DECIMAL(12,2) AS amount, 'r' || i AS region, TIMESTAMPTZ '2024-01-01 00:00:00+00' AS ts FROM range(30) r(i)` })
await fake.loadTable('sales', 'customers', { sql: `SELECT 1::BIGINT AS id, 'Ann' AS name` })
await fake.loadTable('private', 'salaries', { sql: `SELECT 1::BIGINT AS id, 100.0::DOUBLE AS pay` })
await fake.loadTable('types', 'all', {
  schema: [
    { name: 'i', type: 'INT64' }, { name: 'f', type: 'FLOAT64' }, { name: 'n', type: 'NUMERIC' }, { name: 'bn', type: 'BIGNUMERIC' },
    { name: 'b', type: 'BOOL' }, { name: 's', type: 'STRING' }, { name: 'by', type: 'BYTES' }, { name: 'd', type: 'DATE' },
    { name: 'dt', type: 'DATETIME' }, { name: 'tm', type: 'TIME' }, { name: 'ts', type: 'TIMESTAMP' }, { name: 'g', type: 'GEOGRAPHY' },
    { name: 'j', type: 'JSON' }, { name: 'iv', type: 'INTERVAL' }, { name: 'arr', type: 'INT64', mode: 'REPEATED' },
    { name: 'rec', type: 'RECORD', fields: [{ name: 'a', type: 'INT64' }] },
  ],
  rows: [],
})
await fake.loadTable('types', 'recent', { view: 'SELECT i, s FROM "types"."all"' })

const s = await startServer()
t.teardown(() => s.stop())
const base = { project_id: 'test-project', api_endpoint: fake.url }

t.test('create: validation, credentials write-only', async (t) => {
  const open = await call(s, 'POST', '/api/connectors', { id: 'bq', type: 'bigquery', config: { ...base, datasets: ['sales', 'types', 'nosuch'], location: 'US', maximum_bytes_billed: 1000000, job_timeout: '2m' } })
  t.equal(open.status, 201, open.text)
  t.same(open.body.config, { project_id: 'test-project', location: 'US', datasets: ['nosuch', 'sales', 'types'], api_endpoint: fake.url, maximum_bytes_billed: '1000000', job_timeout: '2m', has_credentials: false })
  t.equal(open.body.type, 'bigquery')
  const connector = schemaValidator('Connector')
  t.ok(connector(open.body), `a Connector: ${connector.text()}`)

  const keyed = await call(s, 'POST', '/api/connectors', { id: 'bq-key', type: 'bigquery', config: { ...base, credentials: JSON.stringify(KEY) } })
  t.equal(keyed.status, 201, keyed.text)
  t.equal(keyed.body.config.has_credentials, true)
  t.notOk('credentials' in keyed.body.config, 'never returned')
  t.notOk(keyed.text.includes(PEM_BODY), 'no key material in the response')
  const listed = await call(s, 'GET', '/api/connectors')
  t.notOk(listed.text.includes(PEM_BODY))
  t.notOk(s.logs.join('\n').includes(PEM_BODY), 'no key material in the logs')
  for (const f of fs.readdirSync(s.dataDir, { recursive: true }) as string[]) {
    const full = path.join(s.dataDir, f)
    if (fs.statSync(full).isFile()) t.notOk(fs.readFileSync(full).includes(PEM_BODY), `not in clear in ${f}`)
  }

  const cases: [unknown, string][] = [
    [{ api_endpoint: fake.url }, 'config.project_id'],
    [{ project_id: 'test-project' }, 'config.credentials'],
    [{ ...base, credentials: 'not json ' + PEM_BODY }, 'config.credentials'],
    [{ ...base, credentials: { client_email: 'x@y', private_key: 'nope' } }, 'config.credentials'],
    [{ ...base, datasets: ['bad-name'] }, 'config.datasets'],
    [{ ...base, maximum_bytes_billed: -1 }, 'config.maximum_bytes_billed'],
    [{ ...base, job_timeout: 'soon' }, 'config.job_timeout'],
    [{ ...base, api_endpoint: 'ftp://x' }, 'config.api_endpoint'],
    [{ ...base, password: 'x' }, 'config.password'],
  ]
  for (const [config, param] of cases) {
    const r = await call(s, 'POST', '/api/connectors', { id: 'bad', type: 'bigquery', config })
    t.equal(r.status, 422, `${param}: ${r.text}`)
    t.match(r.body.message, param)
    t.notOk(r.text.includes(PEM_BODY), 'no key material in the error')
  }

  // PATCH keeps the key unless given; null clears it
  const kept = await call(s, 'PATCH', '/api/connectors/bq-key', { config: { job_timeout: '1m' } })
  t.equal(kept.status, 200, kept.text)
  t.match(kept.body.config, { job_timeout: '1m', has_credentials: true })
  const cleared = await call(s, 'PATCH', '/api/connectors/bq-key', { config: { credentials: null } })
  t.equal(cleared.status, 200, cleared.text)
  t.equal(cleared.body.config.has_credentials, false)
  const noEndpoint = await call(s, 'PATCH', '/api/connectors/bq-key', { config: { api_endpoint: null } })
  t.equal(noEndpoint.status, 422, 'neither credentials nor an endpoint')
})

t.test('test: datasets.list maxResults 1, no Authorization with api_endpoint', async (t) => {
  const n0 = fake.requests.length
  const r = await call(s, 'POST', '/api/connectors/bq/test')
  t.equal(r.status, 200, r.text)
  t.equal(r.body.ok, true)
  const reqs = fake.requests.slice(n0)
  t.equal(reqs.length, 1, 'one request')
  t.equal(reqs[0]!.path, '/bigquery/v2/projects/test-project/datasets')
  t.equal(reqs[0]!.query.maxResults, '1')
  t.equal(reqs[0]!.authorization, undefined, 'no Authorization header')
  const got = await call(s, 'GET', '/api/connectors/bq')
  t.equal(got.body.health.state, 'up')

  const port = await closedPort()
  t.equal((await call(s, 'POST', '/api/connectors', { id: 'bq-down', type: 'bigquery', config: { project_id: 'test-project', api_endpoint: `http://127.0.0.1:${port}` } })).status, 201)
  const start = Date.now()
  const down = await call(s, 'POST', '/api/connectors/bq-down/test')
  t.equal(down.status, 200)
  t.equal(down.body.ok, false)
  t.equal(down.body.error.error, 'connector_unavailable')
  t.ok(Date.now() - start < 5000, 'quickly')
  const browse = await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=bq-down', undefined, EDITOR)
  t.equal(browse.status, 503, browse.text)
  t.equal(browse.body.error, 'connector_unavailable')

  // a hanging API: 503 within the short deadline
  fake.faults.delay('/datasets', 10_000, 1)
  const t0 = Date.now()
  const hung = await call(s, 'POST', '/api/connectors/bq/test')
  t.equal(hung.body.ok, false)
  t.equal(hung.body.error.error, 'connector_unavailable')
  t.ok(Date.now() - t0 < 6000, `bounded (${Date.now() - t0} ms)`)
  fake.faults.clear()
  t.equal((await call(s, 'POST', '/api/connectors/bq/test')).body.ok, true, 'up again')

  // with a key, the client signs in with it before it calls BigQuery: a key that cannot sign
  // in (Google's token endpoint is not reachable from here, and would refuse this key) is not
  // ok, quickly, and nothing reaches BigQuery without a token
  // (a project of its own, so that only this connector's requests match below)
  t.equal((await call(s, 'POST', '/api/connectors', { id: 'bq-signed', type: 'bigquery', config: { ...base, project_id: 'signed-project', credentials: KEY } })).status, 201)
  const n1 = fake.requests.length
  const k0 = Date.now()
  const keyed = await call(s, 'POST', '/api/connectors/bq-signed/test')
  t.equal(keyed.status, 200, keyed.text)
  t.equal(keyed.body.ok, false, 'a key that cannot sign in is not ok')
  t.equal(keyed.body.error?.error, 'connector_unavailable')
  t.notOk(keyed.text.includes(PEM_BODY), 'no key material in the answer')
  t.ok(Date.now() - k0 < 6000, `bounded (${Date.now() - k0} ms)`)
  t.same(fake.requests.slice(n1).filter((r) => r.path.includes('/projects/signed-project/')), [], 'no request reached BigQuery without a token')
})

t.test('emulator mode never asks the cloud metadata server for credentials', async (t) => {
  // A stand-in metadata server, where Google's auth library looks when it believes it runs on
  // GCE (METADATA_SERVER_DETECTION=assume-present): a client built with ambient credentials
  // asks it for a token on its first call (checked with the library alone while writing this).
  const asked: string[] = []
  const metadata = http.createServer((req, res) => { asked.push(`${req.method} ${req.url}`); res.writeHead(404); res.end() })
  await new Promise<void>((resolve) => metadata.listen(0, '127.0.0.1', resolve))
  t.teardown(() => metadata.close())
  const host = `127.0.0.1:${(metadata.address() as { port: number }).port}`
  const env = { GCE_METADATA_HOST: host, GCE_METADATA_IP: host, METADATA_SERVER_DETECTION: 'assume-present', GOOGLE_APPLICATION_CREDENTIALS: '' }
  const m = await startServer(env)
  t.teardown(() => m.stop())
  t.equal((await call(m, 'POST', '/api/connectors', { id: 'emu', type: 'bigquery', config: base })).status, 201)
  const n0 = fake.requests.length
  t.equal((await call(m, 'POST', '/api/connectors/emu/test')).body.ok, true, 'test')
  t.equal((await call(m, 'GET', '/api/datasets/browse/tables?connector_id=emu&schema=sales', undefined, EDITOR)).status, 200, 'browse')
  const reg = await call(m, 'POST', '/api/datasets', { name: 'emu_orders', connector_id: 'emu', source_table: 'sales.orders' })
  t.equal(reg.status, 201, reg.text)
  const rows = await call(m, 'GET', '/api/datasets/emu_orders/explore?select=id&order=id&limit=2')
  t.same(rows.body.rows, [{ id: 0 }, { id: 1 }], 'explore')
  const sent = fake.requests.slice(n0)
  t.ok(sent.length >= 4, `the calls reached the fake (${sent.length})`)
  t.ok(sent.every((r) => r.authorization === undefined), 'no Authorization header on any of them')
  t.same(asked, [], 'no request reached the metadata server')
})

t.test('browse: allow-list, pagination, columns, row counts', async (t) => {
  const schemas = await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=bq', undefined, EDITOR)
  t.equal(schemas.status, 200, schemas.text)
  t.same(schemas.body, { total: 2, limit: 50, offset: 0, items: [{ name: 'sales' }, { name: 'types' }] }, 'private and nosuch are not listed')
  const paged = await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=bq&limit=1&offset=1', undefined, EDITOR)
  t.same(paged.body, { total: 2, limit: 1, offset: 1, items: [{ name: 'types' }] })

  const tables = await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=sales', undefined, EDITOR)
  t.equal(tables.status, 200, tables.text)
  t.equal(tables.body.total, 2)
  t.same(tables.body.items.map((x: any) => x.name), ['customers', 'orders'])
  const orders = tables.body.items[1]
  const table = schemaValidator('BqBrowseTable')
  for (const it of tables.body.items) t.ok(table(it), `a BqBrowseTable: ${table.text()}`)
  t.match(orders, { source_table: 'sales.orders', kind: 'table', row_count: 30, version: null, error: null, partition_columns: [] })
  t.same(orders.schema, [
    { name: 'id', type: 'int64', nullable: true, bq_type: 'INT64' },
    { name: 'amount', type: 'decimal(38,9)', nullable: true, bq_type: 'NUMERIC' },
    { name: 'region', type: 'string', nullable: true, bq_type: 'STRING' },
    { name: 'ts', type: 'timestamp', nullable: true, bq_type: 'TIMESTAMP' },
  ])
  const page2 = await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=sales&limit=1&offset=1', undefined, EDITOR)
  t.same(page2.body.items.map((x: any) => x.name), ['orders'])
  t.equal(page2.body.total, 2)

  const types = await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=types', undefined, EDITOR)
  t.same(types.body.items.map((x: any) => [x.name, x.kind, x.row_count]), [['all', 'table', 0], ['recent', 'view', null]], 'a view: kind view, no row count')
  t.same(types.body.items[1].schema.map((c: any) => `${c.name}:${c.bq_type}:${c.type}`), ['i:INT64:int64', 's:STRING:string'], 'a view\'s columns')
  t.same(types.body.items[0].schema.map((c: any) => `${c.name}:${c.bq_type}:${c.type}`), [
    'i:INT64:int64', 'f:FLOAT64:float64', 'n:NUMERIC:decimal(38,9)', 'bn:BIGNUMERIC:string', 'b:BOOL:boolean', 's:STRING:string',
    'by:BYTES:binary', 'd:DATE:date', 'dt:DATETIME:timestamp', 'tm:TIME:time', 'ts:TIMESTAMP:timestamp', 'g:GEOGRAPHY:string',
    'j:JSON:json', 'iv:INTERVAL:string', 'arr:ARRAY<INT64>:json', 'rec:STRUCT<a INT64>:json',
  ])

  const hidden = await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=private', undefined, EDITOR)
  t.equal(hidden.status, 422, 'outside the allow-list')
  t.equal(hidden.body.error, 'invalid_parameter')
  const n0 = fake.requests.length
  const missing = await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=nosuch', undefined, EDITOR)
  t.equal(missing.status, 422, missing.text)
  t.equal(missing.body.error, 'invalid_parameter')
  t.ok(fake.requests.length > n0, 'asked BigQuery')
  t.equal((await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=private', undefined, { roles: ['viewer'] })).status, 403)
})

t.test('errors: 401 → 503, rate limits → 429 with Retry-After', async (t) => {
  t.teardown(() => fake.faults.clear())
  fake.faults.fail('GET /bigquery/v2/projects/test-project/datasets', 'rateLimitExceeded', { times: 1, retryAfterSeconds: 7 })
  const limited = await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=bq', undefined, EDITOR)
  t.equal(limited.status, 429, limited.text)
  t.equal(limited.body.error, 'rate_limited')
  t.equal(limited.headers.get('retry-after'), '7')

  fake.faults.fail('GET /bigquery/v2/projects/test-project/datasets', 'quotaExceeded', { times: 1 })
  const quota = await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=bq', undefined, EDITOR)
  t.equal(quota.status, 429)
  t.ok(quota.headers.get('retry-after'), 'a default Retry-After')

  fake.faults.fail('GET /bigquery/v2/projects/test-project/datasets', 'unauthorized', { times: 1 })
  const denied = await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=bq', undefined, EDITOR)
  t.equal(denied.status, 503, denied.text)
  t.equal(denied.body.error, 'connector_unavailable')
  // the connector is marked down; the explicit test finds it up again
  t.equal((await call(s, 'POST', '/api/connectors/bq/test')).body.ok, true)

  fake.faults.fail('/tables/', 'backendError', { times: 1 })
  const backend = await call(s, 'GET', '/api/datasets/browse/tables?connector_id=bq&schema=sales', undefined, EDITOR)
  t.equal(backend.status, 503, backend.text)
  t.equal((await call(s, 'POST', '/api/connectors/bq/test')).body.ok, true)
})

t.test('CONNECTORS_FILE: a bigquery connector with ${ENV} credentials', async (t) => {
  const os = await import('node:os')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bq-file-'))
  const file = path.join(dir, 'connectors.json')
  fs.writeFileSync(file, JSON.stringify({ connectors: [
    { org: 'acme', id: 'bq-file', type: 'bigquery', config: { project_id: 'test-project', api_endpoint: fake.url, credentials: '${BQ_KEY}', datasets: ['sales'] } },
  ] }))
  const s2 = await startServer({ CONNECTORS_FILE: file, BQ_KEY: JSON.stringify(KEY) })
  t.teardown(() => s2.stop())
  const got = await call(s2, 'GET', '/api/connectors/bq-file')
  t.equal(got.status, 200, got.text)
  t.match(got.body, { source: 'file', type: 'bigquery', config: { has_credentials: true, datasets: ['sales'] } })
  t.notOk(got.text.includes(PEM_BODY))
  t.notOk(s2.logs.join('\n').includes(PEM_BODY), 'not in the logs')
})
