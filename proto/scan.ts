/**
 * The scan task: a worker reads Parquet files, executes a plan and streams encoded output
 * bytes back over a MessagePort with credit-based flow control:
 *
 *   main → worker: { type: 'credit', chunks }   more chunks may be sent
 *                  { type: 'cancel' }           stop now (client left, server stopping)
 *   worker → main: { type: 'chunk', bytes }      bytes ready for the socket (ArrayBuffer, transferred)
 *                  { type: 'done', rowCount }    all bytes sent, output complete
 *                  { type: 'error', failure }    failed: nothing more follows
 *
 * The worker sends at most the granted number of chunks, so memory stays bounded however
 * slow the client. It never sees HTTP or the catalog.
 */
import type { MessagePort } from 'node:worker_threads'
import type { Field, ColumnMeta } from './types.js'
import type { Literal, OutputFormat, Plan } from './plan.js'
import type { TaskFailure } from './errors.js'
import type { TaskMasks } from './masks.js'

export interface ScanFile {
  /** absolute path of a Parquet file */
  path: string
  /** partition column values of this file (Delta partitionValues, typed), if any */
  partitionValues?: Record<string, Literal | null>
  /** rows in the file (Delta stats), when known: decides whether a scan is split */
  rows?: number | null
}

export interface ScanTask {
  kind: 'scan'
  files: ScanFile[]
  /** the table schema as stored (raw types; masked columns change type after the mask step) */
  fields: Field[]
  plan: Plan
  /** output column metadata, one per plan.select item */
  columns: ColumnMeta[]
  format: OutputFormat
  /** the caller's masks: applied to every batch as read, before the plan runs (null: raw) */
  masks: TaskMasks | null
  batchRows: number
  initialCredit: number
  port: MessagePort
  /**
   * Parallel aggregate scan: `files` is empty and these ports each deliver one ScanPartTask's
   * partial aggregate state; this task merges them, then orders, limits and encodes.
   */
  parts?: MessagePort[]
}

/**
 * One part of a parallel aggregate scan (workers/scan-part.ts): aggregates the row groups
 * whose (file index + row group index) % `part.of` === `part.index`, masks applied as read,
 * and posts its partial state to the merging scan task over `port`:
 *
 *   part → merger: { type: 'state', state }  |  { type: 'error', failure }
 *   merger → part: { type: 'cancel' }            stop now (client left, another part failed)
 */
export interface ScanPartTask {
  kind: 'scan-part'
  files: ScanFile[]
  fields: Field[]
  plan: Plan
  masks: TaskMasks | null
  part: { index: number; of: number }
  port: MessagePort
}

export type PartToMerger =
  | { type: 'state'; state: unknown }
  | { type: 'error'; failure: TaskFailure }

export type ScanToMain =
  | { type: 'chunk'; bytes: ArrayBuffer }
  | { type: 'done'; rowCount: number }
  | { type: 'error'; failure: TaskFailure }

export type MainToScan = { type: 'credit'; chunks: number } | { type: 'cancel' }
