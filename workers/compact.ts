/**
 * Piscina task module: the compaction of one OPTIMIZE bin (proto/maintenance.ts). Streams the
 * input files row group by row group into one new Parquet part file in `task.outDir`, with its
 * Delta stats; memory holds at most one output row group of rows in JS plus the row group being
 * encoded in wasm, whatever the size of the inputs.
 *
 * A cancel message stops the task between batches: the output is deleted and the task fails
 * with 499 cancelled. (Terminating the thread instead would leave a half-written file.) Any
 * other failure also deletes the output. Nothing is committed here.
 */
import type { Batch } from '../proto/batch.js'
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import type { CompactResult, CompactTask, CompactToMain, MainToCompact } from '../proto/maintenance.js'
import { concatBatches, sliceBatch } from './kernels/column.js'
import { readParquetBatches } from './kernels/parquet-read.js'
import { DEFAULT_ROW_GROUP_ROWS, ParquetPartWriter } from './ingest/parquet-write.js'
import { DeltaStats } from './ingest/stats.js'

const cancelledError = () => new SluiceError(499, 'cancelled', 'the compaction was cancelled')

/**
 * Compacts `task.inputs` into one file. Returns `{output: null}` when the inputs hold no rows
 * (no file is left behind then). Failures are returned as data.
 */
export default async function compact(task: CompactTask): Promise<TaskResult<CompactResult>> {
  const ac = new AbortController()
  const onMessage = (m: MainToCompact) => { if (m.type === 'cancel') ac.abort(cancelledError()) }
  task.port?.on('message', onMessage)
  let writer: ParquetPartWriter | null = null
  try {
    const rowGroupRows = task.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS
    const stats = new DeltaStats(task.fields)
    writer = await ParquetPartWriter.create(task.outDir, 0, { rows: rowGroupRows })
    // Small input files give small batches; gather them into whole row groups so that each
    // write to the encoder is one row group (fewer Arrow IPC round trips into wasm).
    let pending: Batch[] = []
    let pendingRows = 0
    const flush = async () => {
      if (pendingRows === 0) return
      const batch = concatBatches(pending)
      pending = []
      pendingRows = 0
      stats.add(batch)
      await writer!.write(batch)
    }
    let filesDone = 0
    let bytesDone = 0
    for (const input of task.inputs) {
      for await (const batch of readParquetBatches(input.path, { fields: task.fields, signal: ac.signal })) {
        ac.signal.throwIfAborted()
        let start = 0
        while (start < batch.length) {
          const take = Math.min(batch.length - start, rowGroupRows - pendingRows)
          pending.push(start === 0 && take === batch.length ? batch : sliceBatch(batch, start, start + take))
          pendingRows += take
          start += take
          if (pendingRows >= rowGroupRows) await flush()
        }
      }
      filesDone++
      bytesDone += input.size
      post(task, { type: 'progress', filesDone, bytesDone, rows: stats.numRecords + pendingRows })
    }
    await flush()
    ac.signal.throwIfAborted()
    if (stats.numRecords === 0) {
      await writer.abort()
      return { ok: true, value: { output: null, rows: 0 } }
    }
    const written = await writer.close()
    writer = null
    return { ok: true, value: { output: { name: written.name, size: written.size, numRecords: written.numRecords, stats: stats.toJSON() }, rows: written.numRecords } }
  } catch (err) {
    await writer?.abort()
    const reason = ac.signal.aborted ? ac.signal.reason : err
    if (!(reason instanceof SluiceError)) console.error('compact task failed', reason)
    return toTaskFailure(reason)
  } finally {
    task.port?.off('message', onMessage)
    task.port?.close()
  }
}

function post(task: CompactTask, m: CompactToMain): void {
  task.port?.postMessage(m)
}
