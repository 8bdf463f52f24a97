/**
 * The classification sample of a BigQuery-backed dataset: the worker runs the given
 * `SELECT <value expressions> FROM <source> LIMIT n` as one query job through the page
 * reader (workers/bigquery/pages.ts: named parameters, maximumBytesBilled, pages decoded
 * into Batches as explore does) and concatenates the pages. Worker thread.
 */
import type { Batch } from '../../../proto/batch.js'
import type { BigQueryConnection, BigQueryRestParameter } from '../../../proto/bigquery.js'
import type { ColumnMeta } from '../../../proto/types.js'
import { bqTaskError } from '../../../proto/bigquery-errors.js'
import { BqQueryJob } from '../../bigquery/job.js'
import { readPages } from '../../bigquery/pages.js'
import { concatBatches } from '../column.js'

export async function bigQuerySample(q: { connection: BigQueryConnection; sql: string; params: BigQueryRestParameter[]; columns: ColumnMeta[] }): Promise<Batch> {
  const job = new BqQueryJob(q.connection)
  try {
    const parts: Batch[] = []
    for await (const page of readPages(job, { sql: q.sql, params: q.params, columns: q.columns, pageRows: 5000 })) parts.push(page.batch)
    return parts.length === 0 ? { length: 0, columns: [] } : concatBatches(parts)
  } catch (err) {
    throw bqTaskError(err)
  } finally {
    await job.close()
  }
}
