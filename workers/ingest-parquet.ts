/** Piscina task module for parquet uploads (preview and ingest; proto/ingest.ts). Being written. */
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'

export default async function ingestParquetTask(_task: unknown): Promise<TaskResult<never>> {
  return toTaskFailure(new SluiceError(422, 'invalid_file', 'parquet uploads are not supported yet'))
}
