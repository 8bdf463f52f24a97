/**
 * Delta-backed datasets (uploads, imports, registered lakehouse tables): resolve the
 * snapshot at the requested version, prune files whose stats or partition values cannot
 * match the filter, and stream the plan's output from a scan worker.
 */
import path from 'node:path'
import type { ColumnMeta } from '../../proto/types.js'
import type { OutputFormat, Plan, ReadAt } from '../../proto/plan.js'
import type { ScanTask } from '../../proto/scan.js'
import { loadSnapshot, pruneFiles } from '../lakehouse/index.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { streamTask } from './scan-stream.js'

export interface ExploreRequest {
  plan: Plan
  columns: ColumnMeta[]
  format: OutputFormat
  readAt: ReadAt
  signal: AbortSignal
}

/** Rows per output batch: small enough for the first bytes to leave early, large enough to amortise. */
const BATCH_ROWS = 16_384

export async function* exploreDeltaTable(pool: WorkerPool, tablePath: string, req: ExploreRequest): AsyncGenerator<Uint8Array> {
  const snapshot = await loadSnapshot(tablePath, {
    version: req.readAt.version ?? undefined,
    timestampMs: req.readAt.asOf ? Date.parse(req.readAt.asOf) : undefined,
  })
  const files = pruneFiles(snapshot, req.plan.filter)
  yield* streamTask(pool, WORKERS.scan, (port, initialCredit): ScanTask => ({
    kind: 'scan',
    files: files.map((f) => ({ path: path.join(tablePath, f.path), partitionValues: f.typedPartitionValues })),
    fields: snapshot.schema,
    plan: req.plan,
    columns: req.columns,
    format: req.format,
    batchRows: BATCH_ROWS,
    initialCredit,
    port,
  }), req.signal)
}
