/**
 * BigQuery column types → our logical types (proto/BIGQUERY.md, "Type mapping"), from the
 * REST TableFieldSchema of a dry run or tables.get. Pure.
 *
 * | BigQuery                          | Field                | note |
 * |-----------------------------------|----------------------|------|
 * | INT64 / INTEGER                   | int64                | |
 * | FLOAT64 / FLOAT                   | float64              | |
 * | NUMERIC, NUMERIC(p[,s])           | decimal(38,9), decimal(p,s) | |
 * | BIGNUMERIC(p[,s]) with p ≤ 38     | decimal(p,s)         | |
 * | BIGNUMERIC (76.76 digits, scale 38), BIGNUMERIC(p>38) | string | **decision**: exact decimal text. A `decimal(38,·)` could not hold every value (76 digits) and would round or overflow silently; text never loses a digit. Filters/orders compare as text. |
 * | BOOL / BOOLEAN                    | boolean              | |
 * | STRING, STRING(n)                 | string               | |
 * | BYTES, BYTES(n)                   | binary               | |
 * | DATE                              | date                 | |
 * | DATETIME                          | timestamp            | **decision**: the wall clock read as UTC (as a PostgreSQL `timestamp`); value expression `TIMESTAMP(c, 'UTC')` |
 * | TIME                              | time                 | µs |
 * | TIMESTAMP                         | timestamp            | µs, UTC |
 * | GEOGRAPHY                         | string               | WKT, `ST_ASTEXT(c)` |
 * | JSON                              | json                 | `TO_JSON_STRING(c)` |
 * | ARRAY<…> (mode REPEATED), STRUCT / RECORD | json         | JSON text, `TO_JSON_STRING(c)` |
 * | INTERVAL, RANGE<…>, anything else | string               | `CAST(c AS STRING)` |
 */
import type { Field, LogicalType } from '../../proto/types.js'
import type { BigQuerySourceColumn } from '../../proto/bigquery.js'

/** A REST TableFieldSchema (only what the mapping reads). */
export interface BqRestField {
  name: string
  type: string
  mode?: string
  fields?: BqRestField[]
  precision?: string | number
  scale?: string | number
  maxLength?: string | number
  rangeElementType?: { type?: string }
}

const SCALAR_NAMES: Record<string, string> = {
  INTEGER: 'INT64', INT64: 'INT64', FLOAT: 'FLOAT64', FLOAT64: 'FLOAT64', BOOLEAN: 'BOOL', BOOL: 'BOOL',
  RECORD: 'STRUCT', STRUCT: 'STRUCT',
}

const canonical = (t: string) => SCALAR_NAMES[t.toUpperCase()] ?? t.toUpperCase()

/** The GoogleSQL type text of a REST field: `INT64`, `NUMERIC(12, 2)`, `ARRAY<STRING>`, `STRUCT<a INT64, b ARRAY<STRING>>`. */
export function bqTypeText(f: BqRestField): string {
  const t = canonical(f.type)
  let inner: string
  if (t === 'STRUCT') inner = `STRUCT<${(f.fields ?? []).map((c) => `${c.name} ${bqTypeText(c)}`).join(', ')}>`
  else if ((t === 'NUMERIC' || t === 'BIGNUMERIC') && f.precision !== undefined) inner = `${t}(${f.precision}${f.scale !== undefined ? `, ${f.scale}` : ''})`
  else if ((t === 'STRING' || t === 'BYTES') && f.maxLength !== undefined) inner = `${t}(${f.maxLength})`
  else if (t === 'RANGE') inner = `RANGE<${canonical(f.rangeElementType?.type ?? 'DATE')}>`
  else inner = t
  return f.mode === 'REPEATED' ? `ARRAY<${inner}>` : inner
}

/** How one column decodes: the Field of BIGQUERY.md's mapping. */
export function mapBqField(f: BqRestField): BigQuerySourceColumn {
  const t = canonical(f.type)
  const nullable = f.mode !== 'REQUIRED'
  const field = (type: LogicalType, extra: Partial<Field> = {}): Field => ({ name: f.name, type, nullable, ...extra })
  const bqType = bqTypeText(f)
  if (f.mode === 'REPEATED' || t === 'STRUCT' || t === 'JSON') return { name: f.name, bqType, field: field('json') }
  switch (t) {
    case 'INT64': return { name: f.name, bqType, field: field('int64') }
    case 'FLOAT64': return { name: f.name, bqType, field: field('float64') }
    case 'NUMERIC': {
      if (f.precision === undefined) return { name: f.name, bqType, field: field('decimal', { precision: 38, scale: 9 }) }
      return { name: f.name, bqType, field: field('decimal', { precision: Number(f.precision), scale: Number(f.scale ?? 0) }) }
    }
    case 'BIGNUMERIC': {
      const p = f.precision === undefined ? null : Number(f.precision)
      if (p !== null && p <= 38) return { name: f.name, bqType, field: field('decimal', { precision: p, scale: Number(f.scale ?? 0) }) }
      return { name: f.name, bqType, field: field('string') }
    }
    case 'BOOL': return { name: f.name, bqType, field: field('boolean') }
    case 'STRING': return { name: f.name, bqType, field: field('string') }
    case 'BYTES': return { name: f.name, bqType, field: field('binary') }
    case 'DATE': return { name: f.name, bqType, field: field('date') }
    case 'DATETIME': return { name: f.name, bqType, field: field('timestamp') }
    case 'TIME': return { name: f.name, bqType, field: field('time') }
    case 'TIMESTAMP': return { name: f.name, bqType, field: field('timestamp') }
    case 'GEOGRAPHY': return { name: f.name, bqType, field: field('string') }
    default: return { name: f.name, bqType, field: field('string') } // INTERVAL, RANGE<…>, future types: text
  }
}

/**
 * The value expression of a source column over its quoted reference `ref` (e.g.
 * `` `src`.`c` ``): where type conversions happen (BIGQUERY.md, type mapping table).
 */
export function bqValueExpr(ref: string, c: Pick<BigQuerySourceColumn, 'bqType' | 'field'>): string {
  const t = c.bqType
  if (t.startsWith('ARRAY<') || t.startsWith('STRUCT<') || t === 'JSON') return `TO_JSON_STRING(${ref})`
  if (t === 'DATETIME') return `TIMESTAMP(${ref}, 'UTC')`
  if (t === 'GEOGRAPHY') return `ST_ASTEXT(${ref})`
  if (c.field.type === 'string' && !t.startsWith('STRING')) return `CAST(${ref} AS STRING)` // BIGNUMERIC, INTERVAL, RANGE
  return ref
}
