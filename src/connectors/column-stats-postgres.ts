/**
 * Column stats of PostgreSQL-backed datasets (kind `connector`): one aggregate statement per
 * request, grouped by bucket index, read in a READ ONLY transaction on one of the connector's
 * slots. Its result is small (at most MAX_BUCKETS rows), so the main thread turns each row
 * into the same partial state the Parquet workers return; the finish worker fills empty
 * buckets, adds rolling means and writes the body, exactly as for lakehouse datasets.
 *
 * Buckets are computed from `extract(epoch ...)` rather than `date_trunc`: the values are
 * already UTC (timestamptz is read AT TIME ZONE 'UTC'), this does not depend on the session
 * time zone, and ISO weeks come out Monday-based because the origin is a Monday.
 *
 * Masking: every column the caller sees masked (the time column included) is read through its
 * masking SQL (profile-masking.ts) inside the inner select, so the aggregates and the newest
 * value only see masked values; the hash salt is bound as $4, never written into SQL text.
 *
 * I/O; main thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import { BUCKET_MICROS, type ColumnBucketState, type ColumnStatsPartial, type StatValue } from '../../proto/column-stats.js'
import type { Dataset } from '../catalog/index.js'
import { normalizeDecimal, parseTimeMicros } from '../lakehouse/temporal.js'
import type { WorkerPool } from '../pool.js'
import { bucketRange, finishColumnStats, needsNewest, type ColumnStatsMasking, type ColumnStatsRequest } from './column-stats.js'
import { maskedExpression } from './profile-masking.js'
import type { ConnectorRegistry } from './connector-registry.js'
import { quoteIdent } from './postgres-discover.js'
import { fromClause, pgSourceOf, valueExpressions } from './postgres.js'

const epochMicros = (expr: string) => `(extract(epoch from ${expr}) * 1000000)`

/** SQL aggregates of one column (`c` is its alias in the inner select) and how to read them back. */
function aggregates(f: Field, c: string, k: number): string[] {
  const out = [`count(${c}) AS "nn${k}"`, `count(DISTINCT ${c}) AS "d${k}"`]
  switch (f.type) {
    case 'string': out.push(`min(${c} COLLATE "C") AS "lo${k}"`, `max(${c} COLLATE "C") AS "hi${k}"`); break
    case 'boolean': out.push(`bool_and(${c})::text AS "lo${k}"`, `bool_or(${c})::text AS "hi${k}"`); break
    case 'date': out.push(`(min(${c}) - date '1970-01-01')::text AS "lo${k}"`, `(max(${c}) - date '1970-01-01')::text AS "hi${k}"`); break
    case 'timestamp': out.push(`${epochMicros(`min(${c})`)}::int8::text AS "lo${k}"`, `${epochMicros(`max(${c})`)}::int8::text AS "hi${k}"`); break
    case 'json': case 'binary': out.push(`NULL AS "lo${k}"`, `NULL AS "hi${k}"`); break
    default: out.push(`min(${c})::text AS "lo${k}"`, `max(${c})::text AS "hi${k}"`)
  }
  const numeric = ['int16', 'int32', 'int64', 'float32', 'float64', 'decimal'].includes(f.type)
  out.push(numeric ? `avg(${c})::float8 AS "m${k}"` : `NULL AS "m${k}"`)
  return out
}

/** The text of a min/max back in batch representation (proto/batch.ts). */
function statValue(f: Field, text: string | null): StatValue | null {
  if (text === null || text === undefined) return null
  switch (f.type) {
    case 'int64': case 'timestamp': return BigInt(text)
    case 'int16': case 'int32': case 'date': case 'float32': case 'float64': return Number(text)
    case 'boolean': return text === 'true'
    case 'time': return parseTimeMicros(text)
    case 'decimal': return normalizeDecimal(text, f.scale ?? 0, f.precision ?? 38) ?? text
    default: return text
  }
}

/**
 * Streams the column-stats body of a PostgreSQL-backed dataset. Throws what the connector
 * runtime throws (503 connector_unavailable, 504 query_timeout, ...).
 */
export async function* columnStatsPostgres(pool: WorkerPool, connectors: ConnectorRegistry, d: Dataset, req: ColumnStatsRequest, masking: ColumnStatsMasking, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const src = pgSourceOf(d)
  const exprs = valueExpressions(src.columns)
  const rawFields = new Map(src.columns.map((c) => [c.name, c.field]))
  // `f` is the caller's (possibly masked) field; the mask applies to the raw column's expression
  const expr = (f: Field, saltParam: string) => {
    const e = exprs.get(f.name)
    const raw = rawFields.get(f.name)
    if (!e || !raw) throw new SluiceError(422, 'unsupported_table', `column "${f.name}" is not in the source`)
    return maskedExpression(masking.view, raw, e, saltParam)
  }
  const from = fromClause(src)
  const rt = connectors.runtime(d.org, src.connectorId)
  rt.assertAvailable()
  const width = BUCKET_MICROS[req.bucket]
  const newestTime = expr(req.timeColumn, '$1')
  const time = expr(req.timeColumn, '$4')
  const masked = req.columns.map((f) => expr(f, '$4'))
  const usesSalt = time.usesSalt || masked.some((m) => m.usesSalt)
  const timeUs = epochMicros(time.expr)
  const inner = masked.map((m, k) => `${m.expr} AS ${quoteIdent(`c${k}`)}`)
  const select = req.columns.flatMap((f, k) => aggregates(f, quoteIdent(`c${k}`), k))
  const result = await rt.withClient(async (c) => {
    await c.query('BEGIN TRANSACTION READ ONLY')
    try {
      let newest: number | null = null
      if (needsNewest(req)) {
        const r = await c.query(`SELECT max(${epochMicros(newestTime.expr)})::int8::text AS "newest" FROM ${from} AS "src"`, newestTime.usesSalt ? [masking.salt] : [])
        const v = (r.rows[0] as { newest: string | null } | undefined)?.newest ?? null
        newest = v === null ? null : Number(v)
      }
      const range = bucketRange(req, newest)
      const sql = `SELECT "b", count(*) AS "n"${select.length ? ', ' + select.join(', ') : ''} FROM (` +
        `SELECT floor((${timeUs} - $1::numeric) / $2::numeric)::int8 AS "b"${inner.length ? ', ' + inner.join(', ') : ''} FROM ${from} AS "src"` +
        `) AS "t" WHERE "b" >= 0 AND "b" < $3::int8 GROUP BY "b"`
      const params = [String(range.from), String(width), String((range.to - range.from) / width)]
      const r = await c.query(sql, usesSalt ? [...params, masking.salt] : params)
      return { range, rows: r.rows as Record<string, string | number | null>[] }
    } finally {
      await c.query('ROLLBACK').catch(() => {})
    }
  }, signal)
  const buckets: ColumnStatsPartial['buckets'] = {}
  for (const row of result.rows) {
    const count = Number(row.n)
    const cols: Record<string, ColumnBucketState> = {}
    req.columns.forEach((f, k) => {
      const nn = Number(row[`nn${k}`])
      const mean = row[`m${k}`] === null || row[`m${k}`] === undefined ? null : Number(row[`m${k}`])
      const meanOk = mean !== null && !Number.isNaN(mean)
      cols[f.name] = {
        count, nullCount: count - nn,
        min: statValue(f, row[`lo${k}`] as string | null), max: statValue(f, row[`hi${k}`] as string | null),
        // one source per bucket: sum/n only carries the mean through to the finish step
        sum: meanOk ? mean : 0, n: meanOk ? 1 : 0,
        distinct: { kind: 'count', n: Number(row[`d${k}`]) },
      }
    })
    buckets[Number(row.b)] = cols
  }
  yield await finishColumnStats(pool, req, masking.view, [{ buckets }], result.range.from, result.range.to, signal)
}
