// Imports from PostgreSQL into the lakehouse over real HTTP: a table with a rename, refresh
// (manual and scheduled) as overwrite versions with the job id as run_id, batch imports by
// glob, and cancelling: nothing half-imported remains, finished tables stay.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { createPgConnector, pgTestDatabase, sluiceActivity } from './helpers/pg.js'

const json = { 'content-type': 'application/json' }

interface JobView { id: string; state: string; progress: Record<string, unknown>; error: unknown; result: Record<string, unknown> | null }

async function waitJob(s: TestServer, id: string, timeoutMs = 60_000): Promise<JobView> {
  const started = Date.now()
  for (;;) {
    const job = (await (await s.api(`/api/jobs/${id}`)).json() as { job: JobView }).job
    if (job.state !== 'running' && job.state !== 'queued') return job
    if (Date.now() - started > timeoutMs) throw new Error(`job ${id} still ${job.state}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

async function rowsOf(s: TestServer, name: string, q = ''): Promise<Record<string, unknown>[]> {
  const r = await s.api(`/api/datasets/${name}/explore?${q}`)
  const b = await r.json() as { rows: Record<string, unknown>[] }
  if (r.status !== 200) throw new Error(`${name}: ${r.status} ${JSON.stringify(b)}`)
  return b.rows
}

t.test('imports', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.orders (id int8 PRIMARY KEY, "customer name" text, amount numeric(12,2), placed timestamptz, tags text[])`)
  await db.query(`INSERT INTO public.orders SELECT g, 'c' || (g % 7), (g * 1.25)::numeric(12,2), timestamptz '2024-01-01 00:00:00+00' + g * interval '1 hour',
    CASE WHEN g % 3 = 0 THEN NULL ELSE ARRAY['a', 'b' || g] END FROM generate_series(1, 5000) g`)
  await db.query('ANALYZE public.orders')
  const s = await startServer({ REFRESH_TICK_MS: '200' })
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'pg')

  t.test('one table, renamed, copied into a new Delta table', async (t) => {
    const r = await s.api('/api/datasets/import', {
      method: 'POST', headers: json,
      body: JSON.stringify({ connector_id: 'pg', source_table: 'public.orders', name: 'orders', rename: { 'customer name': 'customer' } }),
    })
    const { job } = await r.json() as { job: JobView }
    t.equal(r.status, 202)
    const done = await waitJob(s, job.id)
    t.equal(done.state, 'succeeded', JSON.stringify(done.error))
    t.equal(done.progress.rows_copied, 5000, 'rows copied')
    t.equal(done.progress.percent, 100)
    const d = await (await s.api('/api/datasets/orders')).json() as { kind: string; schema: { name: string; type: string }[]; version: number; row_count: number; provenance: Record<string, unknown> }
    t.equal(d.kind, 'lakehouse')
    t.same(d.schema.map((f) => `${f.name}:${f.type}`), ['id:int64', 'customer:string', 'amount:decimal(12,2)', 'placed:timestamp', 'tags:json'])
    t.equal(d.row_count, 5000)
    t.equal(d.version, 0)
    t.equal(d.provenance.connector_id, 'pg')
    t.equal(d.provenance.source_table, 'public.orders')
    const sample = await rowsOf(s, 'orders', 'order=id&limit=3')
    t.same(sample, [
      { id: 1, customer: 'c1', amount: '1.25', placed: '2024-01-01T01:00:00.000000Z', tags: '["a","b1"]' },
      { id: 2, customer: 'c2', amount: '2.50', placed: '2024-01-01T02:00:00.000000Z', tags: '["a","b2"]' },
      { id: 3, customer: 'c3', amount: '3.75', placed: '2024-01-01T03:00:00.000000Z', tags: null },
    ], 'values exact: decimals, timestamps in UTC, arrays as JSON text')
    const agg = await rowsOf(s, 'orders', 'select=n:count(),s:amount.sum()')
    const expected = (await db.query<{ s: string }>('SELECT sum(amount)::text AS s FROM public.orders')).rows[0]!.s
    t.same(agg, [{ n: 5000, s: expected }], 'the sum of decimals equals PostgreSQL\'s')
    const history = await (await s.api('/api/datasets/orders/history')).json() as { items: { version: number; run_id: string | null }[] }
    t.equal(history.items[0]!.run_id, job.id, 'history records the job as run_id')
  })

  t.test('bad imports are refused before any copy', async (t) => {
    const post = (b: object) => s.api('/api/datasets/import', { method: 'POST', headers: json, body: JSON.stringify(b) })
    t.equal((await post({ connector_id: 'pg', source_table: 'public.orders', name: 'orders' })).status, 409)
    t.equal((await post({ connector_id: 'nope', source_table: 'public.orders', name: 'o2' })).status, 404)
    t.equal((await post({ connector_id: 'pg', source_table: 'public.orders', name: 'bad name!' })).status, 422)
    t.equal((await post({ connector_id: 'pg', source_table: 'public.orders', name: 'o3', rename: { id: 7 } })).status, 422)
    const unknownCol = await post({ connector_id: 'pg', source_table: 'public.orders', name: 'o4', rename: { nope: 'x' } })
    const job = (await unknownCol.json() as { job: JobView }).job
    const failed = await waitJob(s, job.id)
    t.equal(failed.state, 'failed')
    t.match(failed.error, { error: 'invalid_parameter' })
    t.equal((await s.api('/api/datasets/o4')).status, 404, 'no dataset')
  })

  t.test('refresh: a new overwrite version with the job id as run_id', async (t) => {
    await db.query(`INSERT INTO public.orders VALUES (5001, 'new', 1.00, now(), NULL)`)
    const r = await s.api('/api/datasets/orders/refresh', { method: 'POST' })
    t.equal(r.status, 202)
    const { job } = await r.json() as { job: JobView }
    const done = await waitJob(s, job.id)
    t.equal(done.state, 'succeeded', JSON.stringify(done.error))
    const d = await (await s.api('/api/datasets/orders')).json() as { version: number; row_count: number }
    t.equal(d.version, 1)
    t.equal(d.row_count, 5001)
    const history = await (await s.api('/api/datasets/orders/history')).json() as { items: { version: number; operation: string; run_id: string | null }[] }
    t.match(history.items[0], { version: 1, run_id: job.id })
    t.same(await rowsOf(s, 'orders', 'select=customer&id=eq.5001'), [{ customer: 'new' }])
    const old = await rowsOf(s, 'orders', 'select=n:count()&version=0')
    t.same(old, [{ n: 5000 }], 'the previous version is still readable')
  })

  t.test('scheduled refresh', async (t) => {
    const patch = await s.api('/api/datasets/orders', { method: 'PATCH', headers: json, body: JSON.stringify({ settings: { refresh: { every: '1s' } } }) })
    t.equal(patch.status, 200)
    await db.query(`INSERT INTO public.orders VALUES (5002, 'scheduled', 2.00, now(), NULL)`)
    const started = Date.now()
    for (;;) {
      const d = await (await s.api('/api/datasets/orders')).json() as { version: number; row_count: number }
      if (d.row_count === 5002) break
      if (Date.now() - started > 15_000) { t.fail(`no scheduled refresh (version ${d.version})`); break }
      await new Promise((r) => setTimeout(r, 100))
    }
    t.pass('the schedule re-imported the table')
    await s.api('/api/datasets/orders', { method: 'PATCH', headers: json, body: JSON.stringify({ settings: { refresh: 'manual' } }) })
  })

  t.test('batch import by glob', async (t) => {
    for (const name of ['sales_eu', 'sales_us', 'inventory']) {
      await db.query(`CREATE TABLE public.${name} AS SELECT g AS id, '${name}' AS src FROM generate_series(1, 100) g`)
    }
    const r = await s.api('/api/datasets/import-batch', { method: 'POST', headers: json, body: JSON.stringify({ connector_id: 'pg', schema: 'public', pattern: 'sales_*', name: 'nightly', prefix: 'pg_' }) })
    const b = await r.json() as { name: string; job: JobView; tables: { name: string }[] }
    t.equal(r.status, 202, JSON.stringify(b))
    t.same(b.tables.map((x) => x.name), ['pg_sales_eu', 'pg_sales_us'])
    await waitJob(s, b.job.id)
    const batch = await (await s.api('/api/datasets/import/nightly')).json() as { state: string; tables: { name: string; state: string; rows_copied: number }[] }
    t.equal(batch.state, 'succeeded')
    t.same(batch.tables.map((x) => [x.name, x.state, x.rows_copied]), [['pg_sales_eu', 'succeeded', 100], ['pg_sales_us', 'succeeded', 100]])
    t.same(await rowsOf(s, 'pg_sales_us', 'select=src,n:count()&group=src'), [{ src: 'sales_us', n: 100 }])
    t.equal((await s.api('/api/datasets/pg_inventory')).status, 404, 'non-matching tables are left alone')
    t.equal((await s.api('/api/datasets/import/nope')).status, 404)
  })

  t.test('cancelling one import job: the statement stops in PostgreSQL, nothing remains', async (t) => {
    await db.query(`CREATE VIEW public.slow_rows AS SELECT g AS id FROM generate_series(1, 100000) g WHERE pg_sleep(0.0005) IS NOT NULL`)
    const r = await s.api('/api/datasets/import', { method: 'POST', headers: json, body: JSON.stringify({ connector_id: 'pg', source_table: 'public.slow_rows', name: 'slow_copy' }) })
    const { job } = await r.json() as { job: JobView }
    t.equal(r.status, 202)
    const started = Date.now()
    while (!(await sluiceActivity(db)).some((a) => a.state === 'active' && /slow_rows/.test(a.query))) {
      if (Date.now() - started > 10_000) throw new Error('the copy did not start')
      await new Promise((res) => setTimeout(res, 25))
    }
    const del = await s.api(`/api/jobs/${job.id}`, { method: 'DELETE' })
    t.equal((await del.json() as { job: JobView }).job.state, 'cancelled')
    t.equal((await s.api('/api/datasets/slow_copy')).status, 404, 'no dataset')
    const tmp = path.join(s.dataDir, 'tmp')
    t.same(fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.startsWith('import-')) : [], [], 'no work folder left')
    const until = Date.now() + 1000
    let active = await sluiceActivity(db)
    while (active.some((a) => a.state === 'active') && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 25))
      active = await sluiceActivity(db)
    }
    t.same(active.filter((a) => a.state === 'active'), [], 'the statement was cancelled in PostgreSQL within a second')
  })

  t.test('cancelling a batch: running copies stop, nothing half-imported remains, finished tables stay', async (t) => {
    await db.query(`CREATE TABLE public.big_a AS SELECT 1 AS id`)
    // big_b and big_c read slowly (a view that sleeps per row), so they are running when we cancel
    for (const n of ['big_b', 'big_c']) await db.query(`CREATE VIEW public.${n} AS SELECT g AS id FROM generate_series(1, 100000) g WHERE pg_sleep(0.0005) IS NOT NULL`)
    const r = await s.api('/api/datasets/import-batch', { method: 'POST', headers: json, body: JSON.stringify({ connector_id: 'pg', schema: 'public', pattern: 'big_?', name: 'doomed' }) })
    t.equal(r.status, 202)
    const started = Date.now()
    for (;;) {
      const b = await (await s.api('/api/datasets/import/doomed')).json() as { tables: { name: string; state: string }[] }
      if (b.tables.find((x) => x.name === 'big_a')?.state === 'succeeded' && b.tables.some((x) => x.state === 'running')) break
      if (Date.now() - started > 20_000) throw new Error('batch did not get going')
      await new Promise((res) => setTimeout(res, 50))
    }
    const del = await s.api('/api/datasets/import/doomed', { method: 'DELETE' })
    const after = await del.json() as { state: string; tables: { name: string; state: string }[] }
    t.equal(del.status, 200)
    t.equal(after.state, 'cancelled')
    t.same(after.tables.map((x) => [x.name, x.state]), [['big_a', 'succeeded'], ['big_b', 'cancelled'], ['big_c', 'cancelled']])
    t.equal((await s.api('/api/datasets/big_a')).status, 200, 'the finished table stays')
    t.equal((await s.api('/api/datasets/big_b')).status, 404)
    t.equal((await s.api('/api/datasets/big_c')).status, 404)
    const list = await (await s.api('/api/datasets?limit=200')).json() as { items: { id: string }[] }
    const tableDirs = fs.readdirSync(path.join(s.dataDir, 'tables'))
    t.same(tableDirs.sort(), list.items.map((d) => d.id).filter((id) => tableDirs.includes(id)).sort(), 'every table folder belongs to a dataset')
    t.equal(tableDirs.length, list.items.filter((d) => tableDirs.includes(d.id)).length)
    const tmp = path.join(s.dataDir, 'tmp')
    t.same(fs.existsSync(tmp) ? fs.readdirSync(tmp).filter((f) => f.startsWith('import-')) : [], [], 'no work folders left')
    await new Promise((res) => setTimeout(res, 500))
    t.same((await sluiceActivity(db)).filter((a) => a.state === 'active'), [], 'no statement left running in PostgreSQL')
  })
})
