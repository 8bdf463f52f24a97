/**
 * PostgreSQL types → our logical types (proto/types.ts), and the SQL value expression that
 * turns a source column into the canonical value of its logical type. The table is
 * documented in proto/POSTGRES.md; keep the two in step.
 *
 * Rows always reach workers as PostgreSQL text (session: TimeZone=UTC, DateStyle=ISO,
 * IntervalStyle=iso_8601, extra_float_digits=3, bytea_output=hex); the value expression makes
 * that text canonical (timestamps without time zone read as UTC, arrays as JSON text, enums
 * and unknown types as text), so filters, grouping, ordering and (later) masking all work on
 * the same values the client sees.
 *
 * Pure; runs on any thread.
 */
import type { Field, LogicalType } from '../../proto/types.js'

/** What the catalog says about a column's type (pg_type joined for the column's type oid). */
export interface PgTypeInfo {
  oid: number
  /** pg_type.typname, e.g. `int4`, `_text`, `timestamptz`, `my_enum` */
  typname: string
  /** pg_type.typtype: b base, e enum, d domain, c composite, r range, m multirange, p pseudo */
  typtype: string
  /** pg_type.typcategory: A array, N numeric, S string, ... */
  typcategory: string
  /** type modifier of the column (atttypmod / field dataTypeModifier), -1 when none */
  typmod: number
  /** format_type(oid, typmod), e.g. `numeric(12,2)`, `character varying(20)`, `integer[]` */
  formatted: string
}

/**
 * How a column's value expression is built from its quoted reference `c`:
 * - `none`      c
 * - `utc`       (c AT TIME ZONE 'UTC')             timestamp without time zone, read as UTC
 * - `text`      (c)::text                          enums, uuid, interval, unknown types
 * - `json`      to_json(c)::text                   arrays (JSON text)
 * - `jsontext`  (c)::text                          json / jsonb
 * - `numeric`   round(c, 9)                        unconstrained numeric → decimal(38,9)
 * - `money`     (c)::numeric                       money → decimal(38,2)
 * - `int8`      (c)::int8                          oid → int64 (a real int8: compares with int8 parameters)
 */
export type PgConversion = 'none' | 'utc' | 'text' | 'json' | 'jsontext' | 'numeric' | 'money' | 'int8'

/** A source column as the catalog keeps it (dataset provenance `columns`). */
export interface PgSourceColumn {
  name: string
  /** format_type text, shown in browse and kept for the record */
  pgType: string
  conversion: PgConversion
  field: Field
}

/** The widest decimal we carry (Decimal128). */
export const MAX_DECIMAL_PRECISION = 38
/** Scale given to unconstrained `numeric` (rounded half away from zero by `round(c, 9)`). */
export const UNCONSTRAINED_NUMERIC_SCALE = 9

interface Simple { type: LogicalType; conversion: PgConversion }

/** Base types (by typname in pg_catalog) with a fixed mapping; everything else is text. */
const SIMPLE: ReadonlyMap<string, Simple> = new Map<string, Simple>([
  ['int2', { type: 'int16', conversion: 'none' }],
  ['int4', { type: 'int32', conversion: 'none' }],
  ['int8', { type: 'int64', conversion: 'none' }],
  // oid has no operators with int8: `oid = $1::int8` would cast the parameter to oid and
  // fail outside 0..2^32-1, so the value expression makes it an int8
  ['oid', { type: 'int64', conversion: 'int8' }],
  ['float4', { type: 'float32', conversion: 'none' }],
  ['float8', { type: 'float64', conversion: 'none' }],
  ['bool', { type: 'boolean', conversion: 'none' }],
  ['text', { type: 'string', conversion: 'none' }],
  ['varchar', { type: 'string', conversion: 'none' }],
  // bpchar: `::text` drops the padding, which PostgreSQL itself treats as insignificant, so
  // the value shown equals the value compared. citext: `::text` makes comparisons exact
  // (case-sensitive) like every other string. name and "char": plain text.
  ['bpchar', { type: 'string', conversion: 'text' }],
  ['char', { type: 'string', conversion: 'text' }],
  ['name', { type: 'string', conversion: 'text' }],
  ['citext', { type: 'string', conversion: 'text' }],
  ['date', { type: 'date', conversion: 'none' }],
  ['timestamptz', { type: 'timestamp', conversion: 'none' }],
  ['timestamp', { type: 'timestamp', conversion: 'utc' }],
  ['time', { type: 'time', conversion: 'none' }],
  ['timetz', { type: 'string', conversion: 'text' }],
  ['interval', { type: 'string', conversion: 'text' }],
  ['uuid', { type: 'string', conversion: 'text' }],
  ['json', { type: 'json', conversion: 'jsontext' }],
  ['jsonb', { type: 'json', conversion: 'jsontext' }],
  ['bytea', { type: 'binary', conversion: 'none' }],
])

/** Built-in types are matched by oid too, so a user type called `int4` elsewhere is not. */
const BUILTIN_OIDS: ReadonlyMap<number, string> = new Map([
  [16, 'bool'], [17, 'bytea'], [18, 'char'], [19, 'name'], [20, 'int8'], [21, 'int2'],
  [23, 'int4'], [25, 'text'], [26, 'oid'], [114, 'json'], [700, 'float4'], [701, 'float8'],
  [790, 'money'], [1042, 'bpchar'], [1043, 'varchar'], [1082, 'date'], [1083, 'time'],
  [1114, 'timestamp'], [1184, 'timestamptz'], [1186, 'interval'], [1266, 'timetz'],
  [1700, 'numeric'], [2950, 'uuid'], [3802, 'jsonb'],
])

/**
 * Precision and scale of a `numeric(p,s)` type modifier, or null for unconstrained numeric.
 * typmod = ((p << 16) | (s & 0x7ff)) + 4; since PostgreSQL 15 the scale is an 11-bit
 * signed number (negative scales and s > p are allowed).
 */
export function numericTypmod(typmod: number): { precision: number; scale: number } | null {
  if (typmod < 4) return null
  const v = typmod - 4
  const precision = (v >> 16) & 0xffff
  const scale = ((v & 0x7ff) ^ 1024) - 1024
  return { precision, scale }
}

/**
 * Our decimal(p,s) for numeric(p,s). p ≤ 38: the same. Negative scale (integers rounded to
 * 10^-s): decimal(p - s, 0). s > p (PostgreSQL 15: only fraction digits): decimal(s, s).
 * Wider than 38 digits: decimal(38, min(s, 38)) — a value that needs more digits than that
 * fails when it is read (never silently wrong).
 */
function decimalOf(precision: number, scale: number): { precision: number; scale: number } {
  let p = precision
  let s = scale
  if (s < 0) { p = p - s; s = 0 }
  if (s > p) p = s
  if (p > MAX_DECIMAL_PRECISION) p = MAX_DECIMAL_PRECISION
  if (s > p) s = p
  return { precision: Math.max(p, 1), scale: s }
}

/** Maps one column's type. Never throws: anything unknown becomes `string` via `text`. */
export function mapPgType(name: string, t: PgTypeInfo, nullable: boolean): PgSourceColumn {
  const column = (type: LogicalType, conversion: PgConversion, extra: Partial<Field> = {}): PgSourceColumn => ({
    name,
    pgType: t.formatted,
    conversion,
    field: { name, type, nullable, ...extra },
  })
  if (t.typcategory === 'A') return column('json', 'json')
  if (t.typtype === 'e') return column('string', 'text')
  // Built-ins by oid; an extension type (citext) has no fixed oid, so by name when base.
  const builtin = BUILTIN_OIDS.get(t.oid) ?? (t.typtype === 'b' && t.typname === 'citext' ? 'citext' : undefined)
  if (builtin === 'numeric') {
    const pm = numericTypmod(t.typmod)
    if (pm === null) {
      return column('decimal', 'numeric', { precision: MAX_DECIMAL_PRECISION, scale: UNCONSTRAINED_NUMERIC_SCALE })
    }
    return column('decimal', 'none', decimalOf(pm.precision, pm.scale))
  }
  if (builtin === 'money') return column('decimal', 'money', { precision: MAX_DECIMAL_PRECISION, scale: 2 })
  const simple = builtin === undefined ? undefined : SIMPLE.get(builtin)
  if (simple) return column(simple.type, simple.conversion)
  return column('string', 'text')
}

/** The value expression of a column; `quoted` is the already-quoted column reference. */
export function valueExpr(quoted: string, conversion: PgConversion): string {
  switch (conversion) {
    case 'none': return quoted
    case 'utc': return `(${quoted} AT TIME ZONE 'UTC')`
    case 'text': return `(${quoted})::text`
    case 'json': return `to_json(${quoted})::text`
    case 'jsontext': return `(${quoted})::text`
    case 'numeric': return `round(${quoted}, ${UNCONSTRAINED_NUMERIC_SCALE})`
    case 'money': return `(${quoted})::numeric`
    case 'int8': return `(${quoted})::int8`
  }
}
