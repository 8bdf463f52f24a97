/**
 * Piscina task module `profile-finish` (proto/profile.ts): merges the partials of every scan
 * task and returns the finished ColumnProfiles as JSON text built here, so exact int64 digits
 * survive and the main thread never walks sketches. Failures come back as data (TaskFailure).
 */
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import type { ColumnPartial, ProfileFinishResult, ProfileFinishTask } from '../proto/profile.js'
import { ColumnState } from './kernels/profile/column-state.js'
import { columnProfileJson } from './kernels/profile/column-profile.js'
import { profiledFields } from './profile-scan.js'

export default async function profileFinish(task: ProfileFinishTask): Promise<TaskResult<ProfileFinishResult>> {
  try {
    const fields = profiledFields(task.fields, task.columns)
    let rowCount = 0
    for (const p of task.partials) rowCount += p.rowCount
    const masked = new Set(task.masked ?? [])
    const parts = fields.map((f) => {
      const of: ColumnPartial[] = []
      for (const p of task.partials) {
        const c = p.columns.find((x) => x.name === f.name)
        if (c) of.push(c)
      }
      return columnProfileJson(ColumnState.merge(f, of), task.top, masked.has(f.name))
    })
    return { ok: true, value: { rowCount, columnsJson: '[' + parts.join(',') + ']' } }
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('profile finish task failed', err)
    return toTaskFailure(err)
  }
}
