/**
 * Piscina task module for Parquet uploads (workers/ingest/parquet-upload-*.ts):
 * `parquet-preview` → the fields, row count and first rows; `parquet-ingest` → part files in
 * `task.outDir` (the uploaded file itself when it needs no rewrite). Failures come back as
 * data (TaskFailure): a SluiceError does not survive the thread boundary on Node 20.
 */
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import { throwIfCancelled } from '../proto/cancel.js'
import type { ParquetIngestTask, ParquetPreviewTask, UploadIngestResult, UploadPreviewResult } from '../proto/ingest.js'
import { ingestParquet } from './ingest/parquet-upload-ingest.js'
import { previewParquet } from './ingest/parquet-upload-preview.js'

export default async function ingestParquetTask(task: ParquetPreviewTask): Promise<TaskResult<UploadPreviewResult>>
export default async function ingestParquetTask(task: ParquetIngestTask): Promise<TaskResult<UploadIngestResult>>
export default async function ingestParquetTask(
  task: ParquetPreviewTask | ParquetIngestTask,
): Promise<TaskResult<UploadPreviewResult> | TaskResult<UploadIngestResult>> {
  try {
    throwIfCancelled(task.cancel) // cancelled while it waited in the queue
    if (task.kind === 'parquet-preview') return { ok: true, value: await previewParquet(task) }
    if (task.kind === 'parquet-ingest') return { ok: true, value: await ingestParquet(task) }
    throw new SluiceError(500, 'internal', 'internal error')
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('parquet upload task failed', err)
    return toTaskFailure(err)
  }
}
