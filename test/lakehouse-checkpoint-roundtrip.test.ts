/**
 * Checkpoints written by commitWithRetry every 10 versions: a snapshot loaded through our
 * checkpoint equals the JSON replay of the same version (files with stats, partition values
 * incl. null, tags; metadata; protocol; txns; tombstones), at every version, including time
 * travel below a checkpoint; `_last_checkpoint` says what the protocol asks; an existing
 * checkpoint is kept; writer-v7 tables with domainMetadata round-trip too.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Field } from '../proto/types.js'
import {
  appendActions, clearSnapshotCache, commitActions, commitWithRetry, createTableActions, loadSnapshot, overwriteActions,
  removeAction, type Snapshot,
} from '../src/lakehouse/index.js'
import { writeCheckpoint } from '../src/lakehouse/checkpoint-write.js'
import { replayLog } from '../src/lakehouse/replay.js'

const ENGINE = 'Sluice-test'
const schema: Field[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'amount', type: 'decimal', precision: 12, scale: 2, nullable: true },
  { name: 'region', type: 'string', nullable: true },
  { name: 'day', type: 'date', nullable: true },
]
const partitionColumns = ['region', 'day']
const REGIONS = ['EU', 'US', null, 'a/b c%']

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckpt-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

function newFile(i: number) {
  const region = REGIONS[i % REGIONS.length]!
  return {
    path: `region=${region ?? '__HIVE_DEFAULT_PARTITION__'}/day=2024-01-${String((i % 28) + 1).padStart(2, '0')}/part-${i}.parquet`,
    size: 1000 + i,
    partitionValues: { region, day: `2024-01-${String((i % 28) + 1).padStart(2, '0')}` },
    stats: { numRecords: 10 + i, minValues: { id: i * 100, amount: '1.05' }, maxValues: { id: i * 100 + 9, amount: '99999999.99' }, nullCount: { id: 0, amount: i % 3 } },
  }
}

/** JSON of a value with null/undefined members dropped (a checkpoint cannot tell absent from null). */
const canon = (v: unknown): unknown => JSON.parse(JSON.stringify(v, (_k, x: unknown) =>
  x === null || typeof x !== 'object' || Array.isArray(x) ? x : Object.fromEntries(Object.entries(x as object).filter(([, y]) => y !== null && y !== undefined))))

function sameSnapshot(t: Test, got: Snapshot, want: Snapshot, what: string): void {
  t.strictSame(canon(got.files), canon(want.files), `${what}: files, in order, with stats/partition values/tags`)
  t.strictSame(canon(got.metadata), canon(want.metadata), `${what}: metaData`)
  t.strictSame(canon(got.protocol), canon(want.protocol), `${what}: protocol`)
  t.strictSame(canon(got.txns), canon(want.txns), `${what}: txns`)
  t.strictSame(canon(got.domains), canon(want.domains), `${what}: domains`)
  // checkpoints keep tombstones without stats/tags (PROTOCOL.md "Checkpoints")
  const tomb = (s: Snapshot) => canon(s.tombstones.map(({ stats: _s, tags: _t, ...r }) => r))
  t.strictSame(tomb(got), tomb(want), `${what}: tombstones`)
  t.same(got.schema, want.schema, `${what}: schema`)
  t.equal(got.timestampMs, want.timestampMs, `${what}: timestamp`)
}

async function buildTable(t: Test, versions: number): Promise<string> {
  const dir = tempTable(t)
  await commitActions(dir, 0, createTableActions({ schema, partitionColumns, files: [newFile(0), newFile(1)], engineInfo: ENGINE, configuration: { 'delta.appendOnly': 'false' } }))
  for (let v = 1; v <= versions; v++) {
    const snap = await loadSnapshot(dir)
    let actions: object[]
    let readPaths: string[] = []
    let blindAppend = true
    if (v === 7) {
      actions = overwriteActions(snap, { files: [newFile(100), newFile(101)], engineInfo: ENGINE })
      readPaths = snap.files.map((f) => f.path)
      blindAppend = false
    } else if (v === 15) { // a DELETE-like commit: one file removed, nothing added
      const { absolutePath: _a, ...victim } = snap.files[0]!
      actions = [{ commitInfo: { timestamp: Date.now(), operation: 'DELETE' } }, removeAction(victim, { dataChange: true })]
      readPaths = [victim.path]
      blindAppend = false
    } else {
      actions = appendActions(snap, { files: [newFile(v + 1)], engineInfo: ENGINE })
      if (v === 12) {
        actions.push({ txn: { appId: 'stream-a', version: 3, lastUpdated: 1700000000000 } }, { txn: { appId: 'stream-b', version: 9 } })
        const add = (actions[1] as { add: Record<string, unknown> }).add
        add.tags = { INSERTION_TIME: '1700000000000000', nullTag: null }
      }
    }
    const r = await commitWithRetry(dir, { actions, readVersion: snap.version, readPaths, blindAppend, changesMetadata: false })
    t.equal(r.version, v)
    t.same(r.checkpoint, v % 10 === 0 ? { status: 'written' } : null, `checkpoint outcome of v${v}`)
  }
  return dir
}

t.test('every version through checkpoints equals JSON replay', async (t) => {
  const dir = await buildTable(t, 24)
  const log = fs.readdirSync(path.join(dir, '_delta_log')).filter((n) => n.includes('checkpoint'))
  t.same(log.sort(), ['00000000000000000010.checkpoint.parquet', '00000000000000000020.checkpoint.parquet', '_last_checkpoint'])
  for (let v = 0; v <= 24; v++) {
    clearSnapshotCache()
    const viaCheckpoint = await loadSnapshot(dir, { version: v })
    t.equal(viaCheckpoint.checkpointVersion, v >= 20 ? 20 : v >= 10 ? 10 : null, `v${v} starts from the right checkpoint`)
    const json = await replayLog(dir, { version: v }, { useCheckpoints: false })
    sameSnapshot(t, viaCheckpoint, json, `v${v}`)
  }
  const latest = await loadSnapshot(dir)
  t.ok(latest.files.some((f) => f.partitionValues.region === null), 'a null partition value survives')
  t.ok(latest.files.some((f) => f.tags?.INSERTION_TIME === '1700000000000000'), 'tags survive')
  t.equal(latest.tombstones.length, 8 + 1, 'the overwrite (8 files) and the delete left tombstones')
})

t.test('time travel by timestamp below a checkpoint', async (t) => {
  const dir = await buildTable(t, 12)
  clearSnapshotCache()
  const v5 = await loadSnapshot(dir, { version: 5 })
  clearSnapshotCache()
  const at = await loadSnapshot(dir, { timestampMs: v5.timestampMs })
  t.ok(at.version <= 5 && at.checkpointVersion === null, 'resolved below the checkpoint, replayed from JSON')
  sameSnapshot(t, at, await replayLog(dir, { version: at.version }, { useCheckpoints: false }), `as of v5's time (v${at.version})`)
})

t.test('_last_checkpoint content; an existing checkpoint is kept; the hint never moves back', async (t) => {
  const dir = await buildTable(t, 20)
  const logDir = path.join(dir, '_delta_log')
  const hint = JSON.parse(fs.readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8')) as Record<string, number>
  const snap = await loadSnapshot(dir, { version: 20 })
  const ckpt = path.join(logDir, '00000000000000000020.checkpoint.parquet')
  t.same(hint, {
    version: 20,
    size: 2 + Object.keys(snap.txns).length + snap.files.length + snap.tombstones.length,
    sizeInBytes: fs.statSync(ckpt).size,
    numOfAddFiles: snap.files.length,
  })
  const before = fs.statSync(ckpt)
  t.same(await writeCheckpoint(dir, 20), { status: 'exists', version: 20 })
  const after = fs.statSync(ckpt)
  t.same([after.ino, after.mtimeMs], [before.ino, before.mtimeMs], 'the file was not replaced')
  t.match(await writeCheckpoint(dir, 15), { status: 'written', version: 15 }, 'an older version can still be checkpointed')
  t.equal((JSON.parse(fs.readFileSync(path.join(logDir, '_last_checkpoint'), 'utf8')) as { version: number }).version, 20, 'the hint stays at 20')
  t.same(fs.readdirSync(path.join(logDir, '.tmp')), [], 'no temp files left')
})

t.test('writer v7 with domainMetadata and writeStatsAsJson=false', async (t) => {
  const dir = tempTable(t)
  const v0 = createTableActions({ schema, partitionColumns, files: [newFile(0)], engineInfo: ENGINE, configuration: { 'delta.checkpoint.writeStatsAsJson': 'false' } })
  const actions = v0.map((a) => ('protocol' in a ? { protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['domainMetadata', 'appendOnly'] } } : a))
  actions.push({ domainMetadata: { domain: 'sluice.test', configuration: '{"k":1}', removed: false } })
  actions.push({ domainMetadata: { domain: 'gone', configuration: '{}', removed: false } })
  await commitActions(dir, 0, actions)
  await commitActions(dir, 1, [{ domainMetadata: { domain: 'gone', configuration: '{}', removed: true } }])
  t.match(await writeCheckpoint(dir, 1), { status: 'written', size: 4 })
  clearSnapshotCache()
  const s = await loadSnapshot(dir)
  t.equal(s.checkpointVersion, 1)
  t.same(s.protocol, { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['domainMetadata', 'appendOnly'] }, 'writerFeatures kept, readerFeatures null')
  t.same(Object.keys(s.domains), ['sluice.test'], 'only live domains')
  t.equal(s.files[0]!.stats ?? null, null, 'stats left out as the table asks')
})

t.test('tables Sluice cannot write are not checkpointed', async (t) => {
  const dir = tempTable(t)
  const v0 = createTableActions({ schema, partitionColumns: [], files: [], engineInfo: ENGINE, configuration: { 'delta.checkpoint.writeStatsAsStruct': 'true' } })
  await commitActions(dir, 0, v0)
  t.match(await writeCheckpoint(dir, 0), { status: 'skipped', reason: /writeStatsAsStruct/ })
  await commitActions(dir, 1, [{ protocol: { minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['rowTracking'] } }])
  t.match(await writeCheckpoint(dir, 1), { status: 'skipped', reason: /rowTracking/ })
  t.same(fs.readdirSync(path.join(dir, '_delta_log')).filter((n) => n.includes('checkpoint')), [])
})
