/** The one way file-backed datasets (Delta tables, Parquet folders) stream a plan's output. */
import type { Field } from '../../proto/types.js'
import type { OutputFormat, Plan } from '../../proto/plan.js'
import type { ColumnMeta } from '../../proto/types.js'
import type { ScanTask } from '../../proto/scan.js'
import type { TaskMasks } from '../../proto/masks.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { streamTask } from './scan-stream.js'

/** Rows per output batch: small enough for the first bytes to leave early, large enough to amortise. */
const BATCH_ROWS = 16_384

export interface ScanRequest { plan: Plan; columns: ColumnMeta[]; format: OutputFormat; masks: TaskMasks | null; signal: AbortSignal }

/** Streams the plan's output over these Parquet files from a scan worker (proto/scan.ts). */
export function scanFiles(pool: WorkerPool, files: ScanTask['files'], fields: readonly Field[], req: ScanRequest): AsyncGenerator<Uint8Array> {
  return streamTask(pool, WORKERS.scan, (port, initialCredit): ScanTask => ({
    kind: 'scan', files, fields: [...fields], plan: req.plan, columns: req.columns, format: req.format, masks: req.masks,
    batchRows: BATCH_ROWS, initialCredit, port,
  }), req.signal)
}
