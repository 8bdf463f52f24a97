/**
 * A counting semaphore with a FIFO queue: at most `size` holders at once, waiters served in
 * arrival order, each waiter giving up after `queueTimeoutMs` or when its signal aborts.
 * One per connector: every statement Sluice runs against a PostgreSQL connector holds one
 * slot, so the connections Sluice opens there never exceed the connector's pool_size.
 */
import type { SluiceError } from '../../proto/errors.js'

interface Waiter {
  grant: (release: () => void) => void
  fail: (err: unknown) => void
}

export interface SlotLimiterOptions {
  size: number
  queueTimeoutMs: number
  /** the error of a waiter whose queue timeout ran out */
  onQueueTimeout: () => SluiceError
}

export class SlotLimiter {
  #inUse = 0
  readonly #queue: Waiter[] = []

  constructor(private readonly opts: SlotLimiterOptions) {}

  get inUse(): number { return this.#inUse }
  get waiting(): number { return this.#queue.length }

  /**
   * Resolves with a release function (idempotent) once a slot is free. Rejects with the
   * signal's reason as soon as it aborts (also while queued), or with `onQueueTimeout()`.
   */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason)
    if (this.#inUse < this.opts.size && this.#queue.length === 0) {
      this.#inUse++
      return Promise.resolve(this.#releaser())
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined
      const cleanup = () => {
        clearTimeout(timer)
        signal?.removeEventListener('abort', onAbort)
        const i = this.#queue.indexOf(waiter)
        if (i >= 0) this.#queue.splice(i, 1)
      }
      const waiter: Waiter = {
        grant: (release) => { cleanup(); resolve(release) },
        fail: (err) => { cleanup(); reject(err) },
      }
      const onAbort = () => waiter.fail(signal!.reason)
      signal?.addEventListener('abort', onAbort, { once: true })
      if (this.opts.queueTimeoutMs > 0) timer = setTimeout(() => waiter.fail(this.opts.onQueueTimeout()), this.opts.queueTimeoutMs)
      this.#queue.push(waiter)
      if (this.opts.queueTimeoutMs === 0) waiter.fail(this.opts.onQueueTimeout())
    })
  }

  /** Rejects every waiter with `err` (the connector went down, or was closed). */
  failWaiters(err: unknown): void {
    for (const w of [...this.#queue]) w.fail(err)
  }

  #releaser(): () => void {
    let released = false
    return () => {
      if (released) return
      released = true
      const next = this.#queue.shift()
      // The slot passes straight to the next waiter: no window in which a newcomer jumps the queue.
      if (next) next.grant(this.#releaser())
      else this.#inUse--
    }
  }
}
