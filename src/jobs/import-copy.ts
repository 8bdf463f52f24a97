/**
 * Copies the rows of a PostgreSQL source into Parquet files in a work folder, in a worker
 * that owns the connection (workers/pg-import.ts): rows stream from a cursor into row
 * groups, so a table larger than memory copies in bounded memory. Holds one of the
 * connector's slots for the whole copy. Cancelling (the job's signal) sends the worker an
 * explicit cancel: it cancels the statement in PostgreSQL and deletes what it wrote.
 */
import { MessageChannel } from 'node:worker_threads'
import { SluiceError } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { PgImportProgress, PgImportResult, PgImportTask } from '../../proto/postgres.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { quoteIdent } from '../connectors/postgres-discover.js'
import { valueExpr, type PgSourceColumn } from '../connectors/postgres-types.js'
import { PG_BATCH_ROWS } from '../connectors/postgres.js'
import type { PgRuntime } from '../connectors/postgres-runtime.js'
import type { JobContext } from './runner.js'

export interface CopyRequest {
  /** FROM-clause item of the source */
  from: string
  columns: readonly PgSourceColumn[]
  /** the Delta table's fields: the source columns, renamed */
  fields: Field[]
  outDir: string
  rowsPerFile: number
  /** the planner's row estimate, for percent (null: percent stays low until done) */
  rowEstimate: number | null
}

/** `SELECT <value expr> AS "<new name>", ... FROM <from> AS "src"` */
export function copySql(from: string, columns: readonly PgSourceColumn[], fields: readonly Field[]): string {
  const list = columns.map((c, i) => `${valueExpr(quoteIdent(c.name), c.conversion)} AS ${quoteIdent(fields[i]!.name)}`)
  return `SELECT ${list.join(', ')} FROM ${from} AS "src"`
}

/** Percent of a copy from rows so far and the estimate; the last 5 % are the commit. */
function copyPercent(rows: number, estimate: number | null): number {
  if (!estimate || estimate <= 0) return 0
  return Math.min(95, Math.floor((rows / estimate) * 95))
}

export async function copyRows(pool: WorkerPool, rt: PgRuntime, req: CopyRequest, job: JobContext | null, signal: AbortSignal): Promise<PgImportResult> {
  const release = await rt.acquire(signal)
  const { port1, port2 } = new MessageChannel()
  const onAbort = () => port1.postMessage({ type: 'cancel' })
  port1.on('message', (m: { type: string } & PgImportProgress) => {
    if (m.type === 'progress') job?.progress({ phase: 'copying', percent: copyPercent(m.rows, req.rowEstimate), rows_copied: m.rows, bytes_written: m.bytesWritten })
  })
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const task: PgImportTask = {
      kind: 'pg-import', connection: rt.connection(), sql: copySql(req.from, req.columns, req.fields), params: [],
      fields: req.fields, outDir: req.outDir, targetRowsPerFile: req.rowsPerFile, batchRows: PG_BATCH_ROWS, port: port2,
    }
    // No abort signal to piscina: terminating the thread would not cancel the statement.
    const result = await pool.run<PgImportResult>(WORKERS.pgImport, task, { transferList: [port2] })
    signal.throwIfAborted()
    job?.progress({ phase: 'committing', percent: 96, rows_copied: result.rowCount })
    return result
  } catch (err) {
    signal.throwIfAborted()
    if (err instanceof SluiceError && err.code === 'connector_unavailable') rt.reportFailure(err)
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
    port1.close()
    release()
  }
}
