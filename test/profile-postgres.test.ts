// GET /api/datasets/{name}/profile on PostgreSQL-backed datasets: pushed down as SQL, checked
// against plain JS over the inserted rows and against SQL run directly; the cache (TTL),
// parameters, and sampling of sources above PROFILE_SAMPLE_ROWS.
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'
import { generateRows, type Row } from './helpers/data.js'
import { createPgConnector, pgTestDatabase, type PgTestDatabase } from './helpers/pg.js'
import { schemaValidator } from './helpers/lakehouse.js'

const rows = generateRows(2000, 7)

interface Col {
  name: string; type: string; count: number; null_count: number; null_rate: number; distinct_count: number
  distinct_approximate: boolean; min: unknown; max: unknown; mean?: number | null; stddev?: number | null
  p25?: number | null; p50?: number | null; p75?: number | null; quantiles_approximate?: boolean
  min_length?: number | null; max_length?: number | null; mean_length?: number | null; empty_count?: number
  top_values?: { value: unknown; count: number }[]; top_values_approximate?: boolean
  histogram?: { bucket: string; bins: { start: string; count: number }[] }
}
interface Profile { row_count: number; version: number | null; columns: Col[]; computed_at: string; sample: { method: string; fraction: number } | null; cached: boolean }

const cmp = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)
const near = (a: number | null | undefined, b: number) => a !== null && a !== undefined && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b))

/** Top values by plain JS: count desc, ties by value. */
function topOf<T>(values: (T | null)[], top: number, order: (a: T, b: T) => number): { value: T; count: number }[] {
  const counts = new Map<T, number>()
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1)
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || order(a.value, b.value)).slice(0, top)
}

async function loadRows(db: PgTestDatabase, list: Row[]): Promise<void> {
  for (let i = 0; i < list.length; i += 500) {
    const chunk = list.slice(i, i + 500)
    const params: unknown[] = []
    const tuples = chunk.map((r) => {
      const base = params.length
      params.push(r.id, r.region, r.ts, r.day, r.qty, r.amount, r.ok, r.label)
      return `(${Array.from({ length: 8 }, (_, k) => `$${base + k + 1}`).join(',')})`
    })
    await db.query(`INSERT INTO public.sales (id, region, ts, day, qty, amount, ok, label) VALUES ${tuples.join(',')}`, params)
  }
}

async function register(s: TestServer, body: Record<string, unknown>): Promise<void> {
  const r = await s.api('/api/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ connector_id: 'warehouse', ...body }) })
  if (r.status !== 201) throw new Error(`register: ${r.status} ${await r.text()}`)
}

async function profile(s: TestServer, name: string, q = ''): Promise<Profile> {
  const r = await s.api(`/api/datasets/${name}/profile${q ? '?' + q : ''}`)
  const text = await r.text()
  if (r.status !== 200) throw new Error(`profile ${name} ${q}: ${r.status} ${text}`)
  return JSON.parse(text) as Profile
}

t.test('profile pushed down to PostgreSQL', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.sales (id int8 PRIMARY KEY, region text, ts timestamptz NOT NULL, day date NOT NULL,
    qty int8 NOT NULL, amount float8, ok boolean NOT NULL, label text NOT NULL, price numeric(12,2), big int8)`)
  await loadRows(db, rows)
  // decimals and int64 beyond 2^53: digits must come back exact
  await db.query(`UPDATE public.sales SET price = (id % 37) * 1.25, big = 9007199254740993 + id % 5`)
  await db.query('ANALYZE public.sales')

  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  await register(s, { name: 'sales_pg', source_table: 'public.sales' })

  t.test('every column against plain JS and direct SQL', async (t) => {
    const p = await profile(s, 'sales_pg')
    t.equal(p.row_count, rows.length)
    t.equal(p.version, null)
    const valid = schemaValidator('DatasetProfile')
    t.ok(valid(p), `DatasetProfile: ${valid.text()}`)
    t.equal(p.sample, null, 'small table: every row read')
    t.equal(p.cached, false)
    t.match(p.computed_at, /^\d{4}-\d\d-\d\dT/)
    t.same(p.columns.map((c) => [c.name, c.type]), [
      ['id', 'int64'], ['region', 'string'], ['ts', 'timestamp'], ['day', 'date'], ['qty', 'int64'], ['amount', 'float64'],
      ['ok', 'boolean'], ['label', 'string'], ['price', 'decimal(12,2)'], ['big', 'int64'],
    ])
    const col = (name: string) => p.columns.find((c) => c.name === name)!

    for (const c of p.columns) {
      t.equal(c.count, rows.length, `${c.name}: count`)
      t.equal(c.distinct_approximate, false, `${c.name}: exact distinct`)
      t.equal(c.null_rate, c.null_count / c.count, `${c.name}: null_rate`)
    }

    const region = col('region')
    const regions = rows.map((r) => r.region)
    t.equal(region.null_count, regions.filter((v) => v === null).length)
    t.equal(region.distinct_count, new Set(regions.filter((v) => v !== null)).size)
    const nonNullRegions = regions.filter((v): v is string => v !== null).sort(cmp)
    t.equal(region.min, nonNullRegions[0])
    t.equal(region.max, nonNullRegions.at(-1))
    t.same(region.top_values, topOf(regions, 10, cmp))
    t.equal(region.empty_count, 0)

    const label = col('label')
    const labels = rows.map((r) => r.label)
    t.same(label.top_values, topOf(labels, 10, cmp), 'top values, ties by code point')
    t.equal(label.min_length, Math.min(...labels.map((l) => [...l].length)))
    t.equal(label.max_length, Math.max(...labels.map((l) => [...l].length)))
    t.ok(near(label.mean_length, labels.reduce((a, l) => a + [...l].length, 0) / labels.length), 'mean_length')

    const qty = col('qty')
    const qtys = rows.map((r) => r.qty)
    t.equal(qty.min, Math.min(...qtys))
    t.equal(qty.max, Math.max(...qtys))
    t.ok(near(qty.mean, qtys.reduce((a, b) => a + b, 0) / qtys.length), 'mean')
    t.same(qty.top_values, topOf(qtys, 10, (a, b) => a - b), 'numbers with few distinct values have top values')
    const direct = (await db.query<{ sd: number; q: number[] }>(
      `SELECT stddev_samp(qty)::float8 AS sd, percentile_cont(ARRAY[0.25,0.5,0.75]) WITHIN GROUP (ORDER BY qty::float8) AS q FROM public.sales`)).rows[0]!
    t.ok(near(qty.stddev, direct.sd), 'stddev as stddev_samp')
    t.same([qty.p25, qty.p50, qty.p75], direct.q, 'quantiles as percentile_cont')
    t.equal(qty.quantiles_approximate, false)

    const amount = col('amount')
    const amounts = rows.map((r) => r.amount).filter((v): v is number => v !== null)
    t.equal(amount.null_count, rows.length - amounts.length)
    t.equal(amount.min, Math.min(...amounts))
    t.equal(amount.max, Math.max(...amounts))
    t.equal(amount.distinct_count, new Set(amounts).size)
    t.notOk('top_values' in amount, 'more than 1,000 distinct values: no top values')

    const id = col('id')
    t.equal(id.min, 1)
    t.equal(id.max, rows.length)
    t.equal(id.distinct_count, rows.length)

    const ok = col('ok')
    t.equal(ok.min, false)
    t.equal(ok.max, true)
    t.same(ok.top_values, topOf(rows.map((r) => r.ok), 10, (a, b) => Number(a) - Number(b)))
    t.notOk('mean' in ok, 'booleans have no mean')

    const ts = col('ts')
    const tss = rows.map((r) => r.ts).sort(cmp)
    t.equal(ts.min, tss[0], 'timestamps in wire form')
    t.equal(ts.max, tss.at(-1))
    const day = col('day')
    const days = rows.map((r) => r.day).sort(cmp)
    t.equal(day.min, days[0])
    t.equal(day.max, days.at(-1))
    t.equal(day.histogram?.bucket, 'day', '~90 days: daily buckets')
    const bins = day.histogram?.bins ?? []
    t.equal(bins[0]?.start, days[0])
    t.equal(bins.at(-1)?.start, days.at(-1))
    t.equal(bins.reduce((a, b) => a + b.count, 0), rows.length, 'every value in one bin')
    const perDay = new Map<string, number>()
    for (const d of days) perDay.set(d, (perDay.get(d) ?? 0) + 1)
    t.ok(bins.every((b) => b.count === (perDay.get(b.start) ?? 0)), 'bin counts, empty days included as 0')
    t.ok(ts.histogram && ts.histogram.bins.length > 1, 'timestamps have a histogram')

    const price = col('price')
    const prices = (await db.query<{ lo: string; hi: string; m: number }>(`SELECT min(price)::text AS lo, max(price)::text AS hi, avg(price)::float8 AS m FROM public.sales`)).rows[0]!
    t.equal(price.min, prices.lo, 'decimals as strings with exact digits')
    t.equal(price.max, prices.hi)
    t.ok(near(price.mean, prices.m))
  })

  t.test('int64 digits stay exact in the body', async (t) => {
    const r = await s.api('/api/datasets/sales_pg/profile?columns=big')
    const text = await r.text()
    t.match(text, /"min":9007199254740993[,}]/, 'min digits')
    t.match(text, /"max":9007199254740997[,}]/, 'max digits')
    t.match(text, /"value":9007199254740993[,}]/, 'top value digits')
  })

  t.test('cache: served until profile_cache_ttl, then recomputed', async (t) => {
    const first = await profile(s, 'sales_pg', 'columns=id')
    const second = await profile(s, 'sales_pg', 'columns=id')
    t.equal(second.cached, true, 'second call from the cache')
    t.equal(second.computed_at, first.computed_at)
    const patch = await s.api('/api/datasets/sales_pg', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ settings: { profile_cache_ttl: '1s' } }) })
    t.equal(patch.status, 200)
    await db.query(`INSERT INTO public.sales (id, region, ts, day, qty, amount, ok, label) VALUES (100000, 'EU', now(), current_date, 1, 1, true, 'x')`)
    // entries stored from now on live for 1 s
    const third = await profile(s, 'sales_pg', 'columns=id&top=3')
    t.equal(third.cached, false)
    t.equal(third.row_count, rows.length + 1)
    t.equal((await profile(s, 'sales_pg', 'columns=id&top=3')).cached, true)
    await new Promise((r) => setTimeout(r, 1100))
    const fourth = await profile(s, 'sales_pg', 'columns=id&top=3')
    t.equal(fourth.cached, false, 'expired after the TTL')
    await db.query('DELETE FROM public.sales WHERE id = 100000')
  })

  t.test('parameters', async (t) => {
    const p = await profile(s, 'sales_pg', 'columns=label,region&top=2')
    t.same(p.columns.map((c) => c.name), ['label', 'region'], 'columns in the order asked')
    t.equal(p.columns[0]!.top_values!.length, 2, 'top=2')
    const err = async (q: string) => {
      const r = await s.api(`/api/datasets/sales_pg/profile?${q}`)
      return { status: r.status, body: await r.json() as { error: string; message: string } }
    }
    t.match(await err('columns=nope'), { status: 422, body: { error: 'invalid_parameter', message: /columns/ } })
    t.match(await err('version=1'), { status: 422, body: { error: 'not_a_delta_table' } })
    t.match(await err('as_of=2024-01-01T00:00:00Z'), { status: 422, body: { error: 'not_a_delta_table' } })
    t.match(await err('version=1&as_of=2024-01-01T00:00:00Z'), { status: 422, body: { error: 'invalid_parameter' } })
    t.match(await err('top=101'), { status: 422, body: { error: 'invalid_parameter', message: /top/ } })
  })
})

t.test('large sources are profiled on a sample, flagged', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.sales (id int8 PRIMARY KEY, region text, ts timestamptz NOT NULL, day date NOT NULL,
    qty int8 NOT NULL, amount float8, ok boolean NOT NULL, label text NOT NULL)`)
  const many = generateRows(20_000, 3)
  await loadRows(db, many)
  await db.query('ANALYZE public.sales')
  const s = await startServer({ PROFILE_SAMPLE_ROWS: '5000' })
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  await register(s, { name: 'big_table', source_table: 'public.sales' })
  await register(s, { name: 'big_query', source_query: 'SELECT id, region, qty FROM public.sales' })
  await db.query('CREATE VIEW public.sales_v AS SELECT id, qty FROM public.sales')
  await register(s, { name: 'big_view', source_table: 'public.sales_v' })

  const table = await profile(s, 'big_table', 'columns=id,region,qty')
  const valid = schemaValidator('DatasetProfile')
  t.ok(valid(table), `DatasetProfile: ${valid.text()}`)
  t.equal(table.sample?.method, 'tablesample_system', 'a table: TABLESAMPLE SYSTEM')
  t.ok(near(table.sample?.fraction ?? 0, 0.25), 'fraction from the row estimate')
  t.ok(table.row_count > 0 && table.row_count < many.length, `the sample has fewer rows (${table.row_count})`)
  for (const c of table.columns) {
    t.equal(c.distinct_approximate, true, `${c.name}: distinct flagged approximate`)
    t.equal(c.count, table.row_count)
  }
  t.equal(table.columns.find((c) => c.name === 'qty')!.quantiles_approximate, true)
  t.equal(table.columns.find((c) => c.name === 'region')!.top_values_approximate, true)

  const query = await profile(s, 'big_query')
  t.equal(query.sample?.method, 'random', 'a source query: random filter')
  t.ok(query.row_count > 3000 && query.row_count < 7000, `about 5,000 rows sampled (${query.row_count})`)
  const view = await profile(s, 'big_view')
  t.equal(view.sample?.method, 'random', 'a view (no TABLESAMPLE): random filter, estimate from EXPLAIN')
  t.ok(view.row_count > 3000 && view.row_count < 7000, `about 5,000 rows sampled (${view.row_count})`)
  const again = await profile(s, 'big_query')
  t.equal(again.cached, true)
})

t.test('other types: wire values of min, max and top values', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.misc (b bytea, tm time, j jsonb, n numeric, f4 real, f8 float8, s int2, lt timestamp, e text)`)
  await db.query(`INSERT INTO public.misc VALUES
    ('\\x00ff'::bytea, '10:00:00.5', '{"a": 1}', 1.5, 1.25, 'NaN', 3, '2024-03-01 10:00:00', ''),
    ('\\x0001'::bytea, '09:00:00', '[1, 2]', -2, -0.5, 2.5, -3, '2024-03-01 12:30:00.123456', 'x'),
    (NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`)
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  await register(s, { name: 'misc', source_table: 'public.misc' })
  const p = await profile(s, 'misc')
  const valid = schemaValidator('DatasetProfile')
  t.ok(valid(p), `DatasetProfile: ${valid.text()}`)
  const col = (n: string) => p.columns.find((c) => c.name === n)!
  t.match(col('b'), { type: 'binary', null_count: 1, distinct_count: 2, min: 'AAE=', max: 'AP8=' })
  t.match(col('tm'), { type: 'time', min: '09:00:00.000000', max: '10:00:00.500000' })
  t.match(col('j'), { type: 'json', min: '[1, 2]', max: '{"a": 1}', min_length: 6, max_length: 8 })
  t.match(col('n'), { type: 'decimal(38,9)', min: '-2.000000000', max: '1.500000000', mean: -0.25 })
  t.match(col('f4'), { type: 'float32', min: -0.5, max: 1.25 })
  t.match(col('f8'), { type: 'float64', min: 2.5, max: 'NaN', mean: 'NaN' })
  t.match(col('s'), { type: 'int16', min: -3, max: 3, top_values: [{ value: -3, count: 1 }, { value: 3, count: 1 }] })
  t.match(col('lt'), { type: 'timestamp', min: '2024-03-01T10:00:00.000000Z', max: '2024-03-01T12:30:00.123456Z', histogram: { bucket: 'hour' } })
  t.same(col('lt').histogram!.bins.map((b) => b.count), [1, 0, 1], 'hourly bins, the empty hour included')
  t.match(col('e'), { empty_count: 1, top_values: [{ value: '', count: 1 }, { value: 'x', count: 1 }] })
})

t.test('404 in another org', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.t (a int4)`)
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  await register(s, { name: 'tiny', source_table: 'public.t' })
  const empty = await profile(s, 'tiny')
  t.equal(empty.row_count, 0)
  t.match(empty.columns[0], { name: 'a', count: 0, null_count: 0, null_rate: 0, distinct_count: 0, min: null, max: null, mean: null })
  const other = await s.api('/api/datasets/tiny/profile', { claims: { org: 'globex' } })
  t.equal(other.status, 404)
  t.match(await other.json(), { error: 'dataset_not_found' })
})
