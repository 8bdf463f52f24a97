// OPTIMIZE against concurrent writers, in process with the real compact worker: a blind append
// committed while the new files are written does not fail it (the commit moves to the next
// version), a commit that removed an input does (409, and the new files are deleted), and a
// cancelled OPTIMIZE leaves nothing behind. Then the same race over HTTP.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { Principal } from '../src/auth/principal.js'
import type { Dataset, DatasetStore } from '../src/catalog/index.js'
import { appendActions, commitActions, loadSnapshot, removeAction } from '../src/lakehouse/index.js'
import type { MaintenanceDeps } from '../src/jobs/maintenance.js'
import { prepareOptimize, runOptimize } from '../src/jobs/optimize.js'
import { WorkerPool } from '../src/pool.js'
import { writeParquetFile } from '../workers/ingest/parquet-write.js'
import { generateRows } from './helpers/data.js'
import { buildPartitionedTable, dataFiles, post, readCommit, uploadRows } from './helpers/maintenance.js'
import { startServer, uploadForm } from './helpers/server.js'

const COMPACT = fileURLToPath(new URL('../workers/compact.ts', import.meta.url))
const principal: Principal = { sub: 'alice', org: 'acme', roles: ['editor'], groups: [] }
const noCatalog = { get: () => undefined } as unknown as DatasetStore

function datasetAt(dir: string): Dataset {
  const now = new Date().toISOString()
  return {
    id: 'd1', org: 'acme', name: 'events', kind: 'upload', description: '', schema: [], settings: {}, provenance: {},
    tablePath: dir, currentVersion: null, rowCount: null, createdBy: 'alice', createdAt: now, updatedAt: now,
  }
}

/** Appends one small file (ids from `from`) as the next version, as another writer would. */
async function appendOne(dir: string, from: number): Promise<number> {
  const snap = await loadSnapshot(dir)
  const n = 10
  const batch = {
    length: n,
    columns: [{ name: 'id', type: 'int64' as const, values: BigInt64Array.from({ length: n }, (_, i) => BigInt(from + i)), nulls: null }],
  }
  fs.mkdirSync(path.join(dir, 'region=EU'), { recursive: true })
  const w = await writeParquetFile(path.join(dir, 'region=EU'), 99, [batch])
  await commitActions(dir, snap.version + 1, appendActions(snap, {
    files: [{ path: `region=EU/${w.name}`, size: w.size, partitionValues: { region: 'EU' }, stats: `{"numRecords":${n}}` }], engineInfo: 'other-writer',
  }))
  return snap.version + 1
}

t.test('OPTIMIZE and concurrent commits (in process)', async (t) => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-optimize-'))
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }))
  const pool = new WorkerPool(2)
  t.teardown(() => pool.close())
  const deps = (afterData?: () => Promise<void>): MaintenanceDeps => ({
    dataDir: root, pool, datasets: noCatalog, engineInfo: 'test', compactWorker: COMPACT, concurrency: 2, ...(afterData ? { afterData } : {}),
  })
  const rowsOf = async (dir: string) => {
    const snap = await loadSnapshot(dir)
    return snap.files.reduce((n, f) => n + JSON.parse(f.stats!).numRecords, 0)
  }

  await t.test('a blind append that lands first moves the commit to the next version', async (t) => {
    const dir = path.join(root, 'append')
    await buildPartitionedTable(dir, { rows: 2_000, commits: 4 })
    const prep = await prepareOptimize(root, datasetAt(dir), { targetFileSize: 128 << 20, where: null })
    t.equal(prep.plan.readVersion, 3)
    let appended = -1
    const r = await runOptimize(deps(async () => { appended = await appendOne(dir, 100_000) }), principal, prep, null, new AbortController().signal)
    t.equal(appended, 4, 'the other writer took version 4')
    t.match(r, { committed: true, version: 5, read_version: 3, files_removed: 20, files_added: 5 })
    const info = readCommit(dir, 5)[0].commitInfo
    t.match(info, { operation: 'OPTIMIZE', readVersion: 3 })
    const snap = await loadSnapshot(dir)
    t.equal(snap.files.length, 6, 'five compacted files and the appended one')
    t.ok(snap.files.some((f) => f.path.includes('part-00099-')), 'the append survives')
    t.equal(await rowsOf(dir), 2_010)
  })

  await t.test('a commit that removed an input fails it with 409, and its files are deleted', async (t) => {
    const dir = path.join(root, 'conflict')
    await buildPartitionedTable(dir, { rows: 1_000, commits: 3 })
    const prep = await prepareOptimize(root, datasetAt(dir), { targetFileSize: 128 << 20, where: null })
    const filesBefore = dataFiles(dir)
    const victim = prep.plan.bins[0]!.files[0]!
    const err = await runOptimize(deps(async () => {
      const { absolutePath: _a, ...add } = victim
      await commitActions(dir, 3, [{ commitInfo: { operation: 'DELETE', timestamp: Date.now() } }, removeAction(add, { dataChange: true })])
    }), principal, prep, null, new AbortController().signal).catch((e: unknown) => e)
    t.match(err, { status: 409, code: 'concurrent_modification', message: /removed/ })
    t.same(dataFiles(dir), filesBefore, 'the compacted files were deleted again')
    t.notOk(fs.existsSync(path.join(dir, '_delta_log', `${'4'.padStart(20, '0')}.json`)), 'no OPTIMIZE commit')
  })

  await t.test('cancelled while compacting: nothing written stays, nothing is committed', async (t) => {
    const dir = path.join(root, 'cancel')
    await buildPartitionedTable(dir, { rows: 20_000, commits: 10 })
    const filesBefore = dataFiles(dir)
    const prep = await prepareOptimize(root, datasetAt(dir), { targetFileSize: 128 << 20, where: null })
    const ac = new AbortController()
    setTimeout(() => ac.abort(Object.assign(new Error('cancelled'), { code: 'cancelled' })), 30)
    const err = await runOptimize(deps(), principal, prep, null, ac.signal).catch((e: unknown) => e)
    t.match(err, { code: 'cancelled' })
    t.same(dataFiles(dir), filesBefore, 'no new file is left in the table folder')
    t.equal((await loadSnapshot(dir)).version, 9, 'no commit')

    const again = await runOptimize(deps(), principal, await prepareOptimize(root, datasetAt(dir), { targetFileSize: 128 << 20, where: null }), null, new AbortController().signal)
    t.match(again, { committed: true, version: 10, files_removed: 50, files_added: 5, rows: 20_000 }, 'and a later run works')
  })
})

t.test('OPTIMIZE racing appends over HTTP', async (t) => {
  const s = await startServer({ PARQUET_ROWS_PER_FILE: '200' })
  t.teardown(() => s.stop())
  await uploadRows(s, 'events', generateRows(8_000, 4))
  const csv = (from: number) => ['id,region,ts,day,qty,amount,ok,label', ...Array.from({ length: 50 }, (_, i) => `${from + i},EU,2024-01-01T00:00:00Z,2024-01-01,1,1.5,true,x`)].join('\n') + '\n'
  const append = (from: number) => s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'events', mode: 'append' }, { name: 'a.csv', content: csv(from) }) })
  const [opt, ...appends] = await Promise.all([
    post(s, '/api/datasets/events/optimize'),
    ...Array.from({ length: 6 }, (_, i) => new Promise<void>((r) => setTimeout(r, 15 * i)).then(() => append(100_000 + 1000 * i))),
  ])
  t.equal(opt.status, 200, `OPTIMIZE lands (${JSON.stringify(opt.body).slice(0, 200)})`)
  t.same(appends.map((r) => r.status), Array(6).fill(200), 'every append lands')
  t.match(opt.body, { committed: true, files_removed: 40 })
  const n = ((await (await s.api('/api/datasets/events/explore?select=n:count()')).json()) as { rows: { n: number }[] }).rows[0]!.n
  t.equal(n, 8_000 + 6 * 50, 'every row is there exactly once')
})
