/**
 * BigQuery connector contract (proto/BIGQUERY.md has the dialect and type decisions).
 *
 * The main thread validates connector configs, browses, dry-runs and compiles
 * (src/query/bigquery-sql.ts); a worker owns each result stream (`bq-scan`): it runs the
 * query job, fetches result pages only as credit arrives (a slow client stops page fetching),
 * decodes pages into Batches and encodes them for the socket with the credit protocol of
 * proto/scan.ts. On `{type:'cancel'}` it calls jobs.cancel before ending.
 */
import type { MessagePort } from 'node:worker_threads'
import type { ColumnMeta, Field } from './types.js'
import type { OutputFormat } from './plan.js'
import type { IngestedFile } from './ingest.js'

/** A service-account key (the JSON file Google issues). Secret: never logged or returned. */
export interface ServiceAccountKey {
  type?: string
  project_id?: string
  client_email: string
  private_key: string
  [key: string]: unknown
}

/** Everything a client needs. Holds secrets: never log it. */
export interface BigQueryConnection {
  projectId: string
  location: string | null
  /** emulators and tests; with it and no credentials, requests carry no authorization at all */
  apiEndpoint: string | null
  credentials: ServiceAccountKey | null
  /** a query job is cancelled after this long (ms) */
  jobTimeoutMs: number
  /** bytes a query may bill (jobs fail above it); null: no limit */
  maximumBytesBilled: string | null
}

/** A column of a BigQuery source (from a dry run or tables.get). */
export interface BigQuerySourceColumn {
  name: string
  /** BigQuery type text, e.g. `INT64`, `NUMERIC(12,2)`, `ARRAY<STRING>`, `STRUCT<...>` */
  bqType: string
  /** how values decode: see BIGQUERY.md's mapping table */
  field: Field
}

/** The REST shape of a query parameter (src/query/bigquery-sql.ts toRestParameters). */
export type BigQueryRestParameter = Record<string, unknown>

export interface BqScanTask {
  kind: 'bq-scan'
  connection: BigQueryConnection
  sql: string
  params: BigQueryRestParameter[]
  /** the result's BigQuery column types, in order (decoding) */
  sourceColumns: BigQuerySourceColumn[]
  /** output column metadata, one per result column */
  columns: ColumnMeta[]
  format: OutputFormat
  /** rows per page requested from BigQuery (maxResults) */
  pageRows: number
  initialCredit: number
  port: MessagePort
}

/**
 * Import of a BigQuery query's result into Parquet part files (workers/bq-import.ts), for
 * the main thread to commit as a Delta version (src/jobs/import-bigquery.ts). Result pages are
 * read as the Parquet writer takes them (the page reader bq-scan uses).
 */
export interface BqImportTask {
  kind: 'bq-import'
  connection: BigQueryConnection
  sql: string
  params: BigQueryRestParameter[]
  /** the Delta table's columns, one per result column, in order (renamed source columns) */
  columns: ColumnMeta[]
  fields: Field[]
  outDir: string
  targetRowsPerFile: number
  /** rows per result page (maxResults) */
  pageRows: number
  /** main → worker: MainToBqImport; worker → main: BqImportToMain */
  port: MessagePort
}

/** A cancelled import returns the failure `499 cancelled` after deleting what it wrote. */
export type MainToBqImport = { type: 'cancel' }
/** At most every 250 ms; `totalRows` is BigQuery's count of result rows once known. */
export type BqImportToMain = { type: 'progress'; rows: number; bytesWritten: number; totalRows: number | null }

export interface BqImportResult {
  rowCount: number
  /** the Parquet files written into outDir, with Delta stats */
  files: IngestedFile[]
}
