/**
 * Delta conformance: every table and version in ../shared/conformance/delta/EXPECTED.json
 * (real tables from delta-rs and delta-io/delta) against src/lakehouse. Log facts only; row
 * values belong to the scan path. Skipped, with the reason, when the fixtures are absent.
 */
import t from 'tap'
import * as fs from 'node:fs'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { ParquetFile } from 'parquet-wasm'
import { clearSnapshotCache, loadSnapshot, readHistory, parseStats, type Snapshot } from '../src/lakehouse/index.js'
import { replayLog } from '../src/lakehouse/replay.js'
import { listLog, readLastCheckpoint } from '../src/lakehouse/log-files.js'
import { readCheckpoint } from '../src/lakehouse/checkpoint-read.js'
import type { DeltaType } from '../src/lakehouse/schema.js'
import { rejects } from './helpers/errors.js'
import { parseTimestampMicros } from '../src/lakehouse/temporal.js'

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const confDir = path.resolve(repoRoot, '..', 'shared', 'conformance', 'delta')
const expectedPath = path.join(confDir, 'EXPECTED.json')
const present = fs.existsSync(expectedPath)

interface ExpectedVersion {
  version: number
  operation: string
  commitInfoTimestamp: number
  operationParameters: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  numActiveFiles: number
  statsNumRecordsSum: number | null
  parquetFooterRowCount: number | null
  tableSizeBytes: number
  numTombstones: number
  activeFiles: string[]
}
interface ExpectedTable {
  table: string
  expectedBehavior: 'read' | 'reject' | 'log-only'
  protocol: { minReaderVersion: number; minWriterVersion: number; readerFeatures?: string[]; writerFeatures?: string[] }
  latestVersion: number
  commitFilesPresent: number[]
  checkpointsPresent: number[]
  lastCheckpoint: Record<string, unknown> | null
  checkpointContents: { version: number; actionRows: number; addRows: number; removeRows: number; txns: Record<string, number>; sameActiveFilesAsJsonReplay: boolean }[]
  partitionColumns: string[]
  configuration: Record<string, string>
  schema: unknown[]
  txnsAtLatest: Record<string, number>
  latest: { version: number; numActiveFiles: number; statsNumRecordsSum: number | null; parquetFooterRowCount: number | null; tableSizeBytes: number; numTombstones: number }
  versions: ExpectedVersion[]
}

/** Our parsed Delta schema in EXPECTED's notation. */
function schemaAsExpected(fields: { name: string; type: DeltaType; nullable: boolean; metadata: Record<string, unknown> }[]): unknown[] {
  const typeOf = (ty: DeltaType): unknown => {
    if (typeof ty === 'string') return ty
    if (ty.type === 'struct') return { struct: schemaAsExpected(ty.fields) }
    return ty
  }
  return fields.map((f) => ({
    name: f.name,
    type: typeOf(f.type),
    nullable: f.nullable,
    ...(Object.keys(f.metadata).length > 0 ? { metadata: f.metadata } : {}),
  }))
}

const LOGICAL: Record<string, string> = {
  string: 'string', long: 'int64', integer: 'int32', short: 'int16', byte: 'int16', float: 'float32',
  double: 'float64', boolean: 'boolean', binary: 'binary', date: 'date', timestamp: 'timestamp',
}

async function footerRows(file: string): Promise<number> {
  const pf = await ParquetFile.fromFile(await fs.openAsBlob(file))
  try {
    return pf.metadata().fileMetadata().numRows()
  } finally {
    pf.free()
  }
}

/** EXPECTED's statsNumRecordsSum: null when any active file (or every one, none being active) lacks stats. */
function statsSum(s: Snapshot): number | null {
  if (s.files.length === 0) return null
  let sum = 0
  for (const f of s.files) {
    const n = parseStats(f.stats, [])?.numRecords
    if (n === undefined || n === null) return null
    sum += n
  }
  return sum
}

const sorted = (xs: Iterable<string>) => [...xs].sort()


t.test('Delta conformance fixtures', { skip: present ? false : `no conformance fixtures at ${confDir}` }, async (t) => {
  const expected = JSON.parse(fs.readFileSync(expectedPath, 'utf8')) as { tables: ExpectedTable[] }
  t.equal(expected.tables.length, 13, 'EXPECTED lists 13 tables')

  for (const e of expected.tables) {
    const dir = path.join(confDir, e.table)
    t.test(e.table, async (t) => {
      const listing = await listLog(dir)
      t.same(sorted([...listing.commits.keys()].map(String)), sorted(e.commitFilesPresent.map(String)), 'commit files present')
      t.same(listing.checkpoints.map((c) => c.version).sort((a, b) => a - b), e.checkpointsPresent, 'checkpoints present')
      t.same(await readLastCheckpoint(dir), e.lastCheckpoint, '_last_checkpoint')

      const latest = await replayLog(dir)
      t.equal(latest.version, e.latestVersion, 'latest version')
      t.equal(latest.latestVersion, e.latestVersion)
      t.equal(latest.earliestVersion, e.versions[0]!.version, 'earliest available version')
      t.same(latest.protocol, e.protocol, 'protocol')
      t.same(schemaAsExpected(latest.deltaSchema.fields), e.schema, 'schema')
      t.same(latest.partitionColumns, e.partitionColumns, 'partition columns')
      t.same(latest.metadata.configuration, e.configuration, 'configuration')
      t.same(Object.fromEntries(Object.entries(latest.txns).map(([k, x]) => [k, x.version])), e.txnsAtLatest, 'txns at latest')
      t.equal(latest.files.length, e.latest.numActiveFiles, 'active files at latest')
      t.equal(latest.tombstones.length, e.latest.numTombstones, 'tombstones at latest')
      t.equal(statsSum(latest), e.latest.statsNumRecordsSum, 'stats numRecords at latest')

      // every version: active files, sizes, stats, tombstones, footers
      for (const ev of e.versions) {
        const s = await replayLog(dir, { version: ev.version })
        t.equal(s.version, ev.version)
        t.same(sorted(s.files.map((f) => f.path)), sorted(ev.activeFiles), `v${ev.version} active files`)
        t.equal(s.files.length, ev.numActiveFiles, `v${ev.version} number of active files`)
        t.equal(s.files.reduce((n, f) => n + f.size, 0), ev.tableSizeBytes, `v${ev.version} table size`)
        t.equal(s.tombstones.length, ev.numTombstones, `v${ev.version} tombstones`)
        t.equal(statsSum(s), ev.statsNumRecordsSum, `v${ev.version} sum of stats numRecords`)
        t.equal(s.timestampMs, ev.commitInfoTimestamp, `v${ev.version} commit timestamp`)
        t.equal(s.commitInfo?.operation, ev.operation, `v${ev.version} operation`)
        if (ev.parquetFooterRowCount !== null) {
          let rows = 0
          for (const f of s.files) {
            t.ok(fs.existsSync(f.absolutePath), `v${ev.version} ${f.path} is on disk at the once-decoded path`)
            rows += await footerRows(f.absolutePath)
          }
          t.equal(rows, ev.parquetFooterRowCount, `v${ev.version} rows in parquet footers`)
        }
      }

      // checkpoint contents, and checkpoints agree with replaying the JSON commits
      for (const cp of e.checkpointContents) {
        const set = listing.checkpoints.find((c) => c.version === cp.version)!
        const contents = await readCheckpoint(set)
        t.equal(contents.rowCount, cp.actionRows, `checkpoint ${cp.version} rows`)
        t.equal(contents.actions.length, cp.actionRows, `checkpoint ${cp.version} one action per row`)
        t.equal(contents.actions.filter((a) => a.kind === 'add').length, cp.addRows, `checkpoint ${cp.version} adds`)
        t.equal(contents.actions.filter((a) => a.kind === 'remove').length, cp.removeRows, `checkpoint ${cp.version} removes`)
        const txns: Record<string, number> = {}
        for (const a of contents.actions) if (a.kind === 'txn') txns[a.txn.appId] = a.txn.version
        t.same(txns, cp.txns, `checkpoint ${cp.version} txns`)
        clearSnapshotCache() // a cached older state would be advanced instead of reading the checkpoint
        const viaCheckpoint = await replayLog(dir, { version: cp.version })
        t.equal(viaCheckpoint.checkpointVersion, cp.version, `v${cp.version} starts from its checkpoint`)
        t.equal(cp.sameActiveFilesAsJsonReplay, true)
        const older = listing.checkpoints.some((c) => c.version < cp.version)
        if (!listing.commits.has(0) && !older) continue // the oldest state there is: checked against EXPECTED above
        const other = listing.commits.has(0)
          ? await replayLog(dir, { version: cp.version }, { useCheckpoints: false })
          : await replayLog(dir, { version: cp.version }, { excludeCheckpoints: [cp.version] })
        t.not(other.checkpointVersion, cp.version)
        t.same(sorted(viaCheckpoint.files.map((f) => f.path)), sorted(other.files.map((f) => f.path)), `checkpoint ${cp.version} = replay without it`)
        t.same(sorted(viaCheckpoint.tombstones.map((f) => f.path)), sorted(other.tombstones.map((f) => f.path)), `checkpoint ${cp.version} tombstones`)
      }
      // time travel below a checkpoint never uses a newer checkpoint
      for (const ev of e.versions) {
        const s = await replayLog(dir, { version: ev.version })
        t.ok(s.checkpointVersion === null || s.checkpointVersion <= ev.version, `v${ev.version} starts at or below itself`)
      }

      // history: newest first, versions that still have commits, Spark's values as written
      const history = await readHistory(dir, { limit: 1000 })
      t.equal(history.total, e.commitFilesPresent.length, 'history length')
      t.same(history.entries.map((h) => h.version), e.versions.map((v) => v.version).reverse(), 'history versions, newest first')
      let prev = -Infinity
      const effective = new Map<number, number>()
      for (const ev of e.versions) {
        prev = Math.max(ev.commitInfoTimestamp, prev + 1)
        effective.set(ev.version, prev)
      }
      for (const h of history.entries) {
        const ev = e.versions.find((v) => v.version === h.version)!
        t.equal(h.operation, ev.operation, `history v${h.version} operation`)
        t.same(h.operationParameters, ev.operationParameters, `history v${h.version} parameters`)
        if (ev.operationMetrics) t.same(h.operationMetrics, ev.operationMetrics, `history v${h.version} metrics`)
        t.equal(h.timestampMs, effective.get(h.version), `history v${h.version} timestamp (monotonic)`)
      }

      // as_of: the latest version whose (monotonic) timestamp ≤ the time
      for (const ev of e.versions) {
        const want = Math.max(...e.versions.filter((v) => effective.get(v.version)! <= ev.commitInfoTimestamp).map((v) => v.version))
        const s = await replayLog(dir, { timestampMs: ev.commitInfoTimestamp })
        t.equal(s.version, want, `as_of ${ev.commitInfoTimestamp} → v${want}`)
      }
      const before = await rejects(replayLog(dir, { timestampMs: e.versions[0]!.commitInfoTimestamp - 1 }))
      t.equal(before.code, 'version_unavailable', 'as_of before the first commit')
      const after = await rejects(replayLog(dir, { version: e.latestVersion + 1 }))
      t.equal(after.code, 'version_unavailable', 'version after the latest')

      // reader behaviour
      if (e.expectedBehavior === 'read') {
        const s = await loadSnapshot(dir)
        t.same(
          s.schema.map((f) => ({ name: f.name, type: f.type === 'decimal' ? `decimal(${f.precision},${f.scale})` : f.type })),
          (e.schema as { name: string; type: string }[]).map((f) => ({ name: f.name, type: LOGICAL[f.type] ?? f.type })),
          'logical schema',
        )
        for (const ev of e.versions) t.equal((await loadSnapshot(dir, { version: ev.version })).version, ev.version)
      } else if (e.expectedBehavior === 'reject') {
        const features = e.protocol.readerFeatures ?? (e.protocol.minReaderVersion === 2 ? ['columnMapping'] : [])
        t.ok(features.length > 0)
        for (const at of [{}, ...e.versions.map((v) => ({ version: v.version }))]) {
          const err = await rejects(loadSnapshot(dir, at))
          t.equal(err.status, 422)
          t.equal(err.code, 'unsupported_table', `rejected at ${JSON.stringify(at)}`)
          for (const f of features) t.match(err.message, f, `names ${f}`)
          t.same((err.details as { features: string[] }).features, features)
        }
      } else {
        // log-only: the struct column cannot be served, the log can
        const err = await rejects(loadSnapshot(dir))
        t.equal(err.code, 'unsupported_table')
        t.match(err.message, 'some_struct')
        const s = await loadSnapshot(dir, {}, { allowUnsupportedColumns: true })
        t.same(s.unsupportedColumns.map((c) => c.name), ['some_struct'])
        t.same(s.schema.map((f) => f.name), ['value', 'ts', 'date'])
        for (const f of s.files) t.notOk(fs.existsSync(f.absolutePath), 'data files are absent upstream')
      }
    })
  }

  t.test('checkpoints_vacuumed cannot time travel below v5', async (t) => {
    const dir = path.join(confDir, 'checkpoints_vacuumed')
    for (let v = 0; v < 5; v++) {
      const err = await rejects(replayLog(dir, { version: v }))
      t.equal(err.status, 422)
      t.equal(err.code, 'version_unavailable')
      t.match(err.message, /earliest available version is 5\b/)
      t.equal((err.details as { earliestVersion: number }).earliestVersion, 5)
    }
    const s = await replayLog(dir, { version: 5 })
    t.equal(s.checkpointVersion, 5)
    t.equal(s.files.length, 5)
  })

  t.test('simple_table ignores _delta_log/.tmp/', async (t) => {
    const dir = path.join(confDir, 'simple_table')
    t.ok(fs.existsSync(path.join(dir, '_delta_log', '.tmp', '00000000000000000005.json')), 'the leftover is there')
    const s = await loadSnapshot(dir)
    t.equal(s.version, 4)
    t.notOk(s.files.some((f) => f.path.includes('c001')), 'the leftover add is not active')
    const err = await rejects(loadSnapshot(dir, { version: 5 }))
    t.equal(err.code, 'version_unavailable')
    t.match(err.message, 'latest version is 4')
  })

  t.test('delta-0.8.0-special-partition decodes add.path once', async (t) => {
    const dir = path.join(confDir, 'delta-0.8.0-special-partition')
    const s = await loadSnapshot(dir)
    const rel = sorted(s.files.map((f) => path.relative(dir, f.absolutePath).split(path.sep)[0]!))
    t.same(rel, ['x=A%2FA', 'x=B%20B'])
    t.same(sorted(s.files.map((f) => f.partitionValues.x!)), ['A/A', 'B B'])
  })

  t.test('data-skipping-basic-stats-all-types stats', async (t) => {
    const dir = path.join(confDir, 'data-skipping-basic-stats-all-types')
    const s = await loadSnapshot(dir)
    const st = parseStats(s.files[0]!.stats, s.schema)!
    t.equal(st.numRecords, 1)
    const ts = parseTimestampMicros('2000-01-01T08:00:00Z')!
    t.same(st.columns.as_timestamp, { min: ts, max: ts + 1000n, nullCount: 0 }, 'timestamp with offset, max + 1 ms')
    t.same(st.columns.as_date, { min: 10957, max: 10957, nullCount: 0 })
    t.same(st.columns.as_long, { min: 0n, max: 0n, nullCount: 0 })
    t.same(st.columns.as_byte, { min: 0n, max: 0n, nullCount: 0 })
    t.same(st.columns.as_big_decimal, { min: '0', max: '0', nullCount: 0 })
    t.same(st.columns.as_double, { min: 0, max: 0, nullCount: 0 })
    t.same(st.columns.as_string, { min: '0', max: '0', nullCount: 0 })
  })
})
