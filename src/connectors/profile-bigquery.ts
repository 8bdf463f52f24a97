/**
 * GET /api/datasets/{name}/profile for BigQuery-backed datasets: pushed down as GoogleSQL
 * (src/query/bigquery-profile-sql.ts), the same fields and semantics as the PostgreSQL
 * profile (profile-postgres.ts): exact COUNT(DISTINCT), exact quantiles (PERCENTILE_CONT),
 * top values ranked by count then value, date/timestamp histograms with the bucket rule of
 * profile-sql.ts histogramBucket and every empty bucket between the first and last included.
 *
 * Cost guard: the scalar statement (it reads every profiled column: no later statement reads
 * more) is dry-run first and refused with 422 query_too_expensive over the connector's
 * maximum_bytes_billed; every job also carries maximumBytesBilled. The jobs run one after
 * another holding one of the connector's job slots (pool_size), as an explore stream does. Sampling: a source table
 * whose row count (tables.get at registration) is over `sampleRows` is read with
 * `TABLESAMPLE SYSTEM (<percent> PERCENT)`; BigQuery has no REPEATABLE, so each of the
 * (at most four) jobs draws its own blocks — the answer says `sample` and every sketch-like
 * field is marked approximate. Source queries are always read in full.
 *
 * Masking: the profiled rows select each masked column through its BigQuery masking SQL
 * (bigquery-explore.ts bqSourceView: the salt is the `@mask_salt` parameter), so every job
 * aggregates masked values only. Cached like PostgreSQL profiles (profile_cache_ttl, per view).
 *
 * I/O; main thread (aggregates only).
 */
import type { BigQueryRestParameter } from '../query/bigquery-sql.js'
import { FLOAT_TYPES, INTEGER_TYPES, type Field } from '../../proto/types.js'
import type { Dataset } from '../catalog/index.js'
import { normalizeDecimal } from '../lakehouse/temporal.js'
import {
  QUANTILES, histogramSql, isBqNumberField, quantilesSql, rowsCte, scalarSql, topParam, topValuesSql,
  type BqProfileColumn, type BqSampling,
} from '../query/bigquery-profile-sql.js'
import { bqFromClause, bqSourceOf, bqSourceView } from './bigquery-explore.js'
import { assertAffordable } from './bigquery-register.js'
import { dryRunBytes, rowObjects, runBqAggregate } from './bigquery-dataset.js'
import type { ConnectorRegistry } from './connector-registry.js'
import { assertDeltaDataset } from './lakehouse.js'
import { profileCache, profileTtlMs, type CachedProfile, type ProfileCacheKey } from './profile-cache.js'
import { maskedNames, maskingViewOf, profileViewKey, taskMasksOf } from './profile-masking.js'
import { selectProfileColumns, type ProfileAnswer } from './profile.js'
import { columnJson, hasTopValues, histogramBucket, type HistogramBucket, type PgColumnResult } from './profile-sql.js'
import type { PgProfileRequest } from './profile-postgres.js'

type Text = string | null

/** µs since epoch (text) → `YYYY-MM-DDTHH:MM:SS.ffffffZ` (PostgreSQL profile's timestamp text). */
export function isoMicrosText(us: string): string {
  const v = BigInt(us)
  const ms = v >= 0n ? v / 1000n : -((-v + 999n) / 1000n)
  const frac = (v - ms * 1000n).toString().padStart(3, '0')
  return new Date(Number(ms)).toISOString().replace(/Z$/, `${frac}Z`)
}

/** A BigQuery REST value of field `f` → the wire text profile-sql.ts valueJson reads. */
export function wireText(t: Text, f: Field, microsTimestamps: boolean): Text {
  if (t === null) return null
  if (FLOAT_TYPES.has(f.type)) return floatText(t)
  if (INTEGER_TYPES.has(f.type)) return t
  switch (f.type) {
    case 'decimal': return normalizeDecimal(t, f.scale ?? 0, f.precision ?? 38) ?? t
    case 'timestamp': return microsTimestamps && /^-?\d+$/.test(t) ? isoMicrosText(t) : t
    case 'time': {
      const [hms, frac = ''] = t.split('.')
      return `${hms}.${(frac + '000000').slice(0, 6)}`
    }
    default: return t
  }
}

/** A FLOAT64 REST text (Java or JS notation) → JS's shortest round-trip text; NaN/±Infinity kept. */
export function floatText(t: Text): Text {
  if (t === null) return null
  const n = Number(t)
  if (Number.isNaN(n)) return 'NaN'
  if (n === Infinity) return 'Infinity'
  if (n === -Infinity) return '-Infinity'
  return String(n)
}

/** The histogram bins from the first to the last bucket, empty ones included (bucket starts in µs). */
export function fillBins(counts: ReadonlyMap<bigint, number>, bucket: HistogramBucket, isDate: boolean): { start: string; n: string }[] {
  if (counts.size === 0) return []
  const keys = [...counts.keys()].sort((x, y) => (x < y ? -1 : x > y ? 1 : 0))
  const hi = keys[keys.length - 1]!
  const step: Record<string, bigint> = { hour: 3_600_000_000n, day: 86_400_000_000n, week: 7n * 86_400_000_000n }
  const next = (b: bigint): bigint => {
    if (step[bucket] !== undefined) return b + step[bucket]!
    const d = new Date(Number(b / 1000n))
    const n = bucket === 'month' ? Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1) : Date.UTC(d.getUTCFullYear() + 1, 0, 1)
    return BigInt(n) * 1000n
  }
  const out: { start: string; n: string }[] = []
  for (let b = keys[0]!; b <= hi; b = next(b)) {
    const iso = isoMicrosText(b.toString())
    out.push({ start: isDate ? iso.slice(0, 10) : iso, n: String(counts.get(b) ?? 0) })
  }
  return out
}

/** Full read, or a block sample of a table with more than `sampleRows` rows. Pure. */
export function chooseBqSampling(sourceTable: string | null, rowCount: number | null, sampleRows: number): BqSampling {
  if (sourceTable === null || rowCount === null || rowCount <= sampleRows) return { method: 'none' }
  return { method: 'tablesample_system', fraction: sampleRows / rowCount }
}

/** The parameters `sql` mentions (`@name`): a job is sent only those. */
export function usedParams(sql: string, params: readonly BigQueryRestParameter[]): BigQueryRestParameter[] {
  return params.filter((p) => new RegExp(`@${String(p.name)}\\b`).test(sql))
}

interface Run {
  sql: (text: string, params: BigQueryRestParameter[]) => Promise<Record<string, Text>[]>
}

/** Runs the profile jobs; returns the finished profile (without version). */
async function runProfile(run: Run, cte: string, params: BigQueryRestParameter[], columns: BqProfileColumn[], top: number, sampling: BqSampling, scalar: string): Promise<Omit<CachedProfile, 'version'>> {
  const stats: Record<string, Text> = (await run.sql(scalar, params))[0] ?? {}
  const rowCount = Number(stats.n ?? 0)
  // REST text → the wire text columnJson reads
  columns.forEach((col, i) => {
    for (const k of ['min', 'max']) stats[`${i}_${k}`] = wireText(stats[`${i}_${k}`] ?? null, col.field, true)
    for (const k of ['mean', 'stddev', 'meanlen']) if (`${i}_${k}` in stats) stats[`${i}_${k}`] = floatText(stats[`${i}_${k}`] ?? null)
  })
  const numeric = columns.flatMap((c, i) => (isBqNumberField(c.field) ? [i] : []))
  const withTop = columns.flatMap((c, i) => (hasTopValues(c.field, Number(stats[`${i}_distinct`] ?? 0)) ? [i] : []))
  const buckets = new Map<number, HistogramBucket>()
  columns.forEach((c, i) => {
    const lo = stats[`${i}_min`]
    const hi = stats[`${i}_max`]
    if ((c.field.type === 'date' || c.field.type === 'timestamp') && lo && hi && Number.isFinite(Date.parse(lo)) && Number.isFinite(Date.parse(hi))) {
      buckets.set(i, histogramBucket(lo, hi, c.field.type === 'date'))
    }
  })
  const qSql = quantilesSql(cte, numeric)
  const tSql = topValuesSql(cte, columns, withTop)
  const hSql = histogramSql(cte, columns, buckets)
  // one after another: the profile holds one of the connector's job slots (pool_size)
  const qRows = qSql ? await run.sql(qSql, params) : []
  const tRows = tSql ? await run.sql(tSql, [...params, topParam(top)]) : []
  const hRows = hSql ? await run.sql(hSql, params) : []
  const q = qRows[0] ?? {}
  for (const i of numeric) {
    // PostgreSQL's float8[] text, which columnJson parses
    stats[`${i}_q`] = `{${QUANTILES.map((_, j) => floatText(q[`q${i}_${j}`] ?? null) ?? 'NULL').join(',')}}`
  }
  const parts = columns.map((col, i) => {
    const result: PgColumnResult = { stats, top: null, histogram: null }
    if (withTop.includes(i)) {
      result.top = tRows.filter((r) => Number(r.k) === i)
        .map((r) => ({ v: wireText(r.s ?? r.f ?? null, col.field, false), n: r.n ?? '0' }))
    }
    const bucket = buckets.get(i)
    if (bucket) {
      const counts = new Map(hRows.filter((r) => Number(r.k) === i).map((r) => [BigInt(r.b!), Number(r.n)] as const))
      result.histogram = { bucket, bins: fillBins(counts, bucket, col.field.type === 'date') }
    }
    return columnJson(i, col, rowCount, result, sampling.method !== 'none')
  })
  return {
    rowCount, columnsJson: `[${parts.join(',')}]`, computedAt: new Date().toISOString(),
    sample: sampling.method === 'none' ? null : { method: sampling.method, fraction: sampling.fraction },
  }
}

/**
 * The profile of a BigQuery-backed dataset, from the cache while younger than the dataset's
 * profile_cache_ttl. Throws `422 not_a_delta_table` (version/as_of), `422 invalid_parameter`
 * (columns), `422 query_too_expensive`, `422 invalid_query`, `503 connector_unavailable`, 429.
 */
export async function profileBigQuery(connectors: Pick<ConnectorRegistry, 'bigQueryRuntime'>, d: Dataset, req: PgProfileRequest): Promise<ProfileAnswer> {
  if (req.readAt.version !== null || req.readAt.asOf !== null) assertDeltaDataset(d, 'time travel (version, as_of)')
  const src = bqSourceOf(d)
  const rawFields = src.columns.map((c) => c.field)
  const raw = selectProfileColumns(rawFields, req.columns)
  const view = maskingViewOf(d, req.caller, rawFields)
  const names = raw.map((f) => f.name)
  const key: ProfileCacheKey = { datasetId: d.id, version: null, columns: names, top: req.top, view: profileViewKey(view) }
  return profileCache.getOrCompute(key, req.signal, async (signal) => {
    const rt = connectors.bigQueryRuntime(d.org, src.connectorId)
    const conn = rt.connection()
    const sv = bqSourceView(src.columns, taskMasksOf(view, req.salt) ?? null)
    const maskedSet = new Set(maskedNames(view, names))
    const columns: BqProfileColumn[] = names.map((n) => ({ field: { ...sv.fields.get(n)!, name: n }, expr: sv.columns.get(n)!, masked: maskedSet.has(n) }))
    const sampling = chooseBqSampling(src.sourceTable, d.rowCount, req.sampleRows)
    const cte = rowsCte(bqFromClause(src, conn.projectId), columns, sampling)
    const params = sv.params
    const scalar = scalarSql(cte, columns)
    assertAffordable(rt, await dryRunBytes(conn, rt.id, scalar, usedParams(scalar, params), signal))
    const run: Run = { sql: async (text, p) => rowObjects(await runBqAggregate(conn, rt.id, text, usedParams(text, p), signal)) }
    const release = await rt.acquire(signal)
    let done: Omit<CachedProfile, 'version'>
    try {
      done = await runProfile(run, cte, params, columns, req.top, sampling, scalar)
    } finally {
      release()
    }
    return { profile: { ...done, version: null }, ttlMs: profileTtlMs(d.settings.profile_cache_ttl) }
  })
}
