// Profiles and column stats of BigQuery-backed datasets over real HTTP, on the BigQuery fake
// through the real client library: the same rows in PostgreSQL and BigQuery give the same
// profile and column stats (field by field; floats to 12 significant digits), a few values
// computed by hand, the cost guard, the cache; a masked caller only ever sees masked stats
// (the same masked profile as PostgreSQL's, no raw value in any body), and the jobs the fake
// recorded carry every value as a named parameter, never in the SQL text.
import t from 'tap'
import { generateRows } from './helpers/data.js'
import { salesInTwoEngines } from './helpers/sales-two-engines.js'
import { startBigQueryFake, type BigQueryFake } from './helpers/bigquery-fake.js'
import { startServer, type Claims, type TestServer } from './helpers/server.js'
import { CREATOR, EVE, PEOPLE, READER, RULES, patchMasking, rawStrings } from './helpers/masking-attacks.js'

const rows = generateRows(400, 23)
const ADMIN = { org: 'acme', roles: ['admin'], sub: 'root' }
const json = { 'content-type': 'application/json' }

type Sub = Parameters<Parameters<typeof t.test>[0]>[0]
type Col = Record<string, any>
interface Profile { row_count: number; version: number | null; columns: Col[]; sample: unknown; cached: boolean }

async function createBqConnector(s: TestServer, fake: BigQueryFake, id: string, extra: Record<string, unknown> = {}): Promise<void> {
  const res = await s.api('/api/connectors', {
    method: 'POST', claims: ADMIN, headers: json,
    body: JSON.stringify({ id, type: 'bigquery', config: { project_id: fake.projectId, api_endpoint: fake.url, ...extra } }),
  })
  if (res.status !== 201) throw new Error(`creating connector ${id}: ${res.status} ${await res.text()}`)
}

const register = async (s: TestServer, body: Record<string, unknown>, claims: Claims = ADMIN) => {
  const r = await s.api('/api/datasets', { method: 'POST', claims, headers: json, body: JSON.stringify(body) })
  if (r.status !== 201) throw new Error(`registering ${String(body.name)}: ${r.status} ${await r.text()}`)
}

const FLOAT_KEYS = new Set(['mean', 'stddev', 'p25', 'p50', 'p75', 'mean_length', 'null_rate'])
const close = (a: unknown, b: unknown) => typeof a === 'number' && typeof b === 'number'
  ? Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))
  : a === b

/** Every field of every column equal (floats within 1e-9 relative), same keys. */
function sameProfiles(t: Sub, bq: Profile, pg: Profile, label: string): void {
  t.equal(bq.row_count, pg.row_count, `${label}: row_count`)
  t.same(bq.columns.map((c) => c.name), pg.columns.map((c) => c.name), `${label}: columns`)
  for (const [i, b] of bq.columns.entries()) {
    const p = pg.columns[i]!
    t.same(Object.keys(b).sort(), Object.keys(p).sort(), `${label}: ${b.name} has the same fields`)
    for (const k of Object.keys(p)) {
      if (FLOAT_KEYS.has(k)) t.ok(close(b[k], p[k]), `${label}: ${b.name}.${k} ${b[k]} ≈ ${p[k]}`)
      else t.same(b[k], p[k], `${label}: ${b.name}.${k}`)
    }
  }
}

async function profile(s: TestServer, name: string, query = '', claims: Claims = ADMIN): Promise<{ status: number; text: string; body: Profile }> {
  const r = await s.api(`/api/datasets/${name}/profile${query}`, { claims })
  const text = await r.text()
  return { status: r.status, text, body: r.status === 200 ? JSON.parse(text) as Profile : (null as never) }
}

/** The query jobs (not dry runs) the fake received since `from`. */
const queryJobs = (fake: BigQueryFake, from = 0) => fake.requests.slice(from)
  .filter((r) => r.method === 'POST' && /\/jobs$/.test(r.path) && r.body?.configuration?.dryRun !== true)
  .map((r) => r.body.configuration.query as { query: string; queryParameters: { name: string; parameterType: { type: string }; parameterValue: { value: string } }[]; parameterMode: string })
const dryRuns = (fake: BigQueryFake, from = 0) => fake.requests.slice(from)
  .filter((r) => r.method === 'POST' && /\/jobs$/.test(r.path) && r.body?.configuration?.dryRun === true)

t.test('BigQuery profiles and column stats', async (t) => {
  const { s, db } = await salesInTwoEngines(t, rows)
  const fake = await startBigQueryFake({ projectId: 'test-project', defaultPageSize: 1000 })
  t.teardown(() => fake.close())
  await fake.loadTable('shop', 'sales', {
    schema: [
      { name: 'id', type: 'INT64', mode: 'REQUIRED' }, { name: 'region', type: 'STRING' }, { name: 'ts', type: 'TIMESTAMP', mode: 'REQUIRED' },
      { name: 'day', type: 'DATE', mode: 'REQUIRED' }, { name: 'qty', type: 'INT64', mode: 'REQUIRED' }, { name: 'amount', type: 'FLOAT64' },
      { name: 'ok', type: 'BOOL', mode: 'REQUIRED' }, { name: 'label', type: 'STRING', mode: 'REQUIRED' },
    ],
    rows: rows.map((r) => [r.id, r.region, r.ts, r.day, r.qty, r.amount, r.ok, r.label]),
  })
  await createBqConnector(s, fake, 'bq')
  await createBqConnector(s, fake, 'bq-cheap', { maximum_bytes_billed: '1000' })
  await register(s, { name: 'sales_pg', connector_id: 'warehouse', source_table: 'public.sales' })
  await register(s, { name: 'sales_bq', connector_id: 'bq', source_table: 'shop.sales' })

  t.test('the same profile as PostgreSQL, field by field', async (t) => {
    const before = fake.requests.length
    const [b, p] = await Promise.all([profile(s, 'sales_bq'), profile(s, 'sales_pg')])
    t.equal(b.status, 200, b.text.slice(0, 500))
    t.equal(p.status, 200, p.text.slice(0, 500))
    sameProfiles(t, b.body, p.body, 'all columns')
    t.equal(b.body.version, null)
    t.equal(b.body.sample, null, 'every row read')
    t.equal(b.body.cached, false)

    // by hand
    const col = (n: string) => b.body.columns.find((c) => c.name === n)!
    t.equal(b.body.row_count, rows.length)
    const qty = rows.map((r) => r.qty)
    t.equal(col('qty').min, Math.min(...qty))
    t.equal(col('qty').max, Math.max(...qty))
    t.equal(col('qty').distinct_count, new Set(qty).size)
    t.equal(col('qty').distinct_approximate, false, 'COUNT(DISTINCT) is exact')
    t.equal(col('region').null_count, rows.filter((r) => r.region === null).length)
    const counts = new Map<string, number>()
    for (const r of rows) if (r.region !== null) counts.set(r.region, (counts.get(r.region) ?? 0) + 1)
    const top = [...counts].sort((x, y) => y[1] - x[1] || (x[0] < y[0] ? -1 : 1)).map(([value, count]) => ({ value, count }))
    t.same(col('region').top_values, top, 'region top values by count, then value')
    const sortedTs = rows.map((r) => r.ts).sort()
    t.equal(col('ts').min, sortedTs[0])
    t.equal(col('ts').max, sortedTs[sortedTs.length - 1])
    const h = col('ts').histogram as { bucket: string; bins: { start: string; count: number }[] }
    t.equal(h.bucket, 'day', '90 days of timestamps: daily buckets')
    t.equal(h.bins.reduce((n, x) => n + x.count, 0), rows.length, 'every row in a bin')
    t.equal(h.bins[0]!.start, `${sortedTs[0]!.slice(0, 10)}T00:00:00.000000Z`)
    const dayMs = (x: string) => Date.parse(x.slice(0, 10))
    t.equal(h.bins.length, (dayMs(sortedTs[sortedTs.length - 1]!) - dayMs(sortedTs[0]!)) / 86_400_000 + 1, 'empty days included')
    const label = col('label')
    t.equal(label.max_length, Math.max(...rows.map((r) => [...r.label].length)), 'lengths in characters')

    // what BigQuery was sent
    const jobs = queryJobs(fake, before)
    t.ok(jobs.length >= 3 && jobs.length <= 4, `${jobs.length} query jobs (scalar, quantiles, top values, histograms)`)
    t.equal(dryRuns(fake, before).length, 1, 'one dry run: the cost guard')
    const topJob = jobs.find((j) => j.query.includes('@top_n'))
    t.ok(topJob, 'top values LIMIT is a parameter')
    t.same(topJob!.queryParameters, [{ name: 'top_n', parameterType: { type: 'INT64' }, parameterValue: { value: '10' } }])
    t.ok(jobs.every((j) => j.parameterMode === 'NAMED'))
    t.ok(jobs.every((j) => !/LIMIT 10\b/.test(j.query)), 'no value inlined')
    t.ok(jobs.every((j) => j.query.includes('`test-project.shop.sales`')), 'backtick-quoted table path')
  })

  t.test('columns= and top=, and the cache', async (t) => {
    const q = '?columns=label,ok,amount&top=3'
    const [b, p] = await Promise.all([profile(s, 'sales_bq', q), profile(s, 'sales_pg', q)])
    t.equal(b.status, 200, b.text.slice(0, 300))
    sameProfiles(t, b.body, p.body, 'columns=label,ok,amount&top=3')
    t.equal(b.body.columns[0]!.top_values.length, 3)
    const before = fake.requests.length
    const again = await profile(s, 'sales_bq', q)
    t.equal(again.body.cached, true, 'cached')
    t.equal(fake.requests.length, before, 'no BigQuery request for a cached profile')
  })

  t.test('unknown column, time travel', async (t) => {
    const u = await profile(s, 'sales_bq', '?columns=nope')
    t.equal(u.status, 422)
    t.match(JSON.parse(u.text), { error: 'invalid_parameter' })
    const v = await profile(s, 'sales_bq', '?version=1')
    t.equal(v.status, 422, v.text)
  })

  t.test('cost guard: over maximum_bytes_billed is 422 query_too_expensive, nothing run', async (t) => {
    await register(s, { name: 'sales_small', connector_id: 'bq', source_query: 'SELECT id, qty FROM shop.sales WHERE id <= 3' })
    // registered while small (8 bytes), then the table grows past the 1000-byte limit
    await fake.loadTable('shop', 'grows', { schema: [{ name: 'one', type: 'INT64' }], rows: [[1]] })
    await register(s, { name: 'grows_cheap', connector_id: 'bq-cheap', source_table: 'shop.grows' })
    await fake.loadTable('shop', 'grows', { schema: [{ name: 'one', type: 'INT64' }], rows: Array.from({ length: 500 }, (_, i) => [i]) })
    const before = fake.requests.length
    const r = await profile(s, 'grows_cheap')
    t.equal(r.status, 422, r.text)
    t.match(JSON.parse(r.text), { error: 'query_too_expensive' })
    t.equal(queryJobs(fake, before).length, 0, 'no query job was started')
    t.equal(dryRuns(fake, before).length, 1, 'the dry run said no')
    const small = await profile(s, 'sales_small')
    t.equal(small.status, 200, small.text)
    t.equal(small.body.row_count, 3)
  })

  t.test('column stats: the same body as PostgreSQL', async (t) => {
    for (const q of [
      'time_column=ts&bucket=1d&window=30d',
      'time_column=ts&bucket=1w&from=2024-01-01&to=2024-04-01&columns=qty,amount,region,ok,day,label',
      'time_column=day&bucket=1d&from=2024-02-01&to=2024-02-15&columns=id,ts',
      'time_column=ts&bucket=1h&from=2024-01-10T00:00:00Z&to=2024-01-11T00:00:00Z&rolling=3',
    ]) {
      const before = fake.requests.length
      const [b, p] = await Promise.all([
        s.api(`/api/datasets/sales_bq/column-stats?${q}`, { claims: ADMIN }), s.api(`/api/datasets/sales_pg/column-stats?${q}`, { claims: ADMIN }),
      ])
      const [bt, pt] = [await b.text(), await p.text()]
      t.equal(b.status, 200, `${q}: ${bt.slice(0, 300)}`)
      t.equal(p.status, 200, `${q}: ${pt.slice(0, 300)}`)
      const round = (_k: string, v: unknown) => (typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v)
      t.same(JSON.parse(bt, round), JSON.parse(pt, round), q)
      const jobs = queryJobs(fake, before)
      t.ok(jobs.every((j) => !/\b2024\b|\b1\d{15}\b/.test(j.query)), `${q}: bounds are parameters`)
      t.ok(jobs.some((j) => j.queryParameters.some((x) => x.name === 'from_us')), `${q}: @from_us sent`)
    }
    // by hand: one day's count
    const r = await (await s.api('/api/datasets/sales_bq/column-stats?time_column=day&bucket=1d&from=2024-02-01&to=2024-02-02&columns=id', { claims: ADMIN })).json() as { buckets: { start: string; count?: number; columns: Record<string, { count: number }> }[] }
    const n = rows.filter((x) => x.day === '2024-02-01').length
    t.equal(r.buckets[0]!.columns.id!.count, n, `2024-02-01 holds ${n} rows`)
  })
  void db
})

t.test('masked callers see masked profiles and column stats only', async (t) => {
  const { s, db } = await salesInTwoEngines(t, [])
  await db.query(`CREATE TABLE public.people (id int8 PRIMARY KEY, email text NOT NULL, contact text NOT NULL, card text NOT NULL, ssn text,
    phone text NOT NULL, amount int8 NOT NULL, acct int8 NOT NULL, born date NOT NULL, ts timestamptz NOT NULL, region text NOT NULL)`)
  for (const p of PEOPLE) {
    await db.query('INSERT INTO public.people VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)',
      [p.id, p.email, p.contact, p.card, p.ssn, p.phone, p.amount, p.acct, p.born, p.ts, p.region])
  }
  const fake = await startBigQueryFake({ projectId: 'test-project' })
  t.teardown(() => fake.close())
  await fake.loadTable('crm', 'people', {
    schema: [
      { name: 'id', type: 'INT64', mode: 'REQUIRED' }, { name: 'email', type: 'STRING' }, { name: 'contact', type: 'STRING' },
      { name: 'card', type: 'STRING' }, { name: 'ssn', type: 'STRING' }, { name: 'phone', type: 'STRING' }, { name: 'amount', type: 'INT64' },
      { name: 'acct', type: 'INT64' }, { name: 'born', type: 'DATE' }, { name: 'ts', type: 'TIMESTAMP' }, { name: 'region', type: 'STRING' },
    ],
    rows: PEOPLE.map((p) => [p.id, p.email, p.contact, p.card, p.ssn, p.phone, p.amount, p.acct, p.born, p.ts, p.region]),
  })
  await createBqConnector(s, fake, 'bq')
  await register(s, { name: 'people_pg', connector_id: 'warehouse', source_table: 'public.people' }, CREATOR)
  await register(s, { name: 'people_bq', connector_id: 'bq', source_table: 'crm.people' }, CREATOR)
  for (const n of ['people_pg', 'people_bq']) t.equal((await patchMasking(s, n, RULES)).status, 200, `rules on ${n}`)
  const raw = rawStrings()

  t.test('profile: no raw value, and the same masked profile as PostgreSQL', async (t) => {
    const before = fake.requests.length
    const [b, p] = await Promise.all([profile(s, 'people_bq', '', EVE), profile(s, 'people_pg', '', EVE)])
    t.equal(b.status, 200, b.text.slice(0, 400))
    // histograms list every day between the masked min and max (empty bins too): check bins apart
    const noBins = JSON.stringify(b.body.columns.map(({ histogram, ...c }) => c))
    for (const v of raw) t.notOk(noBins.includes(v), `raw ${JSON.stringify(v)} not in the profile`)
    sameProfiles(t, b.body, p.body, 'masked')
    const col = (n: string) => b.body.columns.find((c) => c.name === n)!
    const filled = (n: string) => (col(n).histogram.bins as { start: string; count: number }[]).filter((x) => x.count > 0).map((x) => x.start)
    t.same(filled('ts'), ['2024-03-01T00:00:00.000000Z', '2024-04-01T00:00:00.000000Z'], 'ts rows only in the masked (month) bins')
    t.same(filled('born'), ['1985-01-01', '1990-01-01'], 'born rows only in the masked (year) bins')
    for (const n of ['email', 'contact', 'card', 'ssn', 'phone', 'amount', 'acct', 'born', 'ts']) t.equal(col(n).masked, true, `${n} masked`)
    t.equal(col('region').masked, false)
    t.same(col('amount').min, 0)
    t.same(col('amount').max, 3000)
    t.equal(col('phone').null_count, PEOPLE.length, 'the null strategy nulls every value')
    t.same(col('email').top_values[0], { value: '****@corp-one.example', count: 5 })
    t.match(col('acct').min, /^[0-9a-f]{64}$/, 'hashed')
    // the salt travels as a parameter only
    const jobs = queryJobs(fake, before)
    const salt = jobs.flatMap((j) => j.queryParameters).find((x) => x.name === 'mask_salt')?.parameterValue.value
    t.ok(salt && salt.length >= 16, 'the salt is the @mask_salt parameter')
    t.ok(jobs.every((j) => !j.query.includes(salt!)), 'never in SQL text')
    t.ok(jobs.every((j) => !raw.some((v) => v.length > 4 && j.query.includes(v))), 'no raw value in SQL text')
  })

  t.test('a reader with the unmask role sees raw values (another cache entry)', async (t) => {
    const r = await profile(s, 'people_bq', '?columns=email', READER)
    t.equal(r.status, 200)
    t.equal(r.body.columns[0]!.masked, false)
    t.ok(r.text.includes('alice.smith@corp-one.example'))
    const e = await profile(s, 'people_bq', '?columns=email', EVE)
    t.notOk(e.text.includes('alice.smith'), 'the masked caller still sees masked values')
  })

  t.test('column stats: masked time column and values', async (t) => {
    const q = 'time_column=ts&bucket=1d&from=2024-03-01&to=2024-05-01&columns=email,amount,card,born,region'
    const [b, p] = await Promise.all([s.api(`/api/datasets/people_bq/column-stats?${q}`, { claims: EVE }), s.api(`/api/datasets/people_pg/column-stats?${q}`, { claims: EVE })])
    const [bt, pt] = [await b.text(), await p.text()]
    t.equal(b.status, 200, bt.slice(0, 300))
    // every bucket of the range is listed (empty ones too): check the values apart from the grid
    const noStarts = bt.replace(/"start":"[^"]*"/g, '')
    for (const v of raw) t.notOk(noStarts.includes(v), `raw ${JSON.stringify(v)} not in column stats`)
    t.same(JSON.parse(bt), JSON.parse(pt), 'the same masked column stats as PostgreSQL')
    const body = JSON.parse(bt) as { time_column_masked?: boolean; buckets: { start: string; columns: Record<string, { count: number }> }[] }
    const nonEmpty = body.buckets.filter((x) => (x.columns.email?.count ?? 0) > 0).map((x) => x.start)
    t.same(nonEmpty, ['2024-03-01T00:00:00.000000Z', '2024-04-01T00:00:00.000000Z'], 'rows only on the masked (month-truncated) days')
  })
})

t.test('a table above PROFILE_SAMPLE_ROWS is profiled on a TABLESAMPLE', async (t) => {
  const s = await startServer({ PROFILE_SAMPLE_ROWS: '100' })
  t.teardown(() => s.stop())
  const fake = await startBigQueryFake({ projectId: 'test-project' })
  t.teardown(() => fake.close())
  await fake.loadTable('shop', 'sales', {
    schema: [{ name: 'id', type: 'INT64' }, { name: 'region', type: 'STRING' }],
    rows: rows.map((r) => [r.id, r.region]),
  })
  await createBqConnector(s, fake, 'bq')
  await register(s, { name: 'big_bq', connector_id: 'bq', source_table: 'shop.sales' })
  await register(s, { name: 'big_q', connector_id: 'bq', source_query: 'SELECT id, region FROM shop.sales' })
  const before = fake.requests.length
  const p = await profile(s, 'big_bq')
  t.equal(p.status, 200, p.text.slice(0, 300))
  t.same(p.body.sample, { method: 'tablesample_system', fraction: 100 / rows.length })
  const id = p.body.columns[0]!
  t.equal(id.distinct_approximate, true)
  t.equal(id.quantiles_approximate, true)
  t.equal(p.body.columns[1]!.top_values_approximate, true)
  const jobs = queryJobs(fake, before)
  t.ok(jobs.length > 0 && jobs.every((j) => j.query.includes(`TABLESAMPLE SYSTEM (${100 * 100 / rows.length} PERCENT)`)), 'every job reads the sample')
  const q = await profile(s, 'big_q')
  t.equal(q.body.sample, null, 'a source query is read in full')
  t.equal(q.body.row_count, rows.length)
})
