/** Piscina task module for xlsx uploads (preview and ingest; proto/ingest.ts). Being written. */
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'

export default async function ingestXlsxTask(_task: unknown): Promise<TaskResult<never>> {
  return toTaskFailure(new SluiceError(422, 'invalid_file', 'xlsx uploads are not supported yet'))
}
