/**
 * The one way file-backed datasets (Delta tables, Parquet folders) stream a plan's output.
 * Aggregate plans over enough rows run in parallel: one ScanPartTask per worker thread, each
 * aggregating a share of the row groups, feeding their partial states straight to the
 * streaming scan task, which merges, orders and encodes (the main thread only starts tasks).
 */
import { MessageChannel } from 'node:worker_threads'
import type { Field } from '../../proto/types.js'
import type { OutputFormat, Plan } from '../../proto/plan.js'
import type { ColumnMeta } from '../../proto/types.js'
import type { ScanPartTask, ScanTask } from '../../proto/scan.js'
import type { TaskMasks } from '../../proto/masks.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { streamTask } from './scan-stream.js'

/** Rows per output batch: small enough for the first bytes to leave early, large enough to amortise. */
const BATCH_ROWS = 16_384

/**
 * Fewest rows worth splitting an aggregate scan across workers (the tasks and the merge cost
 * more than they save on small tables). `SCAN_PARALLEL_MIN_ROWS`, default 200000; 0 splits
 * every aggregate scan over files of unknown or any size.
 */
function parallelMinRows(): number {
  const v = Number(process.env.SCAN_PARALLEL_MIN_ROWS)
  return process.env.SCAN_PARALLEL_MIN_ROWS !== undefined && process.env.SCAN_PARALLEL_MIN_ROWS !== '' && Number.isFinite(v) && v >= 0 ? v : 200_000
}

export interface ScanRequest { plan: Plan; columns: ColumnMeta[]; format: OutputFormat; masks: TaskMasks | null; signal: AbortSignal }

/** How many parts to split an aggregate scan into (1: no split). */
function partCount(pool: WorkerPool, files: ScanTask['files'], plan: Plan): number {
  if (!plan.aggregate || files.length === 0 || pool.threads < 2) return 1
  const min = parallelMinRows()
  let rows = 0
  for (const f of files) rows += f.rows ?? Infinity
  if (rows < min) return 1
  // one big file still splits (by row group); unknown sizes split only over several files
  return min === 0 || rows !== Infinity || files.length > 1 ? pool.threads : 1
}

/** Streams the plan's output over these Parquet files from scan workers (proto/scan.ts). */
export function scanFiles(pool: WorkerPool, files: ScanTask['files'], fields: readonly Field[], req: ScanRequest): AsyncGenerator<Uint8Array> {
  const base = { kind: 'scan' as const, fields: [...fields], plan: req.plan, columns: req.columns, format: req.format, masks: req.masks, batchRows: BATCH_ROWS }
  const n = partCount(pool, files, req.plan)
  if (n <= 1) {
    return streamTask(pool, WORKERS.scan, (port, initialCredit): ScanTask => ({ ...base, files, initialCredit, port }), req.signal)
  }
  const channels = Array.from({ length: n }, () => new MessageChannel())
  const start = () => channels.map((ch, index) => {
    const part: ScanPartTask = { kind: 'scan-part', files, fields: [...fields], plan: req.plan, masks: req.masks, part: { index, of: n }, port: ch.port2 }
    return pool.run(WORKERS.scanPart, part, { transferList: [ch.port2] })
  })
  const parts = channels.map((ch) => ch.port1)
  return streamTask(pool, WORKERS.scan, (port, initialCredit): ScanTask => ({ ...base, files: [], parts, initialCredit, port }), req.signal,
    { start, transfer: parts })
}
