// Pure parts of the BigQuery connector: the type mapping (bigquery-types.ts), the error
// mapping (bigquery-errors.ts), config validation and merging (bigquery-config.ts), and the
// one-SELECT check of source queries (bigquery-register.ts).
import t from 'tap'
import { SluiceError } from '../proto/errors.js'
import { bqTypeText, bqValueExpr, mapBqField } from '../src/connectors/bigquery-types.js'
import { RateLimitedError, BigQueryTimeoutError, bigQueryErrorToSluice } from '../proto/bigquery-errors.js'
import { bqConnection, mergeBqConfig, validateBqConfig } from '../src/connectors/bigquery-config.js'
import { checkBqSourceQuery, parseBqSourceTable } from '../src/connectors/bigquery-register.js'

t.test('type mapping', async (t) => {
  const m = (f: any) => { const c = mapBqField({ name: 'c', ...f }); return `${c.bqType} ${c.field.type}${c.field.type === 'decimal' ? `(${c.field.precision},${c.field.scale})` : ''} ${c.field.nullable}` }
  t.equal(m({ type: 'INTEGER' }), 'INT64 int64 true')
  t.equal(m({ type: 'FLOAT', mode: 'REQUIRED' }), 'FLOAT64 float64 false')
  t.equal(m({ type: 'NUMERIC' }), 'NUMERIC decimal(38,9) true')
  t.equal(m({ type: 'NUMERIC', precision: '12', scale: '2' }), 'NUMERIC(12, 2) decimal(12,2) true')
  t.equal(m({ type: 'NUMERIC', precision: '10' }), 'NUMERIC(10) decimal(10,0) true')
  t.equal(m({ type: 'BIGNUMERIC' }), 'BIGNUMERIC string true', 'plain BIGNUMERIC: exact text')
  t.equal(m({ type: 'BIGNUMERIC', precision: '38', scale: '20' }), 'BIGNUMERIC(38, 20) decimal(38,20) true')
  t.equal(m({ type: 'BIGNUMERIC', precision: '50', scale: '20' }), 'BIGNUMERIC(50, 20) string true')
  t.equal(m({ type: 'BOOLEAN' }), 'BOOL boolean true')
  t.equal(m({ type: 'STRING', maxLength: '10' }), 'STRING(10) string true')
  t.equal(m({ type: 'BYTES' }), 'BYTES binary true')
  t.equal(m({ type: 'DATE' }), 'DATE date true')
  t.equal(m({ type: 'DATETIME' }), 'DATETIME timestamp true')
  t.equal(m({ type: 'TIME' }), 'TIME time true')
  t.equal(m({ type: 'TIMESTAMP' }), 'TIMESTAMP timestamp true')
  t.equal(m({ type: 'GEOGRAPHY' }), 'GEOGRAPHY string true')
  t.equal(m({ type: 'JSON' }), 'JSON json true')
  t.equal(m({ type: 'INTERVAL' }), 'INTERVAL string true')
  t.equal(m({ type: 'RANGE', rangeElementType: { type: 'DATE' } }), 'RANGE<DATE> string true')
  t.equal(m({ type: 'STRING', mode: 'REPEATED' }), 'ARRAY<STRING> json true')
  t.equal(m({ type: 'RECORD', fields: [{ name: 'a', type: 'INTEGER' }, { name: 'b', type: 'STRING', mode: 'REPEATED' }] }), 'STRUCT<a INT64, b ARRAY<STRING>> json true')
  t.equal(bqTypeText({ name: 'x', type: 'RECORD', mode: 'REPEATED', fields: [{ name: 'a', type: 'FLOAT' }] }), 'ARRAY<STRUCT<a FLOAT64>>')
  const ref = '`src`.`c`'
  const e = (f: any) => bqValueExpr(ref, mapBqField({ name: 'c', ...f }))
  t.equal(e({ type: 'INT64' }), ref)
  t.equal(e({ type: 'DATETIME' }), "TIMESTAMP(`src`.`c`, 'UTC')")
  t.equal(e({ type: 'GEOGRAPHY' }), 'ST_ASTEXT(`src`.`c`)')
  t.equal(e({ type: 'JSON' }), 'TO_JSON_STRING(`src`.`c`)')
  t.equal(e({ type: 'INT64', mode: 'REPEATED' }), 'TO_JSON_STRING(`src`.`c`)')
  t.equal(e({ type: 'BIGNUMERIC' }), 'CAST(`src`.`c` AS STRING)')
  t.equal(e({ type: 'INTERVAL' }), 'CAST(`src`.`c` AS STRING)')
  t.equal(e({ type: 'STRING' }), ref)
})

t.test('error mapping', async (t) => {
  const api = (code: number, reason: string, message = 'msg', headers: Record<string, string> = {}) =>
    Object.assign(new Error(message), { code, errors: [{ reason, message }], response: { headers } })
  const m = (e: unknown) => bigQueryErrorToSluice(e, 'bq') as SluiceError
  t.match(m(api(400, 'invalidQuery', 'Unrecognized name: x at [1:8]')), { status: 422, code: 'invalid_query', message: 'Unrecognized name: x at [1:8]' })
  t.match(m(api(404, 'notFound', 'Not found: Table p:d.t')), { status: 422, code: 'invalid_query' })
  t.match(m(api(401, 'authError')), { status: 503, code: 'connector_unavailable' })
  t.match(m(api(403, 'accessDenied')), { status: 503, code: 'connector_unavailable' })
  t.match(m(api(500, 'backendError')), { status: 503, code: 'connector_unavailable' })
  const rl = m(api(403, 'rateLimitExceeded', 'slow down', { 'retry-after': '7' }))
  t.ok(rl instanceof RateLimitedError)
  t.match(rl, { status: 429, code: 'rate_limited', retryAfterSeconds: 7 })
  t.match(m(api(403, 'quotaExceeded')), { status: 429, retryAfterSeconds: 60 })
  t.match(m(api(403, 'rateLimitExceeded')), { status: 429, retryAfterSeconds: 1 })
  t.match(m(api(400, 'bytesBilledLimitExceeded')), { status: 422, code: 'query_too_expensive' })
  t.match(m(api(400, 'stopped')), { status: 504, code: 'query_timeout' })
  t.match(m(new BigQueryTimeoutError(3000)), { status: 503, code: 'connector_unavailable' })
  t.match(m(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })), { status: 503 })
  t.match(m(Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } })), { status: 503 })
  const bug = new TypeError('x is not a function')
  t.equal(bigQueryErrorToSluice(bug), bug, 'programming errors stay errors (500)')
  const own = new SluiceError(422, 'invalid_parameter', 'x')
  t.equal(bigQueryErrorToSluice(own), own)
})

t.test('config', async (t) => {
  const key = { type: 'service_account', client_email: 'a@b.iam.gserviceaccount.com', private_key: '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----\n' }
  const { config, secrets } = validateBqConfig({ project_id: 'p-123456', credentials: key, maximum_bytes_billed: '5000' })
  t.same(config, { project_id: 'p-123456', location: null, datasets: null, api_endpoint: null, maximum_bytes_billed: '5000', job_timeout: '5m' })
  t.same(secrets, { service_account: key })
  t.notOk(JSON.stringify(config).includes('PRIVATE'), 'the key is not in the config')
  const kept = mergeBqConfig(config, key, { location: 'EU' })
  t.same(kept.secrets, { service_account: key })
  t.equal(kept.config.location, 'EU')
  t.same(mergeBqConfig(kept.config, key, { location: null }).config.location, null, 'null resets')
  t.throws(() => mergeBqConfig(config, key, { credentials: null }), /config\.credentials/, 'no key, no endpoint')
  t.same(mergeBqConfig(config, key, { credentials: null, api_endpoint: 'http://x:1' }).secrets, {})
  const conn = bqConnection({ ...config, job_timeout: '30s' }, secrets)
  t.match(conn, { projectId: 'p-123456', jobTimeoutMs: 30000, maximumBytesBilled: '5000', apiEndpoint: null, credentials: key })
})

t.test('sources', async (t) => {
  t.same(parseBqSourceTable('sales.orders'), { dataset: 'sales', table: 'orders' })
  t.same(parseBqSourceTable('sales.Q1 orders-x'), { dataset: 'sales', table: 'Q1 orders-x' })
  for (const bad of ['orders', 'a.b.c', 'sa-les.orders', 'sales.', '.orders', 'sales.or`ders']) t.throws(() => parseBqSourceTable(bad), /source_table/, bad)
  t.equal(checkBqSourceQuery('SELECT 1;  \n'), 'SELECT 1')
  t.equal(checkBqSourceQuery("SELECT ';' AS s -- x;\n"), "SELECT ';' AS s", 'a trailing comment is cut (it would comment out the closing parenthesis of the subquery)')
  t.equal(checkBqSourceQuery('SELECT 1 -- c\nFROM t'), 'SELECT 1 -- c\nFROM t')
  t.equal(checkBqSourceQuery('WITH a AS (SELECT 1) SELECT * FROM a'), 'WITH a AS (SELECT 1) SELECT * FROM a')
  t.equal(checkBqSourceQuery('(SELECT 1)'), '(SELECT 1)')
  t.equal(checkBqSourceQuery('SELECT """a;b""" /* ; */ AS `x;y`'), 'SELECT """a;b""" /* ; */ AS `x;y`')
  for (const bad of ['SELECT 1; SELECT 2', 'DELETE FROM t WHERE true', 'CREATE TABLE x AS SELECT 1', 'DECLARE x INT64; SELECT x']) {
    t.throws(() => checkBqSourceQuery(bad), { code: 'invalid_query' }, bad)
  }
})
