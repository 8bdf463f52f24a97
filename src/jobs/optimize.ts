/**
 * OPTIMIZE of a Delta-backed dataset: every bin of the plan (src/lakehouse/optimize-plan.ts)
 * is compacted in a piscina worker (workers/compact.ts) straight into the table folder, then
 * one commit removes the inputs and adds the new files. Cancelled or failed, it deletes what
 * it wrote and commits nothing; a crash before the commit leaves only untracked files (VACUUM
 * full removes them), never a visible change. A concurrent blind append does not fail it: the
 * commit moves to the next version unless a concurrent commit removed one of its input files
 * (409 concurrent_modification).
 *
 * Main thread.
 */
import { promises as fsp } from 'node:fs'
import path from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { CompactResult, CompactTask, CompactToMain, OptimizeResult } from '../../proto/maintenance.js'
import type { Filter } from '../../proto/plan.js'
import type { Principal } from '../auth/principal.js'
import type { Dataset } from '../catalog/index.js'
import { confineTableFiles, loadTableSnapshot, type TableRef } from '../connectors/lakehouse.js'
import { checkWritable, commitWithRetry, type Snapshot } from '../lakehouse/index.js'
import { filterColumns, optimizeActions, planOptimize, type CompactedFile, type OptimizePlan } from '../lakehouse/optimize-plan.js'
import { WORKERS } from '../pool.js'
import { parseExploreBody } from '../query/index.js'
import { testPause } from '../test-hooks.js'
import { deltaTable, recordVersion, type MaintenanceDeps } from './maintenance.js'
import type { JobContext } from './runner.js'

export interface OptimizeRequest {
  targetFileSize: number
  /** a filter on partition columns, in the grammar of POST explore's `filter` */
  where: string | null
  /**
   * Columns masked for the caller: `where` may not name them (which files it matches would
   * tell whether a raw value exists).
   */
  maskedColumns?: readonly string[]
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
  const masked = filter ? [...filterColumns(filter)].filter((c) => req.maskedColumns?.includes(c)) : []
  if (masked.length > 0) throw invalidParameter('where', `column "${masked[0]}" is masked for you: OPTIMIZE where cannot select files by its raw values`)
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
