// Masking of a registered plain Parquet folder with Hive partitions: a masked PARTITION column
// (its values come from folder names, not from the files) is masked like any other column in
// profiles and column stats, and the folder's TTL cache never serves one view to the other.
import t from 'tap'
import path from 'node:path'
import { Int64, TimestampMicrosecond, Utf8 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import { json, orgDir, registered, writeParquet } from './helpers/lakehouse.js'
import { MASKED, PII_READER, UNMASKED, setMasking } from './helpers/masking-people.js'

interface Col { name: string; type: string; masked: boolean; distinct_count: number; min: unknown; max: unknown; top_values?: { value: unknown; count: number }[] }
interface Profile { columns: Col[]; cached: boolean }

const SITES = ['secret-site-alpha', 'secret-site-beta']
const EMAILS = ['ann.hidden@one.example', 'bob.hidden@two.example']

t.test('a Parquet folder with a masked partition column', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const dir = path.join(orgDir(s), 'files', 'visits')
  SITES.forEach((site, k) => writeParquet(path.join(dir, `site=${site}`, 'part-0.parquet'), {
    id: { type: new Int64(), values: [1n + BigInt(k * 10), 2n + BigInt(k * 10), 3n + BigInt(k * 10)] },
    email: { type: new Utf8(), values: [EMAILS[k]!, EMAILS[k]!, null] },
    ts: { type: new TimestampMicrosecond('UTC'), values: [Date.parse('2024-03-05T10:11:12Z'), Date.parse('2024-03-06T10:11:12Z'), Date.parse('2024-03-07T10:11:12Z')] },
  }))
  await registered(s, 'visits', 'files/visits')
  await setMasking(s, 'visits', [
    { column: 'site', strategy: 'hash', params: {}, unmask_roles: [PII_READER] },
    { column: 'email', strategy: 'email', params: {}, unmask_roles: [PII_READER] },
  ])
  const leaks = (text: string) => [...SITES, ...EMAILS, 'hidden'].filter((raw) => text.includes(raw))

  t.test('profile: masked partition values, both cache orders', async (t) => {
    for (const [callers, top] of [[[MASKED, UNMASKED], 3], [[UNMASKED, MASKED], 4]] as const) {
      for (const [i, claims] of [...callers, ...callers].entries()) {
        const r = await s.api(`/api/datasets/visits/profile?top=${top}`, { claims })
        const text = await r.text()
        t.equal(r.status, 200, text)
        const p = JSON.parse(text) as Profile
        t.equal(p.cached, i >= 2, `${claims.sub}: cached only the second time`)
        const site = p.columns.find((c) => c.name === 'site')!
        if (claims === MASKED) {
          t.same(leaks(text), [], 'no raw partition value or email')
          t.match(site, { type: 'string', masked: true, distinct_count: 2 })
          t.ok(site.top_values!.every((v) => /^[0-9a-f]{64}$/.test(String(v.value)) && v.count === 3), 'hashed partition values, counted per row')
        } else {
          t.same(site.top_values, SITES.map((value) => ({ value, count: 3 })), 'raw partition values')
          t.equal(site.masked, false)
        }
      }
    }
  })

  t.test('column stats: masked partition values', async (t) => {
    const r = await s.api('/api/datasets/visits/column-stats?time_column=ts&from=2024-03-05&to=2024-03-08&columns=site,email', { claims: MASKED })
    const text = await r.text()
    t.equal(r.status, 200, text)
    t.same(leaks(text), [], 'no raw partition value or email')
    const body = JSON.parse(text) as { columns: { name: string; masked: boolean }[]; buckets: { columns: Record<string, { min: unknown; max: unknown; count: number }> }[] }
    t.same(body.columns.map((c) => c.masked), [true, true])
    t.ok(body.buckets.every((b) => /^[0-9a-f]{64}$/.test(String(b.columns.site!.min))), 'site min is a hash in every bucket')
    t.ok(body.buckets.some((b) => String(b.columns.email!.max).startsWith('****@')), 'email masked')
    const raw = await json<{ buckets: { columns: Record<string, { min: unknown }> }[] }>(s.api('/api/datasets/visits/column-stats?time_column=ts&from=2024-03-05&to=2024-03-08&columns=site', { claims: UNMASKED }))
    t.equal(raw.body.buckets[0]!.columns.site!.min, SITES[0], 'an unmasking caller sees the raw partition value')
  })
})
