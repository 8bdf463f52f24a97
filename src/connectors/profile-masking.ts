/**
 * The masking hooks of profiles. Governance (per-caller masking views) has not landed yet:
 * these return what they receive, unchanged. When it lands, they are the only places that
 * change, and profiles, their caches and their SQL follow:
 *
 * - `profileViewKey` names the caller's view of a dataset; it is part of the profile cache
 *   key, so callers with different views never share an answer ('' today: everyone sees raw
 *   values).
 * - `maskProfileExpressions` receives the SQL value expression of each column (PostgreSQL
 *   pushdown) and returns the masked expressions the statement must aggregate over.
 * - `maskProfileFields` receives the columns a Parquet profile reads; masked columns will
 *   need a mask step in the scan worker (or are refused) once masking exists.
 *
 * Pure; main thread.
 */
import type { Principal } from '../../proto/principal.js'
import type { Field } from '../../proto/types.js'
import type { Dataset } from '../catalog/index.js'

/** The caller's masking view of `d`, as a cache-key part. Today: '' (no masking yet). */
export function profileViewKey(_d: Dataset, _caller: Principal): string {
  return ''
}

/** Column → SQL value expression, as the caller may see it. Today: unchanged. */
export function maskProfileExpressions(_d: Dataset, _caller: Principal, expressions: Map<string, string>): Map<string, string> {
  return expressions
}

/** The fields a Parquet profile reads, as the caller may see them. Today: unchanged. */
export function maskProfileFields(_d: Dataset, _caller: Principal, fields: Field[]): Field[] {
  return fields
}
