/**
 * Piscina task module: write the Delta checkpoint of one committed version
 * (src/lakehouse/checkpoint-write.ts), so the main thread never encodes Parquet. The task is
 * idempotent (an existing checkpoint is kept) and crash-safe (temp file, then link), so a
 * killed worker leaves at most a stray file in `_delta_log/.tmp/`. Failures come back as data.
 */
import { toTaskFailure, type TaskResult } from '../proto/errors.js'
import { writeCheckpoint, type CheckpointResult, type CheckpointTask } from '../src/lakehouse/checkpoint-write.js'
import { readCheckpoint } from '../src/lakehouse/checkpoint-read.js'
import type { CheckpointContents } from '../src/lakehouse/checkpoint-contents.js'
import type { CheckpointSet } from '../src/lakehouse/log-files.js'

/** Reading a checkpoint for log replay on the main thread: the Parquet decoding happens here. */
export interface CheckpointReadTask { kind: 'delta-checkpoint-read'; set: CheckpointSet }

export default async function checkpointTask(task: CheckpointTask | CheckpointReadTask): Promise<TaskResult<CheckpointResult | CheckpointContents>> {
  try {
    if (task.kind === 'delta-checkpoint-read') return { ok: true, value: await readCheckpoint(task.set) }
    if (task.kind !== 'delta-checkpoint') throw new Error(`unknown task kind ${String((task as { kind?: unknown }).kind)}`)
    return { ok: true, value: await writeCheckpoint(task.tablePath, task.version) }
  } catch (err) {
    const failure = toTaskFailure(err)
    // unknown errors become 'internal' on the way out: keep the reason for the commit result
    return failure.code === 'internal' ? { ...failure, message: err instanceof Error ? err.message : String(err) } : failure
  }
}
