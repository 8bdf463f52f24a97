/**
 * Remove tombstones in checkpoints: kept until `delta.deletedFileRetentionDuration` (default
 * 7 days) after their deletionTimestamp, measured from the checkpointed version's commit time;
 * a tombstone without deletionTimestamp counts as deleted at 0 (Spark); an unparseable
 * retention keeps every tombstone.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { clearSnapshotCache, commitActions, createTableActions, loadSnapshot, parseIntervalMs } from '../src/lakehouse/index.js'
import { writeCheckpoint } from '../src/lakehouse/checkpoint-write.js'

const HOUR = 3_600_000
const DAY = 24 * HOUR
const T = Date.UTC(2024, 5, 1) // commit time of the checkpointed version

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tomb-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** A table whose version 1 removes files deleted at the given offsets from T (null: no timestamp). */
async function tableWithRemoves(t: Test, configuration: Record<string, string>, offsetsMs: (number | null)[]): Promise<string> {
  const dir = tempTable(t)
  const files = offsetsMs.map((_, i) => ({ path: `f${i}.parquet`, size: 10, modificationTime: T - 30 * DAY }))
  await commitActions(dir, 0, createTableActions({
    schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], files, engineInfo: 'test', configuration, timestampMs: T - 30 * DAY,
  }))
  await commitActions(dir, 1, [
    { commitInfo: { timestamp: T, operation: 'DELETE' } },
    ...offsetsMs.map((off, i) => ({
      remove: { path: `f${i}.parquet`, dataChange: true, ...(off === null ? {} : { deletionTimestamp: T + off }), extendedFileMetadata: true, size: 10, partitionValues: {}, stats: '{"numRecords":1}', tags: { a: 'b' } },
    })),
  ])
  return dir
}

async function keptAfterCheckpoint(dir: string): Promise<string[]> {
  const r = await writeCheckpoint(dir, 1)
  if (r.status !== 'written') throw new Error(`not written: ${JSON.stringify(r)}`)
  clearSnapshotCache()
  const s = await loadSnapshot(dir)
  if (s.checkpointVersion !== 1) throw new Error('the checkpoint was not used')
  return s.tombstones.map((r) => r.path)
}

t.test('default retention: 7 days before the version commit time', async (t) => {
  const dir = await tableWithRemoves(t, {}, [-8 * DAY, -7 * DAY - 1, -7 * DAY + 1, -6 * DAY, 0, null])
  t.same(await keptAfterCheckpoint(dir), ['f2.parquet', 'f3.parquet', 'f4.parquet'])
  clearSnapshotCache()
  const s = await loadSnapshot(dir)
  t.same(s.tombstones[0], { path: 'f2.parquet', deletionTimestamp: T - 7 * DAY + 1, dataChange: true, extendedFileMetadata: true, partitionValues: {}, size: 10, deletionVector: null, baseRowId: null, defaultRowCommitVersion: null }, 'tombstones keep their fields except stats and tags')
})

t.test('delta.deletedFileRetentionDuration is honoured', async (t) => {
  const dir = await tableWithRemoves(t, { 'delta.deletedFileRetentionDuration': 'interval 1 hours' }, [-2 * HOUR, -HOUR - 1, -30 * 60_000, HOUR])
  t.same(await keptAfterCheckpoint(dir), ['f2.parquet', 'f3.parquet'])
})

t.test('an unparseable retention keeps every tombstone', async (t) => {
  const dir = await tableWithRemoves(t, { 'delta.deletedFileRetentionDuration': 'interval 1 month' }, [-400 * DAY, -DAY])
  t.same(await keptAfterCheckpoint(dir), ['f0.parquet', 'f1.parquet'])
})

t.test('Spark interval strings', async (t) => {
  t.equal(parseIntervalMs('interval 7 days'), 7 * DAY)
  t.equal(parseIntervalMs('interval 1 week'), 7 * DAY)
  t.equal(parseIntervalMs('INTERVAL 1 DAY 12 HOURS'), 36 * HOUR)
  t.equal(parseIntervalMs('168 hours'), 7 * DAY)
  t.equal(parseIntervalMs('interval 30 seconds 500 milliseconds'), 30_500)
  t.equal(parseIntervalMs('interval 2 months'), null)
  t.equal(parseIntervalMs('seven days'), null)
  t.equal(parseIntervalMs('interval'), null)
})
