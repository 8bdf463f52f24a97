/**
 * BigQuery scan task (proto/bigquery.ts BqScanTask): run one query job, fetch its result
 * pages only as the encoder's output has credit (a slow client stops page fetching: no
 * getQueryResults is sent while the port is starved), decode each page into a Batch
 * (workers/bigquery/decode.ts), encode the output format and stream the bytes to the main
 * thread with the credit protocol of proto/scan.ts. A cancel message cancels the job on
 * BigQuery (jobs.cancel) at once and ends the task (workers/bigquery/job.ts).
 *
 * Always resolves `{ok: true, value: null}`: failures travel as `{type: 'error'}` on the port
 * (workers/bigquery/errors.ts); a job we cancelled is not reported.
 */
import { toTaskFailure } from '../proto/errors.js'
import type { BqScanTask } from '../proto/bigquery.js'
import { CreditedPort, concatBytes } from './kernels/credited-port.js'
import { createEncoder } from './kernels/encode.js'
import { decodePage } from './bigquery/decode.js'
import { bqErrorToSluice, bqReason } from './bigquery/errors.js'
import { BqQueryJob, CANCELLED } from './bigquery/job.js'

export const DEFAULT_PAGE_ROWS = 10_000

export default async function bqScan(task: BqScanTask): Promise<{ ok: true; value: null }> {
  const port = new CreditedPort(task.port, task.initialCredit)
  let job: BqQueryJob | null = null
  try {
    job = new BqQueryJob(task.connection)
    const j = job
    port.onCancel(() => j.cancel())
    if (port.cancelled) return { ok: true, value: null }
    if (await j.race(j.insert(task.sql, task.params)) === CANCELLED) return { ok: true, value: null }
    const encoder = createEncoder(task.format, task.columns)
    const pageRows = Math.max(1, Math.floor(task.pageRows || DEFAULT_PAGE_ROWS))
    let rowCount = 0
    // The start bytes wait for the first page (or the end), so an error before any output
    // can still become a proper HTTP error status on the main thread.
    let pending: Uint8Array | null = encoder.start()
    let token: string | null = null
    for (let first = true; first || token !== null; first = false) {
      // the next page is fetched only once the previous one's bytes were granted credit
      await port.waitForCredit()
      if (port.cancelled) return { ok: true, value: null }
      const page = await j.page(pageRows, token)
      if (page === CANCELLED) return { ok: true, value: null }
      token = page.pageToken
      if (page.rows.length === 0) continue
      const batch = decodePage(task.columns, page.schema, page.rows)
      rowCount += batch.length
      const bytes = encoder.batch(batch)
      await port.send(pending ? concatBytes(pending, bytes) : bytes)
      pending = null
      if (port.cancelled) return { ok: true, value: null }
    }
    j.done = true
    const end = encoder.end(rowCount)
    await port.send(pending ? concatBytes(pending, end) : end)
    if (!port.cancelled) port.post({ type: 'done', rowCount })
  } catch (err) {
    // BigQuery answered with an error: the job failed there (or was never created)
    if (job && bqReason(err) !== undefined) job.done = true
    if (!job?.cancelled) {
      const mapped = bqErrorToSluice(err)
      if (mapped.status === 500) console.error('bq-scan failed', err)
      port.post({ type: 'error', failure: toTaskFailure(mapped) })
    }
  } finally {
    await job?.close()
    port.close()
  }
  return { ok: true, value: null }
}
