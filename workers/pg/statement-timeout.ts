/**
 * The statement timeout of a streaming task, as each wait for PostgreSQL.
 *
 * PostgreSQL's own statement_timeout does not fit a streamed statement: its clock runs from
 * the statement's first message until it completes, through every suspended cursor fetch (no
 * Sync until the end) and every moment COPY is blocked on a full socket. A client that reads
 * slowly, or a large import, would time out although PostgreSQL was idle, waiting for us.
 * (Measured: a 1 s statement_timeout failed both sources after a 2.5 s pause for credit.)
 *
 * So the task transaction runs with statement_timeout = 0 (source.ts beginReadOnly) and the
 * source bounds each wait for rows instead: PostgreSQL must deliver the first batch, and
 * every next one, within `limitMs` — the semantics of statement_timeout on `FETCH n` from a
 * declared cursor. A runaway query (a huge sort before the first row, a filter that matches
 * nothing for minutes) is cancelled on the server and fails with 504 query_timeout; a large
 * result that keeps flowing does not. Runs in worker threads.
 */
import { SluiceError } from '../../proto/errors.js'

export const queryTimeout = () => new SluiceError(504, 'query_timeout', 'the query timed out (statement_timeout)')

/** After cancelling, how long to wait for the server to end the statement before giving up on it. */
export const CANCEL_GRACE_MS = 2000

export class StatementTimeout {
  expired = false

  /** `limitMs` 0 = no limit; `onExpire` asks the server to cancel the statement. */
  constructor(readonly limitMs: number, private readonly onExpire: () => void) {}

  /**
   * Await `p` (a wait for PostgreSQL). Past `limitMs` the statement is cancelled and this
   * rejects with 504 query_timeout (also when `p` then settles anyway; and after
   * CANCEL_GRACE_MS when the server does not react to the cancel).
   */
  async wait<T>(p: Promise<T>): Promise<T> {
    if (this.limitMs <= 0) return p
    if (this.expired) throw queryTimeout()
    let giveUp: () => void = () => {}
    const givenUp = new Promise<never>((_, reject) => { giveUp = () => reject(queryTimeout()) })
    givenUp.catch(() => {})
    let grace: NodeJS.Timeout | undefined
    const timer = setTimeout(() => {
      this.expired = true
      this.onExpire()
      grace = setTimeout(giveUp, CANCEL_GRACE_MS)
    }, this.limitMs)
    try {
      const v = await Promise.race([p, givenUp])
      if (this.expired) throw queryTimeout()
      return v
    } catch (err) {
      if (this.expired) throw queryTimeout()
      throw err
    } finally {
      clearTimeout(timer)
      clearTimeout(grace)
    }
  }
}
