/**
 * The page reader of a BigQuery query, shared by explore (bq-scan) and import (bq-import):
 * inserts the job, then fetches one result page per `next()` — so a consumer that stops
 * asking (no credit, a slow Parquet write) stops page fetching — and decodes each into a
 * Batch (decode.ts). Ends (done) after the last page, marking the job done, or as soon as the
 * job is cancelled (`job.cancelled` then tells the two apart). Throws BigQuery's REST error
 * or a decoding SluiceError. Runs in worker threads.
 */
import type { Batch } from '../../proto/batch.js'
import type { BigQueryRestParameter } from '../../proto/bigquery.js'
import type { ColumnMeta } from '../../proto/types.js'
import { decodePage } from './decode.js'
import { CANCELLED, type BqQueryJob } from './job.js'

export const DEFAULT_PAGE_ROWS = 10_000

export interface PageQuery {
  sql: string
  params: readonly BigQueryRestParameter[]
  /** output columns, one per result column in order (names may differ: renames) */
  columns: readonly ColumnMeta[]
  /** rows per page requested (maxResults) */
  pageRows: number
}

/** One decoded page and the result's total rows (BigQuery's `totalRows`, null if not given). */
export interface DecodedPage { batch: Batch; totalRows: number | null }

export async function* readPages(job: BqQueryJob, q: PageQuery): AsyncGenerator<DecodedPage, void, undefined> {
  if (await job.race(job.insert(q.sql, q.params)) === CANCELLED) return
  const pageRows = Math.max(1, Math.floor(q.pageRows || DEFAULT_PAGE_ROWS))
  let token: string | null = null
  for (let first = true; first || token !== null; first = false) {
    const page = await job.page(pageRows, token)
    if (page === CANCELLED) return
    token = page.pageToken
    if (page.rows.length === 0) continue
    yield { batch: decodePage(q.columns, page.schema, page.rows), totalRows: page.totalRows }
  }
  job.done = true
}
