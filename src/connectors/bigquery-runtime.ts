/**
 * The runtime of one BigQuery connector (main thread): its connection settings, one client
 * (workers/bigquery/client.ts createBigQueryClient — the only place clients are built), and
 * its health. Every call goes through `call()`: a deadline (short for test/browse), the one
 * error mapping (proto/bigquery-errors.ts), and health bookkeeping — a call that finds BigQuery
 * unreachable or the credentials refused marks the connector down (background re-checks
 * with datasets.list every probeIntervalMs), and while down every use is 503
 * connector_unavailable at once. Query jobs (explore streams, imports) each hold one of the
 * connector's `pool_size` slots while they run (`acquire`), as PostgreSQL statements hold a
 * connection: the rest wait FIFO for up to `queue_timeout`, then 503 overloaded.
 */
import type { BigQuery } from '@google-cloud/bigquery'
import { SluiceError, overloaded } from '../../proto/errors.js'
import type { BigQueryConnection } from '../../proto/bigquery.js'
import { createBigQueryClient } from '../../workers/bigquery/client.js'
import { SecretsUnreadableError, type ConnectorRecord, type ConnectorSecrets } from '../catalog/index.js'
import { bqConnection, bqSlots, type BqConnectorConfig } from './bigquery-config.js'
import { SlotLimiter } from './slot-limiter.js'
import { BigQueryTimeoutError, bigQueryErrorToSluice } from '../../proto/bigquery-errors.js'
import { HealthMonitor, type CheckOutcome, type HealthSnapshot } from './pg-health.js'
import type { CheckResult, PgRuntimeOptions } from './postgres-runtime.js'

export type BqRuntimeOptions = PgRuntimeOptions

/** Resolves or rejects with `p`, or rejects with BigQueryTimeoutError after `ms` / the signal's reason. */
export function withDeadline<T>(p: Promise<T>, ms: number, signal?: AbortSignal): Promise<T> {
  p.catch(() => {}) // a late failure after the deadline is nobody's
  return new Promise<T>((resolve, reject) => {
    if (signal?.aborted) { reject(signal.reason); return }
    const timer = setTimeout(() => { cleanup(); reject(new BigQueryTimeoutError(ms)) }, ms)
    const onAbort = () => { cleanup(); reject(signal!.reason) }
    const cleanup = () => { clearTimeout(timer); signal?.removeEventListener('abort', onAbort) }
    signal?.addEventListener('abort', onAbort, { once: true })
    p.then((v) => { cleanup(); resolve(v) }, (e) => { cleanup(); reject(e) })
  })
}

export class BqRuntime {
  readonly org: string
  readonly id: string
  /** updated_at of the record this runtime was built from */
  readonly version: string
  readonly config: BqConnectorConfig
  readonly #connection: BigQueryConnection
  readonly #secretsError: SluiceError | null = null
  readonly #health: HealthMonitor
  readonly #slots: SlotLimiter
  readonly #opts: Required<BqRuntimeOptions>
  #client: BigQuery | null = null

  constructor(record: ConnectorRecord, secrets: ConnectorSecrets | SecretsUnreadableError, opts: BqRuntimeOptions) {
    this.org = record.org
    this.id = record.id
    this.version = record.updatedAt
    this.config = record.config as unknown as BqConnectorConfig
    this.#opts = { probeIntervalMs: 2000, checkTimeoutMs: 3000, connectTimeoutMs: 3000, ...opts }
    this.#connection = bqConnection(this.config, secrets instanceof Error ? null : secrets)
    const slots = bqSlots(this.config)
    this.#slots = new SlotLimiter({
      size: slots.size,
      queueTimeoutMs: slots.queueTimeoutMs,
      onQueueTimeout: () => overloaded(`connector "${this.id}": all ${slots.size} of its query job slots are busy (pool_size); try again later`),
    })
    this.#health = new HealthMonitor(() => this.#probe(), {
      intervalMs: this.#opts.probeIntervalMs,
      onChange: (next, prev) => {
        const log = this.#opts.log
        if (next.state === 'down') {
          log.warn({ org: this.org, connector: this.id, error: next.error?.message }, 'connector unavailable')
          this.#slots.failWaiters(next.error ?? new SluiceError(503, 'connector_unavailable', `BigQuery connector "${this.id}" is unavailable`))
        } else if (prev === 'down') log.info({ org: this.org, connector: this.id }, 'connector available again')
      },
    })
    if (secrets instanceof SecretsUnreadableError) {
      this.#secretsError = new SluiceError(503, 'connector_unavailable', `connector "${this.id}": ${secrets.message}; set its credentials again`)
      this.#health.fail(this.#secretsError)
    }
  }

  /** The deadline of test and browse calls (ms). */
  get shortTimeoutMs(): number { return this.#opts.checkTimeoutMs }

  /** Everything a worker needs (503 while down). Holds the key: never log it. */
  connection(): BigQueryConnection {
    this.assertAvailable()
    return this.#connection
  }

  /**
   * Waits for one of the connector's job slots (FIFO). Resolves with its release function;
   * rejects with 503 connector_unavailable when the connector is (or goes) down, 503
   * overloaded after queue_timeout, or the signal's reason when it aborts.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    this.assertAvailable()
    return this.#slots.acquire(signal)
  }

  /** A job failed with 503 connector_unavailable: the connector is suspect and checked now. */
  reportFailure(err: unknown): void {
    if (err instanceof SluiceError && err.code === 'connector_unavailable') this.#health.suspect()
  }

  /** Throws 503 connector_unavailable at once when the connector is known to be down. */
  assertAvailable(): void {
    if (this.#secretsError) throw this.#secretsError
    if (this.#health.state === 'down') {
      const e = this.#health.snapshot().error
      throw new SluiceError(503, 'connector_unavailable', e ? e.message : `BigQuery connector "${this.id}" is unavailable`)
    }
  }

  /**
   * Runs `fn` with the client within `timeoutMs`; failures mapped (proto/bigquery-errors.ts). A 503
   * marks the connector down; a success marks it up.
   */
  async call<T>(fn: (bq: BigQuery) => Promise<T>, opts: { timeoutMs: number; signal?: AbortSignal }): Promise<T> {
    this.assertAvailable()
    try {
      const v = await withDeadline(Promise.resolve().then(() => fn(this.#bq())), opts.timeoutMs, opts.signal)
      this.#health.record({ ok: true })
      return v
    } catch (err) {
      if (opts.signal?.aborted && err === opts.signal.reason) throw err
      const mapped = bigQueryErrorToSluice(err, this.id)
      if (mapped instanceof SluiceError && mapped.code === 'connector_unavailable') this.#health.connectFailed(mapped)
      throw mapped
    }
  }

  /** POST /api/connectors/{id}/test: credentials and reachability (datasets.list, maxResults 1). */
  async check(signal?: AbortSignal): Promise<CheckResult> {
    if (this.#secretsError) return { ok: false, error: this.#secretsError }
    const start = performance.now()
    const outcome = await this.#probe(signal)
    this.#health.record(outcome)
    if (outcome.ok === true) return { ok: true, latencyMs: Math.round(performance.now() - start), serverVersion: 'BigQuery v2' }
    if (outcome.ok === false) return { ok: false, error: outcome.error }
    return { ok: false, error: new SluiceError(503, 'connector_unavailable', `BigQuery connector "${this.id}" could not be checked`) }
  }

  health(): HealthSnapshot { return this.#health.snapshot() }

  close(opts: { failWaiters?: boolean } = {}): void {
    this.#health.close()
    if (opts.failWaiters) this.#slots.failWaiters(new SluiceError(503, 'connector_unavailable', `connector "${this.id}" was removed`))
  }

  #bq(): BigQuery {
    this.#client ??= createBigQueryClient(this.#connection)
    return this.#client
  }

  async #probe(signal?: AbortSignal): Promise<CheckOutcome> {
    try {
      // a STRING maxResults: a number would be the paginator's cap, not the page size
      await withDeadline(Promise.resolve().then(() => this.#bq().getDatasets({ maxResults: '1' as unknown as number, autoPaginate: false })),
        this.#opts.checkTimeoutMs, signal)
      return { ok: true }
    } catch (err) {
      const mapped = bigQueryErrorToSluice(err, this.id)
      if (mapped instanceof SluiceError && mapped.code === 'connector_unavailable') return { ok: false, error: mapped }
      // a rate limit or an unexpected answer: it answered, so it is reachable with these credentials
      if (mapped instanceof SluiceError) return mapped.status === 429 ? { ok: 'inconclusive' } : { ok: true }
      return { ok: false, error: new SluiceError(503, 'connector_unavailable', `BigQuery connector "${this.id}" is unavailable: ${(err as Error)?.message ?? 'unknown error'}`) }
    }
  }
}
