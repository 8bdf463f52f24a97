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
 */
import type { Field } from '../../proto/types.js'

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
 */
export type PgConversion = 'none' | 'utc' | 'text' | 'json' | 'jsontext' | 'numeric' | 'money'

/** A source column as the catalog keeps it (dataset provenance `columns`). */
export interface PgSourceColumn {
  name: string
  /** format_type text, shown in browse and kept for the record */
  pgType: string
  conversion: PgConversion
  field: Field
}

/** Maps one column's type. Never throws: anything unknown becomes `string` via `text`. */
export function mapPgType(name: string, t: PgTypeInfo, nullable: boolean): PgSourceColumn {
  throw new Error(`mapPgType not implemented yet (${name}, ${t.typname}, ${nullable})`)
}

/** The value expression of a column; `quoted` is the already-quoted column reference. */
export function valueExpr(quoted: string, conversion: PgConversion): string {
  throw new Error(`valueExpr not implemented yet (${quoted}, ${conversion})`)
}
