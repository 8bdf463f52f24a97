/**
 * OPTIMIZE and VACUUM of Delta-backed datasets (README, "Maintenance"). Each comes in two steps:
 * `prepare*` validates the request against the table (so a bad request is a 4xx even with
 * async=true) and `run*` does the work, synchronously or as a job.
 *
 * OPTIMIZE writes every bin's new file in piscina workers (workers/compact.ts) straight into
 * the table folder, then commits once. Cancelled or failed, it deletes what it wrote and
 * commits nothing; a crash before the commit leaves only untracked files (VACUUM full removes
 * them), never a visible change. A concurrent blind append does not fail it: the commit is
 * retried at the next version unless a concurrent commit removed one of its input files
 * (409 concurrent_modification).
 *
 * VACUUM commits VACUUM START, deletes, then commits VACUUM END (status FAILED when cancelled
 * part-way: the files already deleted were garbage either way).
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { CompactResult, CompactTask, CompactToMain, OptimizeResult, VacuumResult } from '../../proto/maintenance.js'
import { VACUUM_LIST_LIMIT } from '../../proto/maintenance.js'
import type { Filter } from '../../proto/plan.js'
import type { Principal } from '../auth/principal.js'
import type { Dataset, DatasetStore } from '../catalog/index.js'
import { assertDeltaDataset, confineTableFiles, confineTableLog, loadTableSnapshot, tableRefOf, type TableRef } from '../connectors/lakehouse.js'
import { checkWritable, commitWithRetry, isDeltaTable, type Snapshot } from '../lakehouse/index.js'
import { optimizeActions, planOptimize, type CompactedFile, type OptimizePlan } from '../lakehouse/optimize-plan.js'
import { planVacuum, tableRetentionMs, vacuumEndActions, vacuumStartActions, type VacuumMode } from '../lakehouse/vacuum.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { parseExploreBody } from '../query/index.js'
import { testPause } from '../test-hooks.js'
import type { JobContext } from './runner.js'

export interface MaintenanceDeps {
  dataDir: string
  pool: WorkerPool
  datasets: DatasetStore
  engineInfo: string
  /** compact tasks run at once (default 2) */
  concurrency?: number
  /** the compact task module (tests point it at the TypeScript source) */
  compactWorker?: string
  /** test seam: runs after the new files are written, before the commit */
  afterData?: () => Promise<void>
}

/**
 * The dataset's Delta table, its log confined to the org folder for registered tables.
 * Throws `422 not_a_delta_table` (connector datasets, Parquet folders, no `_delta_log`),
 * `422 unsupported_table` (a registered table leading outside its org folder).
 */
async function deltaTable(dataDir: string, d: Dataset, what: string): Promise<TableRef> {
  assertDeltaDataset(d, what)
  const ref = await tableRefOf(dataDir, d)
  await confineTableLog(ref)
  if (!(await isDeltaTable(ref.tablePath))) {
    throw new SluiceError(422, 'not_a_delta_table', `dataset "${d.name}" is not a Delta table (its folder has no _delta_log): ${what} needs one`)
  }
  return ref
}

/** VACUUM's commits hold only commitInfo: they never conflict, so they may retry for long. */
const VACUUM_COMMIT_ATTEMPTS = 1000

function recordVersion(datasets: DatasetStore, d: Dataset, version: number): void {
  // re-read: another writer may have moved the catalog row on meanwhile (synchronous, no await in between)
  const fresh = datasets.get(d.org, d.name)
  if (!fresh || fresh.id !== d.id) return
  fresh.currentVersion = Math.max(fresh.currentVersion ?? -1, version)
  fresh.updatedAt = new Date().toISOString()
  datasets.update(fresh)
}

// ---------------------------------------------------------------- OPTIMIZE

export interface OptimizeRequest {
  targetFileSize: number
  /** a filter on partition columns, in the grammar of POST explore's `filter` */
  where: string | null
}

export interface PreparedOptimize {
  dataset: Dataset
  table: TableRef
  tablePath: string
  snapshot: Snapshot
  plan: OptimizePlan
  where: string | null
}

function parseWhere(where: string, snapshot: Snapshot): Filter {
  try {
    const filter = parseExploreBody({ filter: where }, snapshot.schema).plan.filter
    if (!filter) throw invalidParameter('where', 'is empty')
    return filter
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'invalid_query') throw invalidParameter('where', err.message)
    throw err
  }
}

/**
 * Loads the latest snapshot and plans the compaction. Throws `422 not_a_delta_table`,
 * `422 unsupported_table` (a table Sluice cannot write), `422 invalid_parameter` (target size,
 * `where`).
 */
export async function prepareOptimize(dataDir: string, dataset: Dataset, req: OptimizeRequest): Promise<PreparedOptimize> {
  const table = await deltaTable(dataDir, dataset, 'OPTIMIZE')
  const tablePath = table.tablePath
  const snapshot = await loadTableSnapshot(table)
  checkWritable(snapshot.protocol, snapshot.metadata, snapshot.deltaSchema, { removesData: false })
  const filter = req.where === null ? null : parseWhere(req.where, snapshot)
  const plan = planOptimize(snapshot, { targetFileSize: req.targetFileSize, where: filter })
  return { dataset, table, tablePath, snapshot, plan, where: req.where }
}

/** Runs every bin in a worker, at most `concurrency` at once; deletes all outputs on failure. */
async function compactBins(deps: MaintenanceDeps, prep: PreparedOptimize, job: JobContext | null, signal: AbortSignal): Promise<CompactedFile[]> {
  const { plan, snapshot, tablePath } = prep
  await confineTableFiles(prep.table, plan.bins.flatMap((b) => b.files.map((f) => f.absolutePath)))
  const fields = snapshot.schema.filter((f) => !snapshot.partitionColumns.includes(f.name))
  const filesTotal = plan.bins.reduce((n, b) => n + b.files.length, 0)
  const bytesTotal = plan.bins.reduce((n, b) => n + b.bytes, 0)
  let filesDone = 0
  let bytesDone = 0
  const report = () => job?.progress({
    phase: 'compacting', percent: bytesTotal > 0 ? Math.min(95, Math.floor((bytesDone / bytesTotal) * 95)) : 0,
    files_done: filesDone, files_total: filesTotal, bytes_done: bytesDone, bytes_total: bytesTotal,
  })
  report()
  const results: (CompactedFile | null)[] = new Array(plan.bins.length).fill(null)
  const written: string[] = []
  const running = new Set<MessagePort>()
  let failure: unknown = null
  const cancelAll = () => { for (const port of running) port.postMessage({ type: 'cancel' }) }
  signal.addEventListener('abort', cancelAll, { once: true })

  const runBin = async (i: number) => {
    const bin = plan.bins[i]!
    const outDir = bin.directory ? path.join(tablePath, bin.directory) : tablePath
    // every folder on the way must stay inside (a registered table's partition folder may be a link)
    const segments = bin.directory ? bin.directory.split('/') : []
    await confineTableFiles(prep.table, segments.map((_, k) => path.join(tablePath, ...segments.slice(0, k + 1))))
    await fsp.mkdir(outDir, { recursive: true })
    await confineTableFiles(prep.table, [outDir])
    const { port1, port2 } = new MessageChannel()
    let seenFiles = 0
    let seenBytes = 0
    port1.on('message', (m: CompactToMain) => {
      filesDone += m.filesDone - seenFiles
      bytesDone += m.bytesDone - seenBytes
      seenFiles = m.filesDone
      seenBytes = m.bytesDone
      report()
    })
    running.add(port1)
    try {
      const task: CompactTask = {
        kind: 'compact', outDir, fields, port: port2,
        inputs: bin.files.map((f) => ({ path: f.absolutePath, size: f.size })),
      }
      const r = await deps.pool.run<CompactResult>(deps.compactWorker ?? WORKERS.compact, task, { transferList: [port2] })
      if (r.output) {
        written.push(path.join(outDir, r.output.name))
        results[i] = {
          path: bin.directory ? `${bin.directory}/${r.output.name}` : r.output.name,
          size: r.output.size, stats: r.output.stats, partitionValues: bin.partitionValues,
        }
      }
    } finally {
      running.delete(port1)
      port1.close()
    }
  }
  let next = 0
  const lane = async () => {
    while (failure === null && !signal.aborted && next < plan.bins.length) {
      const i = next++
      try {
        await runBin(i)
      } catch (err) {
        failure ??= err
        cancelAll()
      }
    }
  }
  try {
    await Promise.all(Array.from({ length: Math.min(Math.max(1, deps.concurrency ?? 2), plan.bins.length) }, lane))
    if (failure === null) signal.throwIfAborted()
    if (failure !== null) throw signal.aborted ? signal.reason : failure
  } catch (err) {
    await Promise.all(written.map((f) => fsp.rm(f, { force: true })))
    throw err
  } finally {
    signal.removeEventListener('abort', cancelAll)
  }
  return results.filter((r): r is CompactedFile => r !== null)
}

function optimizeResult(prep: PreparedOptimize, extra: Partial<OptimizeResult>): OptimizeResult {
  const { plan } = prep
  return {
    dataset: prep.dataset.name, operation: 'OPTIMIZE', committed: false, version: null, read_version: plan.readVersion,
    target_file_size: plan.targetFileSize, where: prep.where,
    files_considered: plan.filesConsidered, files_skipped: plan.filesSkipped, partitions_optimized: 0,
    files_removed: 0, files_added: 0, bytes_removed: 0, bytes_added: 0, rows: 0, operation_metrics: null,
    message: 'nothing to optimize: no partition has two or more files smaller than the target size',
    ...extra,
  }
}

/**
 * Compacts and commits the prepared plan. Returns the result; with nothing to compact, no
 * commit is made (`committed: false`). Throws 409 concurrent_modification when a concurrent
 * commit removed an input file, 499 cancelled when `signal` aborts (nothing is left behind).
 */
export async function runOptimize(deps: MaintenanceDeps, p: Principal, prep: PreparedOptimize, job: JobContext | null, signal: AbortSignal): Promise<OptimizeResult> {
  const { plan } = prep
  if (plan.bins.length === 0) return optimizeResult(prep, {})
  const written = await compactBins(deps, prep, job, signal)
  let committed = false
  try {
    await testPause('optimize.after-data')
    await deps.afterData?.()
    job?.progress({ phase: 'committing', percent: 96 })
    signal.throwIfAborted()
    const actions = optimizeActions(plan, written, { engineInfo: deps.engineInfo, userName: p.sub, predicate: prep.where, ...(job ? { runId: job.id } : {}) })
    const inputs = plan.bins.flatMap((b) => b.files)
    const { version } = await commitWithRetry(prep.tablePath, {
      actions, readVersion: plan.readVersion, readPaths: inputs.map((f) => f.path), blindAppend: false, changesMetadata: false,
    }, { signal })
    committed = true
    recordVersion(deps.datasets, prep.dataset, version)
    const metrics = (actions[0]!.commitInfo as { operationMetrics: Record<string, string> }).operationMetrics
    return optimizeResult(prep, {
      committed: true, version, partitions_optimized: plan.partitions,
      files_removed: inputs.length, files_added: written.length,
      bytes_removed: inputs.reduce((n, f) => n + f.size, 0), bytes_added: written.reduce((n, f) => n + f.size, 0),
      rows: written.reduce((n, f) => n + (Number(/"numRecords":(\d+)/.exec(f.stats)?.[1]) || 0), 0),
      operation_metrics: metrics,
      message: `compacted ${inputs.length} files into ${written.length}`,
    })
  } finally {
    if (!committed) await Promise.all(written.map((f) => fsp.rm(path.join(prep.tablePath, f.path), { force: true })))
  }
}

// ---------------------------------------------------------------- VACUUM

export interface VacuumRequest {
  /** null: the table's retention (delta.deletedFileRetentionDuration, else 168) */
  retentionHours: number | null
  dryRun: boolean
  mode: VacuumMode
}

export interface PreparedVacuum {
  dataset: Dataset
  table: TableRef
  tablePath: string
  retentionMs: number
  minimumMs: number
  specified: boolean
  retentionCheckEnabled: boolean
  request: VacuumRequest
}

/** `VACUUM_ALLOW_SHORT_RETENTION=1` lets VACUUM use a retention below the table's minimum. */
export function allowShortRetention(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VACUUM_ALLOW_SHORT_RETENTION === '1'
}

const hoursText = (ms: number) => `${Math.round((ms / 3_600_000) * 1000) / 1000}`

/**
 * Checks the table and the retention. Throws `422 not_a_delta_table`, `422 unsupported_table`,
 * `422 invalid_parameter` (retention_hours below the table's minimum, unless
 * VACUUM_ALLOW_SHORT_RETENTION=1).
 */
export async function prepareVacuum(dataDir: string, dataset: Dataset, req: VacuumRequest): Promise<PreparedVacuum> {
  const table = await deltaTable(dataDir, dataset, 'VACUUM')
  const tablePath = table.tablePath
  const snapshot = await loadTableSnapshot(table, {}, { allowUnsupportedColumns: true })
  checkWritable(snapshot.protocol, snapshot.metadata, snapshot.deltaSchema, { removesData: false })
  const minimumMs = tableRetentionMs(snapshot.metadata)
  const retentionMs = req.retentionHours === null ? minimumMs : Math.round(req.retentionHours * 3_600_000)
  const check = !allowShortRetention()
  if (check && retentionMs < minimumMs) {
    throw invalidParameter('retention_hours', `must be at least ${hoursText(minimumMs)} (the table's delta.deletedFileRetentionDuration, default 168 hours): `
      + 'a shorter retention can delete files that time travel and running writers still need; the server allows it only with VACUUM_ALLOW_SHORT_RETENTION=1')
  }
  return { dataset, table, tablePath, retentionMs, minimumMs, specified: req.retentionHours !== null, retentionCheckEnabled: check, request: req }
}

/**
 * Plans and (unless a dry run) deletes, between a VACUUM START and a VACUUM END commit.
 * Returns what was (or would be) deleted. Throws 499 cancelled when `signal` aborts (VACUUM END
 * is then committed with status FAILED).
 */
export async function runVacuum(deps: MaintenanceDeps, p: Principal, prep: PreparedVacuum, job: JobContext | null, signal: AbortSignal): Promise<VacuumResult> {
  const { tablePath, request } = prep
  job?.progress({ phase: 'planning', percent: 1 })
  const snapshot = await loadTableSnapshot(prep.table, {}, { allowUnsupportedColumns: true })
  const deleteBeforeMs = Date.now() - prep.retentionMs
  const plan = await planVacuum(snapshot, { mode: request.mode, deleteBeforeMs })
  // a registered table must not lead the deletion outside the org folder (links)
  await confineTableFiles(prep.table, [...plan.files.map((f) => f.absolutePath), ...plan.emptyDirectories])
  signal.throwIfAborted()
  const result: VacuumResult = {
    dataset: prep.dataset.name, operation: 'VACUUM', mode: request.mode, dry_run: request.dryRun,
    retention_hours: prep.retentionMs / 3_600_000, delete_before: new Date(deleteBeforeMs).toISOString(),
    num_files: plan.files.length, bytes: plan.bytes, files_deleted: 0, bytes_freed: 0,
    files: plan.files.slice(0, VACUUM_LIST_LIMIT).map((f) => f.path), files_truncated: plan.files.length > VACUUM_LIST_LIMIT,
    start_version: null, end_version: null,
  }
  if (request.dryRun) return result

  const commitOpts = { engineInfo: deps.engineInfo, userName: p.sub, ...(job ? { runId: job.id } : {}) }
  const start = vacuumStartActions(snapshot.version, {
    retentionCheckEnabled: prep.retentionCheckEnabled, specifiedRetentionMs: prep.specified ? prep.retentionMs : null,
    defaultRetentionMs: prep.minimumMs, mode: request.mode, numFilesToDelete: plan.files.length, sizeOfDataToDelete: plan.bytes,
  }, commitOpts)
  result.start_version = (await commitWithRetry(tablePath, {
    actions: start, readVersion: snapshot.version, readPaths: [], blindAppend: true, changesMetadata: false,
  }, { signal, maxAttempts: VACUUM_COMMIT_ATTEMPTS })).version
  await testPause('vacuum.after-start')

  let status: 'COMPLETED' | 'FAILED' = 'COMPLETED'
  let stopped: unknown = null
  const report = () => job?.progress({
    phase: 'deleting', percent: plan.bytes > 0 ? Math.min(95, 2 + Math.floor((result.bytes_freed / plan.bytes) * 93)) : 50,
    files_done: result.files_deleted, files_total: plan.files.length, bytes_done: result.bytes_freed, bytes_total: plan.bytes,
  })
  report()
  try {
    for (const f of plan.files) {
      signal.throwIfAborted()
      try {
        await fsp.unlink(f.absolutePath)
        result.files_deleted++
        result.bytes_freed += f.size
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      report()
    }
    for (const dir of plan.emptyDirectories) await fsp.rmdir(dir).catch(() => {})
  } catch (err) {
    status = 'FAILED'
    stopped = err
  }
  job?.progress({ phase: 'committing', percent: 96 })
  const end = vacuumEndActions(snapshot.version, { status, numDeletedFiles: result.files_deleted, numVacuumedDirectories: plan.directories }, commitOpts)
  // committed even when cancelled: the START commit needs its END
  result.end_version = (await commitWithRetry(tablePath, {
    actions: end, readVersion: result.start_version, readPaths: [], blindAppend: true, changesMetadata: false,
  }, { maxAttempts: VACUUM_COMMIT_ATTEMPTS })).version
  recordVersion(deps.datasets, prep.dataset, result.end_version)
  if (stopped !== null) throw stopped
  return result
}
