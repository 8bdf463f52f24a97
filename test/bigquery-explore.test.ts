// BigQuery-backed datasets over real HTTP, on the BigQuery fake: the same sales rows in
// BigQuery, PostgreSQL and a lakehouse upload answer every query identically in all four
// formats; a masked caller sees masked values (the same as the lakehouse kernel), the salt
// travels as the @mask_salt parameter and never in SQL text; a client that leaves cancels
// the BigQuery job.
import t from 'tap'
import { generateRows } from './helpers/data.js'
import { salesInTwoEngines } from './helpers/sales-two-engines.js'
import { startBigQueryFake, type BigQueryFake } from './helpers/bigquery-fake.js'
import { uploadForm, type TestServer } from './helpers/server.js'
import {
  CREATOR, EVE, PEOPLE, RULES, allFormats, assertFormatsAgree, assertNoRaw, objects, patchMasking, peopleAttacks, readerSeesRaw, type AllFormats,
} from './helpers/masking-attacks.js'

const rows = generateRows(600, 11)
const ADMIN = { org: 'acme', roles: ['admin'], sub: 'root' }

function roundFloats(list: Record<string, unknown>[]): Record<string, unknown>[] {
  return list.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => {
    if (typeof v === 'string' && /^-?\d+\.\d{7,}(e[+-]\d+)?$/.test(v)) return [k, String(Number(Number(v).toPrecision(12)))]
    return [k, typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v]
  })))
}

async function createBqConnector(s: TestServer, fake: BigQueryFake, id: string): Promise<void> {
  const res = await s.api('/api/connectors', {
    method: 'POST', claims: ADMIN, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, type: 'bigquery', config: { project_id: fake.projectId, api_endpoint: fake.url } }),
  })
  if (res.status !== 201) throw new Error(`creating connector ${id}: ${res.status} ${await res.text()}`)
}

const register = (s: TestServer, body: Record<string, unknown>, claims: Record<string, unknown> = ADMIN) => s.api('/api/datasets', {
  method: 'POST', claims, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body),
})

t.test('explore pushed down to BigQuery', async (t) => {
  const { s } = await salesInTwoEngines(t, rows)
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
  const pg = await register(s, { name: 'sales_pg', connector_id: 'warehouse', source_table: 'public.sales' })
  t.equal(pg.status, 201, await pg.clone().text())
  const bq = await register(s, { name: 'sales_bq', connector_id: 'bq', source_table: 'shop.sales' })
  const bqBody = await bq.text()
  if (bq.status !== 201) {
    t.fail(`registering a BigQuery dataset answered ${bq.status} ${bqBody.slice(0, 400)} (the register route is the other engineer's)`)
    return
  }
  t.equal(JSON.parse(bqBody).kind, 'connector')

  t.test('every query answers as PostgreSQL and the lakehouse, in all four formats', async (t) => {
    const queries = [
      'select=id,label&order=id&limit=50&offset=100',
      'select=id,region,ts,day,qty,amount,ok,label&order=id&limit=200',
      'select=id&order=id&region=eq.EU', 'select=id&order=id&qty=gte.50&qty=lte.52',
      'select=id&order=id&amount=lt.10', 'select=id&order=id&region=in.(EU,US)',
      'select=id&order=id&label=like.*eta', 'select=id&order=id&region=is.null',
      'select=id&order=id&day=gte.2024-03-01', 'select=id&order=id&ts=lt.2024-01-15T12:00:00Z',
      'select=id&order=id&or=(qty.lt.0,and(region.eq.EU,ok.is.false))',
      'select=region,n:count(),q:qty.sum(),lo:amount.min(),hi:amount.max(),days:day.count_distinct(),c:amount.count()&group=region&order=region',
      'select=region,a:amount.avg()&group=region&order=region',
      'select=m:ts.trunc(month),n:count()&group=m&order=m', 'select=d:day.trunc(month),q:qty.sum()&group=d&order=d',
      'select=region,ok,n:count()&group=region,ok&order=region.nullsfirst,ok', 'select=n:count(),lo:ts.min(),hi:ts.max()',
      'select=amount&order=amount.nullsfirst,id&limit=30',
    ]
    for (const q of queries) {
      const path = (name: string) => `/api/datasets/${name}/explore?${q}`
      const [b, p, l] = await Promise.all([allFormats(s, path('sales_bq'), ADMIN), allFormats(s, path('sales_pg'), ADMIN), allFormats(s, path('sales_lake'), ADMIN)])
      t.same(b.json.raw, { ...b.json.raw as object, row_count: (p.json.raw as { row_count: number }).row_count }, `row_count: ${q}`)
      t.same((b.json.raw as { columns: unknown }).columns, (l.json.raw as { columns: unknown }).columns, `columns: ${q}`)
      assertFormatsAgree(t, b, `bq ${q}`)
      for (const f of ['json', 'ndjson', 'csv', 'arrow'] as const) {
        t.same(roundFloats(objects(b[f])), roundFloats(objects(p[f])), `${f} = PostgreSQL: ${q}`)
        t.same(roundFloats(objects(b[f])), roundFloats(objects(l[f])), `${f} = lakehouse: ${q}`)
      }
    }
    const ran = [...fake.jobs.values()].filter((j) => !j.dryRun)
    t.ok(ran.length >= queries.length * 4, 'each explore ran a BigQuery job')
    t.ok(ran.every((j) => !/\b(EU|US|gamma)\b/.test(j.query) || j.query.includes('@p')), 'values are parameters')
  })

  t.test('a client that leaves cancels the BigQuery job', async (t) => {
    fake.faults.slowJobs(100_000)
    t.teardown(() => fake.faults.clear())
    const ctrl = new AbortController()
    const before = new Set(fake.jobs.keys())
    const pending = s.api('/api/datasets/sales_bq/explore?select=id,label&order=id&format=ndjson', { claims: ADMIN, signal: ctrl.signal }).catch(() => null)
    let job
    while (!(job = [...fake.jobs.values()].find((j) => !before.has(j.id) && j.polls >= 1))) await new Promise((r) => setTimeout(r, 10))
    const t0 = Date.now()
    ctrl.abort()
    await pending
    const deadline = Date.now() + 2000
    while (job.cancelledAt === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10))
    t.ok(job.cancelledAt !== undefined, 'jobs.cancel reached BigQuery')
    t.ok(job.cancelledAt! - t0 < 1000, `within a second (${job.cancelledAt! - t0} ms)`)
  })

  t.test('a client that stops reading stops the page fetching (backpressure over HTTP)', async (t) => {
    // 60 pages of ~1 MB of NDJSON each: far more than the socket buffers and stream credits hold
    await fake.loadTable('shop', 'wide', { sql: "SELECT i::BIGINT AS id, repeat('x', 100) AS pad FROM range(600000) t(i)" })
    t.equal((await register(s, { name: 'wide', connector_id: 'bq', source_table: 'shop.wide' })).status, 201)
    const before = new Set(fake.jobs.keys())
    const r = await s.api('/api/datasets/wide/explore?select=id,pad&order=id&format=ndjson', { claims: ADMIN })
    t.equal(r.status, 200)
    const reader = r.body!.getReader()
    let lines = 0
    const count = (v: Uint8Array) => { for (const b of v) if (b === 10) lines++ }
    count((await reader.read()).value!)
    const job = [...fake.jobs.values()].find((j) => !before.has(j.id) && !j.dryRun)!
    t.ok(job, 'the explore ran a job')
    const pages = () => fake.requests.filter((q) => q.method === 'GET' && q.path.includes(`/queries/${job.id}`)).length
    // the client reads nothing for a while: fetching stops, and stays stopped
    // settled: no new page over 6 looks 250 ms apart (a page can take a while on a busy machine)
    let seen = -1
    for (let still = 0, i = 0; still < 6 && i < 200; i++) {
      const now = pages()
      still = now === seen ? still + 1 : 0
      seen = now
      await new Promise((res) => setTimeout(res, 250))
    }
    await new Promise((res) => setTimeout(res, 2000))
    const paused = pages()
    t.equal(paused, seen, `no page fetched while the client does not read (${paused})`)
    t.ok(paused < 30, `fetching stopped early: ${paused} of 60 pages`)
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      count(value)
    }
    t.equal(lines, 600_001, 'the header line and every row, once the client reads again')
    t.ok(pages() >= 60, `all pages fetched in the end (${pages()})`)
  })

  t.test('errors: a source column gone answers 422 invalid_query before any byte; quota is 429', async (t) => {
    const r = await register(s, { name: 'sales_q', connector_id: 'bq', source_query: 'SELECT id, label FROM shop.sales' })
    t.equal(r.status, 201, await r.clone().text())
    const ok = await s.api('/api/datasets/sales_q/explore?select=id&order=id&limit=3', { claims: ADMIN })
    t.same((await ok.json() as { rows: unknown[] }).rows, [{ id: 1 }, { id: 2 }, { id: 3 }], 'a source_query dataset explores')
    fake.faults.fail(/POST .*\/jobs$/, 'quotaExceeded', { times: 1 })
    const q = await s.api('/api/datasets/sales_q/explore?select=id&limit=3', { claims: ADMIN })
    t.equal(q.status, 429, 'quota → 429')
    fake.faults.clear()
    // a table that loses a column after it was registered: BigQuery refuses the query
    await fake.loadTable('shop', 'shrinking', { sql: "SELECT i::BIGINT AS id, 'x' || i AS label FROM range(1, 4) t(i)" })
    t.equal((await register(s, { name: 'shrinking', connector_id: 'bq', source_table: 'shop.shrinking' })).status, 201)
    await fake.loadTable('shop', 'shrinking', { sql: 'SELECT i::BIGINT AS id FROM range(1, 4) t(i)' })
    const gone = await s.api('/api/datasets/shrinking/explore?select=id,label&order=id&format=ndjson', { claims: ADMIN })
    const text = await gone.text()
    t.equal(gone.status, 422, text)
    const body = JSON.parse(text) as { error: string; message: string }
    t.equal(body.error, 'invalid_query')
    // the fake's own words for it (DuckDB's, passed through as BigQuery's message)
    t.match(body.message, /does not have a column named "label"/, 'BigQuery\'s message, passed through')
  })
})

t.test('masking on BigQuery datasets', async (t) => {
  const { s } = await salesInTwoEngines(t, generateRows(5, 1))
  const fake = await startBigQueryFake({ projectId: 'test-project' })
  t.teardown(() => fake.close())
  await fake.loadTable('hr', 'people', {
    schema: [
      { name: 'id', type: 'INT64', mode: 'REQUIRED' }, { name: 'email', type: 'STRING', mode: 'REQUIRED' }, { name: 'contact', type: 'STRING', mode: 'REQUIRED' },
      { name: 'card', type: 'STRING', mode: 'REQUIRED' }, { name: 'ssn', type: 'STRING' }, { name: 'phone', type: 'STRING', mode: 'REQUIRED' },
      { name: 'amount', type: 'INT64', mode: 'REQUIRED' }, { name: 'acct', type: 'INT64', mode: 'REQUIRED' }, { name: 'born', type: 'DATE', mode: 'REQUIRED' },
      { name: 'ts', type: 'TIMESTAMP', mode: 'REQUIRED' }, { name: 'region', type: 'STRING', mode: 'REQUIRED' },
    ],
    rows: PEOPLE.map((p) => [p.id, p.email, p.contact, p.card, p.ssn, p.phone, p.amount, p.acct, p.born, p.ts, p.region]),
  })
  await createBqConnector(s, fake, 'bq')
  const r1 = await register(s, { name: 'people_bq', connector_id: 'bq', source_table: 'hr.people' }, CREATOR as Record<string, unknown>)
  if (r1.status !== 201) {
    t.fail(`registering answered ${r1.status} ${(await r1.text()).slice(0, 400)}`)
    return
  }
  t.equal((await patchMasking(s, 'people_bq', RULES)).status, 200, 'rules set by the creator')

  t.test('attacks by a viewer', (t) => peopleAttacks(t, s, 'people_bq', EVE))
  t.test('reader', (t) => readerSeesRaw(t, s, 'people_bq'))

  t.test('BigQuery digests and masked values equal the lakehouse kernel (one salt per org)', async (t) => {
    const { peopleCsv } = await import('./helpers/masking-attacks.js')
    const up = await s.api('/api/datasets/file/upload', { method: 'POST', claims: CREATOR, body: uploadForm({ name: 'people_lake' }, { name: 'p.csv', content: peopleCsv(PEOPLE) }) })
    t.equal(up.status, 201)
    t.equal((await patchMasking(s, 'people_lake', RULES)).status, 200)
    const q = (name: string) => `/api/datasets/${name}/explore?order=id`
    const [b, l]: AllFormats[] = await Promise.all([allFormats(s, q('people_bq'), EVE), allFormats(s, q('people_lake'), EVE)])
    const without = (list: Record<string, unknown>[]) => list.map(({ amount: _a, ...rest }) => rest)
    for (const f of ['json', 'ndjson', 'csv', 'arrow'] as const) {
      t.same(without(objects(b[f])), without(objects(l[f])), `${f}: masked values (hash, email, partial, redact, null, date_trunc) as the lakehouse`)
      t.same(objects(b[f]).map((r) => r.amount), objects(l[f]).map((r) => r.amount), `${f}: round mask on amount`)
    }
  })

  t.test('the salt is a parameter, never SQL text', async (t) => {
    const hashed = [...fake.jobs.values()].filter((j) => !j.dryRun && j.query.includes('@mask_salt'))
    t.ok(hashed.length > 0, 'hash masks read @mask_salt')
    const salts = new Set<string>()
    for (const r of fake.requests) {
      const params = r.body?.configuration?.query?.queryParameters as { name: string; parameterValue: { value?: string } }[] | undefined
      for (const p of params ?? []) if (p.name === 'mask_salt' && p.parameterValue.value) salts.add(p.parameterValue.value)
    }
    t.equal(salts.size, 1, 'one salt per org')
    const salt = [...salts][0]!
    t.ok(salt.length >= 16)
    t.notOk([...fake.jobs.values()].some((j) => j.query.includes(salt) || j.duckSql.includes(salt)), 'never in any SQL text')
  })
})
