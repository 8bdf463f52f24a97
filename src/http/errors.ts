/**
 * The one place errors become responses (STYLE.md, Errors). A SluiceError keeps its status
 * and code; anything else is logged with its stack and answered as a bare 500 `internal`
 * (no stack, no SQL, no secrets reach the client).
 */
import { SluiceError } from '../../proto/errors.js'
import type { Logger } from '../log.js'

export interface ErrorBody {
  error: string
  message: string
  request_id: string
  details?: unknown
}

export function toSluiceError(err: unknown, log: Logger, requestId: string): SluiceError {
  if (err instanceof SluiceError) return err
  log.error({ err, request_id: requestId }, 'unhandled error')
  return new SluiceError(500, 'internal', 'internal error')
}

export function errorBody(err: SluiceError, requestId: string): ErrorBody {
  const body: ErrorBody = { error: err.code, message: err.message, request_id: requestId }
  if (err.details !== undefined) body.details = err.details
  return body
}

const REASONS: Record<number, string> = {
  200: 'OK', 201: 'Created', 202: 'Accepted', 204: 'No Content', 304: 'Not Modified', 400: 'Bad Request', 401: 'Unauthorized',
  403: 'Forbidden', 404: 'Not Found', 405: 'Method Not Allowed', 409: 'Conflict', 413: 'Payload Too Large',
  422: 'Unprocessable Entity', 429: 'Too Many Requests', 500: 'Internal Server Error', 503: 'Service Unavailable',
  504: 'Gateway Timeout',
}

const STATUS_LINES = new Map(Object.entries(REASONS).map(([code, reason]) => [Number(code), `${code} ${reason}`]))

/** `200 OK`: the known lines are spelled once, not per response. */
export const statusLine = (status: number): string => STATUS_LINES.get(status) ?? `${status} Status`
