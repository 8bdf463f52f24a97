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
import type { PreparedHead } from './prepared-head.js'

const REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/

/**
 * The request headers routes read, copied while the uWS request is valid. Only these: copying
 * every header (req.forEach into a Map) was a fifth of the JS time of a small cached request.
 * The body headers are read only for routes that take a body (`readBodyHeaders`). A route
 * that needs another header adds it here (the type makes `header()` refuse others).
 */
type BodyHeader = 'content-type' | 'content-length' | 'content-encoding'
export type RequestHeader = 'authorization' | 'accept' | 'if-none-match' | BodyHeader

// Request ids: UUID-shaped, a random prefix plus a counter. randomUUID() per request was
// about a tenth of a small cached request's handler time. The counter's hex digits are
// spelled from a small integer (fast), and a new random prefix is drawn each time the
// counter wraps. Ids only correlate logs; they are not secrets.
const ID_COUNTER_BASE = 0x10000000 // 2^28: its hex spelling is "1" and 7 digits
const newIdPrefix = () => crypto.randomUUID().slice(0, 29) // xxxxxxxx-xxxx-xxxx-xxxx-xxxxx
let idPrefix = newIdPrefix()
let idCounter = ID_COUNTER_BASE
function nextRequestId(): string {
  if (++idCounter === 2 * ID_COUNTER_BASE) {
    idCounter = ID_COUNTER_BASE + 1
    idPrefix = newIdPrefix()
  }
  return idPrefix + idCounter.toString(16).slice(1) // 29 + 7 = 36 characters
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
  readonly #authorization: string
  readonly #accept: string
  readonly #ifNoneMatch: string
  #contentType = ''
  #contentLength = ''
  #contentEncoding = ''
  #requestId: string
  /** performance.now() when the request came in; set by app.ts only when request lines are logged */
  startedAt = 0
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
  /**
   * True while the uWS request handler that made this context runs: uWS corks the response
   * during it, so writes need no cork() of their own (app.ts clears it when the handler returns).
   */
  inRequestHandler = true
  #onFinish: ((ctx: RequestContext) => void) | null = null

  constructor(readonly res: HttpResponse, req: HttpRequest) {
    this.method = req.getCaseSensitiveMethod().toUpperCase()
    this.path = req.getUrl()
    this.rawQuery = req.getQuery() ?? ''
    this.#authorization = req.getHeader('authorization')
    this.#accept = req.getHeader('accept')
    this.#ifNoneMatch = req.getHeader('if-none-match')
    const given = req.getHeader('x-request-id')
    this.#requestId = given && REQUEST_ID.test(given) ? given : nextRequestId()
  }

  /** Copies the body headers; call while the uWS request is valid, for routes that take a body. */
  readBodyHeaders(req: HttpRequest): void {
    this.#contentType = req.getHeader('content-type')
    this.#contentLength = req.getHeader('content-length')
    this.#contentEncoding = req.getHeader('content-encoding')
  }

  /**
   * Starts watching for the client going away. uWS needs this before its handler returns
   * without having answered; a request answered inside the handler (a cached result) never
   * pays for the callback.
   */
  watchAbort(): void {
    this.res.onAborted(() => {
      this.finished = true
      this.#abortReason = new SluiceError(499, 'client_closed', 'client closed the connection')
      this.#abort?.abort(this.#abortReason)
      this.#finish()
    })
  }

  get requestId(): string { return this.#requestId }

  get signal(): AbortSignal {
    if (!this.#abort) {
      this.#abort = new AbortController()
      if (this.#abortReason !== null) this.#abort.abort(this.#abortReason)
    }
    return this.#abort.signal
  }

  get aborted(): boolean { return this.#abortReason !== null }

  /** A request header's value; undefined when absent or empty. */
  header(name: RequestHeader): string | undefined {
    let v: string
    switch (name) {
      case 'authorization': v = this.#authorization; break
      case 'accept': v = this.#accept; break
      case 'if-none-match': v = this.#ifNoneMatch; break
      case 'content-type': v = this.#contentType; break
      case 'content-length': v = this.#contentLength; break
      case 'content-encoding': v = this.#contentEncoding; break
    }
    return v || undefined
  }

  /** Query parameters, percent-decoded, in order, repeats kept. */
  queryEntries(): [string, string][] {
    return [...new URLSearchParams(this.rawQuery)]
  }

  query(name: string): string | null {
    return new URLSearchParams(this.rawQuery).get(name)
  }

  /** `cb(this)` once the response is finished or the client went away. */
  onFinish(cb: (ctx: RequestContext) => void): void { this.#onFinish = cb }

  #finish(): void {
    const cb = this.#onFinish
    this.#onFinish = null
    cb?.(this)
  }

  /** Status line and headers; call inside cork(). */
  #writeHead(status: number, contentType: string, extraHeaders: Record<string, string>): void {
    this.res.writeStatus(statusLine(status))
    this.res.writeHeader('Content-Type', contentType)
    this.res.writeHeader('X-Request-Id', this.requestId)
    for (const k in extraHeaders) this.res.writeHeader(k, extraHeaders[k]!)
  }

  #writeWhole(status: number, body: string | Uint8Array, contentType: string, extraHeaders: Record<string, string>): void {
    this.#writeHead(status, contentType, extraHeaders)
    this.res.end(body)
  }

  #writeEmpty(status: number, extraHeaders: Record<string, string>): void {
    this.res.writeStatus(statusLine(status))
    this.res.writeHeader('X-Request-Id', this.requestId)
    for (const k in extraHeaders) this.res.writeHeader(k, extraHeaders[k]!)
    this.res.endWithoutBody()
  }

  /** Writes a whole response. */
  send(status: number, body: string | Uint8Array, contentType: string, extraHeaders: Record<string, string> = {}): void {
    if (this.finished) return
    this.status = status
    // Inside the request handler uWS has corked the response already (its documented default).
    if (this.inRequestHandler) this.#writeWhole(status, body, contentType, extraHeaders)
    else this.res.cork(() => this.#writeWhole(status, body, contentType, extraHeaders))
    this.bytesOut += typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength
    this.headersSent = true
    this.finished = true
    this.#finish()
  }

  /**
   * Writes a whole response whose status and fixed headers were prepared once (see
   * prepared-head.ts), plus this request's X-Request-Id; `body` null: no body (304).
   */
  sendPrepared(head: PreparedHead, body: Uint8Array | null): void {
    if (this.finished) return
    this.status = head.status
    if (this.inRequestHandler) this.#writePrepared(head, body)
    else this.res.cork(() => this.#writePrepared(head, body))
    if (body) this.bytesOut += body.byteLength
    this.headersSent = true
    this.finished = true
    this.#finish()
  }

  #writePrepared(head: PreparedHead, body: Uint8Array | null): void {
    this.res.writeStatus(head.text)
    this.res.writeHeader('X-Request-Id', this.requestId)
    if (body) this.res.end(body)
    else this.res.endWithoutBody()
  }

  /**
   * A response without a body (204, 304), and without Content-Length: RFC 9110 forbids one on
   * a 204, and on a 304 it would have to be the length of the 200.
   */
  sendEmpty(status: 204 | 304, extraHeaders: Record<string, string> = {}): void {
    if (this.finished) return
    this.status = status
    if (this.inRequestHandler) this.#writeEmpty(status, extraHeaders)
    else this.res.cork(() => this.#writeEmpty(status, extraHeaders))
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
