/**
 * Piscina task module for Excel (.xlsx) uploads (workers/ingest/xlsx-*.ts). `xlsx-preview`
 * lists the sheets and infers the chosen sheet's types over all its rows; `xlsx-ingest` writes
 * Parquet part files with Delta stats into `task.outDir`. Failures come back as data
 * (TaskFailure): a SluiceError does not survive the thread boundary on Node 20.
 */
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import { throwIfCancelled } from '../proto/cancel.js'
import type { UploadIngestResult, UploadPreviewResult, XlsxIngestTask, XlsxPreviewTask } from '../proto/ingest.js'
import { ingestXlsx } from './ingest/xlsx-ingest.js'
import { previewXlsx } from './ingest/xlsx-preview.js'

export default async function ingestXlsxTask(task: XlsxPreviewTask): Promise<TaskResult<UploadPreviewResult>>
export default async function ingestXlsxTask(task: XlsxIngestTask): Promise<TaskResult<UploadIngestResult>>
export default async function ingestXlsxTask(
  task: XlsxPreviewTask | XlsxIngestTask,
): Promise<TaskResult<UploadPreviewResult> | TaskResult<UploadIngestResult>> {
  try {
    throwIfCancelled(task.cancel) // cancelled while it waited in the queue
    if (task.kind === 'xlsx-preview') return { ok: true, value: await previewXlsx(task) }
    if (task.kind === 'xlsx-ingest') return { ok: true, value: await ingestXlsx(task) }
    throw new SluiceError(500, 'internal', 'internal error')
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('xlsx task failed', err)
    return toTaskFailure(err)
  }
}
