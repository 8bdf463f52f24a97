/**
 * The SQL of a PostgreSQL profile (profile-postgres.ts runs it) and the JSON text of the
 * finished columns. Every aggregate comes back as text (`::text`, `to_char`), and the JSON is
 * built from that text, so int64 and decimal digits stay exact and floats keep PostgreSQL's
 * shortest round-trip form (the session sets extra_float_digits=3).
 *
 * Pure; main thread (aggregates only: a bounded number of values, never rows).
 */
import { typeName, INTEGER_TYPES, FLOAT_TYPES, type Field } from '../../proto/types.js'
import type { ColumnProfile } from '../../proto/profile.js'

/** Top values are given for columns with at most this many distinct values (proto/profile.ts). */
export const TOP_VALUES_MAX_DISTINCT = 1000

/** How the rows are read: all, a block sample of a table, or a random filter over a query. */
export type PgSampling =
  | { method: 'none' }
  | { method: 'tablesample_system'; fraction: number }
  | { method: 'random'; fraction: number }

/**
 * One profiled column: its field as the caller sees it (masked type), its SQL value expression
 * over the source's columns (already masked for a masked column), and whether it is masked.
 */
export interface PgProfileColumn { field: Field; expr: string; masked?: boolean }

const isNumber = (f: Field) => INTEGER_TYPES.has(f.type) || FLOAT_TYPES.has(f.type) || f.type === 'decimal'
const isString = (f: Field) => f.type === 'string' || f.type === 'json'
const isTemporal = (f: Field) => f.type === 'date' || f.type === 'timestamp'
/**
 * Whether a column gets top values: strings and booleans always, numbers with at most
 * TOP_VALUES_MAX_DISTINCT distinct values (as the profile workers).
 */
export function hasTopValues(f: Field, distinct: number): boolean {
  if (isString(f) || f.type === 'boolean') return true
  return isNumber(f) && distinct <= TOP_VALUES_MAX_DISTINCT
}

const pct = (fraction: number) => Math.min(100, Math.max(0.000001, fraction * 100)).toPrecision(6)

/**
 * The rows profiled: `SELECT <expr> AS "c0", ... FROM <from> AS "src" [sampling]`. A block
 * sample (TABLESAMPLE SYSTEM ... REPEATABLE) and the random filter (after setseed) pick the
 * same rows in every statement of the profile's transaction.
 */
export function rowsSql(from: string, columns: readonly PgProfileColumn[], sampling: PgSampling): string {
  const select = columns.map((c, i) => `${c.expr} AS "c${i}"`).join(', ')
  switch (sampling.method) {
    case 'none': return `SELECT ${select} FROM ${from} AS "src"`
    case 'tablesample_system': return `SELECT ${select} FROM ${from} AS "src" TABLESAMPLE SYSTEM (${pct(sampling.fraction)}) REPEATABLE (42)`
    case 'random': return `SELECT ${select} FROM ${from} AS "src" WHERE random() < ${sampling.fraction.toPrecision(6)}`
  }
}

/** An aggregate of the column's type as API.md wire text (JSON is built from it). */
function wireText(x: string, f: Field): string {
  switch (f.type) {
    case 'timestamp': return `to_char((${x}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    case 'time': return `to_char(DATE '2000-01-01' + (${x}), 'HH24:MI:SS.US')`
    case 'binary': return `translate(encode(${x}, 'base64'), E'\\n', '')`
    default: return `(${x})::text`
  }
}

function minMax(col: string, f: Field): [string, string] {
  if (f.type === 'boolean') return [`bool_and(${col})`, `bool_or(${col})`]
  if (isString(f)) return [`min(${col} COLLATE "C")`, `max(${col} COLLATE "C")`]
  // no min(bytea): hex text orders like the bytes (two digits per byte, 0-9 < a-f in "C")
  if (f.type === 'binary') return [`decode(min(encode(${col}, 'hex') COLLATE "C"), 'hex')`, `decode(max(encode(${col}, 'hex') COLLATE "C"), 'hex')`]
  return [`min(${col})`, `max(${col})`]
}

/**
 * The one statement of scalar stats over every column. Output: one row; `n` the row count,
 * and per column i `i_<stat>` (text). Quantiles are one float8[] per column (one sort).
 */
export function scalarSql(rows: string, columns: readonly PgProfileColumn[]): string {
  const out = ['count(*)::text AS "n"']
  columns.forEach((c, i) => {
    const col = `"c${i}"`
    const [lo, hi] = minMax(col, c.field)
    out.push(`count(${col})::text AS "${i}_count"`, `count(DISTINCT ${col})::text AS "${i}_distinct"`,
      `${wireText(lo, c.field)} AS "${i}_min"`, `${wireText(hi, c.field)} AS "${i}_max"`)
    if (isNumber(c.field)) {
      out.push(`(avg(${col})::float8)::text AS "${i}_mean"`, `(stddev_samp(${col})::float8)::text AS "${i}_stddev"`,
        `(percentile_cont(ARRAY[0.25, 0.5, 0.75]) WITHIN GROUP (ORDER BY ${col}::float8))::text AS "${i}_q"`)
    }
    if (isString(c.field)) {
      out.push(`min(length(${col}))::text AS "${i}_minlen"`, `max(length(${col}))::text AS "${i}_maxlen"`,
        `(avg(length(${col}))::float8)::text AS "${i}_meanlen"`, `(count(*) FILTER (WHERE ${col} = ''))::text AS "${i}_empty"`)
    }
  })
  return `SELECT ${out.join(', ')} FROM (${rows}) AS "t"`
}

/** The `top` most frequent non-null values of column i, ties by value (code point order for strings). */
export function topValuesSql(rows: string, i: number, f: Field, top: number): string {
  const col = `"c${i}"`
  const order = isString(f) ? `${col} COLLATE "C"` : col
  return `SELECT ${wireText(col, f)} AS "v", count(*)::text AS "n" FROM (${rows}) AS "t" WHERE ${col} IS NOT NULL ` +
    `GROUP BY ${col} ORDER BY count(*) DESC, ${order} LIMIT ${Math.floor(top)}`
}

export type HistogramBucket = 'hour' | 'day' | 'week' | 'month' | 'year'

/** Most bins a histogram has, unless even yearly buckets need more (as the profile workers). */
export const HISTOGRAM_BINS = 100

/**
 * The histogram bucket for values between `min` and `max` (wire text): the finest of hour
 * (timestamps only), day, week (Monday), month, year giving at most HISTOGRAM_BINS bins —
 * the rule of workers/kernels/profile/histogram.ts, so both engines choose alike.
 */
export function histogramBucket(min: string, max: string, isDate: boolean): HistogramBucket {
  const lo = Date.parse(isDate ? `${min}T00:00:00Z` : min)
  const hi = Date.parse(isDate ? `${max}T00:00:00Z` : max)
  const hourOf = (ms: number) => Math.floor(ms / 3_600_000)
  const dayOf = (ms: number) => Math.floor(ms / 86_400_000)
  const weekOf = (ms: number) => Math.floor((dayOf(ms) + 3) / 7) // 1970-01-01 is a Thursday
  const monthOf = (ms: number) => { const d = new Date(ms); return d.getUTCFullYear() * 12 + d.getUTCMonth() }
  const fits = (f: (ms: number) => number) => f(hi) - f(lo) + 1 <= HISTOGRAM_BINS
  if (!isDate && fits(hourOf)) return 'hour'
  if (fits(dayOf)) return 'day'
  if (fits(weekOf)) return 'week'
  if (fits(monthOf)) return 'month'
  return 'year'
}

/**
 * Counts per bucket from the first to the last non-empty bucket, empty buckets included,
 * in order. Works on UTC wall time (`timestamp without time zone`); weeks start Monday.
 */
export function histogramSql(rows: string, i: number, f: Field, bucket: HistogramBucket): string {
  const col = `"c${i}"`
  const wall = f.type === 'timestamp' ? `(${col} AT TIME ZONE 'UTC')` : `(${col})::timestamp`
  const fmt = f.type === 'date' ? 'YYYY-MM-DD' : 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'
  return `WITH "v" AS (SELECT date_trunc('${bucket}', ${wall}) AS "b" FROM (${rows}) AS "t" WHERE ${col} IS NOT NULL), ` +
    `"r" AS (SELECT min("b") AS "lo", max("b") AS "hi" FROM "v"), ` +
    `"g" AS (SELECT "s" FROM "r", generate_series("r"."lo", "r"."hi", interval '1 ${bucket}') AS "s"), ` +
    `"c" AS (SELECT "b", count(*) AS "n" FROM "v" GROUP BY "b") ` +
    `SELECT to_char("g"."s", '${fmt}') AS "start", COALESCE("c"."n", 0)::text AS "n" FROM "g" LEFT JOIN "c" ON "c"."b" = "g"."s" ORDER BY "g"."s"`
}

// ---- JSON text ----

type Text = string | null

/** A float's text as JSON: NaN and ±Infinity as strings (API.md), null as null. */
export function floatJson(t: Text): string {
  if (t === null) return 'null'
  if (t === 'NaN' || t === 'Infinity' || t === '-Infinity') return JSON.stringify(t)
  return t
}

/** A value's wire text (wireText above) as JSON of its logical type. */
export function valueJson(t: Text, f: Field): string {
  if (t === null) return 'null'
  if (INTEGER_TYPES.has(f.type)) return t
  if (FLOAT_TYPES.has(f.type)) return floatJson(t)
  if (f.type === 'boolean') return t === 'true' || t === 't' ? 'true' : 'false'
  return JSON.stringify(t)
}

const intJson = (t: Text) => (t === null ? 'null' : String(Number(t)))

function objectJson(entries: [keyof ColumnProfile, string | undefined][]): string {
  return '{' + entries.filter(([, v]) => v !== undefined).map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(',') + '}'
}

/** What the statements returned for one column. */
export interface PgColumnResult {
  stats: Record<string, Text>
  top: { v: Text; n: string }[] | null
  histogram: { bucket: HistogramBucket; bins: { start: string; n: string }[] } | null
}

/** One column's ColumnProfile as JSON text. `sampled` marks the sketch-like fields approximate. */
export function columnJson(i: number, c: PgProfileColumn, rowCount: number, r: PgColumnResult, sampled: boolean): string {
  const s = (k: string): Text => r.stats[`${i}_${k}`] ?? null
  const count = rowCount
  const nonNull = Number(s('count') ?? 0)
  const nulls = count - nonNull
  const f = c.field
  const entries: [keyof ColumnProfile, string | undefined][] = [
    ['name', JSON.stringify(f.name)], ['type', JSON.stringify(typeName(f))], ['masked', String(c.masked === true)],
    ['count', String(count)], ['null_count', String(nulls)], ['null_rate', String(count === 0 ? 0 : nulls / count)],
    ['distinct_count', intJson(s('distinct') ?? '0')], ['distinct_approximate', String(sampled)],
    ['min', valueJson(s('min'), f)], ['max', valueJson(s('max'), f)],
  ]
  if (isNumber(f)) {
    const q = parseFloatArray(s('q'))
    entries.push(['mean', floatJson(s('mean'))], ['stddev', floatJson(s('stddev'))],
      ['p25', floatJson(q?.[0] ?? null)], ['p50', floatJson(q?.[1] ?? null)], ['p75', floatJson(q?.[2] ?? null)],
      ['quantiles_approximate', String(sampled)])
  }
  if (isString(f)) {
    entries.push(['min_length', intJson(s('minlen'))], ['max_length', intJson(s('maxlen'))],
      ['mean_length', floatJson(s('meanlen'))], ['empty_count', intJson(s('empty') ?? '0')])
  }
  if (r.top !== null) {
    entries.push(['top_values', '[' + r.top.map((t) => `{"value":${valueJson(t.v, f)},"count":${Number(t.n)}}`).join(',') + ']'],
      ['top_values_approximate', String(sampled)])
  }
  if (r.histogram !== null) {
    const bins = r.histogram.bins.map((b) => `{"start":${JSON.stringify(b.start)},"count":${Number(b.n)}}`).join(',')
    entries.push(['histogram', `{"bucket":${JSON.stringify(r.histogram.bucket)},"bins":[${bins}]}`])
  }
  return objectJson(entries)
}

/** `{1,2.5,NaN}` (a float8[] as text) → its element texts; null for NULL. */
function parseFloatArray(t: Text): Text[] | null {
  if (t === null) return null
  return t.replace(/^\{|\}$/g, '').split(',').map((x) => (x === 'NULL' ? null : x))
}

export { isNumber as isNumberField, isString as isStringField, isTemporal as isTemporalField }
