/**
 * The one mapping of BigQuery failures (the client's ApiError, network and auth errors, our
 * own timeouts) to SluiceErrors, for the connector on the main thread (test, browse, register)
 * and the workers (explore, import) alike — so it lives in proto/, which both may import:
 *
 * | BigQuery                                                      | Sluice |
 * |---------------------------------------------------------------|--------|
 * | 401, 403 (accessDenied, authError, forbidden…), 5xx, network errors, credential/signing errors, timeouts | 503 connector_unavailable |
 * | 400/404 invalidQuery, notFound, invalid                       | 422 invalid_query (BigQuery's message) |
 * | rateLimitExceeded, quotaExceeded (any status), 429            | 429 rate_limited, `Retry-After` from the answer when given, else 1 s (rate) / 60 s (quota) |
 * | bytesBilledLimitExceeded                                      | 422 query_too_expensive |
 * | stopped (a job cancelled), timeout                            | 504 query_timeout |
 *
 * Messages are BigQuery's (or the network error's) and never hold a credential. A 429's
 * message also says when to retry: after the first byte of a stream there is no header to
 * carry it (API.md, mid-stream errors). Pure; any thread.
 */
import { RateLimitedError, SluiceError } from './errors.js'

export { RateLimitedError }

/** Our own deadline on a BigQuery call (test/browse/dry run): always 503. */
export class BigQueryTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`no answer within ${ms} ms`)
    this.name = 'BigQueryTimeoutError'
  }
}

interface ApiErrorLike {
  code?: unknown
  errors?: { reason?: string; message?: string }[]
  response?: { headers?: Record<string, unknown> | { get?(n: string): unknown } }
  message?: string
  name?: string
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT'])

function retryAfter(e: ApiErrorLike): number | null {
  const h = e.response?.headers
  let v: unknown
  if (h && typeof (h as { get?: unknown }).get === 'function') v = (h as { get(n: string): unknown }).get('retry-after')
  else if (h) v = (h as Record<string, unknown>)['retry-after'] ?? (h as Record<string, unknown>)['Retry-After']
  if (v === undefined || v === null) return null
  const n = Number(v)
  if (Number.isFinite(n) && n >= 0) return Math.ceil(n)
  const date = Date.parse(String(v))
  return Number.isNaN(date) ? null : Math.max(0, Math.ceil((date - Date.now()) / 1000))
}

const short = (s: string) => (s.length > 1000 ? `${s.slice(0, 1000)}…` : s)

/**
 * Any error from a BigQuery call as a SluiceError. `connectorId` names the connector in
 * 503 messages. Errors that are not BigQuery's or the network's (programming errors) are
 * returned unchanged, to become a 500 where they surface.
 */
export function bigQueryErrorToSluice(err: unknown, connectorId?: string): SluiceError | unknown {
  if (err instanceof SluiceError) return err
  const who = connectorId ? `BigQuery connector "${connectorId}"` : 'BigQuery'
  const unavailable = (why: string) => new SluiceError(503, 'connector_unavailable', `${who} is unavailable: ${short(why)}`, undefined, { cause: err })
  if (err instanceof BigQueryTimeoutError) return unavailable(err.message)
  if (typeof err !== 'object' || err === null) return err
  const e = err as ApiErrorLike
  if (e.name === 'AbortError') return unavailable('the request was aborted')
  const reason = e.errors?.[0]?.reason ?? ''
  const message = e.errors?.[0]?.message ?? e.message ?? ''
  const status = typeof e.code === 'number' ? e.code : null
  if (reason === 'rateLimitExceeded' || reason === 'quotaExceeded' || reason === 'jobRateLimitExceeded' || status === 429) {
    const secs = retryAfter(e) ?? (reason === 'quotaExceeded' ? 60 : 1)
    return new RateLimitedError(`${who}: ${short(message || 'rate limited')} (retry after ${secs} s)`, secs)
  }
  if (reason === 'bytesBilledLimitExceeded') return new SluiceError(422, 'query_too_expensive', short(message))
  if (reason === 'stopped' || reason === 'timeout') return new SluiceError(504, 'query_timeout', `${who}: ${short(message || 'the job was stopped')}`)
  if (status !== null) {
    if (status === 401 || status === 403) return unavailable(`authentication or permission failure (${status}${reason ? ` ${reason}` : ''}): ${message}`)
    if (status >= 500) return unavailable(`BigQuery answered ${status}${reason ? ` ${reason}` : ''}: ${message}`)
    if (reason === 'invalidQuery' || reason === 'notFound' || reason === 'invalid' || reason === 'duplicate' || status === 400 || status === 404) {
      return new SluiceError(422, 'invalid_query', short(message || `BigQuery answered ${status}`))
    }
    return unavailable(`BigQuery answered ${status}: ${message}`)
  }
  // network failures (node fetch/gaxios wrap them), credential/signing failures (google-auth)
  const code = typeof e.code === 'string' ? e.code : (err as { cause?: { code?: unknown } }).cause?.code
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || code.startsWith('ERR_OSSL') || code.startsWith('UND_ERR'))) return unavailable(`${code}`)
  if (e.name === 'FetchError' || e.name === 'GaxiosError' || /socket hang up|fetch failed|network|invalid_grant|invalid_client|private key|PEM|DECODER/i.test(String(e.message))) {
    return unavailable(String(e.message).split('\n')[0]!)
  }
  return err
}

/** As bigQueryErrorToSluice, for a `catch` that must throw. */
export function throwBigQueryError(err: unknown, connectorId?: string): never {
  throw bigQueryErrorToSluice(err, connectorId)
}

/** The first `reason` BigQuery gave (`invalidQuery`, `quotaExceeded`, ...), if any: BigQuery answered. */
export function bqReason(err: unknown): string | undefined {
  const e = err as { errors?: { reason?: unknown }[] } | null
  const r = e && Array.isArray(e.errors) ? e.errors.find((x) => typeof x?.reason === 'string')?.reason : undefined
  return typeof r === 'string' ? r : undefined
}

/** As bigQueryErrorToSluice, with anything it leaves unmapped (a programming error) as a 500 (workers). */
export function bqTaskError(err: unknown): SluiceError {
  const mapped = bigQueryErrorToSluice(err)
  return mapped instanceof SluiceError ? mapped : new SluiceError(500, 'internal', 'internal error', undefined, { cause: err })
}
