/**
 * BigQuery-backed datasets (kind `connector`, provenance source `bigquery`) outside explore:
 * which datasets they are, and the small aggregate queries of profiles and column stats run
 * from the main thread (their answers are a few hundred rows at most, never a table's rows):
 *
 * - `dryRunBytes`: a dry run (jobs.insert dryRun: nothing runs or bills) of a statement, for
 *   the cost guard (`assertAffordable`: 422 query_too_expensive over maximum_bytes_billed);
 * - `runBqAggregate`: one query job through the worker page reader's job class
 *   (workers/bigquery/job.ts: a job id we choose, named parameters, maximumBytesBilled, pages,
 *   cancel on abort), rows as BigQuery's REST text (INT64/NUMERIC never pass a JS number).
 *
 * I/O; main thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { BigQueryConnection } from '../../proto/bigquery.js'
import type { BigQueryRestParameter } from '../query/bigquery-sql.js'
import { bigQueryErrorToSluice } from '../../proto/bigquery-errors.js'
import { BqQueryJob, CANCELLED } from '../../workers/bigquery/job.js'
import type { Dataset } from '../catalog/index.js'

export const isBigQueryDataset = (d: Dataset): boolean => d.kind === 'connector' && d.provenance.source === 'bigquery'

/** An aggregate result: column names and rows of REST cell text (null for NULL). */
export interface BqTextResult { names: string[]; rows: (string | null)[][] }

/** Rows per result page of an aggregate query (answers are small). */
const AGG_PAGE_ROWS = 10_000
/**
 * These answers are read on the main thread, so their size must not grow with the data: an
 * aggregate statement that returns more rows than this is a bug in the SQL we built, and the
 * job is cancelled rather than read on.
 */
export const MAX_AGG_ROWS = 50_000

function mapped(err: unknown, connectorId: string): unknown {
  const m = bigQueryErrorToSluice(err, connectorId)
  return m instanceof SluiceError ? m : new SluiceError(500, 'internal', 'internal error', undefined, { cause: err })
}

/** The bytes BigQuery would process for `sql` (a dry run). Throws the mapped BigQuery error. */
export async function dryRunBytes(conn: BigQueryConnection, connectorId: string, sql: string, params: readonly BigQueryRestParameter[], signal: AbortSignal): Promise<number> {
  const job = new BqQueryJob(conn)
  const body = {
    jobReference: { projectId: conn.projectId, ...(conn.location ? { location: conn.location } : {}) },
    configuration: { dryRun: true, query: { query: sql, useLegacySql: false, parameterMode: 'NAMED', queryParameters: params } },
  }
  try {
    const res = await job.race(new Promise<any>((resolve, reject) => {
      job.client.request({ method: 'POST', uri: '/jobs', json: body } as never, (err: unknown, b: unknown) => (err ? reject(err) : resolve(b)))
    }))
    if (res === CANCELLED) throw signal.reason
    signal.throwIfAborted()
    const stats = res?.statistics ?? {}
    return Number(stats.totalBytesProcessed ?? stats.query?.totalBytesProcessed ?? 0)
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw mapped(err, connectorId)
  }
}

/**
 * Runs one query and reads every result page. The signal cancels the job (jobs.cancel) and
 * rejects with its reason. Throws the mapped BigQuery error (422 invalid_query, 503, 429, ...).
 */
export async function runBqAggregate(conn: BigQueryConnection, connectorId: string, sql: string, params: readonly BigQueryRestParameter[], signal: AbortSignal): Promise<BqTextResult> {
  signal.throwIfAborted()
  const job = new BqQueryJob(conn)
  const onAbort = () => job.cancel()
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    if (await job.race(job.insert(sql, params.map((p) => ({ ...p })))) === CANCELLED) throw signal.reason
    const out: BqTextResult = { names: [], rows: [] }
    let token: string | null = null
    for (let first = true; first || token !== null; first = false) {
      const page = await job.page(AGG_PAGE_ROWS, token)
      if (page === CANCELLED) throw signal.reason
      token = page.pageToken
      out.names = page.schema.map((f) => f.name)
      for (const r of page.rows) out.rows.push(r.f.map((cell) => (cell.v === null || cell.v === undefined ? null : String(cell.v))))
      if (out.rows.length > MAX_AGG_ROWS) throw new SluiceError(500, 'internal', `an aggregate BigQuery statement returned more than ${MAX_AGG_ROWS} rows`)
    }
    job.done = true
    return out
  } catch (err) {
    if (signal.aborted) throw signal.reason
    throw mapped(err, connectorId)
  } finally {
    signal.removeEventListener('abort', onAbort)
    await job.close()
  }
}

/** The rows of a result as objects by column name. */
export function rowObjects(r: BqTextResult): Record<string, string | null>[] {
  return r.rows.map((row) => Object.fromEntries(r.names.map((n, i) => [n, row[i] ?? null])))
}
