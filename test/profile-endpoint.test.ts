// GET /api/datasets/{name}/profile on an uploaded dataset: every field checked against plain JS
// over the same rows; the cache per Delta version (a new version recomputes); columns=, top=,
// version=/as_of= and their 422s; 404 in another org.
import t, { type Test } from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'
import { generateRows, toCsv, type Row } from './helpers/data.js'

const rows = generateRows(3000)
const extra = generateRows(500, 99).map((r) => ({ ...r, id: r.id + 10_000 }))

interface Col {
  name: string; type: string; count: number; null_count: number; null_rate: number; distinct_count: number
  distinct_approximate: boolean; min: unknown; max: unknown; mean?: number | null; stddev?: number | null
  p25?: number | null; p50?: number | null; p75?: number | null
  min_length?: number | null; max_length?: number | null; empty_count?: number
  top_values?: { value: unknown; count: number }[]; top_values_approximate?: boolean
  histogram?: { bucket: string; bins: { start: string; count: number }[] }
}
interface Profile { row_count: number; version: number | null; columns: Col[]; computed_at: string; sample: unknown; cached: boolean }

// Code point order (ASCII and BMP below the surrogates here, so UTF-16 order agrees).
const cmp = (a: unknown, b: unknown) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0)
const near = (a: number | null | undefined, b: number, rel = 1e-9) => a !== null && a !== undefined && Math.abs(a - b) <= rel * Math.max(1, Math.abs(b))

function topOf<T>(values: (T | null)[], top: number, order: (a: T, b: T) => number): { value: T; count: number }[] {
  const counts = new Map<T, number>()
  for (const v of values) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1)
  return [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || order(a.value, b.value)).slice(0, top)
}

/** Checks the profile's columns against plain JS over `list`. */
function checkAgainst(t: Test, p: Profile, list: Row[]): void {
  t.equal(p.row_count, list.length, 'row_count')
  const col = (name: string) => p.columns.find((c) => c.name === name)!
  const n = list.length
  for (const c of p.columns) {
    t.equal(c.count, n, `${c.name}: count`)
    t.equal(c.null_rate, c.null_count / n, `${c.name}: null_rate`)
  }
  const distinct = (c: Col, exact: number) => (c.distinct_approximate
    ? t.ok(Math.abs(c.distinct_count - exact) <= 0.05 * exact, `${c.name}: distinct ≈ ${exact} (${c.distinct_count})`)
    : t.equal(c.distinct_count, exact, `${c.name}: distinct`))

  const region = col('region')
  const regions = list.map((r) => r.region)
  const nonNullRegions = regions.filter((v): v is string => v !== null).sort(cmp)
  t.equal(region.null_count, n - nonNullRegions.length, 'region: null_count')
  distinct(region, new Set(nonNullRegions).size)
  t.equal(region.min, nonNullRegions[0], 'region: min')
  t.equal(region.max, nonNullRegions.at(-1), 'region: max')
  t.same(region.top_values, topOf(regions, 10, cmp), 'region: top values')

  const label = col('label')
  const labels = list.map((r) => r.label)
  t.same(label.top_values, topOf(labels, 10, cmp), 'label: top values, ties by value')
  t.equal(label.min_length, Math.min(...labels.map((l) => [...l].length)), 'label: min_length')
  t.equal(label.max_length, Math.max(...labels.map((l) => [...l].length)), 'label: max_length')
  t.equal(label.empty_count, labels.filter((l) => l === '').length, 'label: empty_count')

  const id = col('id')
  t.equal(id.min, Math.min(...list.map((r) => r.id)), 'id: min')
  t.equal(id.max, Math.max(...list.map((r) => r.id)), 'id: max')
  distinct(id, n)

  const qty = col('qty')
  const qtys = list.map((r) => r.qty)
  t.equal(qty.min, Math.min(...qtys), 'qty: min')
  t.equal(qty.max, Math.max(...qtys), 'qty: max')
  const mean = qtys.reduce((a, b) => a + b, 0) / n
  t.ok(near(qty.mean, mean), `qty: mean ${qty.mean} = ${mean}`)
  const sd = Math.sqrt(qtys.reduce((a, b) => a + (b - mean) ** 2, 0) / (n - 1))
  t.ok(near(qty.stddev, sd, 1e-6), `qty: stddev ${qty.stddev} = ${sd}`)
  const sorted = [...qtys].sort((a, b) => a - b)
  const quantile = (q: number) => { const h = (n - 1) * q; const lo = Math.floor(h); return sorted[lo]! + (h - lo) * (sorted[Math.min(lo + 1, n - 1)]! - sorted[lo]!) }
  t.ok(near(qty.p50, quantile(0.5), 0.02), `qty: p50 ${qty.p50} ≈ ${quantile(0.5)}`)
  t.same(qty.top_values, topOf(qtys, 10, (a, b) => a - b), 'qty: top values (few distinct numbers)')
  distinct(qty, new Set(qtys).size)

  const amount = col('amount')
  const amounts = list.map((r) => r.amount).filter((v): v is number => v !== null)
  t.equal(amount.null_count, n - amounts.length, 'amount: null_count')
  t.equal(amount.min, Math.min(...amounts), 'amount: min')
  t.equal(amount.max, Math.max(...amounts), 'amount: max')
  t.ok(near(amount.mean, amounts.reduce((a, b) => a + b, 0) / amounts.length), 'amount: mean')

  const ok = col('ok')
  t.equal(ok.min, list.some((r) => !r.ok) ? false : true, 'ok: min')
  t.equal(ok.max, list.some((r) => r.ok), 'ok: max')
  t.same(ok.top_values, topOf(list.map((r) => r.ok), 10, (a, b) => Number(a) - Number(b)), 'ok: top values')

  const ts = col('ts')
  const tss = list.map((r) => r.ts).sort(cmp)
  t.equal(ts.min, tss[0], 'ts: min in wire form')
  t.equal(ts.max, tss.at(-1), 'ts: max')
  const day = col('day')
  const days = list.map((r) => r.day).sort(cmp)
  t.equal(day.min, days[0], 'day: min')
  t.equal(day.max, days.at(-1), 'day: max')
  t.equal((day.histogram?.bins ?? []).reduce((a, b) => a + b.count, 0), n, 'day: every value in one histogram bin')
}

async function profile(s: TestServer, name: string, q = '', claims?: { org: string }): Promise<Profile> {
  const r = await s.api(`/api/datasets/${name}/profile${q ? '?' + q : ''}`, claims ? { claims } : {})
  const text = await r.text()
  if (r.status !== 200) throw new Error(`profile ${q}: ${r.status} ${text}`)
  return JSON.parse(text) as Profile
}

t.test('profile of an uploaded dataset', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales' }, { name: 'sales.csv', content: toCsv(rows) }) })
  t.equal(up.status, 201)

  t.test('every column against plain JS', async (t) => {
    const p = await profile(s, 'sales')
    t.equal(p.version, 0)
    t.equal(p.sample, null)
    t.equal(p.cached, false)
    t.same(p.columns.map((c) => [c.name, c.type]), [
      ['id', 'int64'], ['region', 'string'], ['ts', 'timestamp'], ['day', 'date'], ['qty', 'int64'], ['amount', 'float64'], ['ok', 'boolean'], ['label', 'string'],
    ])
    checkAgainst(t, p, rows)
  })

  t.test('cached per version; an append recomputes', async (t) => {
    const again = await profile(s, 'sales')
    t.equal(again.cached, true, 'second call from the cache')
    t.equal(again.version, 0)
    const app = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales', mode: 'append' }, { name: 'more.csv', content: toCsv(extra) }) })
    t.equal(app.status, 200, await app.clone().text())
    const next = await profile(s, 'sales')
    t.equal(next.cached, false, 'a new version is recomputed')
    t.equal(next.version, 1)
    checkAgainst(t, next, [...rows, ...extra])
    t.equal((await profile(s, 'sales')).cached, true)
    const old = await profile(s, 'sales', 'version=0')
    t.equal(old.version, 0)
    t.equal(old.row_count, rows.length, 'time travel: the old version')
    t.equal(old.cached, true, 'version 0 is still cached')
  })

  t.test('columns, top, version and as_of', async (t) => {
    const p = await profile(s, 'sales', 'columns=label,qty&top=3')
    t.same(p.columns.map((c) => c.name), ['label', 'qty'])
    t.equal(p.columns[0]!.top_values!.length, 3)
    t.equal((await profile(s, 'sales', 'columns=label,qty&top=3')).cached, true)
    t.equal((await profile(s, 'sales', 'columns=label,qty&top=4')).cached, false, 'top is part of the cache key')
    const err = async (q: string) => {
      const r = await s.api(`/api/datasets/sales/profile?${q}`)
      return { status: r.status, body: await r.json() as { error: string; message: string } }
    }
    t.match(await err('columns=nope'), { status: 422, body: { error: 'invalid_parameter', message: /columns/ } })
    t.match(await err('columns=label,,qty'), { status: 422, body: { error: 'invalid_parameter', message: /columns/ } })
    t.match(await err('top=0'), { status: 422, body: { error: 'invalid_parameter', message: /top/ } })
    t.match(await err('top=101'), { status: 422, body: { error: 'invalid_parameter', message: /top/ } })
    t.match(await err('top=x'), { status: 422, body: { error: 'invalid_parameter', message: /top/ } })
    t.match(await err('limit=5'), { status: 422, body: { error: 'invalid_parameter', message: /limit/ } })
    t.match(await err('version=0&as_of=2024-01-01T00:00:00Z'), { status: 422, body: { error: 'invalid_parameter' } })
    t.match(await err('version=99'), { status: 422, body: { error: 'version_unavailable' } })
    const now = await profile(s, 'sales', `as_of=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)
    t.equal(now.version, 1, 'as_of after the last commit: the latest version')
  })

  t.test('an empty table reads no file', async (t) => {
    const e = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'empty' }, { name: 'e.csv', content: 'a,b\n' }) })
    t.equal(e.status, 201, 'a header-only CSV uploads')
    const p = await profile(s, 'empty')
    t.equal(p.row_count, 0)
    for (const c of p.columns) t.match(c, { count: 0, null_count: 0, null_rate: 0, distinct_count: 0, min: null, max: null })
  })

  t.test('concurrent requests share one computation', async (t) => {
    const all = await Promise.all(Array.from({ length: 6 }, () => profile(s, 'sales', 'columns=amount,day&top=7')))
    t.equal(new Set(all.map((p) => p.computed_at)).size, 1, 'one computation answered every caller')
    t.ok(all.every((p) => p.row_count === rows.length + extra.length))
  })

  t.test('404 in another org', async (t) => {
    const r = await s.api('/api/datasets/sales/profile', { claims: { org: 'globex' } })
    t.equal(r.status, 404)
    t.match(await r.json(), { error: 'dataset_not_found' })
  })
})
