// The VACUUM planner on hand-made tables with a timeline: what lite and full mode delete at a
// cutoff (tombstone age, the version current at the cutoff, re-added paths, paths outside the
// table, hidden entries, file age), tombstones dropped by a checkpoint, the retention property,
// the START/END actions, and the time-travel check after files are gone.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { clearSnapshotCache, loadSnapshot } from '../src/lakehouse/index.js'
import { writeCheckpoint } from '../src/lakehouse/checkpoint-write.js'
import {
  DEFAULT_RETENTION_MS, assertVersionFilesPresent, planVacuum, tableRetentionMs, vacuumEndActions, vacuumStartActions,
} from '../src/lakehouse/vacuum.js'
import { writeCommit } from './helpers/lakehouse.js'

const H = 3_600_000
const D = 24 * H
const SCHEMA = JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }] })

function table(t: { teardown(fn: () => void): void }): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-vacuum-'))
  t.teardown(() => fs.rmSync(root, { recursive: true, force: true }))
  const dir = path.join(root, 'table')
  fs.mkdirSync(path.join(dir, '_delta_log'), { recursive: true })
  return dir
}

function touch(dir: string, rel: string, ageMs: number, content = 'data'): string {
  const p = path.join(dir, rel)
  fs.mkdirSync(path.dirname(p), { recursive: true })
  fs.writeFileSync(p, content)
  const when = new Date(Date.now() - ageMs)
  fs.utimesSync(p, when, when)
  return p
}

const add = (p: string) => ({ add: { path: p, partitionValues: {}, size: 4, modificationTime: 0, dataChange: true } })
const remove = (p: string, at: number) => ({ remove: { path: p, deletionTimestamp: at, dataChange: true, extendedFileMetadata: true, partitionValues: {}, size: 4 } })
const info = (at: number) => ({ commitInfo: { timestamp: at, operation: 'WRITE' } })
const head = (at: number) => [info(at), { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
  { metaData: { id: 'v', format: { provider: 'parquet', options: {} }, schemaString: SCHEMA, partitionColumns: [], configuration: {}, createdTime: at } }]

t.test('lite and full at a cutoff', async (t) => {
  const dir = table(t)
  const now = Date.now()
  writeCommit(dir, 0, [...head(now - 10 * D), add('a'), add('b'), add('c'), add('c2'), add('x')])
  writeCommit(dir, 1, [info(now - 9 * D), remove('a', now - 9 * D), remove('x', now - 9 * D)])
  writeCommit(dir, 2, [info(now - 8 * D), add('x')])
  // committed after the cutoff, though its deletionTimestamp is older than it
  writeCommit(dir, 3, [info(now - 1 * H), remove('b', now - 1 * H), remove('c2', now - 5 * H)])
  writeCommit(dir, 4, [info(now - H / 2), remove('../outside', now - 20 * D)])
  for (const f of ['a', 'b', 'c', 'c2', 'x', 'd-orphan', '_tmp/h.parquet', '.h2', '_delta_log/z.txt']) touch(dir, f, 10 * D)
  touch(dir, 'e-fresh', 0)
  const outside = touch(dir, '../outside', 20 * D)
  clearSnapshotCache()
  const snap = await loadSnapshot(dir)

  const names = (p: { files: { path: string }[] }) => p.files.map((f) => f.path)
  const lite = await planVacuum(snap, { mode: 'lite', deleteBeforeMs: now - 2 * H })
  t.same(names(lite), ['a'], 'b is tombstoned after the cutoff, c2 is still read by the version current at the cutoff, x was re-added')
  t.same(lite.bytes, 4)
  t.equal(lite.directories, 1)
  const full = await planVacuum(snap, { mode: 'full', deleteBeforeMs: now - 2 * H })
  t.same(names(full), ['a', 'd-orphan'], 'plus the old untracked file; never hidden entries, _delta_log or new files')
  t.equal(full.directories, 1, 'hidden folders are not even listed')
  t.same(full.emptyDirectories, [])

  const now2 = Date.now() + 1
  t.same(names(await planVacuum(snap, { mode: 'lite', deleteBeforeMs: now2 })), ['a', 'b', 'c2'], 'retention 0: every tombstoned file')
  t.same(names(await planVacuum(snap, { mode: 'full', deleteBeforeMs: now2 })), ['a', 'b', 'c2', 'd-orphan', 'e-fresh'])
  t.ok(fs.existsSync(outside), 'a tombstone outside the table is never a candidate')

  // delete what lite found at retention 0, then time travel
  for (const f of ['a', 'b', 'c2']) fs.rmSync(path.join(dir, f))
  await t.rejects(assertVersionFilesPresent(await loadSnapshot(dir, { version: 0 })), { code: 'version_unavailable', message: /version 0 .*3 of its data files were removed by VACUUM/ })
  await t.rejects(assertVersionFilesPresent(await loadSnapshot(dir, { version: 2 })), { code: 'version_unavailable' }, 'b and c2')
  await t.resolves(assertVersionFilesPresent(await loadSnapshot(dir, { version: 4 })), 'the latest version is not checked')
  fs.writeFileSync(path.join(dir, 'b'), 'x')
  fs.writeFileSync(path.join(dir, 'c2'), 'x')
  await t.resolves(assertVersionFilesPresent(await loadSnapshot(dir, { version: 2 })), 'a version whose files all exist reads')
})

t.test('tombstones a checkpoint dropped are still found in the commits it covers', async (t) => {
  const dir = table(t)
  const now = Date.now()
  writeCommit(dir, 0, [...head(now - 30 * D), add('p'), add('q')])
  writeCommit(dir, 1, [info(now - 30 * D), remove('p', now - 30 * D)])
  writeCommit(dir, 2, [info(now), add('r')])
  for (const f of ['p', 'q', 'r']) touch(dir, f, 30 * D)
  t.match(await writeCheckpoint(dir, 2), { status: 'written' })
  clearSnapshotCache()
  const snap = await loadSnapshot(dir)
  t.equal(snap.checkpointVersion, 2, 'replay starts at the checkpoint')
  t.same(snap.tombstones, [], 'which dropped the expired tombstone')
  const plan = await planVacuum(snap, { mode: 'lite', deleteBeforeMs: now - D })
  t.same(plan.files.map((f) => f.path), ['p'])
})

t.test('full mode: emptied partition folders, partition folders of hidden-looking columns', async (t) => {
  const dir = table(t)
  const now = Date.now()
  const schema = JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }, { name: '_p', type: 'integer', nullable: true, metadata: {} }] })
  writeCommit(dir, 0, [info(now - 10 * D), { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    { metaData: { id: 'v', format: { provider: 'parquet', options: {} }, schemaString: schema, partitionColumns: ['_p'], configuration: {}, createdTime: now } },
    { add: { path: '_p=1/a', partitionValues: { _p: '1' }, size: 4, modificationTime: 0, dataChange: true } }])
  touch(dir, '_p=1/a', 10 * D)
  touch(dir, '_p=2/old', 10 * D)
  touch(dir, '_p=3/deep/old', 10 * D)
  touch(dir, '_other/old', 10 * D)
  for (const d of ['_p=2', '_p=3/deep', '_p=3']) { const when = new Date(now - 10 * D); fs.utimesSync(path.join(dir, d), when, when) }
  clearSnapshotCache()
  const plan = await planVacuum(await loadSnapshot(dir), { mode: 'full', deleteBeforeMs: now - D })
  t.same(plan.files.map((f) => f.path), ['_p=2/old', '_p=3/deep/old'], 'partition folders are data even with a leading _')
  t.same(plan.emptyDirectories.map((d) => path.relative(dir, d)), ['_p=2', path.join('_p=3', 'deep'), '_p=3'], 'deepest first')
  t.equal(plan.directories, 5, 'root, _p=1, _p=2, _p=3, _p=3/deep')
})

t.test('retention property and commit actions', async (t) => {
  const meta = (configuration: Record<string, string>) => ({ id: 'x', format: { provider: 'parquet', options: {} }, schemaString: SCHEMA, partitionColumns: [], configuration })
  t.equal(DEFAULT_RETENTION_MS, 7 * D)
  t.equal(tableRetentionMs(meta({})), 7 * D)
  t.equal(tableRetentionMs(meta({ 'delta.deletedFileRetentionDuration': 'interval 2 hours' })), 2 * H)
  t.equal(tableRetentionMs(meta({ 'delta.deletedFileRetentionDuration': 'interval 1 day 12 hours' })), 36 * H)
  t.equal(tableRetentionMs(meta({ 'delta.deletedFileRetentionDuration': 'interval 1 month' })), 7 * D, 'unreadable: the default')

  const o = { engineInfo: 'Sluice/test', userName: 'u', timestampMs: 5 }
  t.match(vacuumStartActions(3, { retentionCheckEnabled: true, specifiedRetentionMs: null, defaultRetentionMs: 7 * D, mode: 'lite', numFilesToDelete: 2, sizeOfDataToDelete: 10 }, o), [{
    commitInfo: {
      timestamp: 5, operation: 'VACUUM START', readVersion: 3, userName: 'u',
      operationParameters: { retentionCheckEnabled: 'true', defaultRetentionMillis: String(7 * D), vacuumType: 'LITE' },
      operationMetrics: { numFilesToDelete: '2', sizeOfDataToDelete: '10' },
    },
  }])
  t.notOk('specifiedRetentionMillis' in (vacuumStartActions(3, { retentionCheckEnabled: true, specifiedRetentionMs: null, defaultRetentionMs: 1, mode: 'full', numFilesToDelete: 0, sizeOfDataToDelete: 0 }, o)[0]!.commitInfo as { operationParameters: object }).operationParameters)
  t.match(vacuumEndActions(4, { status: 'FAILED', numDeletedFiles: 1, numVacuumedDirectories: 3 }, o), [{
    commitInfo: { operation: 'VACUUM END', operationParameters: { status: 'FAILED' }, operationMetrics: { numDeletedFiles: '1', numVacuumedDirectories: '3' } },
  }])
})
