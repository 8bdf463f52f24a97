/**
 * Streams a query result to the client with backpressure. Headers wait for the first
 * chunk, so a failure before any output is still a proper error status. A failure after
 * the first byte ends the body as API.md says per format: JSON and NDJSON get an error
 * tail, CSV and Arrow lose the connection without the final chunk — never a clean-looking
 * truncated 200.
 */
import type { OutputFormat } from '../../proto/plan.js'
import type { SluiceError } from '../../proto/errors.js'
import type { RequestContext } from './context.js'
import type { Logger } from '../log.js'
import { toSluiceError } from './errors.js'

export const CONTENT_TYPES: Record<OutputFormat, string> = {
  json: 'application/json',
  ndjson: 'application/x-ndjson',
  csv: 'text/csv; charset=utf-8',
  arrow: 'application/vnd.apache.arrow.stream',
}

/** `format=` wins; else the first Accept type we serve; else JSON. */
export function negotiateFormat(explicit: OutputFormat | null, accept: string | undefined): OutputFormat {
  if (explicit) return explicit
  for (const part of (accept ?? '').split(',')) {
    const type = part.split(';')[0].trim().toLowerCase()
    if (type === 'application/vnd.apache.arrow.stream' || type === 'application/vnd.apache.arrow.file') return 'arrow'
    if (type === 'application/x-ndjson' || type === 'application/ndjson' || type === 'application/jsonl') return 'ndjson'
    if (type === 'text/csv') return 'csv'
    if (type === 'application/json') return 'json'
  }
  return 'json'
}

function errorTail(format: OutputFormat, err: SluiceError): Uint8Array | null {
  const e = JSON.stringify({ error: err.code, message: err.message })
  if (format === 'json') return Buffer.from(`],"error":${e}}`)
  if (format === 'ndjson') return Buffer.from(`{"error":${e}}\n`)
  return null
}

export interface StreamOptions {
  /** extra response headers (ETag, Cache-Control, X-Cache) */
  headers?: Record<string, string>
  /** keep a copy of the body up to `maxBytes`; `done` gets it after a clean end, never after a failure */
  capture?: { maxBytes: number; done(body: Buffer): void }
}

export async function streamResult(ctx: RequestContext, format: OutputFormat, source: AsyncIterable<Uint8Array>, log: Logger, opts: StreamOptions = {}): Promise<void> {
  const it = source[Symbol.asyncIterator]()
  const capture = opts.capture
  let kept: Buffer[] | null = capture ? [] : null
  let keptBytes = 0
  const keep = (chunk: Uint8Array) => {
    if (!kept) return
    keptBytes += chunk.byteLength
    if (keptBytes > capture!.maxBytes) kept = null
    else kept.push(Buffer.from(chunk)) // a copy: the source may reuse its buffer
  }
  // Errors before the first chunk propagate: the dispatcher answers with their status.
  const first = await it.next()
  try {
    ctx.beginStream(200, CONTENT_TYPES[format], opts.headers)
    if (!first.done) {
      keep(first.value)
      await ctx.write(first.value)
    }
    for (let r = await it.next(); !r.done; r = await it.next()) {
      keep(r.value)
      await ctx.write(r.value)
    }
    ctx.endStream()
    if (kept) capture!.done(Buffer.concat(kept, keptBytes))
  } catch (err) {
    await it.return?.(undefined).catch(() => {})
    if (ctx.aborted) return
    const e = toSluiceError(err, log, ctx.requestId)
    log.warn({ request_id: ctx.requestId, error: e.code, message: e.message }, 'stream failed after the first byte')
    const tail = errorTail(format, e)
    if (tail) {
      try {
        await ctx.write(tail)
        ctx.endStream()
        return
      } catch {
        // fall through: the client is gone or the socket failed
      }
    }
    ctx.abortStream()
  }
}
