// The explore result cache over real HTTP: ETag on Delta-backed results (never on PostgreSQL
// datasets), If-None-Match → 304 without a body (also after a restart, with an empty cache:
// the ETag is a digest of the key), a commit through Sluice (append) → new version → new ETag
// and new data at once, time travel keyed by the resolved version (version= and as_of), a
// commit another tool makes to a registered table seen through fs.watch, and the byte budget.
import t from 'tap'
import path from 'node:path'
import fs from 'node:fs'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'
import { pgTestDatabase, createPgConnector } from './helpers/pg.js'
import { makeDeltaTable, makeLedgerTable, orgDir, registered, writeCommit, writeParquet, LEDGER_T0, HOUR_MS } from './helpers/lakehouse.js'
import { Int32 } from 'apache-arrow'

const csv = (from: number, to: number) =>
  'id,region,amount\n' + Array.from({ length: to - from + 1 }, (_, i) => `${from + i},${(from + i) % 2 ? 'EU' : 'US'},${(from + i) * 10}`).join('\n') + '\n'

const upload = (s: TestServer, fields: Record<string, string>, content: string) =>
  s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm(fields, { name: 'sales.csv', content }) })

const Q = '/api/datasets/sales/explore?select=region,n:count(),total:amount.sum()&group=region&order=region'

async function get(s: TestServer, p: string, headers: Record<string, string> = {}) {
  const r = await s.api(p, { headers })
  return { status: r.status, etag: r.headers.get('etag'), cache: r.headers.get('x-cache'), control: r.headers.get('cache-control'), text: await r.text() }
}

t.test('result cache and ETags', async (t) => {
  const dataDir = fs.mkdtempSync(path.join((await import('node:os')).tmpdir(), 'sluice-rc-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const secret = 'result-cache-test-secret'
  let s = await startServer({ JWT_SECRET: secret }, { dataDir })
  t.teardown(() => s.stop())
  t.equal((await upload(s, { name: 'sales' }, csv(1, 10))).status, 201)

  const first = await get(s, Q)
  t.equal(first.status, 200)
  t.match(first.etag, /^W\/"[A-Za-z0-9_-]{32}"$/, 'a weak ETag on a Delta-backed result')
  t.equal(first.cache, 'miss')
  t.equal(first.control, 'private, no-cache', 'caches must revalidate, and never share across callers')
  t.same(JSON.parse(first.text).rows, [{ region: 'EU', n: 5, total: 250 }, { region: 'US', n: 5, total: 300 }])

  t.test('the same query again is a hit with the same ETag and bytes', async (t) => {
    const again = await get(s, Q)
    t.equal(again.cache, 'hit')
    t.equal(again.etag, first.etag)
    t.equal(again.text, first.text)
    // the key is the validated plan, not the raw query string
    const spelled = await get(s, '/api/datasets/sales/explore?group=region&order=region.asc&select=region,n:count(),total:amount.sum()&format=json')
    t.equal(spelled.etag, first.etag, 'parameter order, explicit defaults and format=json do not change the key')
    t.equal(spelled.cache, 'hit')
  })

  t.test('filter literals are part of the key (int64 literals included)', async (t) => {
    const above = (n: number) => get(s, `${Q}&amount=gt.${n}`)
    const a = await above(50)
    const b = await above(60)
    t.not(a.etag, b.etag)
    t.same(JSON.parse(a.text).rows, [{ region: 'EU', n: 2, total: 160 }, { region: 'US', n: 3, total: 240 }])
    t.same(JSON.parse(b.text).rows, [{ region: 'EU', n: 2, total: 160 }, { region: 'US', n: 2, total: 180 }])
    t.equal((await above(50)).cache, 'hit')
    t.same(JSON.parse((await get(s, `${Q}&amount=gt.${'9'.repeat(18)}`)).text).rows, [], 'a literal beyond 2^53 keys fine')
  })

  t.test('If-None-Match', async (t) => {
    const r = await s.api(Q, { headers: { 'if-none-match': first.etag! } })
    t.equal(r.status, 304)
    t.equal(r.headers.get('etag'), first.etag)
    t.equal((await r.arrayBuffer()).byteLength, 0, 'no body')
    t.equal((await get(s, Q, { 'if-none-match': `"nope", ${first.etag}` })).status, 304, 'one of a list')
    t.equal((await get(s, Q, { 'if-none-match': first.etag!.slice(2) })).status, 304, 'weak comparison: the strong form matches too')
    t.equal((await get(s, Q, { 'if-none-match': '"nope"' })).status, 200, 'another ETag')
    const post = await s.api('/api/datasets/sales/explore', {
      method: 'POST', headers: { 'content-type': 'application/json', 'if-none-match': first.etag! },
      body: JSON.stringify({ select: 'region,n:count(),total:amount.sum()', group: 'region', order: 'region' }),
    })
    t.equal(post.status, 200, 'POST is not conditional')
    t.equal(post.headers.get('etag'), first.etag, 'but has the same key and ETag as the GET')
    t.same((await post.json() as { rows: unknown[] }).rows, JSON.parse(first.text).rows)
  })

  t.test('formats are part of the key', async (t) => {
    const tags = new Set<string | null>([first.etag])
    for (const f of ['ndjson', 'csv', 'arrow']) {
      const r = await get(s, `${Q}&format=${f}`)
      t.equal(r.status, 200)
      t.notOk(tags.has(r.etag), `${f} has its own ETag`)
      tags.add(r.etag)
    }
    const accepted = await get(s, Q, { accept: 'text/csv' })
    t.equal(accepted.etag, (await get(s, `${Q}&format=csv`)).etag, 'Accept negotiates the same format as format=')
    t.match(accepted.text, /^region,n,total\r?\n/)
  })

  t.test('an append makes a new version: new ETag and new data at once', async (t) => {
    t.equal((await upload(s, { name: 'sales', mode: 'append' }, csv(11, 12))).status, 200)
    const r = await get(s, Q, { 'if-none-match': first.etag! })
    t.equal(r.status, 200, 'the old ETag no longer matches')
    t.not(r.etag, first.etag)
    t.equal(r.cache, 'miss')
    t.same(JSON.parse(r.text).rows, [{ region: 'EU', n: 6, total: 360 }, { region: 'US', n: 6, total: 420 }])
  })

  t.test('time travel is keyed by the version it resolves to', async (t) => {
    const v0 = await get(s, `${Q}&version=0`)
    t.equal(v0.etag, first.etag, 'version 0 is the version the first answer was read at: same key, same ETag')
    t.same(JSON.parse(v0.text).rows, JSON.parse(first.text).rows, 'and the old data')
    t.equal((await get(s, `${Q}&version=0`, { 'if-none-match': first.etag! })).status, 304)
    const latest = await get(s, Q)
    t.equal((await get(s, `${Q}&version=1`)).etag, latest.etag, 'version=1 is the latest')
    t.equal((await get(s, `${Q}&as_of=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`)).etag, latest.etag, 'as_of resolves to the latest')
    const bad = await get(s, `${Q}&version=7`)
    t.equal(bad.status, 422, 'a version above the latest is an error, not a cached answer')
    t.equal(bad.etag, null)
  })

  t.test('the ETag is a digest of the key: a restarted server answers 304 from an empty cache', async (t) => {
    const before = await get(s, Q)
    await s.stop()
    s = await startServer({ JWT_SECRET: secret }, { dataDir })
    const r = await get(s, Q, { 'if-none-match': before.etag! })
    t.equal(r.status, 304)
    const full = await get(s, Q)
    t.equal(full.cache, 'miss', 'the 304 did not compute or fill anything')
    t.equal(full.etag, before.etag)
    t.equal(full.text, before.text)
  })
})

t.test('registered tables: time travel by as_of, and commits made by another tool', async (t) => {
  // a long freshness window: only the fs.watch on _delta_log can make the new commit visible quickly
  const s = await startServer({ SNAPSHOT_FRESHNESS_MS: '600000' })
  t.teardown(() => s.stop())
  const ledger = path.join(orgDir(s), 'ledger')
  makeLedgerTable(ledger)
  await registered(s, 'ledger', 'ledger')
  const q = '/api/datasets/ledger/explore?select=v&order=v'
  const atV1 = await get(s, `${q}&version=1`)
  const asOf = await get(s, `${q}&as_of=${encodeURIComponent(new Date(LEDGER_T0 + HOUR_MS + 60_000).toISOString())}`)
  t.equal(asOf.etag, atV1.etag, 'as_of between v1 and v2 is version 1')
  t.same(JSON.parse(asOf.text).rows, [1, 2, 3, 4, 5].map((v) => ({ v })))

  const dir = path.join(orgDir(s), 'grows')
  makeDeltaTable(dir, { 'a.parquet': [1, 2] })
  await registered(s, 'grows', 'grows')
  const gq = '/api/datasets/grows/explore?select=n:count()'
  const before = await get(s, gq)
  t.equal((await get(s, gq)).cache, 'hit')
  const size = writeParquet(path.join(dir, 'b.parquet'), { v: { type: new Int32(), values: [3] } })
  writeCommit(dir, 1, [
    { commitInfo: { timestamp: Date.now(), operation: 'WRITE', operationParameters: { mode: 'Append' } } },
    { add: { path: 'b.parquet', partitionValues: {}, size, modificationTime: 0, dataChange: true } },
  ])
  let after = await get(s, gq)
  for (let i = 0; i < 40 && after.etag === before.etag; i++) {
    await new Promise((r) => setTimeout(r, 50))
    after = await get(s, gq)
  }
  t.not(after.etag, before.etag, 'the external commit was noticed without waiting for the freshness window')
  t.same(JSON.parse(after.text).rows, [{ n: 3 }])
})

t.test('PostgreSQL datasets are never cached: rows change underneath', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query('CREATE TABLE public.things (id int PRIMARY KEY, label text)')
  await db.query(`INSERT INTO public.things VALUES (1, 'a'), (2, 'b')`)
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  const reg = await s.api('/api/datasets', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'things', connector_id: 'warehouse', source_table: 'public.things' }),
  })
  t.equal(reg.status, 201, await reg.clone().text())
  const q = '/api/datasets/things/explore?select=n:count()'
  const a = await get(s, q)
  t.equal(a.status, 200)
  t.equal(a.etag, null, 'no ETag')
  t.equal(a.cache, null, 'no cache')
  await db.query(`INSERT INTO public.things VALUES (3, 'c')`)
  t.same(JSON.parse((await get(s, q, { 'if-none-match': '*' })).text).rows, [{ n: 3 }], 'the new row, and If-None-Match is ignored')
})

t.test('the byte budget evicts the least recently used results; big results are not cached', async (t) => {
  const s = await startServer({ RESULT_CACHE_BYTES: '4000', RESULT_CACHE_MAX_ENTRY_BYTES: '1500' })
  t.teardown(() => s.stop())
  t.equal((await upload(s, { name: 'sales' }, csv(1, 200))).status, 201)
  // three results of ~0.5-1 KB: two fit in 4000 bytes with their keys and the per-entry overhead (~1.5 KB each), three do not
  const q = (n: number) => `/api/datasets/sales/explore?select=id,amount&order=id&limit=${n}`
  t.equal((await get(s, q(20))).cache, 'miss')
  t.equal((await get(s, q(20))).cache, 'hit')
  t.equal((await get(s, q(21))).cache, 'miss')
  t.equal((await get(s, q(20))).cache, 'hit', 'A is now the most recent')
  t.equal((await get(s, q(22))).cache, 'miss')
  t.equal((await get(s, q(21))).cache, 'miss', 'B was the least recently used: evicted')
  t.equal((await get(s, q(20))).cache, 'miss', 'and then A')
  const big = await get(s, q(200))
  t.ok(big.text.length > 1500, `a result of ${big.text.length} bytes`)
  t.equal((await get(s, q(200))).cache, 'miss', 'above RESULT_CACHE_MAX_ENTRY_BYTES: never cached')
  t.equal((await get(s, q(200), { 'if-none-match': big.etag! })).status, 304, 'but it still has an ETag and 304s')
})
