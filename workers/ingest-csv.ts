/**
 * Piscina task module: parse an uploaded CSV file (workers/ingest/). `csv-preview` infers the
 * types over the whole file and returns the first rows; `csv-ingest` writes Parquet part files
 * with Delta stats into `task.outDir` for the main thread to commit. Failures come back as
 * data (TaskFailure): a SluiceError does not survive the thread boundary on Node 20.
 */
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import { throwIfCancelled } from '../proto/cancel.js'
import type { CsvIngestResult, CsvIngestTask, CsvPreviewResult, CsvPreviewTask } from '../proto/ingest.js'
import { ingestCsv } from './ingest/ingest.js'
import { previewCsv } from './ingest/preview.js'

export default async function ingestCsvTask(task: CsvPreviewTask): Promise<TaskResult<CsvPreviewResult>>
export default async function ingestCsvTask(task: CsvIngestTask): Promise<TaskResult<CsvIngestResult>>
export default async function ingestCsvTask(
  task: CsvPreviewTask | CsvIngestTask,
): Promise<TaskResult<CsvPreviewResult> | TaskResult<CsvIngestResult>> {
  try {
    throwIfCancelled(task.cancel) // cancelled while it waited in the queue
    if (task.kind === 'csv-preview') return { ok: true, value: await previewCsv(task) }
    if (task.kind === 'csv-ingest') return { ok: true, value: await ingestCsv(task) }
    throw new SluiceError(500, 'internal', 'internal error')
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('csv task failed', err)
    return toTaskFailure(err)
  }
}
