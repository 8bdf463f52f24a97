/**
 * BigQuery scan task (proto/bigquery.ts BqScanTask): run one query job, fetch its result
 * pages only as the encoder's output has credit (a slow client stops page fetching: no
 * getQueryResults is sent while the port is starved), decode each page into a Batch
 * (workers/bigquery/pages.ts), encode the output format and stream the bytes to the main
 * thread with the credit protocol of proto/scan.ts. A cancel message cancels the job on
 * BigQuery (jobs.cancel) at once and ends the task (workers/bigquery/job.ts).
 *
 * Always resolves `{ok: true, value: null}`: failures travel as `{type: 'error'}` on the port
 * (proto/bigquery-errors.ts; a 429 keeps its Retry-After seconds); a job we cancelled is not
 * reported.
 */
import { toTaskFailure } from '../proto/errors.js'
import { bqReason, bqTaskError } from '../proto/bigquery-errors.js'
import type { BqScanTask } from '../proto/bigquery.js'
import { CreditedPort, concatBytes } from './kernels/credited-port.js'
import { createEncoder } from './kernels/encode.js'
import { BqQueryJob } from './bigquery/job.js'
import { readPages } from './bigquery/pages.js'

export default async function bqScan(task: BqScanTask): Promise<{ ok: true; value: null }> {
  const port = new CreditedPort(task.port, task.initialCredit)
  let job: BqQueryJob | null = null
  try {
    job = new BqQueryJob(task.connection)
    const j = job
    port.onCancel(() => j.cancel())
    if (port.cancelled) return { ok: true, value: null }
    const encoder = createEncoder(task.format, task.columns)
    const pages = readPages(j, { sql: task.sql, params: task.params, columns: task.columns, pageRows: task.pageRows })
    let rowCount = 0
    // The start bytes wait for the first page (or the end), so an error before any output
    // can still become a proper HTTP error status on the main thread.
    let pending: Uint8Array | null = encoder.start()
    for (;;) {
      // the next page is fetched only once the previous one's bytes were granted credit
      await port.waitForCredit()
      if (port.cancelled) return { ok: true, value: null }
      const next = await pages.next()
      if (next.done) break
      rowCount += next.value.batch.length
      const bytes = encoder.batch(next.value.batch)
      await port.send(pending ? concatBytes(pending, bytes) : bytes)
      pending = null
      if (port.cancelled) return { ok: true, value: null }
    }
    if (j.cancelled) return { ok: true, value: null }
    const end = encoder.end(rowCount)
    await port.send(pending ? concatBytes(pending, end) : end)
    if (!port.cancelled) port.post({ type: 'done', rowCount })
  } catch (err) {
    // BigQuery answered with an error: the job failed there (or was never created)
    if (job && bqReason(err) !== undefined) job.done = true
    if (!job?.cancelled) {
      const mapped = bqTaskError(err)
      if (mapped.status === 500) console.error('bq-scan failed', err)
      port.post({ type: 'error', failure: toTaskFailure(mapped) })
    }
  } finally {
    await job?.close()
    port.close()
  }
  return { ok: true, value: null }
}
