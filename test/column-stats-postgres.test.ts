// GET /api/datasets/{name}/column-stats over a PostgreSQL-backed dataset: the same rows loaded
// into PostgreSQL and uploaded to the lakehouse give the same buckets (the lakehouse answer is
// checked against plain JS in column-stats.test.ts), in JSON and NDJSON.
import t from 'tap'
import { generateRows } from './helpers/data.js'
import { sluiceActivity } from './helpers/pg.js'
import { salesInTwoEngines } from './helpers/sales-two-engines.js'

const rows = generateRows(2000, 7)

interface Stats { count: number; null_count: number; null_rate: number; distinct_count: number; min: unknown; max: unknown; mean: number | null; rolling?: Record<string, number | null> }
interface Body { time_column: string; bucket: string; from: string; to: string; columns: { name: string; type: string; masked: boolean }[]; buckets: { start: string; columns: Record<string, Stats> }[]; error?: unknown }

/** Means (and rolling values) rounded to 10 significant digits: PostgreSQL and our workers add floats in different orders. */
function rounded(b: Body): Body {
  const r = (x: number | null | undefined) => (typeof x === 'number' ? Number(x.toPrecision(10)) : x)
  return {
    ...b,
    buckets: b.buckets.map((k) => ({
      start: k.start,
      columns: Object.fromEntries(Object.entries(k.columns).map(([c, s]) => [c, {
        ...s, mean: r(s.mean) as number | null,
        ...(s.rolling ? { rolling: Object.fromEntries(Object.entries(s.rolling).map(([n, v]) => [n, r(v) as number | null])) } : {}),
      }])),
    })),
  }
}

t.test('column-stats pushed down to PostgreSQL', async (t) => {
  const { s, db } = await salesInTwoEngines(t, rows)
  const reg = await s.api('/api/datasets', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sales_pg', connector_id: 'warehouse', source_table: 'public.sales' }),
  })
  t.equal(reg.status, 201)
  const byQuery = await s.api('/api/datasets', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'sales_q', connector_id: 'warehouse', source_query: 'SELECT id, ts, qty, label FROM public.sales WHERE qty >= 0' }),
  })
  t.equal(byQuery.status, 201)

  const text = async (name: string, q: string) => {
    const r = await s.api(`/api/datasets/${name}/column-stats?${q}`)
    const body = await r.text()
    if (r.status !== 200) throw new Error(`${name} ${q}: ${r.status} ${body.slice(0, 500)}`)
    return body
  }
  const json = async (name: string, q: string) => JSON.parse(await text(name, q)) as Body

  const queries = [
    'from=2024-01-01&to=2024-04-01',
    '',
    'bucket=1w&from=2023-12-20&to=2024-04-03&rolling=4',
    'bucket=1h&from=2024-01-10&to=2024-01-12T06:00:00Z&columns=qty,region,amount',
    'time_column=day&window=45d&to=2024-02-15&columns=day,ok,label&rolling=5',
    'from=2023-12-25&window=10d&columns=amount,ts',
  ]
  for (const q of queries) {
    t.test(`same buckets as the lakehouse copy: ${q || '(defaults)'}`, async (t) => {
      const pg = await json('sales_pg', q)
      const lake = await json('sales_lake', q)
      t.same(rounded(pg), rounded(lake))
      t.ok(pg.buckets.some((b) => Object.values(b.columns).some((c) => c.count > 0)), 'some bucket has rows')
    })
  }

  t.test('NDJSON and a source query', async (t) => {
    const q = 'from=2024-01-01&to=2024-01-20&columns=qty,label&rolling=3'
    const whole = await json('sales_pg', q)
    const lines = (await text('sales_pg', q + '&format=ndjson')).trimEnd().split('\n').map((l) => JSON.parse(l))
    t.same(lines[0], { time_column: 'ts', time_column_masked: false, bucket: '1d', from: whole.from, to: whole.to, columns: whole.columns })
    t.same(lines.slice(1), whole.buckets)
    const sq = await json('sales_q', 'from=2024-02-01&to=2024-03-01')
    const from = Date.parse('2024-02-01T00:00:00Z')
    const kept = rows.filter((r) => r.qty >= 0 && Date.parse(r.ts) >= from && Date.parse(r.ts) < Date.parse('2024-03-01T00:00:00Z'))
    t.equal(sq.buckets.reduce((a, b) => a + b.columns.qty!.count, 0), kept.length, 'counts follow the source query')
    t.equal(sq.buckets[0]!.columns.qty!.min, Math.min(...kept.filter((r) => Date.parse(r.ts) < from + 86_400_000).map((r) => r.qty)))
  })

  t.test('other types: decimal, int4, float4, time, bytea, jsonb', async (t) => {
    await db.query(`CREATE TABLE public.kinds (ts timestamptz, price numeric(10,2), n int4, f float4, tm time, b bytea, j jsonb)`)
    await db.query(`INSERT INTO public.kinds VALUES
      ('2024-06-01T01:00:00Z', 12.30, 5, 0.1, '10:00:00', '\\x0102', '{"a":1}'),
      ('2024-06-01T02:00:00Z', -3.5, -7, 2.5, '09:30:00.25', '\\x0102', '[1]'),
      ('2024-06-01T03:00:00Z', NULL, NULL, NULL, NULL, NULL, NULL),
      ('2024-06-03T00:00:00Z', 100, 1, 1, '23:59:59', '\\xff', '{"a":1}'),
      (NULL, 1, 1, 1, '00:00:00', '\\x00', 'null')`)
    const r = await s.api('/api/datasets', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'kinds', connector_id: 'warehouse', source_table: 'public.kinds' }),
    })
    const d = (await r.json()) as { schema: { name: string; type: string }[] }
    t.equal(r.status, 201)
    t.same(d.schema.map((f) => f.type), ['timestamp', 'decimal(10,2)', 'int32', 'float32', 'time', 'binary', 'json'])
    const b = await json('kinds', 'from=2024-06-01&to=2024-06-04&columns=price,n,f,tm,b,j')
    t.equal(b.buckets.length, 3)
    const st = (count: number, nulls: number, distinct: number, min: unknown, max: unknown, mean: number | null) =>
      ({ count, null_count: nulls, null_rate: count ? nulls / count : 0, distinct_count: distinct, min, max, mean })
    const day1 = b.buckets[0]!.columns
    t.same(day1.price, st(3, 1, 2, '-3.50', '12.30', 4.4), 'decimals as exact strings, mean as a number')
    t.same(day1.n, st(3, 1, 2, -7, 5, -1))
    t.same({ ...day1.f, mean: Number(day1.f!.mean!.toPrecision(7)) }, st(3, 1, 2, 0.1, 2.5, 1.3), 'float4 shortest text')
    t.same(day1.tm, st(3, 1, 2, '09:30:00.250000', '10:00:00.000000', null), 'times as HH:MM:SS.ffffff')
    t.same(day1.b, st(3, 1, 1, null, null, null), 'binary: distinct only')
    t.same(day1.j, st(3, 1, 2, null, null, null), 'json: distinct only')
    t.same(b.buckets[1]!.columns.price, st(0, 0, 0, null, null, null), 'an empty day')
    t.same(b.buckets[2]!.columns.price, st(1, 0, 1, '100.00', '100.00', 100))
  })

  t.test('a client that leaves cancels the statement in PostgreSQL', async (t) => {
    await db.query(`CREATE VIEW public.slow_events AS SELECT id, ts, qty FROM public.sales WHERE pg_sleep(0.005) IS NOT NULL`)
    const r = await s.api('/api/datasets', {
      method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'slow', connector_id: 'warehouse', source_table: 'public.slow_events' }),
    })
    t.equal(r.status, 201)
    const ac = new AbortController()
    const pending = s.api('/api/datasets/slow/column-stats?from=2024-01-01&to=2024-04-01', { signal: ac.signal }).catch((err: Error) => err)
    const started = Date.now()
    while (!(await sluiceActivity(db)).some((a) => a.state === 'active' && /slow_events/.test(a.query))) {
      if (Date.now() - started > 10_000) throw new Error('the statement did not start')
      await new Promise((res) => setTimeout(res, 25))
    }
    ac.abort()
    t.type(await pending, Error, 'the request was aborted')
    const until = Date.now() + 1000
    let active = await sluiceActivity(db)
    while (active.some((a) => a.state === 'active') && Date.now() < until) {
      await new Promise((res) => setTimeout(res, 25))
      active = await sluiceActivity(db)
    }
    t.same(active.filter((a) => a.state === 'active'), [], 'no statement left running within a second')
  })

  t.test('parameters are validated before PostgreSQL is asked', async (t) => {
    for (const q of ['bucket=2d', 'rolling=0', 'columns=nope', 'time_column=qty', 'from=2024-03-01&to=2024-01-01']) {
      const r = await s.api(`/api/datasets/sales_pg/column-stats?${q}`)
      t.equal(r.status, 422, q)
      t.equal(((await r.json()) as { error: string }).error, 'invalid_parameter', q)
    }
    const r = await s.api('/api/datasets/sales_pg/column-stats?bucket=1h&from=2000-01-01&to=2024-01-01')
    t.equal(r.status, 422)
    t.equal(((await r.json()) as { error: string }).error, 'query_too_expensive')
  })
})
