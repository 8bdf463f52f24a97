// Imports from BigQuery into the lakehouse over real HTTP, the real client against the
// BigQuery fake: a table of every mapped type (values exact), a query with a rename, progress
// while pages arrive, cancel (jobs.cancel reaches the fake, the job is cancelled, nothing
// written, a refreshed table keeps its version), refresh (manual and scheduled) as overwrite
// versions with the job id as run_id, the maximum_bytes_billed cost guard (a dry run first:
// 422 query_too_expensive, no query job), and a 500 from BigQuery mid-import (the job fails
// with a clear error, the table stays at its last committed version, no stray files).
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { startBigQueryFake, type JobInfo } from './helpers/bigquery-fake.js'

const json = { 'content-type': 'application/json' }
const ADMIN = { roles: ['admin'] }

interface JobView { id: string; state: string; progress: Record<string, unknown>; error: { error: string; message: string } | null; result: Record<string, unknown> | null }

const fake = await startBigQueryFake({ projectId: 'test-project' })
t.teardown(() => fake.close())
const nums = (n: number) => ({ sql: `SELECT g::BIGINT AS id, 'n' || g AS name, (g * 1.5)::DOUBLE AS amount FROM range(1, ${n + 1}) t(g)` })
await fake.loadTable('w', 'nums', nums(5000))
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

const s = await startServer({ REFRESH_TICK_MS: '200', PARQUET_ROWS_PER_FILE: '2000' })
t.teardown(() => s.stop())
for (const c of [
  { id: 'bq', type: 'bigquery', config: { project_id: 'test-project', api_endpoint: fake.url } },
  { id: 'bq-cheap', type: 'bigquery', config: { project_id: 'test-project', api_endpoint: fake.url, maximum_bytes_billed: 1000 } },
]) {
  const r = await s.api('/api/connectors', { method: 'POST', claims: ADMIN, headers: json, body: JSON.stringify(c) })
  if (r.status !== 201) throw new Error(`connector ${c.id}: ${r.status} ${await r.text()}`)
}

const post = (p: string, body?: object) => s.api(p, { method: 'POST', headers: json, ...(body ? { body: JSON.stringify(body) } : {}) })
const getJob = async (id: string) => (await (await s.api(`/api/jobs/${id}`)).json() as { job: JobView }).job

async function waitJob(id: string, timeoutMs = 60_000): Promise<JobView> {
  const started = Date.now()
  for (;;) {
    const job = await getJob(id)
    if (job.state !== 'running' && job.state !== 'queued') return job
    if (Date.now() - started > timeoutMs) throw new Error(`job ${id} still ${job.state}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function startImport(body: object): Promise<JobView> {
  const r = await post('/api/datasets/import', body)
  const b = await r.json() as { job: JobView }
  if (r.status !== 202) throw new Error(`import: ${r.status} ${JSON.stringify(b)}`)
  return b.job
}

async function ndjsonLines(name: string, q: string): Promise<string[]> {
  const r = await s.api(`/api/datasets/${name}/explore?${q}&format=ndjson`)
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${name}: ${r.status} ${text}`)
  return text.trim().split('\n').slice(1)
}

async function rowsOf(name: string, q: string): Promise<Record<string, unknown>[]> {
  return (await ndjsonLines(name, q)).map((l) => JSON.parse(l))
}

const datasetOf = async (name: string) => (await (await s.api(`/api/datasets/${name}`)).json()) as { kind: string; version: number; row_count: number; schema: { name: string; type: string }[]; provenance: Record<string, any> }
const tableFiles = async (name: string) => {
  const list = await (await s.api('/api/datasets?limit=200')).json() as { items: { id: string; name: string }[] }
  const id = list.items.find((d) => d.name === name)!.id
  return fs.readdirSync(path.join(s.dataDir, 'tables', id)).filter((f) => f.endsWith('.parquet')).sort()
}
const workFolders = () => {
  const tmp = path.join(s.dataDir, 'tmp')
  return fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.startsWith('import-')) : []
}
const queryJobs = (since: Set<string>) => [...fake.jobs.values()].filter((j) => !since.has(j.id) && !j.dryRun)

t.test('a table of every mapped type: values exact in the lakehouse', async (t) => {
  const job = await startImport({ connector_id: 'bq', source_table: 'w.types', name: 'types' })
  const done = await waitJob(job.id)
  t.equal(done.state, 'succeeded', JSON.stringify(done.error))
  t.match(done.result, { dataset: 'types', version: 0, row_count: 3 })
  const d = await datasetOf('types')
  t.equal(d.kind, 'lakehouse')
  t.same(d.schema.map((f) => `${f.name}:${f.type}`), [
    'i:int64', 'f:float64', 'n:decimal(38,9)', 'bn:string', 'b:boolean', 's:string', 'by:binary', 'd:date', 'dt:timestamp',
    'tm:time', 'ts:timestamp', 'g:string', 'j:json', 'iv:string', 'arr:json', 'rec:json',
  ], 'types as BIGQUERY.md maps them')
  t.match(d.provenance, { source: 'bigquery', connector_id: 'bq', source_table: 'w.types' })
  const lines = await ndjsonLines('types', 'order=i')
  t.equal(lines[0], String.raw`{"i":-9223372036854775808,"f":-1.5e+300,"n":"-0.000000001","bn":"0","b":false,"s":"","by":"","d":"0001-01-01","dt":"9999-12-31T23:59:59.999999Z","tm":"00:00:00.000000","ts":"1969-12-31T23:59:59.999999Z","g":null,"j":null,"iv":null,"arr":"[]","rec":null}`, 'extremes')
  t.equal(lines[1], String.raw`{"i":9223372036854775807,"f":0.1,"n":"12345678901234567890.123456789","bn":"1.123456789012345678","b":true,"s":"héllo \"x\"\n","by":"AAH/","d":"2024-02-29","dt":"2024-02-29T13:14:15.500000Z","tm":"13:14:15.123456","ts":"2023-01-01T12:00:00.123456Z","g":"POINT(1 2)","j":"{\"a\":[1,2]}","iv":"1-2 3 4:5:6.5","arr":"[9007199254740993,2]","rec":"{\"a\":-9223372036854775808,\"tags\":[\"x\",\"y\"]}"}`,
    'every type, as the fake holds it')
  t.equal(lines[2], '{"i":null,"f":null,"n":null,"bn":null,"b":null,"s":null,"by":null,"d":null,"dt":null,"tm":null,"ts":null,"g":null,"j":null,"iv":null,"arr":"[]","rec":null}', 'nulls')
  const history = await (await s.api('/api/datasets/types/history')).json() as { items: { version: number; run_id: string | null }[] }
  t.equal(history.items[0]!.run_id, job.id, 'history records the job as run_id')
})

t.test('a query with a rename; the rows are the fake\'s rows', async (t) => {
  const job = await startImport({
    connector_id: 'bq', name: 'evens', rename: { name: 'label' },
    source_query: 'SELECT id, name, amount FROM w.nums WHERE MOD(id, 2) = 0;',
  })
  const done = await waitJob(job.id)
  t.equal(done.state, 'succeeded', JSON.stringify(done.error))
  const d = await datasetOf('evens')
  t.same(d.schema.map((f) => `${f.name}:${f.type}`), ['id:int64', 'label:string', 'amount:float64'])
  t.equal(d.row_count, 2500)
  t.match(d.provenance, { source: 'bigquery', source_query: /^SELECT id, name, amount FROM w\.nums/, rename: { name: 'label' } })
  const expected = (await fake.duck('SELECT id, name, amount FROM w.nums WHERE id % 2 = 0 ORDER BY id'))
    .map(([id, name, amount]) => ({ id: Number(id), label: name, amount }))
  t.same(await rowsOf('evens', 'order=id&limit=10000'), expected, 'every row equals DuckDB\'s (the fake\'s engine)')
  t.ok((await tableFiles('evens')).length >= 2, 'part files rotate at PARQUET_ROWS_PER_FILE')
})

t.test('refusals before any job: cost guard, allow-list shape, name, unknown rename', async (t) => {
  const before = new Set(fake.jobs.keys())
  const n0 = fake.requests.length
  const cheap = await post('/api/datasets/import', { connector_id: 'bq-cheap', source_table: 'w.nums', name: 'too_big' })
  const body = await cheap.json() as { error: string; details: { estimated_bytes: number; maximum_bytes_billed: number } }
  t.equal(cheap.status, 422, JSON.stringify(body))
  t.equal(body.error, 'query_too_expensive')
  t.ok(body.details.estimated_bytes > 1000, `estimate ${body.details.estimated_bytes} in the answer`)
  t.ok(fake.requests.slice(n0).some((r) => r.body?.configuration?.dryRun === true), 'a dry run was sent')
  t.same(queryJobs(before), [], 'no query job ran')
  t.equal((await s.api('/api/datasets/too_big')).status, 404)
  t.equal((await post('/api/datasets/import', { connector_id: 'bq', source_table: 'nums', name: 'x1' })).status, 422, 'not dataset.table')
  t.equal((await post('/api/datasets/import', { connector_id: 'bq', source_table: 'w.nums', source_query: 'SELECT 1', name: 'x2' })).status, 422, 'both sources')
  t.equal((await post('/api/datasets/import', { connector_id: 'bq', source_query: 'DELETE FROM w.nums', name: 'x3' })).status, 422, 'not a SELECT')
  t.equal((await post('/api/datasets/import', { connector_id: 'bq', source_table: 'w.nums', name: 'types' })).status, 409, 'name taken')
  const bad = await post('/api/datasets/import', { connector_id: 'bq', source_table: 'w.nums', name: 'x4', rename: { nope: 'x' } })
  t.match(await bad.json(), { error: 'invalid_parameter' }, 'an unknown renamed column')
  const missing = await post('/api/datasets/import', { connector_id: 'bq', source_table: 'w.missing', name: 'x5' })
  t.match([missing.status, await missing.json()], [422, { error: 'invalid_query', message: /Not found/ }], 'BigQuery\'s notFound')
  t.same(queryJobs(before), [], 'still no query job')
})

t.test('progress while pages arrive', async (t) => {
  // 3 pages of 10,000 rows, each answered 400 ms late: progress shows between pages
  await fake.loadTable('w', 'big', nums(30_000))
  fake.faults.delay(/^GET .*\/queries\//, 400)
  t.teardown(() => fake.faults.clear())
  const job = await startImport({ connector_id: 'bq', source_table: 'w.big', name: 'big' })
  const seen: Record<string, unknown>[] = []
  let j = job
  while (j.state === 'running') {
    j = await getJob(job.id)
    seen.push(j.progress)
    await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(j.state, 'succeeded', JSON.stringify(j.error))
  const copying = seen.filter((p) => p.phase === 'copying' && typeof p.rows_copied === 'number' && (p.rows_copied as number) > 0 && (p.rows_copied as number) < 30_000)
  t.ok(copying.length > 0, `progress between pages: ${JSON.stringify([...new Set(seen.map((p) => `${p.phase}:${p.rows_copied}:${p.percent}`))])}`)
  t.ok(copying.every((p) => (p.percent as number) > 0 && (p.percent as number) < 96 && p.rows_total === 30_000), 'percent from BigQuery\'s totalRows')
  t.match(j.progress, { percent: 100, rows_copied: 30_000 })
  t.equal((await datasetOf('big')).row_count, 30_000)
})

/** Waits for the fake's query job that is not in `before` to be polled once. */
async function runningJob(before: Set<string>): Promise<JobInfo> {
  const started = Date.now()
  for (;;) {
    const j = queryJobs(before).find((x) => x.polls >= 1)
    if (j) return j
    if (Date.now() - started > 10_000) throw new Error('no query job started at the fake')
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('cancel: jobs.cancel reaches BigQuery, the job is cancelled, nothing is written', async (t) => {
  fake.faults.slowJobs(1_000_000)
  t.teardown(() => fake.faults.clear())
  const before = new Set(fake.jobs.keys())
  const job = await startImport({ connector_id: 'bq', source_table: 'w.nums', name: 'never' })
  const bqJob = await runningJob(before)
  const del = await s.api(`/api/jobs/${job.id}`, { method: 'DELETE' })
  t.equal((await del.json() as { job: JobView }).job.state, 'cancelled')
  const until = Date.now() + 1000
  while (bqJob.cancelledAt === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  t.ok(bqJob.cancelledAt !== undefined, 'jobs.cancel reached the fake within a second')
  t.ok(fake.requests.some((r) => r.method === 'POST' && r.path.endsWith(`/jobs/${bqJob.id}/cancel`)), 'the cancel names the job')
  t.equal((await s.api('/api/datasets/never')).status, 404, 'no dataset')
  t.same(workFolders(), [], 'no work folder left')

  // a refresh cancelled midway leaves the table at its version
  const v0 = await datasetOf('types')
  const files0 = await tableFiles('types')
  const before2 = new Set(fake.jobs.keys())
  const r = await post('/api/datasets/types/refresh')
  t.equal(r.status, 202)
  const refresh = (await r.json() as { job: JobView }).job
  await runningJob(before2)
  const cancelled = await s.api(`/api/jobs/${refresh.id}`, { method: 'DELETE' })
  t.equal((await cancelled.json() as { job: JobView }).job.state, 'cancelled')
  const v1 = await datasetOf('types')
  t.same([v1.version, v1.row_count], [v0.version, v0.row_count], 'no new version')
  t.same(await tableFiles('types'), files0, 'no file added to the table')
  t.same(workFolders(), [])
})

t.test('refresh: a new overwrite version with the job id as run_id; scheduled too', async (t) => {
  await fake.loadTable('w', 'src', nums(100))
  const job = await startImport({ connector_id: 'bq', source_table: 'w.src', name: 'src' })
  t.equal((await waitJob(job.id)).state, 'succeeded')
  await fake.loadTable('w', 'src', { sql: `SELECT g::BIGINT AS id, 'n' || g AS name, (g * 1.5)::DOUBLE AS amount, g % 2 = 0 AS even FROM range(1, 121) t(g)` })
  const r = await post('/api/datasets/src/refresh')
  t.equal(r.status, 202)
  const refresh = (await r.json() as { job: JobView }).job
  const done = await waitJob(refresh.id)
  t.equal(done.state, 'succeeded', JSON.stringify(done.error))
  const d = await datasetOf('src')
  t.same([d.version, d.row_count], [1, 120])
  t.same(d.schema.map((f) => f.name), ['id', 'name', 'amount', 'even'], 'the schema follows the source')
  const history = await (await s.api('/api/datasets/src/history')).json() as { items: { version: number; run_id: string | null }[] }
  t.match(history.items[0], { version: 1, run_id: refresh.id })
  t.same(await rowsOf('src', 'select=n:count()&version=0'), [{ n: 100 }], 'the previous version is still readable')

  const patch = await s.api('/api/datasets/src', { method: 'PATCH', headers: json, body: JSON.stringify({ settings: { refresh: { every: '1s' } } }) })
  t.equal(patch.status, 200, await patch.clone().text())
  await fake.loadTable('w', 'src', nums(130))
  const started = Date.now()
  for (;;) {
    const now = await datasetOf('src')
    if (now.row_count === 130) break
    if (Date.now() - started > 15_000) { t.fail(`no scheduled refresh (version ${now.version})`); break }
    await new Promise((res) => setTimeout(res, 100))
  }
  t.pass('the schedule re-imported the table')
  await s.api('/api/datasets/src', { method: 'PATCH', headers: json, body: JSON.stringify({ settings: { refresh: 'manual' } }) })

  // a registered (not imported) BigQuery dataset has nothing to refresh from
  const reg = await post('/api/datasets', { name: 'live', connector_id: 'bq', source_table: 'w.src' })
  t.equal(reg.status, 201)
  t.match(await (await post('/api/datasets/live/refresh')).json(), { error: 'unsupported_table' })
})

t.test('refresh over maximum_bytes_billed fails with query_too_expensive; the table is unchanged', async (t) => {
  const v0 = await datasetOf('src')
  const patch = await s.api('/api/connectors/bq', { method: 'PATCH', claims: ADMIN, headers: json, body: JSON.stringify({ config: { maximum_bytes_billed: 10 } }) })
  t.equal(patch.status, 200, await patch.clone().text())
  t.teardown(async () => { await s.api('/api/connectors/bq', { method: 'PATCH', claims: ADMIN, headers: json, body: JSON.stringify({ config: { maximum_bytes_billed: null } }) }) })
  const before = new Set(fake.jobs.keys())
  const refresh = (await (await post('/api/datasets/src/refresh')).json() as { job: JobView }).job
  const done = await waitJob(refresh.id)
  t.equal(done.state, 'failed')
  t.match(done.error, { error: 'query_too_expensive', message: /maximum_bytes_billed/ })
  t.same(queryJobs(before), [], 'only the dry run reached BigQuery')
  t.equal((await datasetOf('src')).version, v0.version)
})

t.test('a 500 from BigQuery mid-import: the job fails clearly, nothing half-written', async (t) => {
  await fake.loadTable('w', 'mid', nums(25_000))
  const job0 = await startImport({ connector_id: 'bq', source_table: 'w.mid', name: 'mid' })
  t.equal((await waitJob(job0.id)).state, 'succeeded')
  const files0 = await tableFiles('mid')

  // the second page fails: every results call is 300 ms late, and once the first one arrived
  // (recorded on arrival, before its delay) the next one answers 500 backendError
  const fail = async (start: () => Promise<JobView>) => {
    fake.faults.delay(/^GET .*\/queries\//, 300)
    const before = new Set(fake.jobs.keys())
    const n0 = fake.requests.length
    const job = await start()
    while (!fake.requests.slice(n0).some((r) => r.method === 'GET' && r.path.includes('/queries/'))) await new Promise((r) => setTimeout(r, 5))
    fake.faults.fail(/^GET .*\/queries\//, 'backendError', { times: 1 })
    const done = await waitJob(job.id)
    fake.faults.clear()
    const bqJob = queryJobs(before)[0]!
    t.ok(bqJob.polls >= 1 && bqJob.polls < 3, 'the failure came after the first page')
    return done
  }
  const refresh = await fail(async () => (await (await post('/api/datasets/mid/refresh')).json() as { job: JobView }).job)
  t.equal(refresh.state, 'failed')
  t.match(refresh.error, { error: 'connector_unavailable', message: /500 backendError: Backend error/ }, 'BigQuery\'s error, clearly')
  const d = await datasetOf('mid')
  t.same([d.version, d.row_count], [0, 25_000], 'the table stays at its last committed version')
  t.same(await tableFiles('mid'), files0, 'no part file of the failed copy remains in the table')
  t.same(await rowsOf('mid', 'select=n:count()'), [{ n: 25_000 }])

  const fresh = await fail(() => startImport({ connector_id: 'bq', source_table: 'w.mid', name: 'mid2' }))
  t.equal(fresh.state, 'failed')
  t.match(fresh.error, { error: 'connector_unavailable' })
  t.equal((await s.api('/api/datasets/mid2')).status, 404, 'no dataset')
  const list = await (await s.api('/api/datasets?limit=200')).json() as { items: { id: string }[] }
  const ids = new Set(list.items.map((x) => x.id))
  t.same(fs.readdirSync(path.join(s.dataDir, 'tables')).filter((id) => !ids.has(id)), [], 'no table folder without a dataset')
  t.same(workFolders(), [], 'no work folder left')
})
