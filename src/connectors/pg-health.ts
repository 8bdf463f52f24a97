/**
 * The health of one connector: `unknown` until something checked it, then `up` or `down`.
 * A check (connect + one trivial statement, bounded by a timeout) runs when a caller saw a
 * connection failure (`suspect`), and every `intervalMs` while the connector is down, so a
 * server that comes back is noticed without anyone asking. At most one check runs at a time.
 * Requests never wait for a check: while `down` they are refused at once (fast 503s instead of
 * each one hanging until its own connect timeout).
 */
import type { SluiceError } from '../../proto/errors.js'

export type HealthState = 'unknown' | 'up' | 'down'

/** `inconclusive`: the check could not run (no free pool slot); the state stays as it was. */
export type CheckOutcome = { ok: true } | { ok: false; error: SluiceError } | { ok: 'inconclusive' }

export interface HealthSnapshot {
  state: HealthState
  /** when the last conclusive check ended (ISO), or null */
  checkedAt: string | null
  /** why the last check failed (state `down`), or null */
  error: SluiceError | null
}

export interface HealthMonitorOptions {
  /** re-check period while down, ms */
  intervalMs: number
  /** called on every change of state (not on repeated failures) */
  onChange(next: HealthSnapshot, prev: HealthState): void
}

export class HealthMonitor {
  #state: HealthState = 'unknown'
  #checkedAt: string | null = null
  #error: SluiceError | null = null
  #checking: Promise<void> | null = null
  #timer: NodeJS.Timeout | null = null
  #closed = false

  constructor(private readonly check: () => Promise<CheckOutcome>, private readonly opts: HealthMonitorOptions) {}

  get state(): HealthState { return this.#state }

  snapshot(): HealthSnapshot {
    return { state: this.#state, checkedAt: this.#checkedAt, error: this.#error }
  }

  /**
   * A caller saw a connection failure: check now, unless a check is already running or the
   * connector is known down (its re-check timer is running). Never throws.
   */
  suspect(): void {
    if (this.#closed || this.#checking || this.#state === 'down') return
    this.#runCheck()
  }

  /**
   * A connection could not even be opened: that is a failed check. Down at once (so the
   * requests behind it are refused instead of each waiting for its own connect timeout), and
   * re-checked right away, so a one-off failure costs one check, not a re-check period.
   */
  connectFailed(error: SluiceError): void {
    if (this.#closed) return
    this.#apply({ ok: false, error })
    if (!this.#checking) this.#runCheck()
  }

  /** Applies the outcome of a check made elsewhere (an admin's explicit test). */
  record(outcome: CheckOutcome): void {
    if (this.#closed || outcome.ok === 'inconclusive') return
    this.#apply(outcome)
  }

  /** Marks the connector down for good (e.g. its secrets cannot be opened): no re-checks. */
  fail(error: SluiceError): void {
    this.#apply({ ok: false, error })
    this.#closed = true
    this.#clearTimer()
  }

  /** Stops re-checking; a running check finishes but changes nothing. */
  close(): void {
    this.#closed = true
    this.#clearTimer()
  }

  /** Resolves when the running check (if any) has finished (tests, shutdown). */
  async settled(): Promise<void> {
    await this.#checking
  }

  #runCheck(): void {
    this.#clearTimer()
    this.#checking = (async () => {
      let outcome: CheckOutcome
      try {
        outcome = await this.check()
      } catch {
        outcome = { ok: 'inconclusive' }
      }
      if (!this.#closed && outcome.ok !== 'inconclusive') this.#apply(outcome)
    })().finally(() => {
      this.#checking = null
      if (this.#state === 'down') this.#schedule()
    })
  }

  #apply(outcome: { ok: true } | { ok: false; error: SluiceError }): void {
    const prev = this.#state
    this.#checkedAt = new Date().toISOString()
    if (outcome.ok) {
      this.#state = 'up'
      this.#error = null
      this.#clearTimer()
    } else {
      this.#state = 'down'
      this.#error = outcome.error
      if (!this.#checking) this.#schedule()
    }
    if (prev !== this.#state) this.opts.onChange(this.snapshot(), prev)
  }

  #schedule(): void {
    if (this.#closed || this.#timer || this.#checking) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      if (!this.#closed && !this.#checking) this.#runCheck()
    }, this.opts.intervalMs)
    // A connector that stays down must not keep the process alive.
    this.#timer.unref()
  }

  #clearTimer(): void {
    if (this.#timer) clearTimeout(this.#timer)
    this.#timer = null
  }
}
