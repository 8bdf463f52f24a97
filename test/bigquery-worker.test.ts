// The bq-scan task (workers/bq-scan.ts) with the real client against the BigQuery fake,
// in-process with a MessageChannel as the main thread would drive it: pages, polling,
// every type decoded exactly, credit backpressure (no credit: no further getQueryResults),
// cancel reaching BigQuery (jobs.cancel) within a second, error mapping.
import { MessageChannel } from 'node:worker_threads'
import t from 'tap'
import type { BigQueryConnection, BqScanTask } from '../proto/bigquery.js'
import type { ScanToMain } from '../proto/scan.js'
import type { ColumnMeta, LogicalType } from '../proto/types.js'
import bqScan from '../workers/bq-scan.js'
import { startBigQueryFake, type BigQueryFake } from './helpers/bigquery-fake.js'

const fake: BigQueryFake = await startBigQueryFake({ projectId: 'test-project', defaultPageSize: 1000 })
t.teardown(() => fake.close())

const conn = (over: Partial<BigQueryConnection> = {}): BigQueryConnection => ({
  projectId: 'test-project', location: null, apiEndpoint: fake.url, credentials: null, jobTimeoutMs: 60_000, maximumBytesBilled: null, ...over,
})

function meta(name: string, logical: LogicalType, extra: { precision?: number; scale?: number } = {}): ColumnMeta {
  const type = logical === 'decimal' ? `decimal(${extra.precision ?? 38},${extra.scale ?? 0})` : logical
  return { name, type, logical, masked: false, ...extra }
}

interface Run {
  messages: ScanToMain[]
  finished: Promise<unknown>
  grant(n: number): void
  cancel(): void
  bytes(): Buffer
  waitFor(pred: (m: ScanToMain) => boolean, ms?: number): Promise<ScanToMain>
}

function start(task: Partial<BqScanTask> & Pick<BqScanTask, 'sql' | 'columns'>, opts: { autoCredit?: boolean } = {}): Run {
  const { port1, port2 } = new MessageChannel()
  const messages: ScanToMain[] = []
  const waiters: { pred: (m: ScanToMain) => boolean; resolve: (m: ScanToMain) => void }[] = []
  port1.on('message', (m: ScanToMain) => {
    messages.push(m)
    if (m.type === 'chunk' && opts.autoCredit) port1.postMessage({ type: 'credit', chunks: 1 })
    for (const w of waiters.splice(0)) { if (w.pred(m)) w.resolve(m); else waiters.push(w) }
  })
  const finished = bqScan({
    kind: 'bq-scan', connection: conn(), params: [], sourceColumns: [], format: 'ndjson', pageRows: 1000, initialCredit: 4, ...task, port: port2,
  } as BqScanTask).then(async (r) => { await new Promise((res) => setTimeout(res, 20)); port1.close(); return r })
  return {
    messages, finished,
    grant: (n) => port1.postMessage({ type: 'credit', chunks: n }),
    cancel: () => port1.postMessage({ type: 'cancel' }),
    bytes: () => Buffer.concat(messages.flatMap((m) => (m.type === 'chunk' ? [Buffer.from(m.bytes)] : []))),
    waitFor: (pred, ms = 10_000) => {
      const seen = messages.find(pred)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message within ${ms} ms: ${JSON.stringify(messages.map((m) => m.type))}`)), ms)
        waiters.push({ pred, resolve: (m) => { clearTimeout(timer); resolve(m) } })
      })
    },
  }
}

async function scanAll(task: Partial<BqScanTask> & Pick<BqScanTask, 'sql' | 'columns'>): Promise<{ messages: ScanToMain[]; bytes: Buffer }> {
  const run = start(task, { autoCredit: true })
  await run.finished
  return { messages: run.messages, bytes: run.bytes() }
}

const ndjsonRows = (b: Buffer) => b.toString().trim().split('\n').slice(1).map((l) => JSON.parse(l))
const failureOf = (messages: ScanToMain[]) => {
  const m = messages.find((x) => x.type === 'error')
  return m?.type === 'error' ? m.failure : null
}
const resultsRequests = (jobSql?: string) => fake.requests.filter((r) => r.method === 'GET' && /\/queries\//.test(r.path)
  && (jobSql === undefined || fake.jobs.get(r.path.split('/').at(-1)!)?.query === jobSql))

await fake.loadTable('w', 'nums', { sql: 'SELECT g::BIGINT AS id, \'n\' || g AS name FROM range(1, 11) t(g)' })

t.test('pages stream out (maxResults, then pageToken); first chunk carries the start bytes; done counts rows', async (t) => {
  const sql = 'SELECT id, name FROM `test-project.w.nums` WHERE id <= @p0 ORDER BY id'
  const { messages, bytes } = await scanAll({
    sql, params: [{ name: 'p0', parameterType: { type: 'INT64' }, parameterValue: { value: '5' } }], pageRows: 2,
    columns: [meta('id', 'int64'), meta('name', 'string')],
  })
  t.equal(failureOf(messages), null)
  t.same(messages.map((m) => m.type), ['chunk', 'chunk', 'chunk', 'chunk', 'done'], '3 pages + end')
  t.same(ndjsonRows(bytes), [1, 2, 3, 4, 5].map((i) => ({ id: i, name: `n${i}` })))
  t.same(messages.at(-1), { type: 'done', rowCount: 5 })
  const reqs = resultsRequests(sql)
  t.equal(reqs.length, 3, 'three getQueryResults')
  t.same(reqs.map((r) => r.query.maxResults), ['2', '2', '2'], 'page size as maxResults on every page')
  t.notOk(reqs[0]!.query.pageToken, 'first page without token')
  t.ok(reqs[1]!.query.pageToken && reqs[2]!.query.pageToken, 'later pages by pageToken')
  t.ok(reqs.every((r) => r.query['formatOptions.useInt64Timestamp'] === 'true'), 'int64 timestamps asked for')
  const insert = fake.requests.find((r) => r.method === 'POST' && r.path.endsWith('/jobs') && r.body?.configuration?.query?.query === sql)!
  t.equal(insert.body.configuration.query.parameterMode, 'NAMED')
  t.equal(insert.body.configuration.query.useLegacySql, false)
  t.equal(insert.authorization, undefined, 'no credentials: no authorization header (emulator mode)')
  t.equal(insert.body.configuration.jobTimeoutMs, '60000', 'the connector\'s job timeout goes with the job')

  const empty = await scanAll({ sql: 'SELECT id FROM w.nums WHERE id < 0', columns: [meta('id', 'int64')], format: 'json' })
  t.same(empty.messages.map((m) => m.type), ['chunk', 'done'], 'empty result = one chunk')
  t.same(JSON.parse(empty.bytes.toString()), { columns: [{ name: 'id', type: 'int64', masked: false }], rows: [], row_count: 0 })
})

t.test('polls while jobComplete is false', async (t) => {
  fake.faults.slowJobs(3)
  t.teardown(() => fake.faults.clear())
  const sql = 'SELECT id FROM w.nums ORDER BY id LIMIT 3'
  const { messages, bytes } = await scanAll({ sql, columns: [meta('id', 'int64')] })
  t.equal(failureOf(messages), null)
  t.same(ndjsonRows(bytes), [{ id: 1 }, { id: 2 }, { id: 3 }])
  t.equal(resultsRequests(sql).length, 4, 'three polls answered jobComplete:false, then the page')
})

t.test('every type decodes exactly', async (t) => {
  await fake.loadTable('w', 'types', {
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
      ['9223372036854775807', 0.1, '12345678901234567890.123456789', '1.123456789012345678', true, 'héllo "x"\n', Buffer.from([0, 1, 255]), '2024-02-29',
        '2024-02-29 13:14:15.5', '13:14:15.123456', '2023-01-01T12:00:00.123456Z', 'POINT(1 2)', { a: [1, 2] }, '1 year 2 months 3 days 04:05:06.5',
        ['9007199254740993', 2], { a: '-9223372036854775808', tags: ['x', 'y'] }],
      ['-9223372036854775808', -1.5e300, '-0.000000001', '0', false, '', Buffer.from([]), '0001-01-01',
        '9999-12-31 23:59:59.999999', '00:00:00', '1969-12-31T23:59:59.999999Z', null, null, null, [], null],
      [null, null, null, null, null, null, null, null, null, null, null, null, null, null, [], null],
    ],
  })
  const columns = [
    meta('i', 'int64'), meta('f', 'float64'), meta('n', 'decimal', { precision: 38, scale: 9 }), meta('bn', 'decimal', { precision: 38, scale: 18 }),
    meta('b', 'boolean'), meta('s', 'string'), meta('by', 'binary'), meta('d', 'date'), meta('dt', 'timestamp'), meta('tm', 'time'),
    meta('ts', 'timestamp'), meta('g', 'string'), meta('j', 'json'), meta('iv', 'string'), meta('arr', 'json'), meta('rec', 'json'),
  ]
  const { messages, bytes } = await scanAll({ sql: 'SELECT * FROM w.types ORDER BY i NULLS LAST', columns, pageRows: 1 })
  t.equal(failureOf(messages), null)
  // raw NDJSON lines: int64 as exact number tokens, decimals as exact text, json as JSON text
  const lines = bytes.toString().trim().split('\n').slice(1)
  t.equal(lines[0], String.raw`{"i":-9223372036854775808,"f":-1.5e+300,"n":"-0.000000001","bn":"0.000000000000000000","b":false,"s":"","by":"","d":"0001-01-01","dt":"9999-12-31T23:59:59.999999Z","tm":"00:00:00.000000","ts":"1969-12-31T23:59:59.999999Z","g":null,"j":null,"iv":null,"arr":"[]","rec":null}`, 'extremes')
  t.equal(lines[1], String.raw`{"i":9223372036854775807,"f":0.1,"n":"12345678901234567890.123456789","bn":"1.123456789012345678","b":true,"s":"héllo \"x\"\n","by":"AAH/","d":"2024-02-29","dt":"2024-02-29T13:14:15.500000Z","tm":"13:14:15.123456","ts":"2023-01-01T12:00:00.123456Z","g":"POINT(1 2)","j":"{\"a\":[1,2]}","iv":"1-2 3 4:5:6.5","arr":"[9007199254740993,2]","rec":"{\"a\":-9223372036854775808,\"tags\":[\"x\",\"y\"]}"}`,
    'every type; INT64 exact at the top and bottom; TIMESTAMP µs; DATETIME as UTC; nested INT64 exact in JSON text')
  t.equal(lines[2], '{"i":null,"f":null,"n":null,"bn":null,"b":null,"s":null,"by":null,"d":null,"dt":null,"tm":null,"ts":null,"g":null,"j":null,"iv":null,"arr":"[]","rec":null}', 'nulls; an empty array is []')

  // Arrow: int64 exact as BigInt, timestamp µs
  const arrow = await scanAll({ sql: 'SELECT i, ts, n FROM w.types ORDER BY i NULLS LAST', columns: [meta('i', 'int64'), meta('ts', 'timestamp'), meta('n', 'decimal', { precision: 38, scale: 9 })], format: 'arrow' })
  const { tableFromIPC } = await import('apache-arrow')
  const table = tableFromIPC(arrow.bytes)
  t.equal(table.numRows, 3)
  t.equal(table.getChild('i')!.get(0), -9223372036854775808n)
  t.equal(table.getChild('i')!.get(1), 9223372036854775807n)
  t.equal(table.getChild('ts')!.get(1), 1672574400123.456, 'timestamp µs (apache-arrow reads ms with a fraction)')
})

t.test('backpressure: with no credit, no further getQueryResults reaches BigQuery', async (t) => {
  const sql = 'SELECT id FROM w.nums ORDER BY id /* backpressure */'
  const run = start({ sql, columns: [meta('id', 'int64')], pageRows: 2, initialCredit: 1 })
  await run.waitFor((m) => m.type === 'chunk')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(resultsRequests(sql).length, 1, 'one page fetched for the one credit, then nothing')
  t.equal(run.messages.length, 1)
  run.grant(1)
  await run.waitFor((m) => m.type === 'chunk' && run.messages.filter((x) => x.type === 'chunk').length === 2)
  await new Promise((r) => setTimeout(r, 200))
  t.equal(resultsRequests(sql).length, 2, 'one more credit, one more page')
  run.grant(100)
  await run.finished
  t.same(run.messages.at(-1), { type: 'done', rowCount: 10 })
  t.equal(resultsRequests(sql).length, 5)
  t.same(ndjsonRows(run.bytes()).map((r) => r.id), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10])
})

t.test('cancel reaches BigQuery (jobs.cancel) within a second', async (t) => {
  await t.test('while waiting for credit', async (t) => {
    const sql = 'SELECT id FROM w.nums ORDER BY id /* cancel-credit */'
    const run = start({ sql, columns: [meta('id', 'int64')], pageRows: 2, initialCredit: 1 })
    await run.waitFor((m) => m.type === 'chunk')
    const job = [...fake.jobs.values()].find((j) => j.query === sql)!
    const t0 = Date.now()
    run.cancel()
    await run.finished
    t.ok(job.cancelledAt !== undefined, 'the fake saw jobs.cancel')
    t.ok(job.cancelledAt! - t0 < 1000, `within a second (${job.cancelledAt! - t0} ms)`)
    t.notOk(run.messages.some((m) => m.type === 'error' || m.type === 'done'), 'no error, no done after a cancel')
  })
  await t.test('while the job is still running (polling)', async (t) => {
    fake.faults.slowJobs(1000)
    t.teardown(() => fake.faults.clear())
    const sql = 'SELECT id FROM w.nums /* cancel-running */'
    const run = start({ sql, columns: [meta('id', 'int64')] })
    while (![...fake.jobs.values()].some((j) => j.query === sql && j.polls >= 2)) await new Promise((r) => setTimeout(r, 10))
    const job = [...fake.jobs.values()].find((j) => j.query === sql)!
    const t0 = Date.now()
    run.cancel()
    await run.finished
    t.ok(job.cancelledAt !== undefined && job.cancelledAt - t0 < 1000, 'cancelled on the server within a second')
    t.same(run.messages, [], 'nothing was sent')
  })
  await t.test('while jobs.insert is in flight', async (t) => {
    fake.faults.delay('POST /bigquery/v2/projects/test-project/jobs', 300, 1)
    t.teardown(() => fake.faults.clear())
    const sql = 'SELECT id FROM w.nums /* cancel-insert */'
    const run = start({ sql, columns: [meta('id', 'int64')] })
    await new Promise((r) => setTimeout(r, 50))
    const t0 = Date.now()
    run.cancel()
    await run.finished
    const job = [...fake.jobs.values()].find((j) => j.query === sql)!
    t.ok(job?.cancelledAt !== undefined && job.cancelledAt - t0 < 1000, 'the job is cancelled once it exists')
  })
})

t.test('errors map to Sluice errors', async (t) => {
  const bad = await scanAll({ sql: 'SELECT nope FROM w.nums', columns: [meta('nope', 'int64')] })
  t.match(failureOf(bad.messages), { status: 422, code: 'invalid_query' }, 'invalidQuery → 422')
  t.same(bad.messages.map((m) => m.type), ['error'], 'no bytes before the error')

  const missing = await scanAll({ sql: 'SELECT 1 AS x FROM w.nothing', columns: [meta('x', 'int64')] })
  t.match(failureOf(missing.messages), { status: 422, code: 'invalid_query' }, 'notFound → 422')

  for (const [kind, status, code] of [['unauthorized', 503, 'connector_unavailable'], ['accessDenied', 503, 'connector_unavailable'],
    ['quotaExceeded', 429, 'rate_limited'], ['rateLimitExceeded', 429, 'rate_limited'], ['backendError', 503, 'connector_unavailable']] as const) {
    fake.faults.fail(/^POST \/bigquery\/v2\/projects\/test-project\/jobs$/, kind, { times: 1 })
    const r = await scanAll({ sql: 'SELECT id FROM w.nums', columns: [meta('id', 'int64')] })
    t.match(failureOf(r.messages), { status, code }, `${kind} → ${status} ${code}`)
  }
  // a failure on a later page, after bytes went out: an error message follows the chunks
  const later = start({ sql: 'SELECT id FROM w.nums ORDER BY id /* later */', columns: [meta('id', 'int64')], pageRows: 2, initialCredit: 1 })
  await later.waitFor((m) => m.type === 'chunk')
  fake.faults.fail(/^GET .*\/queries\//, 'backendError', { times: 1 })
  later.grant(10)
  await later.finished
  fake.faults.clear()
  t.same(later.messages.map((m) => m.type), ['chunk', 'error'], 'one page out, then the error')
  t.match(failureOf(later.messages), { status: 503, code: 'connector_unavailable' })
  fake.faults.fail(/^POST \/bigquery\/v2\/projects\/test-project\/jobs$/, 'reset', { times: 1 })
  const reset = await scanAll({ sql: 'SELECT id FROM w.nums', columns: [meta('id', 'int64')] })
  t.match(failureOf(reset.messages), { status: 503, code: 'connector_unavailable' }, 'connection reset → 503')
  fake.faults.clear()

  const limited = await scanAll({ sql: 'SELECT id FROM w.nums', columns: [meta('id', 'int64')] , connection: conn({ maximumBytesBilled: '1' }) })
  t.match(failureOf(limited.messages), { status: 422, code: 'query_too_expensive' }, 'bytesBilledLimitExceeded → 422 query_too_expensive')

  const unreachable = await scanAll({ sql: 'SELECT 1 AS x', columns: [meta('x', 'int64')], connection: conn({ apiEndpoint: 'http://127.0.0.1:9' }) })
  t.match(failureOf(unreachable.messages), { status: 503, code: 'connector_unavailable' }, 'unreachable → 503')

  const noCreds = await scanAll({ sql: 'SELECT 1 AS x', columns: [meta('x', 'int64')], connection: conn({ apiEndpoint: null }) })
  t.match(failureOf(noCreds.messages), { status: 503, code: 'connector_unavailable' }, 'no credentials → 503')

  const mismatch = await scanAll({ sql: "SELECT 'abc' AS x", columns: [meta('x', 'int64')] })
  t.match(failureOf(mismatch.messages), { status: 422, code: 'schema_mismatch' }, 'a value that does not decode → 422 schema_mismatch')
})
