/**
 * Piscina task module `profile-scan` (proto/profile.ts): reads a group of Parquet files once,
 * only the profiled columns (partition columns come from each file's partition values, as in
 * workers/scan.ts), masks each batch with the caller's masks (proto/masks.ts) before any state
 * sees a value, and returns one mergeable partial state per column (over masked values).
 * Failures come back as data (TaskFailure).
 */
import type { Literal } from '../proto/plan.js'
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import { throwIfCancelled } from '../proto/cancel.js'
import type { ProfilePartial, ProfileScanTask } from '../proto/profile.js'
import type { Field } from '../proto/types.js'
import type { Column } from '../proto/batch.js'
import { readParquetBatches } from './kernels/parquet-read.js'
import { constantColumn } from './kernels/constant.js'
import { ColumnState } from './kernels/profile/column-state.js'
import { maskBatch, maskedFieldsOf, maskRuleMap } from './kernels/mask-batch.js'

/** The profiled fields, in `columns` order; an unknown name is a 422. */
export function profiledFields(fields: Field[], columns: string[]): Field[] {
  return columns.map((name) => {
    const f = fields.find((x) => x.name === name)
    if (!f) throw new SluiceError(422, 'invalid_parameter', `no column "${name}"`)
    return f
  })
}

export default async function profileScan(task: ProfileScanTask): Promise<TaskResult<ProfilePartial>> {
  try {
    const wanted = profiledFields(task.fields, task.columns)
    const rules = maskRuleMap(task.masks)
    const salt = task.masks?.salt ?? ''
    // states see the masked types (hash turns an int64 into a string)
    const states = maskedFieldsOf(wanted, rules).map((f) => new ColumnState(f))
    const partitionColumns = new Set<string>()
    for (const f of task.files) for (const k of Object.keys(f.partitionValues ?? {})) partitionColumns.add(k)
    const fileFields = wanted.filter((f) => !partitionColumns.has(f.name))
    let rowCount = 0
    for (const file of task.files) {
      for await (const batch of readParquetBatches(file.path, { fields: fileFields })) {
        throwIfCancelled(task.cancel)
        rowCount += batch.length
        const byName = new Map(batch.columns.map((c) => [c.name, c]))
        const columns: Column[] = wanted.map((f) => byName.get(f.name)
          ?? constantColumn(f, (file.partitionValues?.[f.name] ?? null) as Literal | null, batch.length))
        // partition columns included: a masked partition column is masked like any other
        const masked = maskBatch({ length: batch.length, columns }, rules, salt)
        for (let j = 0; j < wanted.length; j++) states[j]!.add(masked.columns[j]!, batch.length)
      }
    }
    return { ok: true, value: { rowCount, columns: states.map((s) => s.toPartial()) } }
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('profile scan task failed', err)
    return toTaskFailure(err)
  }
}
