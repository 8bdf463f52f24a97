/**
 * BigQuery failures in the worker → SluiceError: the connector's one mapping
 * (src/connectors/bigquery-errors.ts), with anything it leaves unmapped (a programming error)
 * as a 500. A 429's Retry-After does not cross the task protocol (TaskFailure has no field).
 */
import { SluiceError } from '../../proto/errors.js'
import { bigQueryErrorToSluice } from '../../src/connectors/bigquery-errors.js'

/** The first `reason` BigQuery gave (`invalidQuery`, `quotaExceeded`, ...), if any. */
export function bqReason(err: unknown): string | undefined {
  const e = err as { errors?: { reason?: unknown }[] } | null
  const r = e && Array.isArray(e.errors) ? e.errors.find((x) => typeof x?.reason === 'string')?.reason : undefined
  return typeof r === 'string' ? r : undefined
}

export function bqErrorToSluice(err: unknown): SluiceError {
  const mapped = bigQueryErrorToSluice(err)
  return mapped instanceof SluiceError ? mapped : new SluiceError(500, 'internal', 'internal error', undefined, { cause: err })
}
