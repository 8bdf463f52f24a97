/**
 * Throttled IngestProgress messages on a MessagePort: the first message of a phase, then at
 * most one every PROGRESS_INTERVAL_MS. Runs in worker threads.
 */
import type { MessagePort } from 'node:worker_threads'
import type { IngestProgress } from '../../proto/ingest.js'

export const PROGRESS_INTERVAL_MS = 100

export class ProgressReporter {
  #phase: IngestProgress['phase'] = 'inferring'
  #totalBytes = 0
  #lastMs = 0

  constructor(private readonly port: MessagePort) {}

  start(phase: IngestProgress['phase'], totalBytes: number): void {
    this.#phase = phase
    this.#totalBytes = totalBytes
    this.#post(0, 0)
  }

  update(bytesRead: number, rowsParsed: number): void {
    if (Date.now() - this.#lastMs >= PROGRESS_INTERVAL_MS) this.#post(bytesRead, rowsParsed)
  }

  /** The last message of a phase, not throttled. */
  done(bytesRead: number, rowsParsed: number): void {
    this.#post(bytesRead, rowsParsed)
  }

  #post(bytesRead: number, rowsParsed: number): void {
    this.#lastMs = Date.now()
    const msg: IngestProgress = { phase: this.#phase, bytesRead, totalBytes: this.#totalBytes, rowsParsed }
    this.port.postMessage(msg)
  }
}
