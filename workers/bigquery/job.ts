/**
 * One BigQuery query job driven through the REST API (via the client's `request`, so auth,
 * endpoint and user agent are createBigQueryClient's): jobs.insert with a job id we choose
 * (so a cancel can name the job at any moment, even while the insert is in flight), then
 * jobs.getQueryResults page by page (`maxResults`, `pageToken`, polling while
 * `jobComplete` is false), with `formatOptions.useInt64Timestamp` so TIMESTAMP cells are
 * exact int64 µs. Rows stay in BigQuery's REST text (`{"f":[{"v":"..."}]}`): INT64 and
 * NUMERIC never pass through a JS number. Not the client's query()/getQueryResults helpers:
 * a numeric `maxResults` there caps the total rows (test/helpers/bigquery-fake.ts header).
 *
 * Cancel (`cancel()`) is immediate: waits raced through `race` resolve CANCELLED at once, and
 * jobs.cancel is sent as soon as the job id may exist on the server. Runs in worker threads.
 */
import { randomUUID } from 'node:crypto'
import type { BigQuery } from '@google-cloud/bigquery'
import type { BigQueryConnection, BigQueryRestParameter } from '../../proto/bigquery.js'
import { createBigQueryClient } from './client.js'

export const CANCELLED: unique symbol = Symbol('cancelled')

export interface BqFieldSchema { name: string; type: string; mode?: string; fields?: BqFieldSchema[] }
export interface BqRow { f: { v: unknown }[] }
export interface BqPage { schema: BqFieldSchema[]; rows: BqRow[]; pageToken: string | null; totalRows: number | null }

interface Rest { method: 'GET' | 'POST'; uri: string; json?: unknown; qs?: Record<string, string> }

/** Poll delays while the job runs (getQueryResults also waits server-side up to `timeoutMs`). */
const POLL_DELAYS_MS = [0, 50, 100, 200, 400, 800, 1000]
/** How long one getQueryResults may wait server-side for the job to complete. */
const SERVER_WAIT_MS = 2000

export class BqQueryJob {
  readonly client: BigQuery
  readonly jobId = `sluice_${randomUUID().replace(/-/g, '_')}`
  cancelled = false
  /** the job ended on the server (all rows read, or it failed): nothing to cancel */
  done = false
  #inserted: Promise<unknown> | null = null
  #cancelRequest: Promise<void> | null = null
  readonly #waiters = new Set<() => void>()

  constructor(readonly conn: BigQueryConnection) {
    this.client = createBigQueryClient(conn)
  }

  #call<T>(opts: Rest): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.client.request(opts as never, (err: unknown, body: unknown) => (err ? reject(err) : resolve(body as T)))
    })
  }

  #locationQs(): Record<string, string> {
    return this.conn.location ? { location: this.conn.location } : {}
  }

  /** `p`, or CANCELLED as soon as the job is cancelled (as PgTaskConnection.race). */
  race<T>(p: Promise<T>): Promise<T | typeof CANCELLED> {
    p.catch(() => {})
    if (this.cancelled) return Promise.resolve(CANCELLED)
    return new Promise<T | typeof CANCELLED>((resolve, reject) => {
      const onCancel = () => resolve(CANCELLED)
      this.#waiters.add(onCancel)
      p.then(
        (v) => { this.#waiters.delete(onCancel); resolve(v) },
        (err: unknown) => { this.#waiters.delete(onCancel); reject(err) },
      )
    })
  }

  #sleep(ms: number): Promise<void | typeof CANCELLED> {
    if (ms <= 0) return Promise.resolve()
    let timer: NodeJS.Timeout | undefined
    return this.race(new Promise<void>((r) => { timer = setTimeout(r, ms) })).finally(() => clearTimeout(timer))
  }

  /** jobs.insert of the query job. */
  insert(sql: string, params: readonly BigQueryRestParameter[]): Promise<unknown> {
    const query: Record<string, unknown> = {
      query: sql, useLegacySql: false, parameterMode: 'NAMED', queryParameters: params,
    }
    if (this.conn.maximumBytesBilled !== null) query.maximumBytesBilled = this.conn.maximumBytesBilled
    const body = {
      jobReference: { projectId: this.conn.projectId, jobId: this.jobId, ...(this.conn.location ? { location: this.conn.location } : {}) },
      configuration: { query, ...(this.conn.jobTimeoutMs > 0 ? { jobTimeoutMs: String(this.conn.jobTimeoutMs) } : {}) },
    }
    this.#inserted = this.#call({ method: 'POST', uri: '/jobs', json: body })
    this.#inserted.catch(() => {})
    return this.#inserted
  }

  /**
   * One page of results: from the start (`pageToken` null) or at a token. Polls while the job
   * runs. CANCELLED when cancelled meanwhile. Throws the REST error otherwise.
   */
  async page(pageRows: number, pageToken: string | null): Promise<BqPage | typeof CANCELLED> {
    for (let attempt = 0; ; attempt++) {
      const qs: Record<string, string> = {
        maxResults: String(pageRows), 'formatOptions.useInt64Timestamp': 'true', timeoutMs: String(SERVER_WAIT_MS), ...this.#locationQs(),
      }
      if (pageToken !== null) qs.pageToken = pageToken
      const res = await this.race(this.#call<any>({ method: 'GET', uri: `/queries/${encodeURIComponent(this.jobId)}`, qs }))
      if (res === CANCELLED) return CANCELLED
      if (res.jobComplete === false) {
        if (await this.#sleep(POLL_DELAYS_MS[Math.min(attempt, POLL_DELAYS_MS.length - 1)]!) === CANCELLED) return CANCELLED
        continue
      }
      const token = typeof res.pageToken === 'string' && res.pageToken !== '' ? res.pageToken : null
      if (token === null) this.done = true
      const total = res.totalRows === undefined ? NaN : Number(res.totalRows)
      return { schema: res.schema?.fields ?? [], rows: Array.isArray(res.rows) ? res.rows : [], pageToken: token, totalRows: Number.isSafeInteger(total) ? total : null }
    }
  }

  /** The main thread said stop: wake every wait and cancel the job on the server now. */
  cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    for (const w of this.#waiters) w()
    this.#waiters.clear()
    this.#stopJob()
  }

  #stopJob(): void {
    if (this.done || this.#inserted === null || this.#cancelRequest) return
    const inserted = this.#inserted
    this.#cancelRequest = inserted.then(
      () => this.#call({ method: 'POST', uri: `/jobs/${encodeURIComponent(this.jobId)}/cancel`, qs: this.#locationQs() }).then(() => {}, () => {}),
      () => {}, // never created: nothing to cancel
    )
  }

  /** End of the task: a job still running (failed or cancelled midway) is cancelled first. Never throws. */
  async close(): Promise<void> {
    this.#stopJob()
    const req = this.#cancelRequest
    if (req) {
      let timer: NodeJS.Timeout | undefined
      await Promise.race([req, new Promise((r) => { timer = setTimeout(r, 5000) })])
      clearTimeout(timer)
    }
  }
}
