// PostgreSQL-backed datasets over real HTTP: the same rows loaded into PostgreSQL and uploaded
// to the lakehouse answer every query identically (the lakehouse engine is the oracle), in
// every format; registering by table and by query; errors mapped to our codes.
import t from 'tap'
import { tableFromIPC } from 'apache-arrow'
import { generateRows } from './helpers/data.js'
import { createPgConnector } from './helpers/pg.js'
import { salesInTwoEngines } from './helpers/sales-two-engines.js'

const rows = generateRows(2000, 7)

/** Rows with float aggregates rounded to 12 significant digits: PostgreSQL and our kernels may add floats in different orders. */
function roundFloats(list: Record<string, unknown>[]): Record<string, unknown>[] {
  return list.map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, typeof v === 'number' && !Number.isInteger(v) ? Number(v.toPrecision(12)) : v])))
}

t.test('explore pushed down to PostgreSQL', async (t) => {
  const { s, db } = await salesInTwoEngines(t, rows)

  const reg = await s.api('/api/datasets', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sales_pg', connector_id: 'warehouse', source_table: 'public.sales', description: 'rows in PostgreSQL' }),
  })
  const dataset = await reg.json() as { kind: string; schema: { name: string; type: string; nullable: boolean }[]; row_count: number | null }
  t.equal(reg.status, 201, JSON.stringify(dataset))
  t.equal(dataset.kind, 'connector')
  t.same(dataset.schema.map((f) => [f.name, f.type, f.nullable]), [
    ['id', 'int64', false], ['region', 'string', true], ['ts', 'timestamp', false], ['day', 'date', false],
    ['qty', 'int64', false], ['amount', 'float64', true], ['ok', 'boolean', false], ['label', 'string', false],
  ], 'schema discovered from the catalog, nullability included')
  t.equal(dataset.row_count, rows.length, 'row estimate after ANALYZE')

  const body = async (name: string, q: string) => {
    const r = await s.api(`/api/datasets/${name}/explore?${q}`)
    const b = await r.json() as { columns: unknown[]; rows: Record<string, unknown>[]; row_count: number; error?: unknown }
    if (r.status !== 200 || b.error) throw new Error(`${name} ${q}: ${r.status} ${JSON.stringify(b).slice(0, 500)}`)
    return b
  }

  t.test('every query answers exactly as over the lakehouse copy', async (t) => {
    const queries = [
      '', 'select=id,label&order=id&limit=50&offset=100',
      'select=id&order=id&region=eq.EU', 'select=id&order=id&region=neq.EU', 'select=id&order=id&qty=gte.50&qty=lte.52',
      'select=id&order=id&amount=lt.10', 'select=id&order=id&region=in.(EU,US)', 'select=id&order=id&label=in.("gamma, with comma",zeta)',
      'select=id&order=id&label=like.*eta', 'select=id&order=id&label=ilike.BETA', 'select=id&order=id&label=like.d_"lta',
      'select=id&order=id&region=is.null', 'select=id&order=id&region=not.is.null&ok=is.true', 'select=id&order=id&region=not.in.(EU,US)',
      'select=id&order=id&day=gte.2024-03-01', 'select=id&order=id&ts=lt.2024-01-15T12:00:00Z',
      'select=id&order=id&or=(qty.lt.0,and(region.eq.EU,ok.is.false))',
      'select=region,n:count(),q:qty.sum(),a:amount.avg(),lo:amount.min(),hi:amount.max(),days:day.count_distinct(),c:amount.count()&group=region&order=region',
      'select=label,n:count()&group=label&order=label', 'select=label&order=label.desc,id&limit=20',
      'select=m:ts.trunc(month),n:count()&group=m&order=m', 'select=w:ts.trunc(week),n:count()&group=w&order=w',
      'select=d:day.trunc(month),q:qty.sum()&group=d&order=d', 'select=h:ts.trunc(hour),n:count()&group=h&order=n.desc,h&limit=5',
      'select=region,ok,n:count()&group=region,ok&order=region.nullsfirst,ok', 'select=n:count(),lo:ts.min(),hi:ts.max()',
      'select=amount&order=amount.nullsfirst,id&limit=30', 'select=id,amount&order=amount.desc,id&limit=30&offset=5',
    ]
    for (const q of queries) {
      const [pg, lake] = await Promise.all([body('sales_pg', q), body('sales_lake', q)])
      t.same(pg.columns, lake.columns, `columns: ${q}`)
      t.same(roundFloats(pg.rows), roundFloats(lake.rows), `rows: ${q || '(all)'}`)
    }
  })

  t.test('formats: NDJSON, CSV and Arrow carry the same rows', async (t) => {
    const q = 'select=id,region,ts,day,amount,ok&order=id&limit=300'
    const json = await body('sales_pg', q)
    const nd = (await (await s.api(`/api/datasets/sales_pg/explore?${q}&format=ndjson`)).text()).trim().split('\n').map((l) => JSON.parse(l))
    t.same(nd[0], { columns: json.columns })
    t.same(nd.slice(1), json.rows)
    const csv = (await (await s.api(`/api/datasets/sales_pg/explore?${q}&format=csv`)).text()).trim().split(/\r?\n/)
    t.equal(csv[0], 'id,region,ts,day,amount,ok')
    t.equal(csv.length, 301)
    const arrow = tableFromIPC(new Uint8Array(await (await s.api(`/api/datasets/sales_pg/explore?${q}&format=arrow`)).arrayBuffer()))
    t.equal(arrow.numRows, 300)
    t.same(arrow.schema.fields.map((f) => f.metadata.get('sluice.type')), ['int64', 'string', 'timestamp', 'date', 'float64', 'boolean'])
    t.equal(arrow.getChild('id')!.get(0), 1n)
    t.equal(arrow.getChild('amount')!.get(5), json.rows[5]!.amount)
  })

  t.test('preview', async (t) => {
    const r = await s.api('/api/datasets/sales_pg/preview?limit=5')
    const b = await r.json() as { rows: unknown[]; row_count: number }
    t.equal(r.status, 200)
    t.equal(b.row_count, 5)
  })

  t.test('a source query registers and explores; anything but one SELECT is 422', async (t) => {
    const register = (name: string, source_query: string) => s.api('/api/datasets', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name, connector_id: 'warehouse', source_query }),
    })
    const ok = await register('eu_sales', `SELECT id, qty * 2 AS double_qty, label FROM public.sales WHERE region = 'EU'`)
    t.equal(ok.status, 201, await ok.clone().text())
    const b = await body('eu_sales', 'select=n:count(),q:double_qty.sum()')
    const eu = rows.filter((r) => r.region === 'EU')
    t.same(b.rows, [{ n: eu.length, q: eu.reduce((a, r) => a + 2 * r.qty, 0) }])
    for (const bad of ['DELETE FROM public.sales', 'SELECT 1; DROP TABLE public.sales', 'DROP TABLE public.sales',
      'WITH d AS (DELETE FROM public.sales RETURNING *) SELECT * FROM d', 'UPDATE public.sales SET qty = 0', '']) {
      const r = await register('bad_query', bad)
      const e = await r.json() as { error: string }
      t.equal(r.status, 422, `refused: ${bad}`)
      t.match(e.error, /invalid_query|invalid_parameter/)
    }
    t.equal((await db.query('SELECT count(*)::int AS n FROM public.sales')).rows[0]!.n, rows.length, 'the source table is untouched')
  })

  t.test('names and connectors', async (t) => {
    const post = (b: object) => s.api('/api/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })
    t.equal((await post({ name: 'sales_pg', connector_id: 'warehouse', source_table: 'public.sales' })).status, 409, 'taken name')
    const unknown = await post({ name: 'x1', connector_id: 'nope', source_table: 'public.sales' })
    t.equal(unknown.status, 404)
    t.equal((await unknown.json() as { error: string }).error, 'connector_not_found')
    const missing = await post({ name: 'x2', connector_id: 'warehouse', source_table: 'public.no_such_table' })
    t.equal(missing.status, 422, 'a missing table')
    const viewer = await s.api('/api/datasets', { method: 'POST', claims: { roles: ['viewer'] }, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ name: 'x3', connector_id: 'warehouse', source_table: 'public.sales' }) })
    t.equal(viewer.status, 403)
    const other = await s.api('/api/datasets/sales_pg/explore', { claims: { org: 'globex' } })
    t.equal(other.status, 404, 'another org does not see it')
    const tt = await s.api('/api/datasets/sales_pg/explore?version=1')
    t.equal(tt.status, 422, 'time travel needs a Delta table')
  })

  t.test('errors from PostgreSQL map to our codes', async (t) => {
    await db.query(`CREATE TABLE public.codes (id int4, code text)`)
    await db.query(`INSERT INTO public.codes VALUES (1, '10'), (2, 'abc')`)
    const post = (b: object) => s.api('/api/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(b) })
    t.equal((await post({ name: 'casts', connector_id: 'warehouse', source_query: 'SELECT id, code::int4 AS n FROM public.codes' })).status, 201)
    const cast = await s.api('/api/datasets/casts/explore')
    const castBody = await cast.json() as { error: string; message: string }
    t.equal(cast.status, 422, 'a bad cast in the source is 422')
    t.equal(castBody.error, 'invalid_query')
    t.notMatch(castBody.message, /SELECT/i, 'no SQL text in the message')

    t.equal((await post({ name: 'codes', connector_id: 'warehouse', source_table: 'public.codes' })).status, 201)
    await db.query('ALTER TABLE public.codes DROP COLUMN code')
    const gone = await s.api('/api/datasets/codes/explore')
    t.equal(gone.status, 422, 'a column dropped at the source is 422')
    t.equal((await gone.json() as { error: string }).error, 'invalid_query')

    await createPgConnector(s, db, 'impatient', { statement_timeout: 200 })
    t.equal((await post({ name: 'slow', connector_id: 'impatient', source_query: 'SELECT pg_sleep(3) AS s' })).status, 201)
    const started = Date.now()
    const slow = await s.api('/api/datasets/slow/explore')
    t.equal(slow.status, 504)
    t.equal((await slow.json() as { error: string }).error, 'query_timeout')
    t.ok(Date.now() - started < 2500, 'the statement timeout fired')
  })
})
