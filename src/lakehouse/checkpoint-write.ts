/**
 * Writing a classic single-part V1 checkpoint `<version>.checkpoint.parquet` and the
 * `_last_checkpoint` hint (PROTOCOL.md "Checkpoints", "Checkpoint Schema", "Last Checkpoint
 * File Schema"). The rows and their schema are planned in checkpoint-rows.ts.
 *
 * The Parquet is encoded with parquet-wasm (`transformParquetStream`, Snappy, bounded row
 * groups) into `_delta_log/.tmp/`, fsynced, read back with our own checkpoint reader and
 * compared with the snapshot, and only then published with link(): a checkpoint for a version
 * is deterministic content, so an existing one is kept, never replaced (rename() would replace
 * it under a reader's feet). `_last_checkpoint` is then replaced by rename() from a temp file —
 * it is only a hint, so it is not moved backwards but racing writers may leave either value.
 *
 * Not written (status `skipped`, with the reason): tables Sluice cannot write (checkWritable:
 * unknown writer features, column mapping, v2 checkpoints, ...) and tables that ask for
 * `delta.checkpoint.writeStatsAsStruct=true` (stats_parsed/partitionValues_parsed are not
 * implemented, and the protocol makes them required then).
 *
 * I/O + wasm. Meant for a worker thread (workers/checkpoint.ts); runs on any thread.
 */
import { randomUUID } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { Schema, tableToIPC } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import { SluiceError } from '../../proto/errors.js'
import { readCheckpoint } from './checkpoint-read.js'
import {
  checkpointColumns, liveTombstones, planCheckpoint, rowsToArrow, type CheckpointLayout, type CheckpointRow,
} from './checkpoint-rows.js'
import { LOG_DIR, readLastCheckpoint } from './log-files.js'
import { checkWritable } from './protocol.js'
import { replayLog, type Snapshot } from './replay.js'
import { fileKey, ReplayState } from './replay-state.js'
import { dvUniqueId } from './actions.js'

/** Rows per Arrow batch handed to the encoder and per Parquet row group: bounds wasm memory. */
const BATCH_ROWS = 16_384
const ROW_GROUP_ROWS = 65_536

/** `00000000000000000010.checkpoint.parquet` for 10. */
export function checkpointFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.checkpoint.parquet`
}

export interface CheckpointResult {
  /** written: by this call; exists: a checkpoint for the version was already there (kept); skipped: see reason */
  status: 'written' | 'exists' | 'skipped'
  version: number
  /** why it was skipped */
  reason?: string
  /** rows (actions) in the checkpoint; for written only */
  size?: number
  sizeInBytes?: number
  numOfAddFiles?: number
}

/** The message a worker takes (workers/checkpoint.ts). */
export interface CheckpointTask {
  kind: 'delta-checkpoint'
  tablePath: string
  version: number
}

export interface WriteCheckpointOptions {
  /** tombstone expiry reference (default: the version's commit time) */
  nowMs?: number
  /** read the file back and compare it with the snapshot before publishing (default true) */
  verify?: boolean
}

async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(() => true, () => false)
}

function* batches(rows: CheckpointRow[], columns: ReturnType<typeof checkpointColumns>): Generator<pq.RecordBatch> {
  for (let i = 0; i < rows.length; i += BATCH_ROWS) {
    const table = pq.Table.fromIPCStream(tableToIPC(rowsToArrow(rows.slice(i, i + BATCH_ROWS), columns), 'stream'))
    try {
      const rb = table.recordBatch(0)
      if (!rb) throw new Error('Arrow IPC conversion produced no record batch')
      yield rb
    } finally {
      table.free()
    }
  }
}

/** Encodes `rows` into the file `file` (created, must not exist). Returns its size in bytes. */
async function writeParquet(file: string, rows: CheckpointRow[], columns: ReturnType<typeof checkpointColumns>): Promise<number> {
  // every row is one action and there are always protocol + metaData rows, so rows is never empty
  const it = batches(rows, columns)
  const input = new ReadableStream<pq.RecordBatch>({
    pull(ctrl) {
      const next = it.next()
      if (next.done) ctrl.close()
      else ctrl.enqueue(next.value) // the stream takes ownership of the wasm batch
    },
    cancel() { it.return(undefined) },
  }, { highWaterMark: 0 })
  const props = new pq.WriterPropertiesBuilder()
    .setCompression(pq.Compression.SNAPPY)
    .setMaxRowGroupSize(ROW_GROUP_ROWS)
    .setCreatedBy('sluice (parquet-wasm 0.8.0)')
    .build()
  const output = (await pq.transformParquetStream(input, props)) as unknown as AsyncIterable<Uint8Array>
  const fh = await fsp.open(file, 'wx', 0o644)
  let size = 0
  try {
    for await (const chunk of output) {
      await fh.write(chunk)
      size += chunk.byteLength
    }
    await fh.sync()
  } finally {
    await fh.close()
  }
  return size
}

/** JSON of a value with null/undefined members dropped: checkpoints cannot tell absent from null. */
function canon(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => {
    if (x === null || typeof x !== 'object' || Array.isArray(x)) return x
    return Object.fromEntries(Object.entries(x as Record<string, unknown>).filter(([, y]) => y !== null && y !== undefined))
  })
}

/** Reads the checkpoint file back and checks it holds exactly what the snapshot says it should. */
async function verifyCheckpoint(file: string, snapshot: Snapshot, layout: CheckpointLayout, nowMs: number | undefined): Promise<void> {
  const contents = await readCheckpoint({ version: snapshot.version, kind: 'classic', files: [file] })
  const state = new ReplayState(snapshot.tablePath)
  state.apply(contents.actions)
  const fail = (what: string) => { throw new Error(`checkpoint ${snapshot.version} read back differs from the snapshot: ${what}`) }
  if (canon(state.protocol) !== canon(snapshot.protocol)) fail('protocol')
  if (canon(state.metadata) !== canon(snapshot.metadata)) fail('metaData')
  if (state.files.size !== snapshot.files.length) fail(`${state.files.size} files instead of ${snapshot.files.length}`)
  for (const a of snapshot.files) {
    const got = state.files.get(fileKey(a.path, dvUniqueId(a.deletionVector)))
    const want = layout.statsAsJson ? a : { ...a, stats: null }
    if (!got || canon(got) !== canon(want)) fail(`file ${a.path}`)
  }
  const tombstones = liveTombstones(snapshot, nowMs)
  if (state.tombstones.size !== tombstones.length) fail(`${state.tombstones.size} tombstones instead of ${tombstones.length}`)
  if (canon(Object.fromEntries(state.txns)) !== canon(snapshot.txns)) fail('txn')
  if (canon(Object.fromEntries(state.domains)) !== canon(snapshot.domains)) fail('domainMetadata')
}

async function writeLastCheckpoint(logDir: string, hint: Record<string, number>): Promise<void> {
  const current = await readLastCheckpoint(path.dirname(logDir))
  if (current && typeof current.version === 'number' && current.version > hint.version!) return
  const tmp = path.join(logDir, '.tmp', `${randomUUID()}.last_checkpoint`)
  const fh = await fsp.open(tmp, 'wx', 0o644)
  try {
    await fh.writeFile(JSON.stringify(hint), 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  try {
    await fsp.rename(tmp, path.join(logDir, '_last_checkpoint'))
  } catch (err) {
    await fsp.unlink(tmp).catch(() => {})
    throw err
  }
}

/**
 * Writes the classic checkpoint of `version` of the table at `tablePath` (which must be
 * committed) and updates `_last_checkpoint`. Returns `exists` without work when the
 * checkpoint is already there, `skipped` (with the reason) for tables it must not checkpoint.
 *
 * Throws what replay throws (`422 version_unavailable`, `422 unsupported_table`, ...), file
 * system errors, and an Error when the file read back differs from the snapshot (nothing is
 * published then). A crash leaves at most a stray file in `_delta_log/.tmp/`.
 */
export async function writeCheckpoint(tablePath: string, version: number, opts: WriteCheckpointOptions = {}): Promise<CheckpointResult> {
  const logDir = path.join(tablePath, LOG_DIR)
  const target = path.join(logDir, checkpointFileName(version))
  if (await exists(target)) return { status: 'exists', version }
  const snapshot = await replayLog(tablePath, { version })
  try {
    checkWritable(snapshot.protocol, snapshot.metadata, snapshot.deltaSchema, { removesData: false })
  } catch (err) {
    if (err instanceof SluiceError) return { status: 'skipped', version, reason: err.message }
    throw err
  }
  if (snapshot.metadata.configuration['delta.checkpoint.writeStatsAsStruct'] === 'true') {
    return { status: 'skipped', version, reason: 'the table asks for stats_parsed in checkpoints (delta.checkpoint.writeStatsAsStruct), which Sluice does not write' }
  }
  const plan = planCheckpoint(snapshot, opts.nowMs)
  const columns = checkpointColumns(plan.layout)
  new Schema(columns) // fail early on an impossible schema, before any file exists
  await fsp.mkdir(path.join(logDir, '.tmp'), { recursive: true })
  const tmp = path.join(logDir, '.tmp', `${randomUUID()}.checkpoint.parquet`)
  try {
    const sizeInBytes = await writeParquet(tmp, plan.rows, columns)
    if (opts.verify !== false) await verifyCheckpoint(tmp, snapshot, plan.layout, opts.nowMs)
    try {
      await fsp.link(tmp, target)
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') return { status: 'exists', version }
      throw err
    }
    const hint = { version, size: plan.rows.length, sizeInBytes, numOfAddFiles: plan.numOfAddFiles }
    await writeLastCheckpoint(logDir, hint)
    return { status: 'written', version, size: plan.rows.length, sizeInBytes, numOfAddFiles: plan.numOfAddFiles }
  } finally {
    await fsp.unlink(tmp).catch(() => {})
  }
}
