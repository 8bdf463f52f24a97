/**
 * GET /api/datasets/{name}/profile for PostgreSQL-backed datasets: pushed down as SQL on one
 * connection of the connector (a slot of its pool), in one REPEATABLE READ, READ ONLY
 * transaction, every statement bounded by the connector's statement_timeout:
 *
 *   1. the row estimate (pg_class.reltuples for a table, EXPLAIN for a source query);
 *   2. one statement for the scalar stats of every column (profile-sql.ts scalarSql);
 *   3. per column: top values (strings, booleans, numbers with at most 1,000 distinct values)
 *      and date/timestamp histograms (bucket rule shared with the profile workers).
 *
 * Above `sampleRows` estimated rows the profile reads a sample of about `sampleRows` rows:
 * `TABLESAMPLE SYSTEM (p) REPEATABLE (42)` for tables (and materialized views), a random
 * filter `WHERE random() < f` (after `setseed`) for source queries and views. The answer's
 * `sample` names the method and fraction; every count is then over the sample, and distinct
 * counts, quantiles and top values say `..._approximate: true`.
 *
 * Results are cached for the dataset's profile_cache_ttl (default 10 minutes), per caller view.
 *
 * Masking: the profiled rows (rowsSql) select each masked column through its masking SQL
 * (profile-masking.ts), so every statement aggregates masked values only; the org's hash salt
 * is bound as $1 of every statement that reads it, never written into the SQL text.
 *
 * I/O; main thread (aggregates only).
 */
import type pg from 'pg'
import type { ReadAt } from '../../proto/plan.js'
import type { Principal } from '../../proto/principal.js'
import type { Dataset } from '../catalog/index.js'
import { quoteIdent } from '../query/index.js'
import { fromClause, pgSourceOf, valueExpressions } from './postgres.js'
import { sourceTableFrom } from './postgres-discover.js'
import type { ConnectorRegistry } from './connector-registry.js'
import { assertDeltaDataset } from './lakehouse.js'
import { profileCache, profileTtlMs, type CachedProfile, type ProfileCacheKey } from './profile-cache.js'
import { maskedNames, maskingViewOf, maskProfileExpressions, maskProfileFields, profileViewKey } from './profile-masking.js'
import { selectProfileColumns, type ProfileAnswer } from './profile.js'
import {
  columnJson, hasTopValues, histogramBucket, histogramSql, isTemporalField, rowsSql, scalarSql, topValuesSql,
  type PgColumnResult, type PgProfileColumn, type PgSampling,
} from './profile-sql.js'

/** Default of PROFILE_SAMPLE_ROWS: larger sources are profiled on a sample of about this many rows. */
export const DEFAULT_PROFILE_SAMPLE_ROWS = 1_000_000

export interface PgProfileRequest {
  columns: string[] | null
  top: number
  readAt: ReadAt
  caller: Principal
  /** the org's hash salt (bound as a parameter, never in SQL text) */
  salt: string
  signal: AbortSignal
  /** sample above this many estimated rows */
  sampleRows: number
}

type Row = Record<string, string | null>

/** The planner's estimate of a source's rows and whether TABLESAMPLE applies to it. */
async function estimate(c: pg.Client, src: { sourceTable: string | null }, from: string): Promise<{ rows: number | null; tableSample: boolean }> {
  if (src.sourceTable !== null) {
    const t = sourceTableFrom(src.sourceTable)
    const r = await c.query<{ n: number | null; kind: string }>(`
SELECT c.relkind::text AS kind, CASE WHEN c.relkind = 'p'
  THEN (SELECT sum(GREATEST(l.reltuples, 0))::float8 FROM pg_catalog.pg_partition_tree(c.oid) p
        JOIN pg_catalog.pg_class l ON l.oid = p.relid WHERE p.isleaf)
  ELSE c.reltuples::float8 END AS n
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2`, [t.schema, t.table])
    const row = r.rows[0]
    const n = row?.n
    // TABLESAMPLE reads blocks of tables, partitioned tables and materialized views only.
    const tableSample = ['r', 'p', 'm'].includes(row?.kind ?? '')
    // Never analyzed (reltuples -1), or a view: the planner's estimate from the table's size.
    if (n !== null && n !== undefined && n > 0) return { rows: Math.round(n), tableSample }
    return { rows: await planRows(c, from), tableSample }
  }
  return { rows: await planRows(c, from), tableSample: false }
}

/** The planner's row estimate of `SELECT 1 FROM <from>` (EXPLAIN, nothing run); null when none. */
async function planRows(c: pg.Client, from: string): Promise<number | null> {
  const r = await c.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) SELECT 1 FROM ${from} AS "src"`)
  const plan = r.rows[0]?.['QUERY PLAN'] as [{ Plan?: { 'Plan Rows'?: number } }] | undefined
  const n = plan?.[0]?.Plan?.['Plan Rows']
  return typeof n === 'number' && n > 0 ? n : null
}

/** Full read up to `sampleRows`, else a sample of about `sampleRows` rows. Pure. */
export function chooseSampling(rowEstimate: number | null, sampleRows: number, tableSample: boolean): PgSampling {
  if (rowEstimate === null || rowEstimate <= sampleRows) return { method: 'none' }
  const fraction = sampleRows / rowEstimate
  return tableSample ? { method: 'tablesample_system', fraction } : { method: 'random', fraction }
}

/** The placeholder of the salt in every profile statement that reads it. */
const SALT_PARAM = '$1'

/**
 * Runs the profile statements on one connection; returns the finished profile. `params` are
 * bound to every statement over the profiled rows ([salt] when a masked column hashes, else []).
 */
async function runProfile(c: pg.Client, from: string, sourceTable: string | null, columns: PgProfileColumn[], top: number, sampleRows: number, params: string[]): Promise<Omit<CachedProfile, 'version'>> {
  await c.query('BEGIN TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY')
  try {
    const est = await estimate(c, { sourceTable }, from)
    const sampling = chooseSampling(est.rows, sampleRows, est.tableSample)
    const rows = rowsSql(from, columns, sampling)
    // The random filter picks the same rows in every statement: same seed, same snapshot.
    const query = async <R extends pg.QueryResultRow>(sql: string) => {
      if (sampling.method === 'random') await c.query('SELECT setseed(0.42)')
      return (await c.query<R>(sql, params)).rows
    }
    const stats = (await query<Row>(scalarSql(rows, columns)))[0] ?? {}
    const rowCount = Number(stats.n ?? 0)
    const parts: string[] = []
    for (let i = 0; i < columns.length; i++) {
      const col = columns[i]!
      const result: PgColumnResult = { stats, top: null, histogram: null }
      const distinct = Number(stats[`${i}_distinct`] ?? 0)
      if (hasTopValues(col.field, distinct)) {
        result.top = await query<{ v: string | null; n: string }>(topValuesSql(rows, i, col.field, top))
      }
      const lo = stats[`${i}_min`]
      const hi = stats[`${i}_max`]
      // 'infinity' / BC values have no calendar buckets (generate_series would not end)
      if (isTemporalField(col.field) && lo && hi && Number.isFinite(Date.parse(lo)) && Number.isFinite(Date.parse(hi))) {
        const bucket = histogramBucket(lo, hi, col.field.type === 'date')
        result.histogram = { bucket, bins: await query<{ start: string; n: string }>(histogramSql(rows, i, col.field, bucket)) }
      }
      parts.push(columnJson(i, col, rowCount, result, sampling.method !== 'none'))
    }
    return {
      rowCount, columnsJson: `[${parts.join(',')}]`, computedAt: new Date().toISOString(),
      sample: sampling.method === 'none' ? null : { method: sampling.method, fraction: sampling.fraction },
    }
  } finally {
    await c.query('ROLLBACK').catch(() => {})
  }
}

/**
 * The profile of a PostgreSQL-backed dataset, from the cache while it is younger than the
 * dataset's profile_cache_ttl. Throws `422 not_a_delta_table` for version/as_of,
 * `422 invalid_parameter` (columns), `503 connector_unavailable`, `504 query_timeout`.
 */
export async function profilePostgres(connectors: ConnectorRegistry, d: Dataset, req: PgProfileRequest): Promise<ProfileAnswer> {
  if (req.readAt.version !== null || req.readAt.asOf !== null) assertDeltaDataset(d, 'time travel (version, as_of)')
  const src = pgSourceOf(d)
  const raw = selectProfileColumns(src.columns.map((c) => c.field), req.columns)
  const view = maskingViewOf(d, req.caller, src.columns.map((c) => c.field))
  const names = raw.map((f) => f.name)
  const key: ProfileCacheKey = { datasetId: d.id, version: null, columns: names, top: req.top, view: profileViewKey(view) }
  return profileCache.getOrCompute(key, req.signal, async (signal) => {
    const rt = connectors.runtime(d.org, src.connectorId)
    rt.assertAvailable()
    // every profiled column has a base expression, so a masked one can never fall back to its raw value
    const base = valueExpressions(src.columns)
    for (const f of raw) if (!base.has(f.name)) base.set(f.name, quoteIdent(f.name))
    const masked = maskProfileExpressions(view, raw, base, SALT_PARAM)
    const maskedSet = new Set(maskedNames(view, names))
    const columns: PgProfileColumn[] = maskProfileFields(view, raw).map((f) => ({
      field: f, expr: masked.expressions.get(f.name)!, masked: maskedSet.has(f.name),
    }))
    const from = fromClause(src)
    const params = masked.usesSalt ? [req.salt] : []
    const done = await rt.withClient((c) => runProfile(c, from, src.sourceTable, columns, req.top, req.sampleRows, params), signal)
    const profile: CachedProfile = { ...done, version: null }
    return { profile, ttlMs: profileTtlMs(d.settings.profile_cache_ttl) }
  })
}
