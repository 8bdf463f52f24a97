/**
 * Delta-backed datasets (uploads, imports, registered lakehouse tables) and plain Parquet
 * folders: resolve the snapshot at the requested version, prune files whose stats or
 * partition values cannot match the filter, and stream the plan's output from a scan worker.
 *
 * Registered tables live in the org's lakehouse folder, which users fill themselves: before
 * anything is read, the table folder, its `_delta_log` (and any linked log entry) and every
 * data file are checked to resolve inside that folder (lakehouse-folder.ts).
 */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../proto/errors.js'
import type { ColumnMeta, Field } from '../../proto/types.js'
import type { OutputFormat, Plan, ReadAt } from '../../proto/plan.js'
import type { ParquetFooterResult } from '../../proto/parquet-footer.js'
import { maskedColumns, type TaskMasks } from '../../proto/masks.js'
import type { Dataset } from '../catalog/index.js'
import { assertVersionFilesPresent, loadSnapshot, parseStats, pruneFiles, type ActiveFile, type LoadOptions, type ReadAtOptions, type Snapshot } from '../lakehouse/index.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { scanFiles } from './scan-files.js'
import { assertInsideOrg, forEachLimit, orgLakehouseRoot, type TableKind } from './lakehouse-folder.js'
import { exploreParquetFolder } from './parquet-folder.js'

export interface ExploreRequest {
  plan: Plan
  columns: ColumnMeta[]
  format: OutputFormat
  readAt: ReadAt
  /** the caller's masks (src/governance/masking-view.ts); null when the caller sees raw values */
  masks: TaskMasks | null
  signal: AbortSignal
}

/** Where a dataset's rows are and how to read them. */
export interface TableRef {
  tablePath: string
  kind: TableKind
  /** the org's lakehouse folder (real path) for registered tables: every read must stay inside; null for managed tables */
  confineTo: string | null
}

/** The kind of table a registered dataset points at (provenance.format; uploads are Delta). */
export function tableKindOf(d: Dataset): TableKind {
  return d.kind === 'lakehouse' && d.provenance.format === 'parquet' ? 'parquet' : 'delta'
}

/** Throws `422 not_a_delta_table` unless the dataset is backed by a Delta table (history, time travel, OPTIMIZE, VACUUM). */
export function assertDeltaDataset(d: Dataset, what: string): void {
  if (!d.tablePath || d.kind === 'connector') {
    throw new SluiceError(422, 'not_a_delta_table', `dataset "${d.name}" is not backed by a Delta table: ${what} needs one`)
  }
  if (tableKindOf(d) === 'parquet') {
    throw new SluiceError(422, 'not_a_delta_table', `dataset "${d.name}" is a plain Parquet folder (no _delta_log), registered read-only: ${what} needs a Delta table`)
  }
}

/** True for tables Sluice created (uploads, imports) under `$DATA_DIR/tables/<id>`: deleting the dataset deletes them. */
export function isManagedTable(dataDir: string, d: Dataset): boolean {
  return d.tablePath !== null && path.dirname(d.tablePath) === path.join(dataDir, 'tables')
}

/** The table of a lakehouse or upload dataset. Throws `422 unsupported_table` when it has none. */
export async function tableRefOf(dataDir: string, d: Dataset): Promise<TableRef> {
  if (!d.tablePath) throw new SluiceError(422, 'unsupported_table', `dataset "${d.name}" has no readable table`)
  // Registered tables sit in the org's folder, which users fill: every read stays inside it.
  const confineTo = d.kind === 'lakehouse' && !isManagedTable(dataDir, d) ? await orgLakehouseRoot(dataDir, d.org) : null
  return { tablePath: d.tablePath, kind: tableKindOf(d), confineTo }
}

/**
 * Before a registered table's log is read: the table folder and `_delta_log` resolve inside
 * the org folder, and so does every linked entry of the log. Throws `422 unsupported_table`.
 */
async function confineLog(root: string, tablePath: string): Promise<void> {
  await assertInsideOrg(root, tablePath)
  const logDir = path.join(tablePath, '_delta_log')
  await assertInsideOrg(root, logDir)
  let entries: fs.Dirent[] = []
  try { entries = await fs.promises.readdir(logDir, { withFileTypes: true }) } catch { return }
  const links = entries.filter((e) => e.isSymbolicLink()).map((e) => path.join(logDir, e.name))
  await forEachLimit(links, 32, (p) => assertInsideOrg(root, p))
}

/** Every data file resolves inside the org folder (checked per query: files can change). */
async function confineFiles(root: string, files: readonly string[]): Promise<void> {
  await forEachLimit(files, 64, (p) => assertInsideOrg(root, p))
}

/** Registered tables: the table folder and its log resolve inside the org folder. Throws `422 unsupported_table`. */
export async function confineTableLog(ref: TableRef): Promise<void> {
  if (ref.confineTo) await confineLog(ref.confineTo, ref.tablePath)
}

/** Registered tables: every one of `files` resolves inside the org folder. Throws `422 unsupported_table`. */
export async function confineTableFiles(ref: TableRef, files: readonly string[]): Promise<void> {
  if (ref.confineTo) await confineFiles(ref.confineTo, files)
}

/**
 * Registered tables: the log and every active file of `version` still resolve inside the org
 * folder. Cached answers are re-checked with this before they are served, because a file can
 * be swapped for a link after it was read. Managed tables need no check (no-op).
 */
export async function confineTableVersion(ref: TableRef, version: number): Promise<void> {
  if (!ref.confineTo) return
  const snapshot = await loadTableSnapshot(ref, { version })
  await confineFiles(ref.confineTo, snapshot.files.map((f) => f.absolutePath))
}

/** `422 version_unavailable` always names the earliest available version (the "above latest" message of src/lakehouse does not). */
function withEarliest(err: unknown): unknown {
  if (!(err instanceof SluiceError) || err.code !== 'version_unavailable') return err
  const earliest = (err.details as { earliestVersion?: unknown } | undefined)?.earliestVersion
  if (typeof earliest !== 'number' || /earliest available version/.test(err.message)) return err
  return new SluiceError(err.status, err.code, `${err.message}; the earliest available version is ${earliest}`, err.details, { cause: err })
}

/**
 * The snapshot of a dataset's Delta table at `at` (default latest), after the confinement
 * checks for registered tables. Throws what loadSnapshot throws.
 */
export async function loadTableSnapshot(ref: TableRef, at: ReadAtOptions = {}, opts: LoadOptions = {}): Promise<Snapshot> {
  if (ref.confineTo) await confineLog(ref.confineTo, ref.tablePath)
  try {
    return await loadSnapshot(ref.tablePath, at, opts)
  } catch (err) {
    throw withEarliest(err)
  }
}

function readAtOptions(readAt: ReadAt): ReadAtOptions {
  return { version: readAt.version ?? undefined, timestampMs: readAt.asOf ? Date.parse(readAt.asOf) : undefined }
}

/**
 * The scan's fields at a snapshot: its schema, plus columns of the dataset's (latest) schema
 * that the plan reads but this older version did not have yet; they read as nulls.
 */
function scanFields(snapshot: Snapshot, plan: Plan, datasetSchema: readonly Field[] | undefined): Field[] {
  if (!datasetSchema) return snapshot.schema
  const have = new Set(snapshot.schema.map((f) => f.name))
  const added = datasetSchema.filter((f) => !have.has(f.name) && plan.columns.includes(f.name))
  return added.length === 0 ? snapshot.schema : [...snapshot.schema, ...added.map((f) => ({ ...f, nullable: true }))]
}

/**
 * Streams the plan's output over a Delta table at the requested version. `datasetSchema`
 * (the schema the plan was validated against) fills in columns an older version lacks.
 */
export async function* exploreDeltaTable(pool: WorkerPool, ref: TableRef | string, req: ExploreRequest, datasetSchema?: readonly Field[]): AsyncGenerator<Uint8Array> {
  const table: TableRef = typeof ref === 'string' ? { tablePath: ref, kind: 'delta', confineTo: null } : ref
  const snapshot = await loadTableSnapshot(table, readAtOptions(req.readAt))
  // A historical version whose files VACUUM removed is 422 version_unavailable, not a failed scan.
  await assertVersionFilesPresent(snapshot)
  // Stats and partition values hold raw values: never prune on a masked column.
  const files = pruneFiles(snapshot, req.plan.filter, { skipColumns: maskedColumns(req.masks) })
  if (table.confineTo) await confineFiles(table.confineTo, files.map((f) => f.absolutePath))
  yield* scanFiles(pool, files.map((f) => ({ path: path.join(table.tablePath, f.path), partitionValues: f.typedPartitionValues, rows: f.numRecords })),
    scanFields(snapshot, req.plan, datasetSchema), req)
}


/**
 * Streams a dataset's rows for a plan: Delta tables at the requested version, plain Parquet
 * folders at their current files (time travel there is `422 not_a_delta_table`).
 */
export async function* exploreTable(pool: WorkerPool, ref: TableRef, d: Dataset, req: ExploreRequest): AsyncGenerator<Uint8Array> {
  if (ref.kind === 'parquet') {
    if (req.readAt.version !== null || req.readAt.asOf !== null) assertDeltaDataset(d, 'time travel (version, as_of)')
    // Parquet folders are only ever registered tables, so they always have an org folder.
    if (!ref.confineTo) throw new SluiceError(500, 'internal', 'internal error')
    yield* exploreParquetFolder(pool, ref.confineTo, ref.tablePath, d.schema, req)
    return
  }
  yield* exploreDeltaTable(pool, ref, req, d.schema)
}

// numRecords per active file object (shared and immutable across cached snapshots).
const numRecordsCache = new WeakMap<ActiveFile, number | null>()

function numRecordsOf(f: ActiveFile): number | null {
  let n = numRecordsCache.get(f)
  if (n === undefined) {
    n = parseStats(f.stats, [])?.numRecords ?? null
    numRecordsCache.set(f, n)
  }
  return n
}

/** Sum of `numRecords` over the snapshot's active files; null when any file has no stats. Cheap, no I/O. */
export function statsRowCount(snapshot: Snapshot): number | null {
  let sum = 0
  for (const f of snapshot.files) {
    const n = numRecordsOf(f)
    if (n === null) return null
    sum += n
  }
  return sum
}

/**
 * Row count of a snapshot: from stats, else (when at most `maxFooterFiles` files lack stats)
 * from the Parquet footers of those files, read in a worker. Null when unknown. Physical rows
 * equal logical rows here: tables with deletion vectors are refused by the protocol gate.
 */
export async function snapshotRowCount(pool: WorkerPool, ref: TableRef, snapshot: Snapshot, maxFooterFiles: number, signal?: AbortSignal): Promise<number | null> {
  let sum = 0
  const missing: string[] = []
  for (const f of snapshot.files) {
    const n = numRecordsOf(f)
    if (n === null) missing.push(f.absolutePath)
    else sum += n
  }
  if (missing.length === 0) return sum
  if (missing.length > maxFooterFiles) return null
  if (ref.confineTo) await confineFiles(ref.confineTo, missing)
  const r = await pool.run<ParquetFooterResult>(WORKERS.parquetFooter, { kind: 'parquet-footer', files: missing, schema: false, baseDir: snapshot.tablePath }, { signal })
  return sum + r.rowCounts.reduce((a, b) => a + b, 0)
}
