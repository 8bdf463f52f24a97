/**
 * The worker task that previews or ingests an uploaded file of a given format. Options are
 * validated per format here: an option that does not apply to the file's format (a CSV
 * `delimiter` on a Parquet file, a `sheet` on a CSV) is `422 invalid_parameter`, never
 * silently ignored.
 */
import fs from 'node:fs'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import type { IngestProgress } from '../../proto/ingest.js'
import type { JobContext } from './runner.js'
import { invalidParameter } from '../../proto/errors.js'
import type { CommonUploadOptions, CsvOptions, UploadFormat, XlsxOptions } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import { WORKERS } from '../pool.js'

/** Options as parsed from the request: the CSV ones, plus `sheet` for workbooks. */
export type UploadOptions = CsvOptions & { sheet?: string }

/** Wire names of the options, for error messages. */
const WIRE: Record<string, string> = {
  delimiter: 'delimiter', quote: 'quote', escape: 'escape', encoding: 'encoding', decimal: 'decimal',
  nullValues: 'null_values', inferTypes: 'infer_types', header: 'header', sheet: 'sheet', columns: 'columns',
}
const ALLOWED: Record<UploadFormat, string[]> = {
  csv: ['delimiter', 'quote', 'escape', 'encoding', 'decimal', 'nullValues', 'inferTypes', 'header', 'columns', 'tableFields'],
  xlsx: ['sheet', 'header', 'inferTypes', 'columns', 'tableFields'],
  parquet: ['columns', 'tableFields'],
}

function checkApplies(format: UploadFormat, options: UploadOptions): void {
  for (const [k, v] of Object.entries(options)) {
    if (v === undefined || ALLOWED[format].includes(k)) continue
    throw invalidParameter(WIRE[k] ?? k, `does not apply to ${format === 'xlsx' ? 'Excel' : format === 'parquet' ? 'Parquet' : 'CSV'} files`)
  }
}

function formatOptions(format: UploadFormat, options: UploadOptions, tableFields?: Field[]): CsvOptions | XlsxOptions | CommonUploadOptions {
  checkApplies(format, options)
  const withTable = tableFields ? { ...options, tableFields } : options
  if (format === 'csv') { const { sheet: _s, ...csv } = withTable; return csv }
  if (format === 'xlsx') return withTable
  return { ...(withTable.columns ? { columns: withTable.columns } : {}), ...(withTable.tableFields ? { tableFields: withTable.tableFields } : {}) }
}

const WORKER: Record<UploadFormat, string> = { csv: WORKERS.ingestCsv, parquet: WORKERS.ingestParquet, xlsx: WORKERS.ingestXlsx }

export function previewTask(format: UploadFormat, file: string, options: UploadOptions, limit: number): { worker: string; task: object } {
  return { worker: WORKER[format], task: { kind: `${format}-preview`, file, options: formatOptions(format, options), limit } }
}

export function ingestTask(
  format: UploadFormat, file: string, options: UploadOptions,
  out: { outDir: string; progress: MessagePort; targetRowsPerFile: number; tableFields?: Field[] },
): { worker: string; task: object } {
  return {
    worker: WORKER[format],
    task: {
      kind: `${format}-ingest`, file, options: formatOptions(format, options, out.tableFields),
      outDir: out.outDir, progress: out.progress, targetRowsPerFile: out.targetRowsPerFile,
    },
  }
}

/**
 * A progress channel for an ingest task: the worker's IngestProgress messages become job
 * progress (`phase`, `percent`, `bytes_received`, `bytes_read`, `bytes_total`, `rows_parsed`).
 * Formats with two passes (infer, then write) spend half the bar on each. Close `port1` after.
 */
export function ingestProgressChannel(job: JobContext | null, bytesReceived: number): MessageChannel {
  const channel = new MessageChannel()
  channel.port1.on('message', (m: IngestProgress) => {
    const part = m.totalBytes > 0 ? Math.min(1, m.bytesRead / m.totalBytes) : 0
    const percent = Math.floor(m.phase === 'writing' ? 50 + part * 45 : part * 50)
    job?.progress({ phase: m.phase, percent, bytes_received: bytesReceived, bytes_read: m.bytesRead, bytes_total: m.totalBytes, rows_parsed: m.rowsParsed })
  })
  return channel
}

/**
 * Starts deleting the received upload once the ingest has read it, so the commit and the
 * classification run meanwhile (unlinking 800 MB takes ~0.2 s here). Await the returned
 * promise in the caller's `finally`: a failure is thrown there, not left unhandled.
 */
export function removeReadUpload(file: string): Promise<void> {
  const removing = fs.promises.rm(file, { force: true })
  removing.catch(() => {}) // observed by the caller's await
  return removing
}
