/**
 * Table maintenance: the compact task (workers/compact.ts) that OPTIMIZE runs once per bin of
 * small files, and the results OPTIMIZE and VACUUM answer with (README, "Maintenance").
 *
 * A compact task reads its input Parquet files one row group at a time and writes ONE new
 * part file into `outDir` (a new unique name, never an existing file), with the Delta stats
 * of what it wrote. It never commits: the main thread does, once every bin is written.
 *
 *   main → worker: { type: 'cancel' }                     stop, delete the output, fail
 *   worker → main: { type: 'progress', filesDone, bytesDone, rows }   after each input file
 *
 * Failures come back as data (TaskResult): classes do not cross threads on Node 20.
 */
import type { MessagePort } from 'node:worker_threads'
import type { Field } from './types.js'

export interface CompactInput {
  /** absolute path of a Parquet data file of the table */
  path: string
  /** bytes (from the add action), for progress */
  size: number
}

export interface CompactTask {
  kind: 'compact'
  /** an existing directory inside the table (the partition folder) that receives the output */
  outDir: string
  /** in table order: the output keeps the rows in this order */
  inputs: CompactInput[]
  /** the columns the data files hold (the table schema without partition columns), in order */
  fields: Field[]
  /** rows per row group of the output (default 128 Ki) */
  rowGroupRows?: number
  /** progress (worker → main) and cancel (main → worker); transferred */
  port?: MessagePort
}

export interface CompactOutput {
  /** file name inside `outDir` */
  name: string
  size: number
  numRecords: number
  /** Delta per-file statistics JSON, as Spark writes it */
  stats: string
}

/** `output` is null when the inputs held no rows at all (nothing is written then). */
export interface CompactResult {
  output: CompactOutput | null
  rows: number
}

export type CompactToMain = { type: 'progress'; filesDone: number; bytesDone: number; rows: number }
export type MainToCompact = { type: 'cancel' }

/** What `POST /api/datasets/{name}/optimize` answers (also a job's `result`). */
export interface OptimizeResult {
  dataset: string
  operation: 'OPTIMIZE'
  /** false: nothing to compact, no commit was made */
  committed: boolean
  /** the version the commit made, or null */
  version: number | null
  /** the version the plan was made from */
  read_version: number
  target_file_size: number
  /** the partition filter as given, or null */
  where: string | null
  /** active files matched by `where` */
  files_considered: number
  /** considered files left as they are (large enough, or alone in their bin) */
  files_skipped: number
  partitions_optimized: number
  files_removed: number
  files_added: number
  bytes_removed: number
  bytes_added: number
  rows: number
  /** the commit's operationMetrics (Spark's names, string values), or null without a commit */
  operation_metrics: Record<string, string> | null
  message: string
}

/** What `POST /api/datasets/{name}/vacuum` answers (also a job's `result`). */
export interface VacuumResult {
  dataset: string
  operation: 'VACUUM'
  mode: 'lite' | 'full'
  dry_run: boolean
  retention_hours: number
  /** files older than this (ms since epoch, ISO) and unreferenced are deleted */
  delete_before: string
  /** files it deletes (or would delete, in a dry run) */
  num_files: number
  /** bytes of those files */
  bytes: number
  /** files actually deleted (0 in a dry run) */
  files_deleted: number
  /** bytes actually freed (0 in a dry run) */
  bytes_freed: number
  /** paths relative to the table root, at most VACUUM_LIST_LIMIT of them */
  files: string[]
  files_truncated: boolean
  /** true when `files` is empty because the table is partitioned by a column masked for the caller (paths would show raw values) */
  files_withheld?: boolean
  /** the VACUUM START and VACUUM END versions, null in a dry run */
  start_version: number | null
  end_version: number | null
}

/** Longest `files` list in a VacuumResult. */
export const VACUUM_LIST_LIMIT = 10_000
