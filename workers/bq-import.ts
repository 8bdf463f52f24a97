/**
 * BigQuery import task (proto/bigquery.ts BqImportTask): run one query job and write its
 * result as Parquet part files into `task.outDir` (workers/bigquery/part-files.ts), with Delta
 * stats, for the main thread to commit. Pages are read with the page reader explore uses
 * (workers/bigquery/pages.ts), one at a time as the writer takes them: memory stays bounded
 * by a page plus one row group being encoded.
 *
 * Port: main → worker `{type: 'cancel'}` cancels the job on BigQuery (jobs.cancel) and stops
 * at once; worker → main `{type: 'progress', rows, bytesWritten, totalRows}` at most every
 * 250 ms. Returns TaskResult<BqImportResult>; on any failure or cancel (`499 cancelled`) every
 * file it wrote is deleted first, and a job still running is cancelled.
 */
import { invalidParameter, toTaskFailure, type TaskResult } from '../proto/errors.js'
import { bqReason, bqTaskError } from '../proto/bigquery-errors.js'
import { taskCancelled } from '../proto/pg-errors.js'
import type { BqImportResult, BqImportTask, BqImportToMain, MainToBqImport } from '../proto/bigquery.js'
import { BqQueryJob } from './bigquery/job.js'
import { readPages } from './bigquery/pages.js'
import { PartFiles } from './bigquery/part-files.js'

export const PROGRESS_INTERVAL_MS = 250

export default async function bqImport(task: BqImportTask): Promise<TaskResult<BqImportResult>> {
  let job: BqQueryJob | null = null
  let cancelRequested = false
  const onMessage = (m: MainToBqImport) => {
    if (m?.type !== 'cancel') return
    cancelRequested = true
    job?.cancel()
  }
  task.port.on('message', onMessage)
  let parts: PartFiles | null = null
  try {
    const target = task.targetRowsPerFile
    if (!Number.isSafeInteger(target) || target < 1) throw invalidParameter('targetRowsPerFile', 'must be a positive integer')
    job = new BqQueryJob(task.connection)
    if (cancelRequested) job.cancel()
    parts = new PartFiles(task.outDir, task.fields, target)
    let rowCount = 0
    let totalRows: number | null = null
    let lastProgressMs = Date.now()
    for await (const page of readPages(job, { sql: task.sql, params: task.params, columns: task.columns, pageRows: task.pageRows })) {
      totalRows = page.totalRows ?? totalRows
      rowCount += page.batch.length
      await parts.add(page.batch)
      if (job.cancelled) break
      if (Date.now() - lastProgressMs >= PROGRESS_INTERVAL_MS) {
        const m: BqImportToMain = { type: 'progress', rows: rowCount, bytesWritten: await parts.bytesWritten(), totalRows }
        lastProgressMs = Date.now()
        task.port.postMessage(m)
      }
    }
    if (job.cancelled) throw taskCancelled()
    const files = await parts.finish()
    return { ok: true, value: { rowCount, files } }
  } catch (err) {
    // BigQuery answered with an error: the job failed there (or was never created)
    if (job && bqReason(err) !== undefined) job.done = true
    await parts?.abort()
    const mapped = job?.cancelled || cancelRequested ? taskCancelled() : bqTaskError(err)
    if (mapped.status === 500) console.error('bq-import failed', err)
    return toTaskFailure(mapped)
  } finally {
    await job?.close()
    task.port.off('message', onMessage)
    task.port.close()
  }
}
