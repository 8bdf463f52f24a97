// Two server processes on one DATA_DIR append to one table at once (so the link() EEXIST
// path really happens), while an overwrite and an OPTIMIZE run: the final row count is
// right and every version in between is readable.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

const csv = (from: number, n: number) => ['id,v', ...Array.from({ length: n }, (_, i) => `${from + i},${from + i}`)].join('\n') + '\n'

t.test('concurrent writers on one table', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-concurrent-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const env = { JWT_SECRET: 'shared-secret', PARQUET_ROWS_PER_FILE: '50' }
  const a = await startServer(env, { dataDir })
  const b = await startServer(env, { dataDir })
  t.teardown(async () => { await a.stop(); await b.stop() })
  const append = (s: TestServer, from: number) =>
    s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'events', mode: 'append' }, { name: 'e.csv', content: csv(from, 100) }) })

  t.equal((await a.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'events' }, { name: 'e.csv', content: csv(0, 100) }) })).status, 201)

  // Round 1: 8 appends split over two processes, all at once.
  const round1 = await Promise.all(Array.from({ length: 8 }, (_, i) => append(i % 2 ? b : a, 1000 * (i + 1))))
  t.same(round1.map((r) => r.status), Array(8).fill(200), 'every concurrent blind append lands (retried at the next version)')
  const count = async (s: TestServer, q = '') => ((await (await s.api(`/api/datasets/events/explore?select=n:count(),s:id.sum()${q}`)).json()) as { rows: { n: number; s: number }[] }).rows[0]
  t.same((await count(b)).n, 900, 'both processes see 900 rows')

  // Round 2: appends racing an overwrite and an OPTIMIZE.
  const results = await Promise.all([
    append(a, 20_000), append(b, 21_000),
    b.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'events', mode: 'overwrite' }, { name: 'o.csv', content: csv(50_000, 10) }) }),
    a.api('/api/datasets/events/optimize', { method: 'POST' }),
    append(b, 22_000),
  ])
  const statuses = results.map((r) => r.status)
  t.comment(`round 2 statuses: ${statuses.join(', ')}`)
  for (const s of statuses) t.ok([200, 409].includes(s), `each write either lands or reports a conflict (${s})`)
  t.equal(statuses[2], 200, 'the overwrite lands (it only conflicts with writers that remove its files)')

  // Every version from 0 to the latest reads, and each equals the log's own row count.
  const history = (await (await a.api('/api/datasets/events/history?limit=200')).json()) as { items: { version: number; row_count: number | null; operation: string; parameters: Record<string, string> }[] }
  const latest = Math.max(...history.items.map((h) => h.version))
  t.ok(latest >= 10, `the log has ${latest + 1} versions`)
  for (const h of history.items) {
    const c = await count(a, `&version=${h.version}`)
    if (h.row_count !== null) t.equal(c.n, h.row_count, `version ${h.version} reads its ${h.row_count} rows`)
  }
  const final = await count(b)
  const landedAfterOverwrite = await count(a, `&id=gte.50000`)
  t.equal(landedAfterOverwrite.n, 10, 'the overwrite rows are there')
  // Exactly the overwrite's 10 rows plus 100 per append committed after it.
  const overwriteVersion = history.items.find((h) => h.operation === 'WRITE' && h.parameters.mode === 'Overwrite')!.version
  const appendsAfter = history.items.filter((h) => h.version > overwriteVersion && h.operation === 'WRITE' && h.parameters.mode === 'Append').length
  t.equal(final.n, 10 + 100 * appendsAfter, `final row count = overwrite + ${appendsAfter} later appends`)
})
