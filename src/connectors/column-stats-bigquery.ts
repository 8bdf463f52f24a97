/**
 * Column stats of BigQuery-backed datasets: one GoogleSQL aggregate job grouped by bucket
 * index (after one `MAX` job for the newest time value when the window is anchored there), as
 * column-stats-postgres.ts does for PostgreSQL. The result is small (at most MAX_BUCKETS
 * rows): the main thread turns each row into the partial state the Parquet workers return,
 * and the finish worker fills empty buckets, adds rolling means and writes the body.
 *
 * Buckets: `DIV(UNIX_MICROS(t) - @from_us, @width_us)` over the rows with
 * `@from_us <= UNIX_MICROS(t) < @to_us` (DATE columns as TIMESTAMP(d), midnight UTC; weeks
 * from the Monday origin of bucketOrigin). Distinct counts are exact (COUNT(DISTINCT)).
 * Both jobs hold one of the connector's job slots (pool_size). Cost guard: the bucket
 * statement is dry-run first (422 query_too_expensive over
 * maximum_bytes_billed). Masking: every column the caller sees masked (the time column
 * included) is read through its BigQuery masking SQL; the salt is `@mask_salt`.
 *
 * I/O; main thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { BigQueryRestParameter } from '../query/bigquery-sql.js'
import type { Field } from '../../proto/types.js'
import { BUCKET_MICROS, type ColumnBucketState, type ColumnStatsPartial, type StatValue } from '../../proto/column-stats.js'
import type { Dataset } from '../catalog/index.js'
import { normalizeDecimal, parseTimeMicros } from '../lakehouse/temporal.js'
import type { WorkerPool } from '../pool.js'
import { quoteIdent } from '../query/bigquery-sql.js'
import { bqFromClause, bqSourceOf, bqSourceView } from './bigquery-explore.js'
import { assertAffordable } from './bigquery-register.js'
import { dryRunBytes, rowObjects, runBqAggregate } from './bigquery-dataset.js'
import { bucketRange, finishColumnStats, needsNewest, type ColumnStatsMasking, type ColumnStatsRequest } from './column-stats.js'
import type { ConnectorRegistry } from './connector-registry.js'
import { usedParams } from './profile-bigquery.js'
import { taskMasksOf } from './profile-masking.js'

const int64 = (name: string, v: number | bigint): BigQueryRestParameter => ({ name, parameterType: { type: 'INT64' }, parameterValue: { value: String(v) } })
const NUMERIC = new Set(['int16', 'int32', 'int64', 'float32', 'float64', 'decimal'])

/** µs since epoch of a (masked) time expression. */
const micros = (expr: string, f: Field) => `UNIX_MICROS(${f.type === 'date' ? `TIMESTAMP(${expr})` : expr})`

/** The aggregates of column k (alias `c<k>` in the inner select), named as column-stats-postgres reads them. */
function aggregates(f: Field, k: number): string[] {
  const c = quoteIdent(`c${k}`)
  const as = (name: string) => quoteIdent(`${name}${k}`)
  const out = [`COUNT(${c}) AS ${as('nn')}`, `COUNT(DISTINCT ${c}) AS ${as('d')}`]
  switch (f.type) {
    case 'boolean': out.push(`LOGICAL_AND(${c}) AS ${as('lo')}`, `LOGICAL_OR(${c}) AS ${as('hi')}`); break
    case 'timestamp': out.push(`UNIX_MICROS(MIN(${c})) AS ${as('lo')}`, `UNIX_MICROS(MAX(${c})) AS ${as('hi')}`); break
    case 'json': case 'binary': out.push(`NULL AS ${as('lo')}`, `NULL AS ${as('hi')}`); break
    default: out.push(`MIN(${c}) AS ${as('lo')}`, `MAX(${c}) AS ${as('hi')}`)
  }
  out.push(NUMERIC.has(f.type) ? `AVG(${c}) AS ${as('m')}` : `NULL AS ${as('m')}`)
  return out
}

/** A min/max REST text back in batch representation (proto/batch.ts). */
export function bqStatValue(f: Field, text: string | null): StatValue | null {
  if (text === null) return null
  switch (f.type) {
    case 'int64': case 'timestamp': return BigInt(text)
    case 'int16': case 'int32': case 'float32': case 'float64': return Number(text)
    case 'date': return Math.round(Date.parse(`${text}T00:00:00Z`) / 86_400_000)
    case 'boolean': return text === 'true'
    case 'time': return parseTimeMicros(text)
    case 'decimal': return normalizeDecimal(text, f.scale ?? 0, f.precision ?? 38) ?? text
    default: return text
  }
}

/** Streams the column-stats body of a BigQuery-backed dataset. Throws the mapped BigQuery errors. */
export async function* columnStatsBigQuery(pool: WorkerPool, connectors: Pick<ConnectorRegistry, 'bigQueryRuntime'>, d: Dataset, req: ColumnStatsRequest, masking: ColumnStatsMasking, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const src = bqSourceOf(d)
  const rt = connectors.bigQueryRuntime(d.org, src.connectorId)
  const conn = rt.connection()
  const sv = bqSourceView(src.columns, taskMasksOf(masking.view, masking.salt) ?? null)
  const expr = (f: Field) => {
    const e = sv.columns.get(f.name)
    if (e === undefined) throw new SluiceError(422, 'unsupported_table', `column "${f.name}" is not in the source`)
    return e
  }
  const from = `${bqFromClause(src, conn.projectId)} AS ${quoteIdent('src')}`
  const t = micros(expr(req.timeColumn), req.timeColumn)
  /** The newest time value (when the window is anchored there), then the per-bucket aggregates. */
  const query = async (): Promise<{ range: { from: number; to: number }; rows: Record<string, string | null>[] }> => {
    let newest: number | null = null
    if (needsNewest(req)) {
      const sql = `SELECT MAX(${t}) AS ${quoteIdent('newest')} FROM ${from}`
      const r = rowObjects(await runBqAggregate(conn, rt.id, sql, usedParams(sql, sv.params), signal))
      const v = r[0]?.newest ?? null
      newest = v === null ? null : Number(v)
    }
    const range = bucketRange(req, newest)
    const width = BUCKET_MICROS[req.bucket]
    const inner = req.columns.map((f, k) => `${expr(f)} AS ${quoteIdent(`c${k}`)}`)
    const select = req.columns.flatMap((f, k) => aggregates(f, k))
    // DIV of the parenthesised difference: every bucket index is >= 0 after the WHERE
    const sql = `SELECT ${quoteIdent('b')}, COUNT(*) AS ${quoteIdent('n')}${select.length ? ', ' + select.join(', ') : ''} FROM (` +
      `SELECT DIV((${t} - @from_us), @width_us) AS ${quoteIdent('b')}${inner.length ? ', ' + inner.join(', ') : ''} FROM ${from} ` +
      `WHERE ${t} >= @from_us AND ${t} < @to_us) GROUP BY ${quoteIdent('b')}`
    const params = usedParams(sql, [...sv.params, int64('from_us', range.from), int64('width_us', width), int64('to_us', range.to)])
    assertAffordable(rt, await dryRunBytes(conn, rt.id, sql, params, signal))
    return { range, rows: rowObjects(await runBqAggregate(conn, rt.id, sql, params, signal)) }
  }
  const release = await rt.acquire(signal)
  let result: Awaited<ReturnType<typeof query>>
  try {
    result = await query()
  } finally {
    release()
  }
  const { range, rows } = result
  const buckets: ColumnStatsPartial['buckets'] = {}
  for (const row of rows) {
    const count = Number(row.n)
    const cols: Record<string, ColumnBucketState> = {}
    req.columns.forEach((f, k) => {
      const mean = row[`m${k}`] === null || row[`m${k}`] === undefined ? null : Number(row[`m${k}`])
      const meanOk = mean !== null && !Number.isNaN(mean)
      cols[f.name] = {
        count, nullCount: count - Number(row[`nn${k}`]),
        min: bqStatValue(f, row[`lo${k}`] ?? null), max: bqStatValue(f, row[`hi${k}`] ?? null),
        // one source per bucket: sum/n only carries the mean through to the finish step
        sum: meanOk ? mean : 0, n: meanOk ? 1 : 0,
        distinct: { kind: 'count', n: Number(row[`d${k}`]) },
      }
    })
    buckets[Number(row.b)] = cols
  }
  yield await finishColumnStats(pool, req, masking.view, [{ buckets }], range.from, range.to, signal)
}
