/**
 * Request bodies with backpressure. uWS delivers body chunks only to an `onData` handler
 * attached during the synchronous part of the route handler, and the chunks are neutered
 * after the callback, so the reader is attached at dispatch time, copies each chunk, and
 * pauses the socket while more than HIGH_WATER bytes wait to be consumed.
 */
import type { HttpResponse } from 'uWebSockets.js'
import { badRequest, payloadTooLarge } from '../../proto/errors.js'

const HIGH_WATER = 4 * 1024 * 1024
const LOW_WATER = 1024 * 1024
const BLOCK = 1024 * 1024

export class BodyReader implements AsyncIterable<Buffer> {
  readonly #queue: Buffer[] = []
  #queuedBytes = 0
  #ended = false
  #paused = false
  #wake: (() => void) | null = null
  #failure: unknown = null
  /** the block onData is filling, not queued yet */
  #block: Buffer | null = null
  #blockUsed = 0
  received = 0

  constructor(private readonly res: HttpResponse, signal: AbortSignal) {
    res.onData((chunk, isLast) => {
      // Copy (uWS reuses the memory once this callback returns), into blocks of up to 1 MiB:
      // uWS hands over 64 KiB or less at a time, and each queued piece costs its consumer a
      // write. A body of one chunk (most JSON requests) is copied as it is.
      const bytes = new Uint8Array(chunk)
      this.received += bytes.byteLength
      if (isLast && this.#block === null) {
        if (bytes.byteLength > 0) this.#enqueue(Buffer.from(bytes))
      } else {
        for (let at = 0; at < bytes.byteLength;) {
          if (this.#block === null) { this.#block = Buffer.allocUnsafeSlow(BLOCK); this.#blockUsed = 0 }
          const n = Math.min(bytes.byteLength - at, BLOCK - this.#blockUsed)
          this.#block.set(bytes.subarray(at, at + n), this.#blockUsed)
          this.#blockUsed += n
          at += n
          if (this.#blockUsed === BLOCK) this.#flushBlock()
        }
        if (isLast) this.#flushBlock()
      }
      if (isLast) this.#ended = true
      if (!this.#ended && this.#queuedBytes > HIGH_WATER && !this.#paused) {
        this.#paused = true
        res.pause()
      }
      this.#notify()
    })
    signal.addEventListener('abort', () => {
      this.#failure = signal.reason
      this.#notify()
    }, { once: true })
  }

  #enqueue(b: Buffer): void {
    this.#queue.push(b)
    this.#queuedBytes += b.byteLength
  }

  /** Queue the filled part of the current block. */
  #flushBlock(): void {
    const block = this.#block
    this.#block = null
    if (block !== null && this.#blockUsed > 0) this.#enqueue(this.#blockUsed === BLOCK ? block : block.subarray(0, this.#blockUsed))
  }

  #notify(): void {
    const w = this.#wake
    this.#wake = null
    w?.()
  }

  async *[Symbol.asyncIterator](): AsyncIterator<Buffer> {
    for (;;) {
      if (this.#failure) throw this.#failure
      const chunk = this.#queue.shift()
      if (chunk) {
        this.#queuedBytes -= chunk.byteLength
        if (this.#paused && this.#queuedBytes < LOW_WATER) {
          this.#paused = false
          this.res.resume()
        }
        yield chunk
        continue
      }
      if (this.#ended) return
      await new Promise<void>((resolve) => { this.#wake = resolve })
    }
  }

  /** Reads the whole body (small bodies only: JSON requests), refusing more than maxBytes. */
  async readAll(maxBytes: number): Promise<Buffer> {
    const parts: Buffer[] = []
    let n = 0
    for await (const c of this) {
      n += c.byteLength
      if (n > maxBytes) throw payloadTooLarge(maxBytes)
      parts.push(c)
    }
    return Buffer.concat(parts)
  }

  /** Parses a JSON body; an empty body is `undefined`; malformed JSON is 400 bad_request. */
  async readJson(maxBytes = 1024 * 1024): Promise<unknown> {
    const buf = await this.readAll(maxBytes)
    if (buf.byteLength === 0) return undefined
    try {
      return JSON.parse(buf.toString('utf8'))
    } catch {
      throw badRequest('request body is not valid JSON')
    }
  }
}
