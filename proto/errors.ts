/**
 * One error class for the whole server: an HTTP status, a stable code (API.md, Errors)
 * and a message safe to show a caller. Thrown where the problem is found; turned into a
 * response in exactly one place (src/http/errors.ts).
 *
 * Classes do not survive a worker boundary on Node 20, so workers return failures as
 * data (`TaskFailure`) and the main thread rebuilds the SluiceError.
 */
export class SluiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'SluiceError'
  }
}

/** 429 rate_limited that knows when to retry: src/http/context.ts sends `Retry-After` from it. */
export class RateLimitedError extends SluiceError {
  constructor(message: string, readonly retryAfterSeconds: number) {
    super(429, 'rate_limited', message)
  }
}

export interface TaskFailure {
  ok: false
  status: number
  code: string
  message: string
  /** a 429's seconds for `Retry-After` (RateLimitedError), so the header survives the worker boundary */
  retryAfterSeconds?: number
}

export type TaskResult<T> = { ok: true; value: T } | TaskFailure

export function toTaskFailure(err: unknown): TaskFailure {
  if (err instanceof RateLimitedError) return { ok: false, status: err.status, code: err.code, message: err.message, retryAfterSeconds: err.retryAfterSeconds }
  if (err instanceof SluiceError) return { ok: false, status: err.status, code: err.code, message: err.message }
  return { ok: false, status: 500, code: 'internal', message: 'internal error' }
}

/** The SluiceError a TaskFailure stands for (main thread), Retry-After included. */
export function fromTaskFailure(f: Omit<TaskFailure, 'ok'>): SluiceError {
  if (f.status === 429 && typeof f.retryAfterSeconds === 'number') return new RateLimitedError(f.message, f.retryAfterSeconds)
  return new SluiceError(f.status, f.code, f.message)
}

export const badRequest = (msg: string) => new SluiceError(400, 'bad_request', msg)
export const unauthorized = (msg = 'missing or invalid bearer token') => new SluiceError(401, 'unauthorized', msg)
export const forbidden = (msg = 'not allowed') => new SluiceError(403, 'forbidden', msg)
export const notFound = (msg = 'no such route') => new SluiceError(404, 'not_found', msg)
export const datasetNotFound = (name: string) => new SluiceError(404, 'dataset_not_found', `no dataset "${name}"`)
export const jobNotFound = (id: string) => new SluiceError(404, 'job_not_found', `no job "${id}"`)
export const nameTaken = (name: string) => new SluiceError(409, 'dataset_name_taken', `a dataset named "${name}" already exists`)
export const payloadTooLarge = (limit: number) =>
  new SluiceError(413, 'payload_too_large', `the upload is larger than the limit of ${limit} bytes`)
export const invalidQuery = (msg: string) => new SluiceError(422, 'invalid_query', msg)
export const invalidParameter = (param: string, msg: string) =>
  new SluiceError(422, 'invalid_parameter', `parameter "${param}": ${msg}`)
export const invalidName = (msg: string) => new SluiceError(422, 'invalid_name', msg)
export const invalidFile = (msg: string) => new SluiceError(422, 'invalid_file', msg)
export const invalidSettings = (msg: string) => new SluiceError(422, 'invalid_settings', msg)
export const overloaded = (msg = 'server is busy') => new SluiceError(503, 'overloaded', msg)
export const internal = () => new SluiceError(500, 'internal', 'internal error')
