/**
 * Piscina task module: automatic column classification (proto/classification.ts) from field
 * names plus a sample: given ready, read from Parquet files, or read from PostgreSQL
 * (kernels/classify/sample-*.ts). The sample's values never leave this thread: the result
 * holds types, sensitivities and confidences only. Failures come back as data (TaskFailure).
 */
import { badRequest, SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import type { Batch } from '../proto/batch.js'
import type { ClassifyTask, ColumnClassification } from '../proto/classification.js'
import { classifyColumns } from './kernels/classify/detect.js'
import { parquetSample } from './kernels/classify/sample-parquet.js'
import { postgresSample } from './kernels/classify/sample-postgres.js'
import { bigQuerySample } from './kernels/classify/sample-bigquery.js'

function sampleOf(task: ClassifyTask): Promise<Batch> | Batch {
  if ('sample' in task) return task.sample
  if ('files' in task) return parquetSample(task.files, task.fields, task.sampleRows)
  if ('postgres' in task) return postgresSample(task.postgres.connection, task.postgres.sql, task.fields)
  if ('bigquery' in task) return bigQuerySample(task.bigquery)
  throw badRequest('classify task has no sample, files or postgres source')
}

export default async function classify(task: ClassifyTask): Promise<TaskResult<ColumnClassification[]>> {
  try {
    if (task.kind !== 'classify') throw badRequest(`classify worker got a "${String(task.kind)}" task`)
    return { ok: true, value: classifyColumns(task.fields, await sampleOf(task)) }
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('classify task failed', err)
    return toTaskFailure(err)
  }
}
