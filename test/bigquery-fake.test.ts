// The BigQuery fake (test/helpers/bigquery-fake.ts) driven by the REAL @google-cloud/bigquery
// client: if the client can page, poll, stream, dry-run, cancel, list and fail against it the
// way it would against BigQuery, connector tests built on the fake mean something.
import t from 'tap'
import { BigQuery, type Job } from '@google-cloud/bigquery'
import { startBigQueryFake, floatSeconds, type BigQueryFake } from './helpers/bigquery-fake.js'
import { toDuckDb } from './helpers/bigquery-dialect.js'

// small default pages, so pages after the first (which jobs.query sizes by maxResults) are many
const fake: BigQueryFake = await startBigQueryFake({ projectId: 'test-project', defaultPageSize: 40 })
t.teardown(() => fake.close())

/** The client exactly as STACK.md says: no credentials, no metadata-server probe. */
function client(extra: Record<string, unknown> = {}) {
  return new BigQuery({
    apiEndpoint: fake.url,
    projectId: fake.projectId,
    authClient: { getRequestHeaders: async () => new Headers(), getProjectId: async () => fake.projectId } as any,
    ...extra,
  })
}
const bq = client()
// failures surface on the first answer: no retries, no backoff waits
const noRetry = client({ autoRetry: false })

const since = (n: number) => fake.requests.slice(n)
const count = (n: number, method: string, re: RegExp) => since(n).filter((r) => r.method === method && re.test(r.path)).length
const GET_RESULTS = /\/queries\/[^/]+$/

await fake.loadTable('sales', 'orders', {
  sql: `SELECT i::BIGINT AS id, ['east','west','north'][i % 3 + 1] AS region, (i * 1.25)::DECIMAL(38,9) AS amount,
        TIMESTAMPTZ '2024-01-01 00:00:00+00' + i * INTERVAL 7 HOUR AS ts FROM range(250) r(i)`,
})

t.test('query(): named params, ≥ 3 pages, results equal DuckDB', async (t) => {
  const n0 = fake.requests.length
  const [rows] = await bq.query({
    query: 'SELECT id, region FROM `test-project.sales.orders` WHERE id >= @lo AND region = @r ORDER BY id',
    params: { lo: 10, r: 'east' },
    maxResults: 20, // in the query object: the first page's size, sent to jobs.query only
  })
  const expected = (await fake.duck(`SELECT id FROM sales.orders WHERE id >= 10 AND region = 'east' ORDER BY id`)).map((r) => Number(r[0]))
  t.same(rows.map((r: any) => r.id), expected, 'same rows as DuckDB, in order')
  t.equal(rows[0].region, 'east')
  t.ok(expected.length > 20 + 40, `${expected.length} rows: at least 3 pages`)
  const post = since(n0).filter((r) => r.method === 'POST' && r.path.endsWith('/queries'))
  t.equal(post.length, 1, 'one jobs.query')
  const body = post[0].body
  t.equal(post[0].path, '/bigquery/v2/projects/test-project/queries')
  t.same(body.queryParameters, [
    { name: 'lo', parameterType: { type: 'INT64' }, parameterValue: { value: '10' } },
    { name: 'r', parameterType: { type: 'STRING' }, parameterValue: { value: 'east' } },
  ], 'named parameters as the client encodes them')
  t.equal(body.parameterMode, 'named')
  t.equal(body.useLegacySql, false)
  t.equal(body.maxResults, 20)
  t.same(body.formatOptions, { useInt64Timestamp: true }, 'the client asks for int64 timestamps by default')
  t.match(body.requestId, /^[0-9a-f-]{36}$/, 'a requestId (idempotent retries)')
  const pages = since(n0).filter((r) => r.method === 'GET' && GET_RESULTS.test(r.path))
  t.equal(pages.length, Math.ceil((expected.length - 20) / 40), 'getQueryResults for every later page (server-sized: 40)')
  t.ok(pages.every((p) => p.query.pageToken && p.query.maxResults === undefined && p.query['formatOptions.useInt64Timestamp'] === 'true'), 'later pages send pageToken and useInt64Timestamp, no maxResults')

  // a NUMBER maxResults in the options argument is the paginator's cap on the total, not a page size
  const n1 = fake.requests.length
  const [capped] = await bq.query({ query: 'SELECT id FROM sales.orders ORDER BY id' }, { maxResults: 20 })
  t.equal(capped.length, 20, 'query(q, {maxResults: 20}) returns 20 rows in all')
  t.equal(count(n1, 'GET', GET_RESULTS), 0, '…and never asks for page 2')
  t.ok(since(n0).every((r) => r.authorization === undefined), 'no Authorization header with apiEndpoint and no credentials')
})

t.test('query(): jobComplete:false polling', async (t) => {
  fake.faults.slowJobs(3)
  t.teardown(() => fake.faults.clear())
  const n0 = fake.requests.length
  const [rows] = await bq.query({ query: 'SELECT count(*) AS n, sum(amount) AS total FROM sales.orders' })
  t.equal(rows[0].n, 250)
  t.equal(rows[0].total.toString(), '38906.25', 'NUMERIC sum, exact (a Big)')
  t.equal(count(n0, 'GET', GET_RESULTS), 3, 'jobs.query said not done; two more polls said not done; the third had rows')
})

t.test('createQueryStream: pauses stop page fetches', async (t) => {
  const n0 = fake.requests.length
  // maxResults as a STRING: a number would cap the stream at 5 rows (paginator semantics);
  // a string is only sent to the API, as the page size of jobs.query and every getQueryResults
  const stream = bq.createQueryStream({ query: 'SELECT id FROM sales.orders ORDER BY id', maxResults: '5' as unknown as number })
  const seen: number[] = []
  let pausedAt = -1
  await new Promise<void>((resolve, reject) => {
    stream.on('error', reject)
    stream.on('end', resolve)
    stream.on('data', (row: any) => {
      seen.push(row.id)
      if (seen.length === 30) {
        stream.pause()
        // let the fetches already in flight land (under a loaded CI one took over 100 ms):
        // settled = no new page for 200 ms, within 5 s (bounded read-ahead must settle)
        let last = -1
        let waited = 0
        const settle = (): void => {
          const now = count(n0, 'GET', GET_RESULTS)
          if (now !== last && waited < 5000) { last = now; waited += 200; setTimeout(settle, 200); return }
          pausedAt = now
          setTimeout(() => {
            t.equal(count(n0, 'GET', GET_RESULTS), pausedAt, 'no page fetched during 300 ms of pause')
            stream.resume()
          }, 300)
        }
        setTimeout(settle, 100)
      }
    })
  })
  t.same(seen, Array.from({ length: 250 }, (_, i) => i), 'every row once, in order')
  t.ok(pausedAt > 0 && pausedAt < 49, `paused with ${pausedAt} of 49 pages fetched (read-ahead is bounded)`)
  t.equal(count(n0, 'GET', GET_RESULTS), 49, '250 rows / 5 = 50 pages: 1 from jobs.query + 49 getQueryResults')
  t.ok(since(n0).filter((r) => GET_RESULTS.test(r.path)).every((r) => r.query.maxResults === '5'), 'every page asks for 5')
})

t.test('dry runs and maximumBytesBilled', async (t) => {
  const [meta] = await bq.dataset('sales').table('orders').getMetadata()
  const n0 = fake.requests.length
  const [job] = await bq.createQueryJob({ query: 'SELECT region, count(*) AS n FROM `sales.orders` GROUP BY region', dryRun: true })
  const insert = since(n0).find((r) => r.method === 'POST' && r.path.endsWith('/jobs'))!
  t.equal(insert.body.configuration.dryRun, true, 'dryRun travels in configuration')
  t.equal(insert.body.configuration.query.useLegacySql, false)
  t.equal(job.metadata.statistics.totalBytesProcessed, meta.numBytes, 'estimate = the referenced table\'s numBytes')
  t.ok(Number(meta.numBytes) > 250 * 8, `numBytes ${meta.numBytes}`)
  t.same(job.metadata.statistics.query.schema.fields.map((f: any) => [f.name, f.type]), [['region', 'STRING'], ['n', 'INT64']], 'result schema, no rows')
  t.notOk(fake.jobs.has(job.id!), 'a dry run leaves no job')
  // query({dryRun}) also goes through jobs.insert and resolves with no rows
  const [rows] = await bq.query({ query: 'SELECT 1 AS x', dryRun: true })
  t.same(rows, [])

  const err: any = await bq.query({ query: 'SELECT * FROM sales.orders', maximumBytesBilled: '1000' }).catch((e) => e)
  t.equal(err.code, 400)
  t.equal(err.errors[0].reason, 'bytesBilledLimitExceeded')
  t.match(err.message, 'Query exceeded limit for bytes billed: 1000. 10485760 or higher required.')
  const [ok] = await bq.query({ query: 'SELECT count(*) AS n FROM sales.orders', maximumBytesBilled: String(20 * 1024 * 1024) })
  t.equal(ok[0].n, 250, 'under the limit it runs')
})

t.test('job.cancel() reaches the fake within a second', async (t) => {
  fake.faults.slowJobs(1000)
  t.teardown(() => fake.faults.clear())
  const [job] = await bq.createQueryJob({ query: 'SELECT * FROM sales.orders' })
  const before = Date.now()
  await job.cancel()
  const info = fake.jobs.get(job.id!)!
  t.ok(info.cancelledAt !== undefined && info.cancelledAt - before < 1000, 'cancel recorded with its time')
  t.ok(fake.requests.some((r) => r.method === 'POST' && r.path === `/bigquery/v2/projects/test-project/jobs/${job.id}/cancel`), 'POST …/jobs/{id}/cancel')
  const [meta] = await job.getMetadata()
  t.equal(meta.status.errorResult.reason, 'stopped', 'jobs.get shows the job stopped')
  const err: any = await (job as Job).getQueryResults().catch((e) => e)
  t.equal(err.code, 400)
  t.equal(err.errors[0].reason, 'stopped', 'later getQueryResults fails')
})

t.test('catalog: datasets, tables, metadata, with pagination', async (t) => {
  for (const ds of ['alpha', 'beta', 'gamma']) await fake.loadTable(ds, 'one', { sql: 'SELECT 1 AS x' })
  for (const tb of ['t1', 't2', 't3', 't4', 't5']) await fake.loadTable('beta', tb, { sql: `SELECT '${tb}' AS name` })
  const n0 = fake.requests.length
  const [datasets] = await bq.getDatasets({ maxResults: '2' as unknown as number })
  t.same(datasets.map((d) => d.id), ['alpha', 'beta', 'gamma', 'sales'])
  t.equal(since(n0).filter((r) => r.path.endsWith('/datasets')).length, 2, 'two pages of 2')
  t.equal(since(n0).filter((r) => r.path.endsWith('/datasets'))[1].query.pageToken !== undefined, true, 'second page by pageToken')
  const [tables] = await bq.dataset('beta').getTables({ maxResults: '2' as unknown as number })
  t.same(tables.map((x) => x.id), ['one', 't1', 't2', 't3', 't4', 't5'])
  t.equal(since(n0).filter((r) => r.path.endsWith('/datasets/beta/tables')).length, 3)
  const [meta] = await bq.dataset('sales').table('orders').getMetadata()
  t.same(meta.schema.fields, [
    { name: 'id', type: 'INT64', mode: 'NULLABLE' },
    { name: 'region', type: 'STRING', mode: 'NULLABLE' },
    { name: 'amount', type: 'NUMERIC', mode: 'NULLABLE' },
    { name: 'ts', type: 'TIMESTAMP', mode: 'NULLABLE' },
  ])
  t.equal(meta.numRows, '250')
  t.equal(meta.type, 'TABLE')
  const err: any = await bq.dataset('sales').table('nope').getMetadata().catch((e) => e)
  t.equal(err.code, 404, 'missing table: 404 notFound')
})

t.test('faults surface as the client reports them', async (t) => {
  t.afterEach(() => fake.faults.clear())
  const q = 'SELECT 1 AS x'
  const cases = [
    { kind: 'backendError', code: 500 },
    { kind: 'unauthorized', code: 401 },
    { kind: 'accessDenied', code: 403 },
    { kind: 'rateLimitExceeded', code: 403 },
    { kind: 'quotaExceeded', code: 403 },
  ] as const
  for (const c of cases) {
    fake.faults.fail('POST /bigquery/v2/projects/test-project/queries', c.kind, { retryAfterSeconds: c.kind === 'rateLimitExceeded' ? 7 : undefined })
    const err: any = await noRetry.query(q).catch((e) => e)
    t.equal(err.code, c.code, `${c.kind}: code`)
    t.equal(err.errors?.[0]?.reason, c.kind === 'unauthorized' ? 'authError' : c.kind, `${c.kind}: reason in err.errors`)
    if (c.kind === 'rateLimitExceeded') t.equal(err.response?.headers?.['retry-after'], '7', 'Retry-After reaches the caller via err.response.headers')
    fake.faults.clear()
  }

  fake.faults.fail('/queries', 'reset')
  const reset: any = await noRetry.query(q).catch((e) => e)
  t.match(String(reset.message), /socket hang up|ECONNRESET|reset/i, `connection reset: ${reset.message}`)
  fake.faults.clear()

  const bad: any = await noRetry.query('SELECT nope FROM sales.orders').catch((e) => e)
  t.equal(bad.code, 400)
  t.equal(bad.errors[0].reason, 'invalidQuery')
  t.match(bad.message, /^Unrecognized name: nope at \[1:8\]/, `DuckDB's message adapted: ${bad.message}`)

  // the default client retries 500 and rateLimitExceeded: one failure, then the answer
  fake.faults.fail('POST /bigquery/v2/projects/test-project/queries', 'rateLimitExceeded', { times: 1 })
  const n0 = fake.requests.length
  const [rows] = await client({ retryOptions: { retryDelayMultiplier: 1.01, maxRetries: 2 } }).query(q)
  t.same(rows, [{ x: 1 }], 'retried through rateLimitExceeded')
  const posts = since(n0).filter((r) => r.path.endsWith('/queries'))
  t.equal(posts.length, 2)
  t.equal(posts[0].body.requestId, posts[1].body.requestId, 'the retry reuses the requestId')

  fake.faults.delay(GET_RESULTS, 300, 1)
  const start = Date.now()
  const [slow] = await bq.query({ query: 'SELECT id FROM sales.orders ORDER BY id', maxResults: 200 })
  t.equal(slow.length, 250)
  t.ok(Date.now() - start >= 300, 'a slow page is waited for')
})

t.test('every type round-trips; what the client returns', async (t) => {
  await fake.loadTable('types', 'all', {
    schema: [
      { name: 'i', type: 'INT64' }, { name: 'f', type: 'FLOAT64' }, { name: 'n', type: 'NUMERIC' },
      { name: 'bn', type: 'BIGNUMERIC' }, { name: 'b', type: 'BOOL' }, { name: 's', type: 'STRING' },
      { name: 'by', type: 'BYTES' }, { name: 'd', type: 'DATE' }, { name: 'dt', type: 'DATETIME' },
      { name: 'tm', type: 'TIME' }, { name: 'ts', type: 'TIMESTAMP' }, { name: 'g', type: 'GEOGRAPHY' },
      { name: 'j', type: 'JSON' }, { name: 'iv', type: 'INTERVAL' },
      { name: 'arr', type: 'INT64', mode: 'REPEATED' },
      { name: 'rec', type: 'RECORD', fields: [{ name: 'a', type: 'INT64' }, { name: 'tags', type: 'STRING', mode: 'REPEATED' }] },
    ],
    rows: [
      ['9007199254740993', 1.5, '123.456000000', '1.123456789012345678', true, 'héllo', Buffer.from([0, 1, 255]), '2024-02-29',
        '2024-02-29 13:14:15.5', '13:14:15.123456', '2023-01-01T12:00:00.123456Z', 'POINT(1 2)', { a: [1, 2] }, '1 year 2 months 3 days 04:05:06.5',
        [1, 2, 3], { a: 7, tags: ['x', 'y'] }],
      [null, null, null, null, null, null, null, null, null, null, null, null, null, null, [], null],
    ],
  })
  const [meta] = await bq.dataset('types').table('all').getMetadata()
  t.same(meta.schema.fields.map((f: any) => `${f.name}:${f.type}:${f.mode}`), [
    'i:INT64:NULLABLE', 'f:FLOAT64:NULLABLE', 'n:NUMERIC:NULLABLE', 'bn:BIGNUMERIC:NULLABLE', 'b:BOOL:NULLABLE', 's:STRING:NULLABLE',
    'by:BYTES:NULLABLE', 'd:DATE:NULLABLE', 'dt:DATETIME:NULLABLE', 'tm:TIME:NULLABLE', 'ts:TIMESTAMP:NULLABLE', 'g:GEOGRAPHY:NULLABLE',
    'j:JSON:NULLABLE', 'iv:INTERVAL:NULLABLE', 'arr:INT64:REPEATED', 'rec:RECORD:NULLABLE',
  ])
  t.same(meta.schema.fields[15].fields, [{ name: 'a', type: 'INT64', mode: 'NULLABLE' }, { name: 'tags', type: 'STRING', mode: 'REPEATED' }])

  // the wire: skipParsing hands back the raw cells
  const [raw] = await bq.query({ query: 'SELECT * FROM types.all ORDER BY i NULLS LAST', skipParsing: true } as any)
  t.same((raw as any)[0].f.map((c: any) => c.v), [
    '9007199254740993', '1.5', '123.456', '1.123456789012345678', 'true', 'héllo', 'AAH/', '2024-02-29',
    '2024-02-29T13:14:15.5', '13:14:15.123456', '1672574400123456', 'POINT(1 2)', '{"a":[1,2]}', '1-2 3 4:5:6.5',
    [{ v: '1' }, { v: '2' }, { v: '3' }], { f: [{ v: '7' }, { v: [{ v: 'x' }, { v: 'y' }] }] },
  ], 'every value a string; REPEATED {v:[…]}, RECORD {v:{f:[…]}}')
  t.same((raw as any)[1].f.map((c: any) => c.v), [null, null, null, null, null, null, null, null, null, null, null, null, null, null, [], null], 'NULLs are null; an empty array is []')

  // what the client makes of it (document for the connector author)
  const [rows] = await bq.query({ query: 'SELECT * FROM types.all ORDER BY i NULLS LAST', wrapIntegers: true, parseJSON: true } as any)
  const r = rows[0]
  t.equal(r.i.constructor.name, 'BigQueryInt', 'INT64 with wrapIntegers → BigQueryInt (exact text in .value)')
  t.equal(r.i.value, '9007199254740993')
  t.equal(r.f, 1.5, 'FLOAT64 → number')
  t.equal(r.n.constructor.name, 'Big', 'NUMERIC → Big')
  t.equal(r.n.toString(), '123.456')
  t.equal(r.bn.toFixed(18), '1.123456789012345678', 'BIGNUMERIC → Big, exact')
  t.equal(r.b, true, 'BOOL → boolean')
  t.equal(r.s, 'héllo')
  t.same([...r.by], [0, 1, 255], 'BYTES → Buffer')
  t.same([r.d.constructor.name, r.d.value], ['BigQueryDate', '2024-02-29'], 'DATE → BigQueryDate {value}')
  t.same([r.dt.constructor.name, r.dt.value], ['BigQueryDatetime', '2024-02-29T13:14:15.5'], 'DATETIME → BigQueryDatetime {value}')
  t.same([r.tm.constructor.name, r.tm.value], ['BigQueryTime', '13:14:15.123456'], 'TIME → BigQueryTime {value}')
  t.same([r.ts.constructor.name, r.ts.value], ['BigQueryTimestamp', '2023-01-01T12:00:00.123456000Z'], 'TIMESTAMP (int64 µs) → BigQueryTimestamp, ISO with 9 fraction digits')
  t.same([r.g.constructor.name, r.g.value], ['Geography', 'POINT(1 2)'], 'GEOGRAPHY → Geography {value: WKT}')
  t.same(r.j, { a: [1, 2] }, 'JSON with parseJSON → object (else the text)')
  t.equal(r.iv, '1-2 3 4:5:6.5', 'INTERVAL → canonical text, unparsed')
  t.same(r.arr.map((x: any) => x.value), ['1', '2', '3'], 'REPEATED → array')
  t.same([r.rec.a.value, r.rec.tags], ['7', ['x', 'y']], 'RECORD → object')
  const [plain] = await bq.query('SELECT i FROM types.all WHERE i IS NOT NULL')
  t.equal(plain[0].i, 9007199254740992, 'without wrapIntegers INT64 → Number: precision lost silently past 2^53')
  const [nulls] = await bq.query('SELECT * FROM types.all WHERE i IS NULL')
  t.ok(Object.entries(nulls[0]).every(([k, v]) => (k === 'arr' ? Array.isArray(v) && v.length === 0 : v === null)), 'nulls → null')

  // useInt64Timestamp false: float seconds, as BigQuery writes them
  await bq.query('SELECT ts FROM types.all WHERE ts IS NOT NULL')
  const job = [...fake.jobs.values()].at(-1)!
  const wire = await (await fetch(`${fake.url}/bigquery/v2/projects/test-project/queries/${job.id}?formatOptions.useInt64Timestamp=false`)).json() as any
  t.equal(wire.rows[0].f[0].v, '1.672574400123456E9', 'float seconds in Java notation')
  const [floatRows] = await bq.query({ query: 'SELECT ts FROM types.all WHERE ts IS NOT NULL' }, { 'formatOptions.useInt64Timestamp': false } as any)
  t.equal(floatRows[0].ts.value, '2023-01-01T12:00:00.123456000Z', 'the client parses float seconds through a JS number (µs survive for present-day values)')
  t.equal(floatSeconds(1_500_000n), '1.5')
  t.equal(floatSeconds(-1n), '-1.0E-6')
})

t.test('params of every scalar type, and the dialect rewrites, run for real', async (t) => {
  const [rows] = await bq.query({
    query: `SELECT @i + 1 AS i, @f * 2 AS f, @n AS n, @b AS b, @s AS s, TO_HEX(@by) AS by, @d AS d, @ts AS ts,
                   ARRAY_LENGTH(@arr) AS alen, 3 IN UNNEST(@arr) AS has3`,
    params: {
      i: 41, f: 1.25, n: '1.10', b: true, s: "it's", by: Buffer.from('hi').toString('base64'),
      d: BigQuery.date('2024-02-29'), ts: BigQuery.timestamp('2023-01-01T12:00:00.123456Z'), arr: [1, 2, 3],
    },
    types: { n: 'NUMERIC', by: 'BYTES' },
  })
  const r = rows[0]
  t.equal(r.i, 42)
  t.equal(r.f, 2.5)
  t.equal(r.n.toString(), '1.1')
  t.equal(r.b, true)
  t.equal(r.s, "it's")
  t.equal(r.by, '6869', 'BYTES params arrive base64 and are decoded')
  t.equal(r.d.value, '2024-02-29')
  t.equal(r.ts.value, '2023-01-01T12:00:00.123456000Z', 'TIMESTAMP param µs survive')
  t.equal(r.alen, 3)
  t.equal(r.has3, true, 'x IN UNNEST(@array)')
  // a Buffer param is sent as JSON {"type":"Buffer","data":[…]}, not base64: pass base64 + types: BYTES
  const n0 = fake.requests.length
  const bufErr: any = await noRetry.query({ query: 'SELECT @b AS b', params: { b: Buffer.from('hi') } }).catch((e) => e)
  t.same(since(n0)[0].body.queryParameters[0].parameterValue.value, { type: 'Buffer', data: [104, 105] }, 'what the client sends for a Buffer')
  t.equal(bufErr.code, 400, 'the fake refuses it')

  const [d] = await bq.query(`
    SELECT TIMESTAMP_TRUNC(TIMESTAMP '2024-01-03 17:30:00+00', DAY, 'UTC') AS day,
           TIMESTAMP_TRUNC(TIMESTAMP '2024-01-03 17:30:00+00', WEEK) AS week_sun,
           DATE_TRUNC(DATE '2024-01-03', WEEK(MONDAY)) AS week_mon,
           DATE_TRUNC(DATE '2024-01-03', ISOWEEK) AS isoweek,
           DATE_TRUNC(DATE '2024-01-03', MONTH) AS month,
           TIMESTAMP_TRUNC(TIMESTAMP '2024-01-03 01:30:00+00', DAY, 'America/New_York') AS ny_day,
           TO_HEX(SHA256('abc')) AS sha,
           FORMAT_TIMESTAMP('%Y-%m-%d %H:%M', TIMESTAMP '2024-01-03 17:30:00+00') AS fmt,
           SAFE_CAST('x' AS INT64) AS bad, CAST('12' AS INT64) AS good, "double-quoted string" AS dq,
           EXTRACT(DAYOFWEEK FROM DATE '2024-01-07') AS dow,
           COUNTIF(true) AS ci, DIV(-7, 2) AS dv, DIV(10 - 4, 3) AS dv2, IS_NAN(IEEE_DIVIDE(0, 0)) AS nan,
           SPLIT('a,b,c', ',')[OFFSET(1)] AS off1, SPLIT('a,b,c', ',')[SAFE_OFFSET(5)] AS off5,
           FORMAT_TIME('%H:%M', TIME '13:14:15') AS ft`)
  const x = d[0]
  t.equal(x.day.value, '2024-01-03T00:00:00.000Z')
  t.equal(x.week_sun.value, '2023-12-31T00:00:00.000Z', 'WEEK starts on Sunday')
  t.equal(x.week_mon.value, '2024-01-01')
  t.equal(x.isoweek.value, '2024-01-01')
  t.equal(x.month.value, '2024-01-01')
  t.equal(x.ny_day.value, '2024-01-02T05:00:00.000Z', 'a day in New York starts at 05:00 UTC in winter')
  t.equal(x.sha, 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad')
  t.equal(x.fmt, '2024-01-03 17:30')
  t.equal(x.bad, null)
  t.equal(x.good, 12)
  t.equal(x.dq, 'double-quoted string')
  t.equal(x.dow, 1, 'DAYOFWEEK: Sunday is 1')
  t.equal(x.ci, 1)
  t.equal(x.dv, -3, 'DIV truncates toward zero')
  t.equal(x.dv2, 2, 'DIV of an expression divides the whole expression')
  t.equal(x.nan, true)
  t.equal(x.off1, 'b', '[OFFSET(n)] is 0-based')
  t.equal(x.off5, null, '[SAFE_OFFSET(n)] past the end is NULL')
  t.equal(x.ft, '13:14')

  // what a compiler mirroring postgres-sql.ts would emit for a grouped, bucketed explore
  const [g] = await bq.query({
    query: 'SELECT TIMESTAMP_TRUNC(`t`.`ts`, DAY, \'UTC\') AS `day`, COUNT(DISTINCT `t`.`region`) AS `regions`, CAST(SUM(`t`.`amount`) AS FLOAT64) AS `total` ' +
      'FROM (SELECT `id`, `region`, `amount`, `ts` FROM `test-project.sales.orders` AS `src`) AS `t` WHERE (`t`.`id` < @p1) ' +
      'GROUP BY TIMESTAMP_TRUNC(`t`.`ts`, DAY, \'UTC\') ORDER BY TIMESTAMP_TRUNC(`t`.`ts`, DAY, \'UTC\') ASC NULLS LAST LIMIT @p2',
    params: { p1: 10, p2: 2 },
  })
  t.same(g.map((r: any) => [r.day.value, r.regions, r.total]), [['2024-01-01T00:00:00.000Z', 3, 4 * 1.25 * (0 + 1 + 2 + 3) / 4], ['2024-01-02T00:00:00.000Z', 3, 1.25 * (4 + 5 + 6)]])

  t.throws(() => toDuckDb('SELECT @missing', { projectId: 'p', paramTypes: new Map() }), /Query parameter 'missing' not found/)
  t.equal(toDuckDb('SELECT * FROM `p.ds.t` JOIN p.ds.u USING (x)', { projectId: 'p', paramTypes: new Map() }).sql, 'SELECT * FROM "ds"."t" JOIN ds.u USING(x)')
})
