/**
 * The GoogleSQL of a BigQuery profile (src/connectors/profile-bigquery.ts runs it): the same
 * statistics as the PostgreSQL profile (src/connectors/profile-sql.ts), in at most four jobs
 * over the profiled rows `r` (a WITH clause):
 *
 *   1. scalar: COUNT(*), per column COUNT, COUNT(DISTINCT) (exact), MIN/MAX (LOGICAL_AND/OR
 *      for BOOL, UNIX_MICROS for TIMESTAMP), AVG/STDDEV_SAMP for numbers, lengths for strings;
 *   2. quantiles: PERCENTILE_CONT(CAST(c AS FLOAT64), p) OVER () (exact, linear interpolation
 *      like PostgreSQL's percentile_cont; BigQuery has it as an analytic function only);
 *   3. top values: one UNION ALL arm per column (`k` the column index, `s` the value as
 *      STRING, `f` a FLOAT64 value: floats keep their REST text, never CAST to STRING);
 *   4. histograms: counts per TIMESTAMP_TRUNC(..., 'UTC') bucket as UNIX_MICROS (empty
 *      buckets are filled in by the caller).
 *
 * Every value a caller supplies (salt, top) is a named query parameter (the sample percentage,
 * computed from row counts, is a numeric literal);
 * identifiers are backtick-quoted; column aliases are `c<i>`. Pure.
 */
import type { Field } from '../../proto/types.js'
import type { HistogramBucket } from '../connectors/profile-sql.js'
import { quoteIdent, type BigQueryRestParameter } from './bigquery-sql.js'

/** One profiled column: its field as the caller sees it, its (masked) value expression over `src`. */
export interface BqProfileColumn { field: Field; expr: string; masked: boolean }

/** Full read, or a block sample of a table (TABLESAMPLE SYSTEM; each job draws its own blocks). */
export type BqSampling = { method: 'none' } | { method: 'tablesample_system'; fraction: number }

export const TOP_PARAM = 'top_n'

const isNumber = (f: Field) => ['int16', 'int32', 'int64', 'float32', 'float64', 'decimal'].includes(f.type)
const isString = (f: Field) => f.type === 'string' || f.type === 'json'
const isFloat = (f: Field) => f.type === 'float32' || f.type === 'float64'
const c = (i: number) => quoteIdent(`c${i}`)
const a = (name: string) => quoteIdent(name)

/** `WITH r AS (SELECT <expr> AS c0, ... FROM <from> AS src [TABLESAMPLE ...])` */
export function rowsCte(from: string, columns: readonly BqProfileColumn[], sampling: BqSampling): string {
  const select = columns.length === 0 ? '1 AS `c_`' : columns.map((col, i) => `${col.expr} AS ${c(i)}`).join(', ')
  const sample = sampling.method === 'tablesample_system' ? ` TABLESAMPLE SYSTEM (${samplePercent(sampling.fraction)} PERCENT)` : ''
  return `WITH ${a('r')} AS (SELECT ${select} FROM ${from} AS ${a('src')}${sample})`
}

/**
 * The percentage as a numeric literal: computed from row counts, never a caller's value (as
 * PostgreSQL's TABLESAMPLE), and a literal runs on the fake too (DuckDB takes no parameter there).
 */
export function samplePercent(fraction: number): string {
  return Number(Math.min(100, Math.max(0.000001, fraction * 100)).toPrecision(6)).toString()
}

function minMax(x: string, f: Field): [string, string] {
  if (f.type === 'boolean') return [`LOGICAL_AND(${x})`, `LOGICAL_OR(${x})`]
  // TIMESTAMP cells as exact µs (the REST float-seconds form would round)
  if (f.type === 'timestamp') return [`UNIX_MICROS(MIN(${x}))`, `UNIX_MICROS(MAX(${x}))`]
  return [`MIN(${x})`, `MAX(${x})`]
}

/** One row: `n`, and per column i `i_count`, `i_distinct`, `i_min`, `i_max`, ... (PostgreSQL's names). */
export function scalarSql(cte: string, columns: readonly BqProfileColumn[]): string {
  const out = [`COUNT(*) AS ${a('n')}`]
  columns.forEach((col, i) => {
    const x = c(i)
    const [lo, hi] = minMax(x, col.field)
    out.push(`COUNT(${x}) AS ${a(`${i}_count`)}`, `COUNT(DISTINCT ${x}) AS ${a(`${i}_distinct`)}`, `${lo} AS ${a(`${i}_min`)}`, `${hi} AS ${a(`${i}_max`)}`)
    if (isNumber(col.field)) {
      out.push(`AVG(${x}) AS ${a(`${i}_mean`)}`, `STDDEV_SAMP(${x}) AS ${a(`${i}_stddev`)}`)
    }
    if (isString(col.field)) {
      out.push(`MIN(LENGTH(${x})) AS ${a(`${i}_minlen`)}`, `MAX(LENGTH(${x})) AS ${a(`${i}_maxlen`)}`,
        `AVG(LENGTH(${x})) AS ${a(`${i}_meanlen`)}`, `COUNTIF(${x} = '') AS ${a(`${i}_empty`)}`)
    }
  })
  return `${cte} SELECT ${out.join(', ')} FROM ${a('r')}`
}

export const QUANTILES = [0.25, 0.5, 0.75] as const

/** One row (none for no rows): `q<i>_<j>` per numeric column i and quantile j. Null when `indexes` is empty. */
export function quantilesSql(cte: string, indexes: readonly number[]): string | null {
  if (indexes.length === 0) return null
  const out = indexes.flatMap((i) => QUANTILES.map((p, j) => `PERCENTILE_CONT(CAST(${c(i)} AS FLOAT64), ${p}) OVER () AS ${a(`q${i}_${j}`)}`))
  return `${cte} SELECT ${out.join(', ')} FROM ${a('r')} LIMIT 1`
}

/**
 * The `@top_n` most frequent non-null values of each listed column, ties by value (BigQuery
 * orders STRING by code point, as PostgreSQL's COLLATE "C"). Rows: `k`, `s`, `f`, `n`.
 */
export function topValuesSql(cte: string, columns: readonly BqProfileColumn[], indexes: readonly number[]): string | null {
  if (indexes.length === 0) return null
  const arms = indexes.map((i) => {
    const x = c(i)
    const f = columns[i]!.field
    const s = isFloat(f) ? 'CAST(NULL AS STRING)' : `CAST(${x} AS STRING)`
    const fl = isFloat(f) ? x : 'CAST(NULL AS FLOAT64)'
    return `(SELECT ${i} AS ${a('k')}, ${s} AS ${a('s')}, ${fl} AS ${a('f')}, COUNT(*) AS ${a('n')} FROM ${a('r')} WHERE ${x} IS NOT NULL ` +
      `GROUP BY ${x} ORDER BY ${a('n')} DESC, ${x} LIMIT @${TOP_PARAM})`
  })
  return `${cte} ${arms.join(' UNION ALL ')}`
}

export function topParam(top: number): BigQueryRestParameter {
  return { name: TOP_PARAM, parameterType: { type: 'INT64' }, parameterValue: { value: String(Math.floor(top)) } }
}

const UNIT: Record<HistogramBucket, string> = { hour: 'HOUR', day: 'DAY', week: 'WEEK(MONDAY)', month: 'MONTH', year: 'YEAR' }

/** Rows `k`, `b` (bucket start, µs since epoch UTC), `n` for each listed temporal column. */
export function histogramSql(cte: string, columns: readonly BqProfileColumn[], buckets: ReadonlyMap<number, HistogramBucket>): string | null {
  if (buckets.size === 0) return null
  const arms = [...buckets].map(([i, bucket]) => {
    const x = c(i)
    const ts = columns[i]!.field.type === 'date' ? `TIMESTAMP(${x})` : x
    return `SELECT ${i} AS ${a('k')}, UNIX_MICROS(TIMESTAMP_TRUNC(${ts}, ${UNIT[bucket]}, 'UTC')) AS ${a('b')}, COUNT(*) AS ${a('n')} ` +
      `FROM ${a('r')} WHERE ${x} IS NOT NULL GROUP BY ${a('b')}`
  })
  return `${cte} ${arms.join(' UNION ALL ')}`
}

export { isNumber as isBqNumberField, isFloat as isBqFloatField }
