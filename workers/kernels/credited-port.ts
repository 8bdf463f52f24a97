/**
 * The worker side of the streaming protocol of proto/scan.ts: sends chunks only while it
 * holds credit, and turns a `cancel` message into the `cancelled` flag plus the callbacks
 * registered with `onCancel` (a task that waits on something other than credit — a
 * PostgreSQL query — must act on cancel at once, not at its next batch). Runs in worker
 * threads; shared by the Parquet scan (workers/scan.ts) and the PostgreSQL scan
 * (workers/pg-scan.ts).
 */
import type { MessagePort } from 'node:worker_threads'
import type { MainToScan, ScanToMain } from '../../proto/scan.js'

export class CreditedPort {
  credit: number
  cancelled = false
  // every waiter, not one slot: a second waiter must not erase the first one's wake-up
  #waiters: (() => void)[] = []
  #onCancel: (() => void)[] = []

  constructor(private readonly port: MessagePort, initial: number) {
    this.credit = initial
    port.on('message', (m: MainToScan) => {
      if (m.type === 'credit') this.credit += m.chunks
      else this.#cancel()
      for (const w of this.#waiters.splice(0)) w()
    })
  }

  #cancel(): void {
    if (this.cancelled) return
    this.cancelled = true
    for (const fn of this.#onCancel.splice(0)) {
      try { fn() } catch { /* a cancel hook must not break the others */ }
    }
  }

  /** Run `fn` once when the main thread cancels (at once if it already has). */
  onCancel(fn: () => void): void {
    if (this.cancelled) fn()
    else this.#onCancel.push(fn)
  }

  /** True while no credit is left (a sender would wait). */
  get starved(): boolean {
    return this.credit <= 0 && !this.cancelled
  }

  /** Resolves when there is credit to send a chunk, or on cancel. */
  async waitForCredit(): Promise<void> {
    while (this.credit <= 0 && !this.cancelled) await new Promise<void>((r) => { this.#waiters.push(r) })
  }

  /** Send one chunk, waiting for credit first; a no-op once cancelled. */
  async send(bytes: Uint8Array): Promise<void> {
    await this.waitForCredit()
    if (this.cancelled) return
    this.credit--
    // Copy into an exactly-sized buffer we can transfer (encoders may return views). With
    // Uint8Array's slice: Buffer's is a view on the whole (maybe pooled) buffer, which would
    // send (and detach) bytes that are not this chunk's.
    const ab = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength && bytes.buffer instanceof ArrayBuffer
      ? bytes.buffer
      : Uint8Array.prototype.slice.call(bytes).buffer as ArrayBuffer
    this.post({ type: 'chunk', bytes: ab }, [ab])
  }

  post(m: ScanToMain, transfer: ArrayBuffer[] = []): void {
    this.port.postMessage(m, transfer)
  }

  close(): void { this.port.close() }
}

/** a followed by b, in one new array */
export function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.byteLength + b.byteLength)
  out.set(a, 0)
  out.set(b, a.byteLength)
  return out
}
