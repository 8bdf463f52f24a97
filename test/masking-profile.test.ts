// Profiles under masking, as attacks by a caller without the unmask role, over HTTP on both
// engines (a Delta upload and a PostgreSQL connector dataset with the same rows): no raw value
// of a masked column may appear anywhere in the profile (min/max, top values, histogram bins,
// lengths, ...), the statistics are those of the masked values, column types are the masked
// types with `masked: true`; a caller holding the unmask role sees raw values. Caches never
// serve one view's profile to the other (either order).
import t, { type Test } from 'tap'
import { MASKED, RULES, UNMASKED, numberTokens, people, peopleCsv, peopleInTwoEngines, rawTexts, setMasking, type Person } from './helpers/masking-people.js'
import { uploadForm, type Claims, type TestServer } from './helpers/server.js'
import { schemaValidator } from './helpers/lakehouse.js'

interface Col {
  name: string; type: string; masked: boolean; count: number; null_count: number; distinct_count: number
  min: unknown; max: unknown; mean?: number | null; p50?: number | null
  min_length?: number | null; max_length?: number | null
  top_values?: { value: unknown; count: number }[]
  histogram?: { bucket: string; bins: { start: string; count: number }[] }
}
interface Profile { row_count: number; columns: Col[]; cached: boolean }

const rows = people(40)
const HEX64 = /^[0-9a-f]{64}$/
const DATASETS = ['people_lake', 'people_pg'] as const

/** round(x, step 10) as proto/masking.ts defines it for floats (half away from zero). */
const round10 = (x: number) => { const q = x / 10; const a = Math.abs(q); return Math.sign(q) * (Math.floor(a) + (a - Math.floor(a) >= 0.5 ? 1 : 0)) * 10 }
const monthStart = (ts: string) => `${ts.slice(0, 7)}-01T00:00:00.000000Z`

async function profile(s: TestServer, name: string, claims: Claims, q = ''): Promise<{ text: string; body: Profile }> {
  const r = await s.api(`/api/datasets/${name}/profile${q}`, { claims })
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${name} profile: ${r.status} ${text}`)
  return { text, body: JSON.parse(text) as Profile }
}

const colOf = (p: Profile, name: string) => {
  const c = p.columns.find((x) => x.name === name)
  if (!c) throw new Error(`no column ${name}`)
  return c
}

/** The leak check: no raw text of a masked column, no raw uid or amount as a number. */
function assertNoRaw(t: Test, text: string, list: readonly Person[], label: string): void {
  const leaked = rawTexts(list).filter((raw) => text.includes(raw))
  t.same(leaked, [], `${label}: no raw text of a masked column in the body`)
  const numbers = numberTokens(text)
  t.same(list.filter((r) => numbers.has(r.uid)).map((r) => r.uid), [], `${label}: no raw uid`)
  t.same(list.filter((r) => numbers.has(r.amount)).map((r) => r.amount), [], `${label}: no raw amount`)
}

/** A masked caller's profile: masked types and flags, statistics of the masked values. */
function checkMasked(t: Test, p: Profile, list: readonly Person[]): void {
  const n = list.length
  for (const c of p.columns) t.equal(c.masked, c.name !== 'day', `${c.name}: masked flag`)

  const eh = colOf(p, 'eh')
  t.equal(eh.type, 'string')
  t.equal(eh.distinct_count, 10, 'eh: equal emails hash alike (10 distinct)')
  t.ok(HEX64.test(String(eh.min)) && HEX64.test(String(eh.max)), 'eh: min/max are hashes')
  t.ok(eh.top_values!.length === 10 && eh.top_values!.every((v) => HEX64.test(String(v.value)) && v.count === 4), 'eh: top values are hashes, 4 rows each')
  t.equal(eh.min_length, 64)
  t.equal(eh.max_length, 64)

  const uid = colOf(p, 'uid')
  t.equal(uid.type, 'string', 'uid: hash turns int64 into string')
  t.equal(uid.distinct_count, n)
  t.ok(HEX64.test(String(uid.min)) && HEX64.test(String(uid.max)), 'uid: min/max are hashes')
  t.equal(uid.mean, undefined, 'uid: no numeric statistics of a hashed number')
  t.ok(uid.top_values!.every((v) => HEX64.test(String(v.value))), 'uid: top values are hashes')

  const ee = colOf(p, 'ee')
  t.same(ee.top_values, [
    { value: '****@corp-a.example', count: 16 }, { value: '****@corp-b.example', count: 12 }, { value: '****@corp-c.example', count: 12 },
  ], 'ee: only the domain shows')
  t.equal(ee.min, '****@corp-a.example')
  t.equal(ee.max, '****@corp-c.example')

  const ep = colOf(p, 'ep')
  t.equal(ep.distinct_count, new Set(list.map((r) => r.ep.length)).size, 'ep: partial keeps only the length and the last 4 characters')
  t.ok(ep.top_values!.every((v) => /^\*+mple$/.test(String(v.value))), 'ep: top values masked')
  t.equal(ep.max_length, Math.max(...list.map((r) => r.ep.length)))

  const er = colOf(p, 'er')
  t.same(er.top_values, [{ value: '****', count: n }], 'er: redacted')
  t.same([er.min, er.max, er.distinct_count, er.min_length, er.max_length], ['****', '****', 1, 4, 4])

  const amount = colOf(p, 'amount')
  const rounded = list.map((r) => round10(r.amount))
  t.equal(amount.type, 'float64')
  t.equal(amount.min, Math.min(...rounded), 'amount: min of rounded values')
  t.equal(amount.max, Math.max(...rounded), 'amount: max of rounded values')
  t.ok(Math.abs(amount.mean! - rounded.reduce((a, b) => a + b, 0) / n) < 1e-6, 'amount: mean of rounded values')
  t.ok(amount.top_values!.every((v) => Number(v.value) % 10 === 0), 'amount: top values are multiples of 10')

  const ts = colOf(p, 'ts')
  const months = [...new Set(list.map((r) => monthStart(r.ts)))].sort()
  t.equal(ts.type, 'timestamp')
  t.same([ts.min, ts.max, ts.distinct_count], [months[0], months.at(-1), months.length], 'ts: month starts only')
  const bins = ts.histogram!.bins
  t.equal(bins.reduce((a, b) => a + b.count, 0), n, 'ts: histogram counts every row')
  t.equal(bins.filter((b) => b.count > 0).length, months.length, 'ts: only the bins of month starts hold rows')

  const note = colOf(p, 'note')
  t.same([note.null_count, note.distinct_count, note.min, note.max, note.min_length ?? null], [n, 0, null, null, null], 'note: nulled')
  t.same(note.top_values ?? [], [], 'note: no top values')
}

/** An unmasking caller's profile: raw types and values. */
function checkUnmasked(t: Test, p: Profile, list: readonly Person[]): void {
  for (const c of p.columns) t.equal(c.masked, false, `${c.name}: not masked`)
  const sorted = (xs: string[]) => [...xs].sort()
  t.equal(colOf(p, 'uid').type, 'int64')
  t.equal(colOf(p, 'uid').min, Math.min(...list.map((r) => r.uid)), 'uid: raw min')
  t.equal(colOf(p, 'eh').min, sorted(list.map((r) => r.eh))[0], 'eh: raw min')
  t.ok(colOf(p, 'ee').top_values!.some((v) => v.value === list[0]!.ee), 'ee: raw top values')
  t.equal(colOf(p, 'amount').min, Math.min(...list.map((r) => r.amount)), 'amount: raw min')
  t.equal(colOf(p, 'ts').min, sorted(list.map((r) => r.ts))[0], 'ts: raw min')
  t.equal(colOf(p, 'note').distinct_count, list.length, 'note: raw values')
}

const { s } = await peopleInTwoEngines(t, rows)

for (const name of DATASETS) {
  t.test(`${name}: a caller without the unmask role sees masked statistics only`, async (t) => {
    const { text, body } = await profile(s, name, MASKED)
    const valid = schemaValidator('DatasetProfile')
    t.ok(valid(body), `the documented shape ${valid.text()}`)
    assertNoRaw(t, text, rows, name)
    checkMasked(t, body, rows)
    const one = await profile(s, name, MASKED, '?columns=eh,ts&top=100')
    assertNoRaw(t, one.text, rows, `${name} columns=eh,ts`)
    t.same(one.body.columns.map((c) => [c.name, c.masked]), [['eh', true], ['ts', true]], 'a subset is masked too')
  })

  t.test(`${name}: a caller with the unmask role sees raw values`, async (t) => {
    const { text, body } = await profile(s, name, UNMASKED)
    checkUnmasked(t, body, rows)
    t.ok(text.includes(rows[0]!.eh), 'raw emails present')
  })

  for (const [order, top] of [['unmasking caller first', 7], ['masked caller first', 8]] as const) {
    t.test(`${name}: cache, ${order}`, async (t) => {
      const q = `?top=${top}`
      const callers = order === 'unmasking caller first' ? [UNMASKED, MASKED] : [MASKED, UNMASKED]
      for (const round of [1, 2]) {
        for (const claims of callers) {
          const { text, body } = await profile(s, name, claims, q)
          const label = `${claims.sub} round ${round}`
          t.equal(body.cached, round === 2, `${label}: cached only on the second round`)
          if (claims === MASKED) {
            assertNoRaw(t, text, rows, label)
            t.equal(colOf(body, 'eh').masked, true, `${label}: masked view`)
          } else {
            t.ok(text.includes(rows[0]!.eh), `${label}: raw view`)
            t.equal(colOf(body, 'eh').masked, false, `${label}: raw view flag`)
          }
        }
      }
    })
  }
}

t.test('both engines hash alike (one salt per org, one definition)', async (t) => {
  const lake = await profile(s, 'people_lake', MASKED, '?columns=eh,uid&top=100')
  const pg = await profile(s, 'people_pg', MASKED, '?columns=eh,uid&top=100')
  t.same(colOf(pg.body, 'eh').top_values, colOf(lake.body, 'eh').top_values, 'eh')
  t.same([colOf(pg.body, 'uid').min, colOf(pg.body, 'uid').max], [colOf(lake.body, 'uid').min, colOf(lake.body, 'uid').max], 'uid')
})

t.test('hashes are salted', async (t) => {
  const lake = await profile(s, 'people_lake', MASKED, '?columns=eh')
  t.ok(lake.body.columns[0]!.top_values!.length > 0)
  // the salt is secret: what a test can check is that it is not the empty salt
  const { createHash } = await import('node:crypto')
  const unsalted = new Set(rows.map((r) => createHash('sha256').update(r.eh).digest('hex')))
  t.notOk(lake.body.columns[0]!.top_values!.some((v) => unsalted.has(String(v.value))), 'hashes are salted')
})

t.test('rules set after a profile was cached: the cached raw answer is not served', async (t) => {
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'people_later' }, { name: 'p.csv', content: peopleCsv(rows) }) })
  t.equal(up.status, 201)
  const before = await profile(s, 'people_later', MASKED)
  t.ok(before.text.includes(rows[0]!.eh), 'no rules yet: raw values')
  await setMasking(s, 'people_later', RULES)
  const after = await profile(s, 'people_later', MASKED)
  t.equal(after.body.cached, false, 'recomputed for the new view')
  assertNoRaw(t, after.text, rows, 'after the rules')
  checkMasked(t, after.body, rows)
})

t.test('hash on a float column of a PostgreSQL dataset is refused, never answered unmasked', async (t) => {
  const rules = [{ column: 'amount', strategy: 'hash', params: {}, unmask_roles: [] }]
  const patch = await s.api('/api/datasets/people_pg', {
    method: 'PATCH', claims: { sub: 'root', roles: ['admin'] }, headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { masking: rules } }),
  })
  if (patch.status === 200) {
    // settings accepted it: the profile and column stats must refuse rather than mask differently
    for (const path of ['profile?columns=amount', 'column-stats?time_column=ts&columns=amount']) {
      const r = await s.api(`/api/datasets/people_pg/${path}`, { claims: MASKED })
      t.equal(r.status, 422, path)
      t.match(await r.json(), { error: 'invalid_settings' })
    }
  } else {
    t.equal(patch.status, 422, 'settings refuse it')
    t.match(await patch.json(), { error: 'invalid_settings' })
  }
  await setMasking(s, 'people_pg', RULES)
})
