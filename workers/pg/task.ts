/**
 * What the two PostgreSQL tasks share: a connection whose statement can be stopped at once
 * from a cancel message, and waits that give up when it comes. Runs in worker threads.
 *
 * Cancel is immediate, not "at the next batch": the statement may run for minutes before its
 * first row (or wait on a lock), so the cancel handler sends PostgreSQL a CancelRequest and
 * drops the connection right away, and whatever the task awaits is raced against the cancel.
 * Closing our socket alone would not do: the backend notices only when it next writes.
 */
import pg from 'pg'
import type { PgConnection } from '../../proto/postgres.js'
import { StatementTimeout } from './statement-timeout.js'
import { cancelBackend, createClient, destroyConnection } from '../../proto/pg-session.js'

export const CANCELLED: unique symbol = Symbol('cancelled')

export class PgTaskConnection {
  readonly client: pg.Client
  cancelled = false
  /** set once the statement has ended on the server: nothing left to cancel */
  statementDone = false
  #connected = false
  #cancelRequest: Promise<void> | null = null
  /** the pending `race` calls, told when the task is cancelled */
  readonly #waiters = new Set<() => void>()

  constructor(readonly conn: PgConnection) {
    this.client = createClient(conn)
  }

  /** Connect; CANCELLED when cancelled first. Rejects with pg's / the network's error. */
  async open(): Promise<pg.Client | typeof CANCELLED> {
    const r = await this.race(this.client.connect())
    if (r === CANCELLED) return CANCELLED
    this.#connected = true
    return this.client
  }

  /**
   * `p`, or CANCELLED as soon as the task is cancelled. Not `Promise.race` with one long-lived
   * cancel promise: every race would leave a reaction on it holding its result (each Batch of
   * the scan) until the task ends — a leak measured at ~130 bytes per row.
   */
  race<T>(p: Promise<T>): Promise<T | typeof CANCELLED> {
    p.catch(() => {}) // a rejection after the cancel won the race is not unhandled
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

  /** The main thread said stop: cancel the statement on the server and drop the connection now. */
  cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    for (const w of this.#waiters) w()
    this.#waiters.clear()
    if (!this.#connected) return destroyConnection(this.client)
    this.#stopStatement()
    this.client.end().catch(() => {})
  }

  /** The statement timeout of this task's statement (statement-timeout.ts); expiring cancels it on the server. */
  statementTimeout(): StatementTimeout {
    return new StatementTimeout(this.conn.statementTimeoutMs, () => this.#stopStatement())
  }

  #stopStatement(): void {
    if (this.#connected && !this.statementDone) this.#cancelRequest ??= cancelBackend(this.client, this.conn)
  }

  /**
   * End of the task, whatever happened: a statement still running (the task failed or was
   * cancelled midway) is cancelled on the server first, then the connection is closed.
   * Never throws.
   */
  async close(): Promise<void> {
    this.#stopStatement()
    await this.#cancelRequest
    if (!this.#connected) destroyConnection(this.client)
    await this.client.end().catch(() => {})
  }
}

/** An ErrorResponse of the server: the statement it was about has ended there. */
export function isServerError(err: unknown): boolean {
  return err instanceof pg.DatabaseError
}
