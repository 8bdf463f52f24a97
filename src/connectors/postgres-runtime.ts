/**
 * A PostgreSQL connector at run time (one per connector in use, kept by connector-registry.ts):
 * a runtime knows how to
 * connect (decrypted password included), limits the connections Sluice opens there to the
 * connector's pool_size, and tracks the connector's health (pg-health.ts) so that requests on
 * a connector that is down are refused at once with 503 connector_unavailable.
 *
 * Main thread only. Workers get a `PgConnection` (proto/postgres.ts) per task.
 */
import pg from 'pg'
import { SluiceError, overloaded } from '../../proto/errors.js'
import type { PgConnection } from '../../proto/postgres.js'
import { isConnectionFailure, pgErrorToSluice } from '../../proto/pg-errors.js'
import type { Logger } from '../log.js'
import { SecretsUnreadableError, type ConnectorRecord, type ConnectorSecrets } from '../catalog/index.js'
import { cancelBackend, createClient } from '../../proto/pg-session.js'
import { SlotLimiter } from './slot-limiter.js'
import { HealthMonitor, type CheckOutcome, type HealthSnapshot } from './pg-health.js'
import { durationMs, pgTarget, type PgConnectorConfig } from './postgres-config.js'

export interface PgRuntimeOptions {
  log: Logger
  /** re-check period while a connector is down, ms (default 2000) */
  probeIntervalMs?: number
  /** connect + SELECT of a health check, ms (default 3000) */
  checkTimeoutMs?: number
  /** connect timeout of every connection, ms (default 3000) */
  connectTimeoutMs?: number
}

/** The result of an explicit check (POST /api/connectors/{id}/test). */
export type CheckResult =
  | { ok: true; latencyMs: number; serverVersion: string }
  | { ok: false; error: SluiceError }

const CLOSE_WAIT_MS = 1000

export class PgRuntime {
  readonly org: string
  readonly id: string
  /** updated_at of the record this runtime was built from (a newer record rebuilds it) */
  readonly version: string
  readonly poolSize: number
  readonly #config: PgConnectorConfig
  readonly #password: string | null
  /** set when the stored secrets do not open: the connector is down for good (until patched) */
  readonly #secretsError: SluiceError | null = null
  readonly #slots: SlotLimiter
  readonly #health: HealthMonitor
  readonly #opts: Required<PgRuntimeOptions>

  constructor(record: ConnectorRecord, secrets: ConnectorSecrets | SecretsUnreadableError, opts: PgRuntimeOptions) {
    this.org = record.org
    this.id = record.id
    this.version = record.updatedAt
    this.#config = record.config as unknown as PgConnectorConfig
    this.#opts = { probeIntervalMs: 2000, checkTimeoutMs: 3000, connectTimeoutMs: 3000, ...opts }
    this.poolSize = this.#config.pool_size
    this.#password = secrets instanceof Error ? null : secrets.password ?? null
    this.#slots = new SlotLimiter({
      size: this.poolSize,
      queueTimeoutMs: durationMs(this.#config.queue_timeout),
      onQueueTimeout: () => overloaded(`connector "${this.id}": all ${this.poolSize} connections of its pool are busy (pool_size); try again later`),
    })
    this.#health = new HealthMonitor(() => this.#probe(), {
      intervalMs: this.#opts.probeIntervalMs,
      onChange: (next, prev) => {
        const log = this.#opts.log
        if (next.state === 'down') {
          log.warn({ org: this.org, connector: this.id, error: next.error?.message }, 'connector unavailable')
          this.#slots.failWaiters(this.#unavailable())
        } else if (prev === 'down') log.info({ org: this.org, connector: this.id }, 'connector available again')
      },
    })
    if (secrets instanceof SecretsUnreadableError) {
      this.#secretsError = new SluiceError(503, 'connector_unavailable', `connector "${this.id}": ${secrets.message}; set its password again`)
      this.#health.fail(this.#secretsError)
    }
  }

  /** Everything a worker needs to connect (503 connector_unavailable while down). Holds the password: never log it. */
  connection(): PgConnection {
    this.assertAvailable()
    return this.#connectionParams()
  }

  /** Throws 503 connector_unavailable at once when the last check failed. */
  assertAvailable(): void {
    if (this.#health.state === 'down') throw this.#unavailable()
  }

  /**
   * A caller saw a connection failure (refused, terminated, timed out): the connector is
   * suspect and is checked now (once, however many callers report). Other errors are ignored.
   */
  reportFailure(err: unknown): void {
    if (err instanceof SluiceError ? err.code === 'connector_unavailable' : isConnectionFailure(err)) this.#health.suspect()
  }

  /**
   * Waits for one of the connector's pool_size slots (FIFO). Resolves with its release
   * function; rejects with 503 connector_unavailable when the connector is (or goes) down,
   * 503 overloaded after queue_timeout, or the signal's reason when it aborts.
   */
  async acquire(signal?: AbortSignal): Promise<() => void> {
    this.assertAvailable()
    return this.#slots.acquire(signal)
  }

  /**
   * Runs `fn` with a fresh connection (main-thread metadata queries: browse, discovery):
   * holds a slot, applies the session settings workers use (UTC, ISO dates, statement_timeout,
   * read-only transactions), always ends the connection. Errors become SluiceErrors
   * (pgErrorToSluice). Failing to connect marks the connector down (503 connector_unavailable
   * for everyone at once, re-checked in the background); a connection lost mid-statement makes
   * it suspect (checked now). An abort cancels the running statement on the server.
   */
  async withClient<T>(fn: (c: pg.Client) => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal)
    let conn: PgConnection
    try {
      conn = this.connection() // down since we queued: refuse, and give the slot back
    } catch (err) {
      release()
      throw err
    }
    const client = this.#newClient(conn, this.#opts.connectTimeoutMs)
    let phase: 'connecting' | 'running' | 'done' = 'connecting'
    // A connection killed between two statements reaches the next query only as pg's "not
    // queryable"; the error event before it says what happened (57P01, terminated, reset).
    let lost: unknown = null
    client.on('error', (err) => { lost ??= err })
    const onAbort = () => {
      if (phase === 'running') void cancelBackend(client, conn)
      void closeClient(client)
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      signal?.throwIfAborted()
      await client.connect()
      phase = 'running'
      // A connector nobody checked yet that just accepted a connection is up.
      if (this.#health.state === 'unknown') this.#health.record({ ok: true })
      signal?.throwIfAborted()
      const result = await fn(client)
      phase = 'done'
      return result
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      throw this.#translate(lost !== null && pgErrorToSluice(err).status === 500 ? lost : err, phase === 'connecting')
    } finally {
      signal?.removeEventListener('abort', onAbort)
      await closeClient(client)
      release()
    }
  }

  /**
   * Checks the connector now (connect + SELECT within the check timeout), records the
   * outcome in its health, and reports it. Holds a slot like any statement.
   */
  async check(signal?: AbortSignal): Promise<CheckResult> {
    const started = performance.now()
    let serverVersion = ''
    const outcome = await this.#runCheck((v) => { serverVersion = v }, signal)
    this.#health.record(outcome)
    if (outcome.ok === true) return { ok: true, latencyMs: Math.round(performance.now() - started), serverVersion }
    if (outcome.ok === false) return { ok: false, error: outcome.error }
    return { ok: false, error: overloaded(`connector "${this.id}": no free connection to check with (pool_size ${this.poolSize})`) }
  }

  health(): HealthSnapshot { return this.#health.snapshot() }

  /** Resolves when a running background check has finished (tests). */
  settled(): Promise<void> { return this.#health.settled() }

  /**
   * Stops background checks. Statements running or queued on this runtime go on with the
   * config they started with, unless `failWaiters` (the connector was deleted, or shutdown):
   * then the queued ones are refused.
   */
  close(opts: { failWaiters?: boolean } = {}): void {
    this.#health.close()
    if (opts.failWaiters) this.#slots.failWaiters(new SluiceError(503, 'connector_unavailable', `connector "${this.id}" was removed`))
  }

  #probe(): Promise<CheckOutcome> {
    return this.#runCheck(() => {})
  }

  async #runCheck(onVersion: (v: string) => void, signal?: AbortSignal): Promise<CheckOutcome> {
    // Connecting without the password could even succeed (trust auth) and say nothing true.
    if (this.#secretsError) return { ok: false, error: this.#secretsError }
    let release: () => void
    try {
      release = await this.#slots.acquire(signal)
    } catch (err) {
      if (signal?.aborted) throw err
      return { ok: 'inconclusive' }
    }
    const conn = { ...this.#connectionParams(), connectTimeoutMs: this.#opts.checkTimeoutMs }
    const client = this.#newClient(conn, this.#opts.checkTimeoutMs)
    let timedOut = false
    const timer = setTimeout(() => { timedOut = true; void closeClient(client) }, this.#opts.checkTimeoutMs)
    const onAbort = () => void closeClient(client)
    signal?.addEventListener('abort', onAbort, { once: true })
    try {
      await client.connect()
      const r = await client.query<{ v: string }>("SELECT current_setting('server_version') AS v")
      onVersion(r.rows[0]?.v ?? '')
      return { ok: true }
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      const reason = timedOut ? `no answer within ${this.#opts.checkTimeoutMs} ms` : reasonOf(pgErrorToSluice(err))
      return { ok: false, error: new SluiceError(503, 'connector_unavailable', `connector "${this.id}" is unavailable: ${reason}`) }
    } finally {
      clearTimeout(timer)
      signal?.removeEventListener('abort', onAbort)
      await closeClient(client)
      release()
    }
  }

  /** connection() without the availability check (health checks must run while down). */
  #connectionParams(): PgConnection {
    const t = pgTarget(this.#config)
    return {
      host: t.host, port: t.port, database: t.database, user: t.user, password: this.#password, ssl: t.ssl,
      statementTimeoutMs: durationMs(this.#config.statement_timeout),
      connectTimeoutMs: this.#opts.connectTimeoutMs,
      // lets operators (and tests) find our sessions in pg_stat_activity
      applicationName: `sluice:${this.id}`,
    }
  }

  #newClient(conn: PgConnection, connectTimeoutMs: number): pg.Client {
    // The workers' session (read-only by default), with pg's parsed values for catalog queries.
    return createClient({ ...conn, connectTimeoutMs: Math.max(1, connectTimeoutMs) }, { rawText: false })
  }

  /**
   * A failure of withClient as a SluiceError. Not being able to connect at all is a failed
   * check (the connector goes down at once); losing a connection mid-statement makes it
   * suspect (checked now).
   */
  #translate(err: unknown, connecting: boolean): SluiceError {
    const e = pgErrorToSluice(err)
    if (connecting && e.status === 500) {
      // e.g. a TLS or protocol problem pg-errors does not name: still "cannot connect"
      this.#opts.log.warn({ err, org: this.org, connector: this.id }, 'connecting to PostgreSQL failed')
    } else if (e.code !== 'connector_unavailable') {
      if (e.status === 500) this.#opts.log.error({ err, org: this.org, connector: this.id }, 'unexpected PostgreSQL error')
      return e
    }
    const unavailable = new SluiceError(503, 'connector_unavailable', `connector "${this.id}" is unavailable: ${e.code === 'connector_unavailable' ? reasonOf(e) : 'cannot connect'}`, undefined, { cause: err })
    if (connecting) this.#health.connectFailed(unavailable)
    else this.reportFailure(err)
    return unavailable
  }

  #unavailable(): SluiceError {
    const h = this.#health.snapshot()
    const why = h.error ? h.error.message : `connector "${this.id}" is unavailable`
    return new SluiceError(503, 'connector_unavailable', `${why} (checked at ${h.checkedAt}; re-checked every ${this.#opts.probeIntervalMs / 1000} s)`)
  }
}

/** The reason part of pg-errors' "the connector's database is unreachable: <reason>". */
function reasonOf(e: SluiceError): string {
  const i = e.message.lastIndexOf(': ')
  return e.code === 'connector_unavailable' && i >= 0 ? e.message.slice(i + 2) : e.message
}

/** Ends a client, and destroys its socket if the server does not answer the goodbye. */
async function closeClient(client: pg.Client): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  await Promise.race([
    client.end().catch(() => {}),
    new Promise<void>((r) => { timer = setTimeout(r, CLOSE_WAIT_MS) }),
  ])
  clearTimeout(timer)
  ;(client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy()
}
