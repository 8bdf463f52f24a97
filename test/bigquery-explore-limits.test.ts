// Limits of BigQuery explore over real HTTP, the real client against the BigQuery fake:
// a 429 (rate limit, quota) before any byte is a real HTTP 429 with BigQuery's Retry-After
// (it crosses the worker boundary in TaskFailure.retryAfterSeconds); after the first byte it
// ends the body as API.md's mid-stream convention says, naming when to retry. And the
// connector's job slots (pool_size, queue_timeout): over the cap a query waits FIFO, then
// 503 overloaded, as a PostgreSQL connector's pool.
import t from 'tap'
import { startServer } from './helpers/server.js'
import { startBigQueryFake, type JobInfo } from './helpers/bigquery-fake.js'

const json = { 'content-type': 'application/json' }
const ADMIN = { roles: ['admin'] }

const fake = await startBigQueryFake({ projectId: 'test-project' })
t.teardown(() => fake.close())
// 25,000 rows: three result pages of 10,000 (BQ_PAGE_ROWS)
await fake.loadTable('w', 'big', { sql: `SELECT g::BIGINT AS id FROM range(1, 25001) t(g)` })

const s = await startServer()
t.teardown(() => s.stop())
const base = { project_id: 'test-project', api_endpoint: fake.url }
for (const c of [
  { id: 'bq', type: 'bigquery', config: base },
  { id: 'bq-one', type: 'bigquery', config: { ...base, pool_size: 1, queue_timeout: '500ms' } },
  { id: 'bq-queue', type: 'bigquery', config: { ...base, pool_size: 1, queue_timeout: '20s' } },
]) {
  const r = await s.api('/api/connectors', { method: 'POST', claims: ADMIN, headers: json, body: JSON.stringify(c) })
  if (r.status !== 201) throw new Error(`connector ${c.id}: ${r.status} ${await r.text()}`)
}
for (const [name, connector] of [['big', 'bq'], ['big_one', 'bq-one'], ['big_queue', 'bq-queue']]) {
  const r = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name, connector_id: connector, source_table: 'w.big' }) })
  if (r.status !== 201) throw new Error(`dataset ${name}: ${r.status} ${await r.text()}`)
}

const explore = (name: string, q: string, init: RequestInit = {}) => s.api(`/api/datasets/${name}/explore?${q}`, init)
const queryJobs = (since: Set<string>) => [...fake.jobs.values()].filter((j) => !since.has(j.id) && !j.dryRun)

t.test('a 429 before any byte: HTTP 429 with BigQuery\'s Retry-After', async (t) => {
  t.teardown(() => fake.faults.clear())
  fake.faults.fail(/^GET .*\/queries\//, 'rateLimitExceeded', { times: 1, retryAfterSeconds: 7 })
  const r = await explore('big', 'select=id&order=id&limit=5')
  const body = await r.json() as { error: string; message: string }
  t.equal(r.status, 429, JSON.stringify(body))
  t.equal(body.error, 'rate_limited')
  t.equal(r.headers.get('retry-after'), '7', 'the header survives the worker boundary')
  t.match(body.message, /retry after 7 s/)

  fake.faults.fail(/^POST .*\/jobs$/, 'quotaExceeded', { times: 1, retryAfterSeconds: 30 })
  const q = await explore('big', 'select=id&order=id&limit=5&format=csv')
  t.equal(q.status, 429)
  t.equal(q.headers.get('retry-after'), '30', 'a quota error on jobs.insert too')

  fake.faults.fail(/^GET .*\/queries\//, 'quotaExceeded', { times: 1 })
  const d = await explore('big', 'select=id&order=id&limit=5')
  t.equal(d.status, 429)
  t.equal(d.headers.get('retry-after'), '60', 'BigQuery gave none: the quota default')

  const ok = await explore('big', 'select=id&order=id&limit=3')
  t.same((await ok.json() as { rows: unknown[] }).rows, [{ id: 1 }, { id: 2 }, { id: 3 }], 'the next query runs')
})

t.test('a 429 after the first byte: the mid-stream error convention', async (t) => {
  t.teardown(() => fake.faults.clear())
  // every results call is 300 ms late; once the first arrived (recorded before its delay),
  // the next one — the second page — answers rateLimitExceeded
  const run = async (format: string) => {
    fake.faults.delay(/^GET .*\/queries\//, 300)
    const n0 = fake.requests.length
    const pending = explore('big', `select=id&order=id&format=${format}`)
    while (!fake.requests.slice(n0).some((r) => r.method === 'GET' && r.path.includes('/queries/'))) await new Promise((r) => setTimeout(r, 5))
    fake.faults.fail(/^GET .*\/queries\//, 'rateLimitExceeded', { times: 1, retryAfterSeconds: 7 })
    const r = await pending
    const text = await r.text()
    fake.faults.clear()
    return { r, text }
  }
  const nd = await run('ndjson')
  t.equal(nd.r.status, 200, 'the headers had gone out with the first page')
  const lines = nd.text.trim().split('\n')
  t.equal(lines.length, 1 + 10_000 + 1, 'header, the first page, the error line')
  t.match(JSON.parse(lines.at(-1)!), { error: { error: 'rate_limited', message: /retry after 7 s/ } }, 'NDJSON ends with an error line naming when to retry')

  const js = await run('json')
  t.equal(js.r.status, 200)
  const doc = JSON.parse(js.text) as { rows: unknown[]; error: { error: string; message: string } }
  t.equal(doc.rows.length, 10_000)
  t.match(doc.error, { error: 'rate_limited', message: /retry after 7 s/ }, 'JSON ends with ],"error":{...}}')
  t.notOk('row_count' in doc, 'never a clean end')
})

/** Waits until the fake has a query job not in `before` that was polled. */
async function runningJob(before: Set<string>): Promise<JobInfo> {
  const started = Date.now()
  for (;;) {
    const j = queryJobs(before).find((x) => x.polls >= 1)
    if (j) return j
    if (Date.now() - started > 10_000) throw new Error('no query job started at the fake')
    await new Promise((r) => setTimeout(r, 10))
  }
}

t.test('job slots: over pool_size a query waits, then 503 overloaded', async (t) => {
  t.teardown(() => fake.faults.clear())
  fake.faults.slowJobs(1_000_000) // jobs never complete: the first stream holds its slot
  const before = new Set(fake.jobs.keys())
  const ctrl = new AbortController()
  const first = explore('big_one', 'select=id&order=id', { signal: ctrl.signal }).catch(() => null)
  const held = await runningJob(before)

  const started = Date.now()
  const second = await explore('big_one', 'select=id&order=id&limit=1')
  const waited = Date.now() - started
  const body = await second.json() as { error: string; message: string }
  t.equal(second.status, 503, JSON.stringify(body))
  t.equal(body.error, 'overloaded')
  t.match(body.message, /pool_size/)
  t.ok(waited >= 450, `it queued for queue_timeout first (${waited} ms)`)
  t.equal(queryJobs(before).length, 1, 'the second query never reached BigQuery')

  // the cap is per connector: another connector's query runs meanwhile
  const ctrl2 = new AbortController()
  const afterSecond = new Set(fake.jobs.keys())
  const other = explore('big', 'select=id&order=id', { signal: ctrl2.signal }).catch(() => null)
  await runningJob(afterSecond)
  t.pass('a query on another connector reached BigQuery')
  ctrl2.abort()
  ctrl.abort()
  await Promise.all([first, other])
  const until = Date.now() + 2000
  while (held.cancelledAt === undefined && Date.now() < until) await new Promise((r) => setTimeout(r, 10))
  t.ok(held.cancelledAt !== undefined, 'the first job was cancelled when its client left')
  fake.faults.clear()
  const third = await explore('big_one', 'select=id&order=id&limit=2')
  t.same([third.status, (await third.json() as { rows: unknown[] }).rows], [200, [{ id: 1 }, { id: 2 }]], 'the slot is free again')
})

t.test('job slots: a waiting query runs as soon as the slot frees (FIFO)', async (t) => {
  t.teardown(() => fake.faults.clear())
  fake.faults.slowJobs(1_000_000)
  const before = new Set(fake.jobs.keys())
  const ctrl = new AbortController()
  const first = explore('big_queue', 'select=id&order=id', { signal: ctrl.signal }).catch(() => null)
  await runningJob(before)
  const second = explore('big_queue', 'select=id&order=id&limit=2')
  await new Promise((r) => setTimeout(r, 300))
  t.equal(queryJobs(before).length, 1, 'the second query waits for the slot, not at BigQuery')
  fake.faults.clear()
  ctrl.abort()
  await first
  const r = await second
  t.same([r.status, (await r.json() as { rows: unknown[] }).rows], [200, [{ id: 1 }, { id: 2 }]], 'served once the first left')
})

t.test('pool_size and queue_timeout are validated', async (t) => {
  for (const [config, key] of [[{ pool_size: 0 }, 'config.pool_size'], [{ pool_size: 101 }, 'config.pool_size'], [{ queue_timeout: 'soon' }, 'config.queue_timeout']] as const) {
    const r = await s.api('/api/connectors', { method: 'POST', claims: ADMIN, headers: json, body: JSON.stringify({ id: 'bad', type: 'bigquery', config: { ...base, ...config } }) })
    const b = await r.json() as { error: string; message: string }
    t.equal(r.status, 422, JSON.stringify(b))
    t.match(b, { error: 'invalid_parameter', message: new RegExp(key.replace('.', '\\.')) })
  }
  const got = await (await s.api('/api/connectors/bq-one', { claims: ADMIN })).json() as { config: Record<string, unknown> }
  t.match(got.config, { pool_size: 1, queue_timeout: '500ms' })
})
