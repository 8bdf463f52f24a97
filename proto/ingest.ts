/**
 * Messages of the CSV ingest task (workers/ingest-csv.ts). The HTTP layer streams an upload
 * to a file under DATA_DIR, then runs one of these tasks in a piscina worker. The worker
 * returns `TaskResult<CsvPreviewResult>` / `TaskResult<CsvIngestResult>` (proto/errors.ts): failures
 * come back as data, never as a thrown SluiceError (classes do not survive the thread boundary).
 *
 * Both tasks infer column types over the WHOLE file, not a sample: a preview reports exactly
 * the types an ingest with the same options commits (README, "CSV uploads").
 */
import type { Cancellable } from './cancel.js'
import type { MessagePort } from 'node:worker_threads'
import type { Batch } from './batch.js'
import type { Field, LogicalType } from './types.js'

/** The logical types CSV inference produces and `CsvOptions.columns` may force. */
export type CsvColumnType = 'string' | 'int64' | 'float64' | 'boolean' | 'date' | 'timestamp'
export const CSV_COLUMN_TYPES: readonly CsvColumnType[] = ['string', 'int64', 'float64', 'boolean', 'date', 'timestamp']

/** Text encodings a CSV upload may be in (detected when `encoding` is absent). */
export type CsvEncoding = 'utf-8' | 'utf-16le' | 'utf-16be' | 'iso-8859-1' | 'windows-1252'
export const CSV_ENCODINGS: readonly CsvEncoding[] = ['utf-8', 'utf-16le', 'utf-16be', 'iso-8859-1', 'windows-1252']

export interface CsvOptions {
  /** one character; detected among `,` `;` tab `|` when absent */
  delimiter?: string
  /** the quote character (one character; default `"`) */
  quote?: string
  /**
   * the character that escapes a quote inside a quoted field (one character; default: the
   * quote itself, i.e. doubling). Another one (`\\`): escape+quote is a quote, escape+escape
   * an escape, before anything else it is kept; a doubled quote still reads as a quote.
   */
  escape?: string
  /**
   * the file's encoding; detected when absent (a BOM, BOM-less UTF-16 by its NULs, UTF-8 when the
   * whole file is valid UTF-8, else chardet + Latin-1: windows-1252 when a byte 0x80-0x9F occurs,
   * else iso-8859-1). Bytes not valid in it: 422 invalid_file "line N: ..."
   */
  encoding?: CsvEncoding
  /** the decimal separator of numbers: `,` reads `3,5` as 3.5 (needs a delimiter other than `,`) */
  decimal?: '.' | ','
  /**
   * the complete set of cell texts that mean null (default `[""]`: only empty cells); e.g.
   * `["", "NA", "NULL", "\\N"]`. Without `""` an empty cell is the string `""`; `[]`: nothing is null.
   */
  nullValues?: string[]
  /** false: every column stays a string (default true) */
  inferTypes?: boolean
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

export interface CsvPreviewTask extends Cancellable {
  kind: 'csv-preview'
  /** absolute path of the uploaded file */
  file: string
  options: CsvOptions
  /** how many data rows to return in `rows` */
  limit: number
}

export interface CsvIngestTask extends Cancellable {
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

/** The effective options of a CSV parse (what was given, else what was detected), echoed by previews. */
export interface CsvDialect {
  delimiter: string
  quote: string
  escape: string
  header: boolean
  encoding: CsvEncoding
  /** true when `encoding` was detected (not given) */
  encoding_detected?: boolean
  decimal: '.' | ','
  null_values: string[]
  infer_types: boolean
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

// ---------------------------------------------------------------------------------------
// Formats besides CSV. Every format's worker answers previews and ingests with the shapes
// below (the CSV ones are the same shapes with a CSV dialect), so the HTTP layer and the
// upload jobs do not care which format a file was.

export type UploadFormat = 'csv' | 'parquet' | 'xlsx'

/** Options every format takes. */
export interface CommonUploadOptions {
  /** type overrides by final column name (see CsvOptions.columns) */
  columns?: Record<string, LogicalType>
  /** the schema of the table an upload appends to (see CsvOptions.tableFields) */
  tableFields?: Field[]
}

export interface ParquetPreviewTask extends Cancellable {
  kind: 'parquet-preview'
  file: string
  options: CommonUploadOptions
  limit: number
}

export interface ParquetIngestTask extends Cancellable {
  kind: 'parquet-ingest'
  file: string
  options: CommonUploadOptions
  outDir: string
  progress?: MessagePort
  targetRowsPerFile?: number
}

/** One sheet of a workbook, as a preview lists it. */
export interface SheetInfo {
  name: string
  /** rows and columns of the used range (empty trailing rows and columns ignored) */
  rows: number
  columns: number
}

export interface XlsxOptions extends CommonUploadOptions {
  /** the sheet to read (default: the first non-empty one) */
  sheet?: string
  /** true: the first non-empty row names the columns; false: data; absent: detected */
  header?: boolean
  /** false: every column a string (default true) */
  inferTypes?: boolean
}

export interface XlsxPreviewTask extends Cancellable {
  kind: 'xlsx-preview'
  file: string
  options: XlsxOptions
  limit: number
}

export interface XlsxIngestTask extends Cancellable {
  kind: 'xlsx-ingest'
  file: string
  options: XlsxOptions
  outDir: string
  progress?: MessagePort
  targetRowsPerFile?: number
}

/** What a preview of any format returns (CsvPreviewResult is this with `dialect`). */
export interface UploadPreviewResult {
  format: UploadFormat
  /** CSV only: the effective dialect */
  dialect?: CsvDialect
  /** xlsx only: every sheet, and the one read */
  sheets?: SheetInfo[]
  sheet?: string
  fields: Field[]
  rows: Batch
  rowsJson: string
  rowCount: number
  warnings: string[]
}

/** What an ingest of any format returns (CsvIngestResult is this with `dialect`). */
export interface UploadIngestResult {
  format: UploadFormat
  dialect?: CsvDialect
  sheet?: string
  fields: Field[]
  rowCount: number
  warnings: string[]
  files: IngestedFile[]
  /** Parquet only: false when the uploaded file itself became the table's data file (no rewrite) */
  rewritten?: boolean
}
