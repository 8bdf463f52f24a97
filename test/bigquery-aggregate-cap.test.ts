// Aggregate answers (profiles, column stats) are read on the main thread, so runBqAggregate
// refuses to read on past MAX_AGG_ROWS rows and cancels the job: main-thread work never
// grows with a table's rows, even if a statement we built were wrong.
import t from 'tap'
import type { BigQueryConnection } from '../proto/bigquery.js'
import { MAX_AGG_ROWS, runBqAggregate } from '../src/connectors/bigquery-dataset.js'
import { startBigQueryFake } from './helpers/bigquery-fake.js'

const fake = await startBigQueryFake({ projectId: 'test-project', defaultPageSize: 1000 })
t.teardown(() => fake.close())
const conn: BigQueryConnection = { projectId: 'test-project', location: null, apiEndpoint: fake.url, credentials: null, jobTimeoutMs: 60_000, maximumBytesBilled: null }
const rowsSql = (n: number) => `SELECT x FROM UNNEST(GENERATE_ARRAY(1, ${n})) AS x ORDER BY x`

t.test('an answer within the cap is read whole', async (t) => {
  const r = await runBqAggregate(conn, 'bq', rowsSql(2500), [], new AbortController().signal)
  t.same(r.names, ['x'])
  t.equal(r.rows.length, 2500)
  t.ok(r.rows.every((row) => row.length === 1), 'one cell per row')
})

t.test('an answer over the cap is refused and its job cancelled', async (t) => {
  const before = fake.requests.length
  await t.rejects(runBqAggregate(conn, 'bq', rowsSql(MAX_AGG_ROWS + 20_001), [], new AbortController().signal),
    { status: 500, code: 'internal', message: new RegExp(`more than ${MAX_AGG_ROWS} rows`) })
  const after = fake.requests.slice(before)
  t.ok(after.some((r) => r.method === 'POST' && /\/cancel$/.test(r.path)), 'jobs.cancel reached BigQuery')
})
