// Column stats under masking, as attacks by a caller without the unmask role, over HTTP on
// both engines (a Delta upload and a PostgreSQL connector dataset with the same rows): per
// bucket min/max/distinct/mean are of masked values, a masked time column buckets by its
// masked value (and its default window is anchored at the newest MASKED value, never at a raw
// one from file stats), the header says which columns are masked and their masked types; a
// caller with the unmask role sees raw values.
import t, { type Test } from 'tap'
import { MASKED, RULES, UNMASKED, numberTokens, people, peopleCsv, peopleInTwoEngines, rawTexts, setMasking, type Person } from './helpers/masking-people.js'
import { uploadForm, type Claims, type TestServer } from './helpers/server.js'
import { schemaValidator } from './helpers/lakehouse.js'

interface Stats { count: number; null_count: number; distinct_count: number; min: unknown; max: unknown; mean: number | null }
interface Body {
  time_column: string; time_column_masked: boolean; bucket: string; from: string; to: string
  columns: { name: string; type: string; masked: boolean }[]
  buckets: { start: string; columns: Record<string, Stats> }[]
}

const rows = people(40)
const HEX64 = /^[0-9a-f]{64}$/
const DATASETS = ['people_lake', 'people_pg'] as const
const ALL = 'columns=uid,eh,ee,ep,er,amount,ts,note,day'
const monthStart = (ts: string) => `${ts.slice(0, 7)}-01T00:00:00.000000Z`
const nextDay = (day: string) => new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().replace('.000Z', '.000000Z')

async function stats(s: TestServer, name: string, claims: Claims, q: string): Promise<{ text: string; body: Body }> {
  const r = await s.api(`/api/datasets/${name}/column-stats?${q}`, { claims })
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${name} column-stats: ${r.status} ${text}`)
  return { text, body: JSON.parse(text) as Body }
}

function assertNoRaw(t: Test, text: string, list: readonly Person[], label: string): void {
  t.same(rawTexts(list).filter((raw) => text.includes(raw)), [], `${label}: no raw text of a masked column in the body`)
  const numbers = numberTokens(text)
  t.same(list.filter((r) => numbers.has(r.uid)).map((r) => r.uid), [], `${label}: no raw uid`)
  t.same(list.filter((r) => numbers.has(r.amount)).map((r) => r.amount), [], `${label}: no raw amount`)
}

/** Every non-empty bucket's masked columns hold masked values only. */
function checkMaskedBuckets(t: Test, b: Body, label: string): void {
  const full = b.buckets.filter((x) => x.columns.eh!.count > 0)
  t.ok(full.length > 0, `${label}: some bucket holds rows`)
  const bad = full.filter((x) => {
    const c = x.columns
    return !(HEX64.test(String(c.eh!.min)) && HEX64.test(String(c.eh!.max)) && HEX64.test(String(c.uid!.max))
      && String(c.ee!.min).startsWith('****@') && /^\*+mple$/.test(String(c.ep!.max)) && c.er!.min === '****' && c.er!.max === '****'
      && Number(c.amount!.min) % 10 === 0 && Number(c.amount!.max) % 10 === 0
      && c.note!.null_count === c.note!.count && c.note!.min === null)
  })
  t.same(bad.map((x) => x.start), [], `${label}: every bucket's stats are of masked values`)
}

const { s } = await peopleInTwoEngines(t, rows)
const months = [...new Set(rows.map((r) => monthStart(r.ts)))].sort()

for (const name of DATASETS) {
  t.test(`${name}: masked time column buckets by its masked value`, async (t) => {
    const { text, body } = await stats(s, name, MASKED, `time_column=ts&bucket=1d&from=2024-01-01&to=2024-06-01&${ALL}`)
    const valid = schemaValidator('ColumnStatsJson')
    t.ok(valid(body), `the documented shape ${valid.text()}`)
    assertNoRaw(t, text, rows, name)
    t.equal(body.time_column_masked, true)
    t.same(body.columns.map((c) => [c.name, c.type, c.masked]), [
      ['uid', 'string', true], ['eh', 'string', true], ['ee', 'string', true], ['ep', 'string', true], ['er', 'string', true],
      ['amount', 'float64', true], ['ts', 'timestamp', true], ['note', 'string', true], ['day', 'date', false],
    ], 'column metadata: masked types and flags')
    const full = body.buckets.filter((x) => x.columns.eh!.count > 0)
    t.same(full.map((x) => x.start), months, 'rows only in the buckets of month starts')
    t.equal(full.reduce((a, x) => a + x.columns.eh!.count, 0), rows.length, 'every row counted')
    t.ok(full.every((x) => x.columns.ts!.min === x.start && x.columns.ts!.max === x.start), 'ts min/max are month starts')
    checkMaskedBuckets(t, body, name)
  })

  t.test(`${name}: masked columns bucketed by an unmasked time column`, async (t) => {
    const { text, body } = await stats(s, name, MASKED, `time_column=day&bucket=1w&from=2024-01-01&to=2024-06-01&${ALL}&rolling=2`)
    assertNoRaw(t, text, rows, name)
    t.equal(body.time_column_masked, false)
    t.ok(body.buckets.filter((x) => x.columns.eh!.count > 0).length > months.length, 'raw days spread over many weeks')
    checkMaskedBuckets(t, body, name)
  })

  t.test(`${name}: the default window ends at the newest masked value, not the raw one`, async (t) => {
    const masked = await stats(s, name, MASKED, 'time_column=ts&bucket=1d&window=10d&columns=amount')
    t.equal(masked.body.to, nextDay(months.at(-1)!.slice(0, 10)), 'anchored at the last month start')
    assertNoRaw(t, masked.text, rows, name)
    const newestRaw = rows.map((r) => r.ts).sort().at(-1)!
    const raw = await stats(s, name, UNMASKED, 'time_column=ts&bucket=1d&window=10d&columns=amount')
    t.equal(raw.body.to, nextDay(newestRaw.slice(0, 10)), 'an unmasking caller: anchored at the raw newest value')
  })

  t.test(`${name}: NDJSON carries the same metadata`, async (t) => {
    const q = `time_column=ts&bucket=1w&from=2024-01-01&to=2024-06-01&${ALL}`
    const r = await s.api(`/api/datasets/${name}/column-stats?${q}&format=ndjson`, { claims: MASKED })
    const text = await r.text()
    t.equal(r.status, 200)
    assertNoRaw(t, text, rows, `${name} ndjson`)
    const header = JSON.parse(text.split('\n')[0]!) as Body
    t.equal(header.time_column_masked, true)
    t.same(header.columns.filter((c) => c.masked).map((c) => c.name), ['uid', 'eh', 'ee', 'ep', 'er', 'amount', 'ts', 'note'])
  })

  t.test(`${name}: a caller with the unmask role sees raw values`, async (t) => {
    const { text, body } = await stats(s, name, UNMASKED, `time_column=ts&bucket=1d&from=2024-01-01&to=2024-06-01&${ALL}`)
    t.equal(body.time_column_masked, false)
    t.ok(body.columns.every((c) => !c.masked), 'nothing masked')
    t.equal(body.columns.find((c) => c.name === 'uid')!.type, 'int64')
    const full = body.buckets.filter((x) => x.columns.eh!.count > 0)
    t.ok(full.length > months.length, 'rows on their raw days')
    t.ok(text.includes(rows[0]!.eh), 'raw emails present')
    t.ok(full.some((x) => rows.some((r) => r.amount === x.columns.amount!.min)), 'raw amounts present')
  })
}

t.test('both engines agree on masked stats', async (t) => {
  const q = `time_column=ts&bucket=1d&from=2024-01-01&to=2024-06-01&columns=eh,ee,er,ts`
  const lake = await stats(s, 'people_lake', MASKED, q)
  const pg = await stats(s, 'people_pg', MASKED, q)
  const pick = (b: Body) => b.buckets.filter((x) => x.columns.eh!.count > 0).map((x) => [x.start, x.columns.eh!.min, x.columns.eh!.max, x.columns.ee!.max, x.columns.eh!.distinct_count])
  t.same(pick(pg.body), pick(lake.body))
})

t.test('file pruning never uses raw stats of a masked time column', async (t) => {
  // a second file whose raw times all lie after 2024-05-02: raw stats would prune it from
  // [2024-05-01, 2024-05-02), yet every one of its masked times is 2024-05-01
  const late = people(6).map((r, i) => ({ ...r, ts: `2024-05-${15 + i}T10:00:00.000001Z`, day: `2024-05-${15 + i}` }))
  for (const [mode, list] of [['', rows], ['append', late]] as const) {
    const r = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'people_split', ...(mode ? { mode } : {}) }, { name: 'p.csv', content: peopleCsv(list) }) })
    t.equal(r.status, mode ? 200 : 201, `upload ${mode || 'new'}`)
  }
  await setMasking(s, 'people_split', RULES)
  const { text, body } = await stats(s, 'people_split', MASKED, 'time_column=ts&bucket=1d&from=2024-05-01&to=2024-05-02&columns=eh')
  t.equal(body.buckets[0]!.columns.eh!.count, rows.filter((r) => r.ts.startsWith('2024-05')).length + late.length, 'both files counted')
  assertNoRaw(t, text, [...rows, ...late], 'people_split')
})
