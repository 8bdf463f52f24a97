/**
 * Messages of the PostgreSQL worker tasks. A worker owns one connection for the lifetime of
 * a task: it connects, runs one statement inside a READ ONLY transaction, decodes rows into
 * Batches (proto/batch.ts) and either encodes them for the socket (`pg-scan`, the credit
 * protocol of proto/scan.ts) or writes them to Parquet (`pg-import`). The main thread never
 * touches a row.
 *
 * Cancel: on `{type: 'cancel'}` the worker sends PostgreSQL a cancel request for its backend
 * (terminating a thread is not cancelling a query), closes the connection and ends the task.
 */
import type { MessagePort } from 'node:worker_threads'
import type { ColumnMeta, Field } from './types.js'
import type { IngestedFile } from './ingest.js'
import type { OutputFormat } from './plan.js'

/** Everything a worker needs to open a connection. Holds secrets: never log it. */
export interface PgConnection {
  host: string
  port: number
  database: string
  user: string
  password: string | null
  /** false: plain TCP; true / 'require': TLS without verifying the certificate; 'verify-full': verify */
  ssl: boolean | 'require' | 'verify-full'
  /**
   * statement_timeout for every statement, ms (0 = none). The scan and import tasks apply it to
   * each wait for rows instead (workers/pg/statement-timeout.ts): time spent waiting for a slow
   * client or for the Parquet writer never counts.
   */
  statementTimeoutMs: number
  /** give up connecting after this many ms */
  connectTimeoutMs: number
  /** application_name (lets tests and operators find our sessions in pg_stat_activity) */
  applicationName: string
}

export interface PgScanTask {
  kind: 'pg-scan'
  connection: PgConnection
  /** one SELECT; every value a bound parameter */
  sql: string
  /** text forms of the parameters ($1, $2, ...); null is SQL NULL */
  params: (string | null)[]
  /** output column metadata, one per result column, in order */
  columns: ColumnMeta[]
  format: OutputFormat
  /** rows per cursor fetch and per encoded batch */
  batchRows: number
  initialCredit: number
  port: MessagePort
  /** how rows are read (workers/pg/source.ts); default 'copy' (measured faster: loadtest/pg-source.ts) */
  source?: PgSource
  /**
   * Transaction-local settings applied with bound parameters before `sql` runs (e.g. the
   * masking salt, read in SQL as `current_setting('sluice.mask_salt')`). Secret: never part
   * of `sql` or `params`, which COPY inlines into statement text.
   */
  settings?: Record<string, string>
}

/**
 * How a task reads rows: 'cursor' (pg-query-stream, bound parameters) or 'copy' (`COPY (sql)
 * TO STDOUT`, parameters inlined as literals; a statement that cannot be inlined safely
 * falls back to the cursor).
 */
export type PgSource = 'cursor' | 'copy'

/** Worker → main progress of an import, at most about every 250 ms. */
export interface PgImportProgress { rows: number; bytesWritten: number }

export interface PgImportTask {
  kind: 'pg-import'
  connection: PgConnection
  sql: string
  params: (string | null)[]
  /** the Delta table's fields, one per result column, in order */
  fields: Field[]
  /** an existing directory; the task writes Parquet files into it and nothing else */
  outDir: string
  /** a new Parquet file every this many rows */
  targetRowsPerFile: number
  batchRows: number
  /** main → worker: {type: 'cancel'}; worker → main: {type: 'progress', ...PgImportProgress} */
  port: MessagePort
  /** how rows are read; default 'copy' */
  source?: PgSource
}

/** Messages of an import's port. A cancelled import returns the failure `499 cancelled` (proto/pg-errors.ts). */
export type MainToPgImport = { type: 'cancel' }
export type PgImportToMain = { type: 'progress' } & PgImportProgress

export interface PgImportResult {
  rowCount: number
  /** the Parquet files written into outDir, with Delta stats */
  files: IngestedFile[]
}
