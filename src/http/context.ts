/**
 * One request's state. uWS request objects are valid only during the synchronous part of a
 * handler, so everything needed later (method, path, query, headers) is copied here first.
 * The response may be written once (`send*`) or streamed (`stream()`), and `signal` aborts
 * when the client goes away, so sources can stop their work.
 */
import crypto from 'node:crypto'
import type { HttpRequest, HttpResponse } from 'uWebSockets.js'
import { SluiceError } from '../../proto/errors.js'
import type { Principal } from '../auth/principal.js'
import { errorBody, statusLine } from './errors.js'

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * The request headers routes read, copied while the uWS request is valid. Only these: copying
 * every header (req.forEach into a Map) was a fifth of the JS time of a small cached request.
 * A route that needs another header adds it here (the type makes `header()` refuse others).
 */
const READ_HEADERS = ['authorization', 'accept', 'content-type', 'content-length', 'content-encoding', 'if-none-match', 'x-request-id'] as const
export type RequestHeader = typeof READ_HEADERS[number]

// Request ids: UUID-shaped, a random per-process prefix plus a counter. randomUUID() per
// request was about a tenth of a small cached request's handler time. Ids only correlate
// logs; they are not secrets.
const ID_PREFIX = crypto.randomUUID().slice(0, 24)
let idCounter = 0
function nextRequestId(): string {
  idCounter = (idCounter + 1) % 0x1000000000000
  return ID_PREFIX + idCounter.toString(16).padStart(12, '0')
}

/**
 * Largest body piece written in one cork. uWS 20.x loses data when a chunk written inside
 * cork() does not fit its 16 KB cork buffer: it flushes the buffer (holding the chunk-size
 * line) first, and if the socket takes none of it right then, it keeps that line as
 * backpressure but returns before sending or keeping the chunk's bytes (AsyncSocket::uncork).
 * The client gets a size line without its bytes, misreads the rest of the body and waits for
 * bytes that never come. A piece plus its size line that fits the cork buffer is always
 * either sent or kept (test/stream-stall.test.ts checks the chunk framing of every body).
 */
const CORK_PIECE = 16 * 1024 - 64

/**
 * Runs `fn` from Node's own event loop (an immediate), not from inside a uWS callback.
 * Resuming a stream straight from onWritable ran the resumed code (the next chunk, the credit
 * to the worker) inside uWS's writable dispatch, before uWS drains and decides whether to keep
 * polling the socket; under load streams then stalled for good with bytes still buffered and
 * no credit posted (test/stream-stall.test.ts: every run before, none after).
 */
function afterNative(fn: () => void): void {
  setImmediate(fn)
}

export class RequestContext {
  readonly method: string
  readonly path: string
  readonly rawQuery: string
  /** values of READ_HEADERS, same order; undefined when absent or empty */
  readonly #headers: (string | undefined)[] = []
  readonly requestId: string
  /** performance.now() when the request came in */
  readonly startedAt = performance.now()
  // Created on first use: most small requests never need a signal, and making one costs.
  #abort: AbortController | null = null
  #abortReason: unknown = null
  params: Record<string, string> = {}
  route = 'unmatched'
  principal: Principal | null = null
  status = 0
  bytesOut = 0
  /** true once the status line went out: later failures cannot change the status */
  headersSent = false
  finished = false
  #onFinish: (() => void) | null = null

  constructor(readonly res: HttpResponse, req: HttpRequest) {
    this.method = req.getCaseSensitiveMethod().toUpperCase()
    this.path = req.getUrl()
    this.rawQuery = req.getQuery() ?? ''
    for (const name of READ_HEADERS) this.#headers.push(req.getHeader(name) || undefined)
    const given = this.header('x-request-id')
    this.requestId = given && REQUEST_ID.test(given) ? given : nextRequestId()
    res.onAborted(() => {
      this.finished = true
      this.#abortReason = new SluiceError(499, 'client_closed', 'client closed the connection')
      this.#abort?.abort(this.#abortReason)
      this.#finish()
    })
  }

  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController()
      if (this.#abortReason !== null) this.#abort.abort(this.#abortReason)
    }
    return this.#abort.signal
  }

  get aborted(): boolean { return this.#abortReason !== null }

  header(name: RequestHeader): string | undefined { return this.#headers[READ_HEADERS.indexOf(name)] }

  /** Query parameters, percent-decoded, in order, repeats kept. */
  queryEntries(): [string, string][] {
    return [...new URLSearchParams(this.rawQuery)]
  }

  query(name: string): string | null {
    return new URLSearchParams(this.rawQuery).get(name)
  }

  onFinish(cb: () => void): void { this.#onFinish = cb }

  #finish(): void {
    const cb = this.#onFinish
    this.#onFinish = null
    cb?.()
  }

  /** Status line and headers; call inside cork(). */
  #writeHead(status: number, contentType: string, extraHeaders: Record<string, string>): void {
    this.res.writeStatus(statusLine(status))
    this.res.writeHeader('Content-Type', contentType)
    this.res.writeHeader('X-Request-Id', this.requestId)
    for (const k in extraHeaders) this.res.writeHeader(k, extraHeaders[k]!)
  }

  /** Writes a whole response. */
  send(status: number, body: string | Uint8Array, contentType: string, extraHeaders: Record<string, string> = {}): void {
    if (this.finished) return
    this.status = status
    this.res.cork(() => {
      this.#writeHead(status, contentType, extraHeaders)
      this.res.end(body)
    })
    this.bytesOut += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
    this.headersSent = true
    this.finished = true
    this.#finish()
  }

  /** A response without a body (204, 304). */
  sendEmpty(status: number, extraHeaders: Record<string, string> = {}): void {
    if (this.finished) return
    this.status = status
    this.res.cork(() => {
      this.res.writeStatus(statusLine(status))
      this.res.writeHeader('X-Request-Id', this.requestId)
      for (const k in extraHeaders) this.res.writeHeader(k, extraHeaders[k]!)
      this.res.endWithoutBody(0)
    })
    this.headersSent = true
    this.finished = true
    this.#finish()
  }

  sendJson(status: number, value: unknown, extraHeaders?: Record<string, string>): void {
    this.send(status, JSON.stringify(value), 'application/json', extraHeaders)
  }

  sendError(err: SluiceError): void {
    const headers: Record<string, string> = {}
    if (err.status === 401) headers['WWW-Authenticate'] = 'Bearer'
    // 429 rate_limited (proto/errors.ts RateLimitedError) says when to retry
    const retryAfter = (err as { retryAfterSeconds?: unknown }).retryAfterSeconds
    if (typeof retryAfter === 'number' && Number.isFinite(retryAfter)) headers['Retry-After'] = String(Math.max(0, Math.ceil(retryAfter)))
    this.sendJson(err.status, errorBody(err, this.requestId), headers)
  }

  /** Starts a streamed (chunked) response. */
  beginStream(status: number, contentType: string, extraHeaders: Record<string, string> = {}): void {
    if (this.finished) return
    this.status = status
    this.res.cork(() => this.#writeHead(status, contentType, extraHeaders))
    this.headersSent = true
  }

  /**
   * Writes one chunk; resolves once the socket can take more (uWS keeps what it could not
   * send yet, and `onWritable` fires when the buffer drained). Rejects if the client left.
   */
  async write(chunk: Uint8Array): Promise<void> {
    if (this.finished) throw this.signal.reason ?? new SluiceError(499, 'client_closed', 'response finished')
    let ok = true
    // One cork per piece that fits uWS's cork buffer: see CORK_PIECE.
    for (let at = 0; at < chunk.byteLength; at += CORK_PIECE) {
      const piece = chunk.subarray(at, at + CORK_PIECE)
      this.res.cork(() => { if (!this.res.write(piece)) ok = false })
    }
    this.bytesOut += chunk.byteLength
    if (ok) return
    await new Promise<void>((resolve, reject) => {
      const onAbort = () => reject(this.signal.reason)
      this.signal.addEventListener('abort', onAbort, { once: true })
      this.res.onWritable(() => {
        this.signal.removeEventListener('abort', onAbort)
        // Resume outside uWS's callback: see afterNative.
        afterNative(resolve)
        return true
      })
    })
  }

  /** Ends a streamed response cleanly. */
  endStream(): void {
    if (this.finished) return
    this.res.cork(() => this.res.end())
    this.finished = true
    this.#finish()
  }

  /** Aborts the connection without the final chunk: the client sees a failed transfer, never a clean end. */
  abortStream(): void {
    if (this.finished) return
    this.finished = true
    this.res.close()
    this.#finish()
  }
}
