/**
 * A validated explore Plan (proto/plan.ts) → one PostgreSQL SELECT with bound parameters.
 * The rules (and where PostgreSQL and our kernels differ) are in proto/POSTGRES.md; the
 * reference semantics are the Arrow kernels in workers/kernels/ — the SQL returns the same
 * rows, up to the order of ties.
 *
 *   SELECT <select list> FROM (SELECT <value expr> AS "<col>", ... FROM <from> AS "src") AS "t"
 *   WHERE ... GROUP BY ... ORDER BY ... LIMIT $n OFFSET $m
 *
 * The skeleton and the filter tree are sql-walk.ts; this file is the PostgreSQL spelling.
 * The inner SELECT is the only place a source column is read (value expressions: type
 * conversions now, masking later), so nothing outside it can see a raw value. Every
 * identifier is double-quoted and every literal is a bound parameter with an explicit cast:
 * no value text ever enters the SQL string.
 *
 * Assumes the session the scan runs in: a UTF8 database, standard_conforming_strings on.
 * Needs PostgreSQL 12+ (date_trunc with a time zone). Pure; safe on any thread.
 */
import type { AggExpr, CmpOp, Literal, Plan, SelectItem, TruncUnit } from '../../proto/plan.js'
import type { LogicalType } from '../../proto/types.js'
import { civilFromDays, splitMicros } from '../../proto/calendar.js'
import { CMP_SQL, SqlWalk, type SqlSource } from './sql-walk.js'
import { civilText, formatTime, likePattern, spellLiteral, type LiteralSpelling } from './sql-text.js'

export { formatTime, likePattern }

/**
 * Where the plan reads from: `from` a quoted `"schema"."table"` or a parenthesised query; the
 * fields type the literals and pick collations.
 */
export type PgSqlSource = SqlSource

export interface PgSql {
  sql: string
  /** text forms of $1, $2, ...; null is SQL NULL */
  params: (string | null)[]
}

/** `name` as a PostgreSQL delimited identifier: double quotes, a `"` inside doubled. */
export function quoteIdent(name: string): string {
  if (name.includes('\0')) throw new TypeError('an identifier cannot contain a NUL character')
  return `"${name.replaceAll('"', '""')}"`
}

const TRUNC_UNITS: ReadonlySet<string> = new Set<TruncUnit>(['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'])

/** The PostgreSQL type a literal of a logical type is cast to. */
const LITERAL_CAST: Record<LogicalType, string> = {
  string: 'text', json: 'text', int16: 'int8', int32: 'int8', int64: 'int8', float32: 'float8', float64: 'float8',
  decimal: 'numeric', boolean: 'boolean', date: 'date', timestamp: 'timestamptz', time: 'time', binary: 'bytea',
}

/** Strings (and JSON text) compare and order by code point: UTF-8 bytes under "C". */
const BYTE_ORDERED: ReadonlySet<LogicalType> = new Set(['string', 'json'])
/** `LIKE ... ESCAPE E'\\'`: one backslash whatever standard_conforming_strings says. */
const ESCAPE = "ESCAPE E'\\\\'"

/**
 * Compiles `plan` over `source`. Throws TypeError when the plan does not fit the source (a
 * column without a value expression or field): plans are validated against the same schema,
 * so that is a bug, not a user error.
 */
export function compilePostgres(plan: Plan, source: PgSqlSource): PgSql {
  const c = new PgCompiler(source)
  return { sql: c.compile(plan), params: c.params }
}

class PgCompiler extends SqlWalk<string | null> {
  protected readonly who = 'compilePostgres'
  // OFFSET alone is valid PostgreSQL
  protected readonly unlimited = null
  protected readonly maxScale = 1000

  protected quote(name: string): string {
    return quoteIdent(name)
  }

  param(text: string | null, cast: string): string {
    this.params.push(text)
    return `$${this.params.length}::${cast}`
  }

  protected intParam(text: string): string {
    return this.param(text, 'int8')
  }

  protected trunc(ref: string, unit: TruncUnit, type: LogicalType): string {
    if (!TRUNC_UNITS.has(unit)) throw new TypeError(`${this.who}: unknown trunc unit "${String(unit)}"`)
    // date → timestamp (without time zone) and back: independent of the session TimeZone
    if (type === 'date') return `(date_trunc('${unit}', (${ref})::timestamp))::date`
    // timestamps are timestamptz; the three-argument form buckets in UTC whatever TimeZone says
    return `date_trunc('${unit}', ${ref}, 'UTC')`
  }

  protected aggregate(item: SelectItem, e: AggExpr): string {
    if (e.column === null) return 'count(*)'
    const ref = this.ref(e.column)
    const f = this.field(e.column)
    const floatOut = item.type === 'float64' || item.type === 'float32'
    switch (e.fn) {
      case 'count': return `count(${ref})`
      case 'count_distinct': return `count(DISTINCT ${ref})`
      case 'min': case 'max':
        // PostgreSQL has no min/max(boolean): bool_and is min, bool_or is max (false < true)
        if (f.type === 'boolean') return `${e.fn === 'min' ? 'bool_and' : 'bool_or'}(${ref})`
        return `${e.fn}(${BYTE_ORDERED.has(f.type) ? `${ref} COLLATE "C"` : ref})`
      case 'sum':
        // the cast to numeric(38,s) raises 22003 when the sum needs more than 38 digits, as the kernel refuses it
        if (f.type === 'decimal') return floatOut ? `(sum(${ref}))::float8` : `(round(sum(${ref}), ${this.scaleOf(item, f)}))::numeric(38,${this.scaleOf(item, f)})`
        if (f.type === 'float32' || f.type === 'float64' || floatOut) return `sum((${ref})::float8)`
        // sum(int8) is numeric: the cast raises 22003 on overflow, never wraps
        return `(sum(${ref}))::int8`
      case 'avg':
        if (f.type === 'decimal' && !floatOut) return decimalAvg(ref, this.scaleOf(item, f))
        // sum then one division, as the kernel does: the same double, not numeric avg's rounding
        if (f.type === 'float32' || f.type === 'float64') return `(sum((${ref})::float8) / count(${ref}))`
        return `((sum(${ref}))::float8 / count(${ref}))`
    }
  }

  protected sortKey(sql: string, type: LogicalType, dir: string): string {
    return `${BYTE_ORDERED.has(type) ? `${sql} COLLATE "C"` : sql} ${dir}`
  }

  protected compare(column: string, op: CmpOp, value: Literal): string {
    const field = this.field(column)
    if (BYTE_ORDERED.has(field.type) && String(value).includes('\0')) return this.nulCompare(column, op, String(value))
    let lhs = this.ref(column)
    // equality is byte equality under every deterministic collation, so = and <> keep the
    // column's collation (and its indexes); ordering comparisons go by code point
    if (BYTE_ORDERED.has(field.type) && op !== 'eq' && op !== 'neq') lhs += ' COLLATE "C"'
    return `(${lhs} ${CMP_SQL[op]} ${this.param(literalText(value, field.type), LITERAL_CAST[field.type])})`
  }

  /**
   * A comparison with a string that holds NUL, which PostgreSQL cannot take as text (22021):
   * no value equals it, and in code point order `x < p + NUL + rest` exactly when `x <= p`
   * (p: the text before the first NUL), since every other character is above NUL.
   */
  nulCompare(column: string, op: CmpOp, value: string): string {
    const ref = this.ref(column)
    if (op === 'eq' || op === 'neq') return unknownIfNull(ref, op === 'neq')
    const prefix = this.param(value.slice(0, value.indexOf('\0')), 'text')
    return op === 'lt' || op === 'lte' ? `(${ref} COLLATE "C" <= ${prefix})` : `(${ref} COLLATE "C" > ${prefix})`
  }

  protected inList(column: string, values: Literal[]): string {
    const field = this.field(column)
    // a string with NUL cannot be in a text column (PostgreSQL refuses NUL in text)
    const kept = BYTE_ORDERED.has(field.type) ? values.filter((v) => !String(v).includes('\0')) : values
    // NULL = ANY('{}') is FALSE in PostgreSQL, but a comparison with NULL is unknown
    if (kept.length === 0) return unknownIfNull(this.ref(column), false)
    const array = `{${kept.map((v) => arrayElement(literalText(v, field.type))).join(',')}}`
    return `(${this.ref(column)} = ANY(${this.param(array, `${LITERAL_CAST[field.type]}[]`)}))`
  }

  protected like(column: string, pattern: string, caseInsensitive: boolean): string {
    const field = this.field(column)
    let lhs = this.ref(column)
    // a NUL in the pattern is a literal character no text value holds
    if (pattern.includes('\0')) return unknownIfNull(lhs, false)
    if (!BYTE_ORDERED.has(field.type)) lhs = `(${lhs})::text`
    // LIKE under "C" (bytes, and never a nondeterministic collation, which LIKE refuses);
    // ILIKE lower-cases with the database's own LC_CTYPE (see proto/POSTGRES.md)
    const p = this.param(likePattern(pattern), 'text')
    return caseInsensitive ? `(${lhs} COLLATE "default" ILIKE ${p} ${ESCAPE})` : `(${lhs} COLLATE "C" LIKE ${p} ${ESCAPE})`
  }
}

/**
 * avg of a decimal at `scale` digits, rounded half away from zero exactly like the kernel
 * (accumulators.ts divRoundHalfUp): numeric division rounds at a scale of its own choosing,
 * and rounding twice can be off by one in the last digit, so divide the integers.
 */
function decimalAvg(ref: string, scale: number): string {
  const up = `(sum(${ref}) * 1${'0'.repeat(scale)})`
  const n = `count(${ref})`
  const down = scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`
  return `((div(${up}, ${n}) + CASE WHEN 2 * abs(mod(${up}, ${n})) >= ${n} THEN sign(${up}) ELSE 0 END) * ${down})`
}

/** `value` for a non-null `ref`, NULL (unknown) for a null one — what a comparison gives. */
function unknownIfNull(ref: string, value: boolean): string {
  return `(CASE WHEN ${ref} IS NULL THEN NULL ELSE ${value ? 'TRUE' : 'FALSE'} END)`
}

/** One element of an array literal, always double-quoted (so `NULL`, `,`, `{` stay text). */
function arrayElement(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`
}

/** PostgreSQL input text: ISO dates and timestamps (` BC` for year ≤ 0), float specials spelled out, -0 kept. */
const SPELLING: LiteralSpelling = {
  date: formatDate, timestamp: formatTimestamp, nan: 'NaN', infinity: 'Infinity', signedZero: true,
}

/**
 * The text PostgreSQL reads a literal from, by the logical type of its column (the Literal
 * typing rules of proto/plan.ts): dates and timestamps as ISO text, floats with their
 * special values spelled out.
 */
export function literalText(v: Literal, type: LogicalType): string {
  return spellLiteral(v, type, SPELLING)
}

/** days since 1970-01-01 → `YYYY-MM-DD` (PostgreSQL spelling `YYYY-MM-DD BC` for year ≤ 0) */
export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days)
  return bc(y, civilText(y <= 0 ? 1 - y : y, m, d))
}

/** µs since epoch UTC → `YYYY-MM-DDTHH:MM:SS.ffffffZ` (` BC` appended for year ≤ 0) */
export function formatTimestamp(us: bigint): string {
  const { days, micros } = splitMicros(us)
  const { y, m, d } = civilFromDays(days)
  return bc(y, `${civilText(y <= 0 ? 1 - y : y, m, d)}T${formatTime(BigInt(micros))}Z`)
}

/** astronomical year 0 is 1 BC: PostgreSQL writes the year's digits, then ` BC` */
function bc(y: number, text: string): string {
  return y <= 0 ? `${text} BC` : text
}
