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
}

export type ScanToMain =
  | { type: 'chunk'; bytes: ArrayBuffer }
  | { type: 'done'; rowCount: number }
  | { type: 'error'; failure: TaskFailure }

export type MainToScan = { type: 'credit'; chunks: number } | { type: 'cancel' }
