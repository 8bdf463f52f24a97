/**
 * Piscina task module: automatic column classification (proto/classification.ts) from field
 * names plus a sample batch. Pure CPU, no I/O, so aborting it (terminating the worker) is safe.
 * Failures come back as data (TaskFailure).
 */
import { badRequest, SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import type { ClassifyTask, ColumnClassification } from '../proto/classification.js'
import { classifyColumns } from './kernels/classify/detect.js'

export default async function classify(task: ClassifyTask): Promise<TaskResult<ColumnClassification[]>> {
  try {
    if (task.kind !== 'classify') throw badRequest(`classify worker got a "${String(task.kind)}" task`)
    return { ok: true, value: classifyColumns(task.fields, task.sample) }
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('classify task failed', err)
    return toTaskFailure(err)
  }
}
