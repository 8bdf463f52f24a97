/**
 * Messages of the CSV ingest task (workers/ingest-csv.ts). The HTTP layer streams an upload
 * to a file under DATA_DIR, then runs one of these tasks in a piscina worker. The worker
 * returns `TaskResult<CsvPreviewResult>` / `TaskResult<CsvIngestResult>` (proto/errors.ts): failures
 * come back as data, never as a thrown SluiceError (classes do not survive the thread boundary).
 *
 * Both tasks infer column types over the WHOLE file, not a sample: a preview reports exactly
 * the types an ingest with the same options commits (README, "CSV uploads").
 */
import type { MessagePort } from 'node:worker_threads'
import type { Batch } from './batch.js'
import type { Field, LogicalType } from './types.js'

/** The logical types CSV inference produces and `CsvOptions.columns` may force. */
export type CsvColumnType = 'string' | 'int64' | 'float64' | 'boolean' | 'date' | 'timestamp'
export const CSV_COLUMN_TYPES: readonly CsvColumnType[] = ['string', 'int64', 'float64', 'boolean', 'date', 'timestamp']

export interface CsvOptions {
  /** one character; detected among `,` `;` tab `|` when absent */
  delimiter?: string
  /** true: the first row names the columns; false: it is data; absent: detected (default true) */
  header?: boolean
  /**
   * Type overrides by final column name (after header renames). Only CsvColumnType values are
   * accepted; anything else, or an unknown column, is 422 invalid_parameter "columns".
   */
  columns?: Record<string, LogicalType>
  /**
   * The schema of the table an upload appends to: a file column with the same name (ASCII
   * case-insensitive, as Delta compares names) takes that column's type, as if forced in
   * `columns`, so the new files match the table. Names the file lacks are ignored.
   */
  tableFields?: Field[]
}

export interface CsvPreviewTask {
  kind: 'csv-preview'
  /** absolute path of the uploaded file */
  file: string
  options: CsvOptions
  /** how many data rows to return in `rows` */
  limit: number
}

export interface CsvIngestTask {
  kind: 'csv-ingest'
  file: string
  options: CsvOptions
  /** an existing directory; the task writes Parquet files into it and nothing else */
  outDir: string
  /** receives IngestProgress messages, at most about every 100 ms */
  progress?: MessagePort
  /** a new Parquet file every this many rows (default 1,000,000) */
  targetRowsPerFile?: number
}

export type CsvTask = CsvPreviewTask | CsvIngestTask

export interface CsvDialect {
  delimiter: string
  quote: '"'
  header: boolean
  encoding: 'utf-8'
}

export interface CsvPreviewResult {
  dialect: CsvDialect
  fields: Field[]
  /** the first `limit` data rows, typed exactly as an ingest would store them */
  rows: Batch
  /**
   * The same rows as a JSON array of objects keyed by column name, values as in API.md
   * ("Values on the wire"), ready to splice into a response.
   */
  rowsJson: string
  /** data rows in the whole file (header excluded) */
  rowCount: number
  warnings: string[]
}

export interface IngestedFile {
  /** file name inside `outDir` */
  name: string
  /** bytes */
  size: number
  numRecords: number
  /** Delta per-file statistics JSON, as Spark writes it (workers/ingest/stats.ts) */
  stats: string
}

export interface CsvIngestResult {
  dialect: CsvDialect
  fields: Field[]
  rowCount: number
  warnings: string[]
  files: IngestedFile[]
}

export interface IngestProgress {
  /** 'inferring': pass 1 (types); 'writing': pass 2 (Parquet) */
  phase: 'inferring' | 'writing'
  /** bytes of the file read so far in this phase */
  bytesRead: number
  totalBytes: number
  /** data rows parsed so far in this phase */
  rowsParsed: number
}
