/**
 * A validated explore Plan (proto/plan.ts) → one PostgreSQL SELECT with bound parameters.
 * The rules (and where PostgreSQL and our kernels differ) are in proto/POSTGRES.md; the
 * reference semantics are the Arrow kernels in workers/kernels/ — the SQL returns the same
 * rows, up to the order of ties.
 *
 *   SELECT <select list> FROM (SELECT <value expr> AS "<col>", ... FROM <from> AS "src") AS "t"
 *   WHERE ... GROUP BY ... ORDER BY ... LIMIT $n OFFSET $m
 *
 * The inner SELECT is the only place a source column is read (value expressions: type
 * conversions now, masking later), so nothing outside it can see a raw value. Every
 * identifier is double-quoted and every literal is a bound parameter with an explicit cast:
 * no value text ever enters the SQL string.
 *
 * Assumes the session the scan runs in: a UTF8 database, standard_conforming_strings on.
 * Needs PostgreSQL 12+ (date_trunc with a time zone). Pure; safe on any thread.
 */
import type { AggExpr, CmpOp, Filter, Literal, OrderItem, Plan, ScalarExpr, SelectItem, TruncUnit } from '../../proto/plan.js'
import type { Field, LogicalType } from '../../proto/types.js'
import { civilFromDays } from '../../proto/calendar.js'

/** Where the plan reads from. */
export interface PgSqlSource {
  /** a FROM-clause item: a quoted `"schema"."table"` or a parenthesised query */
  from: string
  /** column name → SQL value expression over quoted references to the source's columns */
  columns: ReadonlyMap<string, string>
  /** column name → logical field (types the literals and picks collations) */
  fields: ReadonlyMap<string, Field>
}

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

const CMP_SQL: Record<CmpOp, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }

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
  return new Compiler(source).compile(plan)
}

class Compiler {
  readonly params: (string | null)[] = []

  constructor(readonly source: PgSqlSource) {}

  compile(plan: Plan): PgSql {
    const inner = plan.columns.map((c) => `${this.valueExpr(c)} AS ${quoteIdent(c)}`)
    const select = plan.select.map((item) => {
      const e = item.expr
      const sql = e.kind === 'agg' ? this.aggregate(item, e) : this.scalar(e)
      return item.name === '' || item.name.includes('\0') ? sql : `${sql} AS ${quoteIdent(item.name)}`
    })
    let sql = `SELECT ${select.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${this.source.from} AS "src") AS "t"`
    if (plan.filter) sql += ` WHERE ${this.filter(plan.filter)}`
    if (plan.group.length > 0) sql += ` GROUP BY ${plan.group.map((g) => this.scalar(g)).join(', ')}`
    if (plan.order.length > 0) sql += ` ORDER BY ${plan.order.map((o) => this.orderItem(plan, o)).join(', ')}`
    if (plan.limit !== null) sql += ` LIMIT ${this.param(String(Math.max(0, Math.floor(plan.limit))), 'int8')}`
    if (plan.offset > 0) sql += ` OFFSET ${this.param(String(Math.floor(plan.offset)), 'int8')}`
    return { sql, params: this.params }
  }

  param(text: string | null, cast: string): string {
    this.params.push(text)
    return `$${this.params.length}::${cast}`
  }

  field(column: string): Field {
    const f = this.source.fields.get(column)
    if (f === undefined) throw new TypeError(`compilePostgres: no field for column "${column}"`)
    return f
  }

  valueExpr(column: string): string {
    const e = this.source.columns.get(column)
    if (e === undefined) throw new TypeError(`compilePostgres: no value expression for column "${column}"`)
    return e
  }

  ref(column: string): string {
    this.field(column)
    return `"t".${quoteIdent(column)}`
  }

  /** A column, or its UTC time bucket (dates stay dates). */
  scalar(e: ScalarExpr): string {
    const ref = this.ref(e.column)
    if (e.kind === 'column') return ref
    if (!TRUNC_UNITS.has(e.unit)) throw new TypeError(`compilePostgres: unknown trunc unit "${String(e.unit)}"`)
    const f = this.field(e.column)
    // date → timestamp (without time zone) and back: independent of the session TimeZone
    if (f.type === 'date') return `(date_trunc('${e.unit}', (${ref})::timestamp))::date`
    // timestamps are timestamptz; the three-argument form buckets in UTC whatever TimeZone says
    return `date_trunc('${e.unit}', ${ref}, 'UTC')`
  }

  aggregate(item: SelectItem, e: AggExpr): string {
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
        if (f.type === 'decimal') return floatOut ? `(sum(${ref}))::float8` : `(round(sum(${ref}), ${scaleOf(item, f)}))::numeric(38,${scaleOf(item, f)})`
        if (f.type === 'float32' || f.type === 'float64' || floatOut) return `sum((${ref})::float8)`
        // sum(int8) is numeric: the cast raises 22003 on overflow, never wraps
        return `(sum(${ref}))::int8`
      case 'avg':
        if (f.type === 'decimal' && !floatOut) return this.decimalAvg(ref, scaleOf(item, f))
        // sum then one division, as the kernel does: the same double, not numeric avg's rounding
        if (f.type === 'float32' || f.type === 'float64') return `(sum((${ref})::float8) / count(${ref}))`
        return `((sum(${ref}))::float8 / count(${ref}))`
    }
  }

  /**
   * avg of a decimal at `scale` digits, rounded half away from zero exactly like the kernel
   * (accumulators.ts divRoundHalfUp): numeric division rounds at a scale of its own choosing,
   * and rounding twice can be off by one in the last digit, so divide the integers.
   */
  decimalAvg(ref: string, scale: number): string {
    const up = `(sum(${ref}) * 1${'0'.repeat(scale)})`
    const n = `count(${ref})`
    const down = scale === 0 ? '1' : `0.${'0'.repeat(scale - 1)}1`
    return `((div(${up}, ${n}) + CASE WHEN 2 * abs(mod(${up}, ${n})) >= ${n} THEN sign(${up}) ELSE 0 END) * ${down})`
  }

  orderItem(plan: Plan, o: OrderItem): string {
    let sql: string
    let type: LogicalType
    if (o.output !== null) {
      const item = plan.select[o.output]
      if (item === undefined) throw new TypeError(`compilePostgres: order by output ${o.output} of ${plan.select.length}`)
      // the expression again (not the alias): PostgreSQL resolves an alias only when it stands alone
      sql = item.expr.kind === 'agg' ? this.aggregate(item, item.expr) : this.scalar(item.expr)
      type = item.type
    } else if (o.column !== null) {
      sql = this.ref(o.column)
      type = this.field(o.column).type
    } else {
      throw new TypeError('compilePostgres: order item with neither output nor column')
    }
    if (BYTE_ORDERED.has(type)) sql += ' COLLATE "C"'
    return `${sql} ${o.desc ? 'DESC' : 'ASC'} NULLS ${o.nullsFirst ? 'FIRST' : 'LAST'}`
  }

  filter(f: Filter): string {
    switch (f.kind) {
      case 'and': case 'or':
        if (f.children.length === 0) return f.kind === 'and' ? 'TRUE' : 'FALSE'
        return `(${f.children.map((c) => this.filter(c)).join(f.kind === 'and' ? ' AND ' : ' OR ')})`
      case 'not':
        return `(NOT ${this.filter(f.child)})`
      case 'is':
        return `(${this.ref(f.column)} IS ${f.value === null ? 'NULL' : f.value ? 'TRUE' : 'FALSE'})`
      case 'cmp': {
        const field = this.field(f.column)
        if (BYTE_ORDERED.has(field.type) && String(f.value).includes('\0')) return this.nulCompare(f.column, f.op, String(f.value))
        let lhs = this.ref(f.column)
        // equality is byte equality under every deterministic collation, so = and <> keep the
        // column's collation (and its indexes); ordering comparisons go by code point
        if (BYTE_ORDERED.has(field.type) && f.op !== 'eq' && f.op !== 'neq') lhs += ' COLLATE "C"'
        return `(${lhs} ${CMP_SQL[f.op]} ${this.param(literalText(f.value, field.type), LITERAL_CAST[field.type])})`
      }
      case 'in': {
        const field = this.field(f.column)
        // a string with NUL cannot be in a text column (PostgreSQL refuses NUL in text)
        const values = BYTE_ORDERED.has(field.type) ? f.values.filter((v) => !String(v).includes('\0')) : f.values
        // NULL = ANY('{}') is FALSE in PostgreSQL, but a comparison with NULL is unknown
        if (values.length === 0) return unknownIfNull(this.ref(f.column), false)
        const array = `{${values.map((v) => arrayElement(literalText(v, field.type))).join(',')}}`
        return `(${this.ref(f.column)} = ANY(${this.param(array, `${LITERAL_CAST[field.type]}[]`)}))`
      }
      case 'like': {
        const field = this.field(f.column)
        let lhs = this.ref(f.column)
        // a NUL in the pattern is a literal character no text value holds
        if (f.pattern.includes('\0')) return unknownIfNull(lhs, false)
        if (!BYTE_ORDERED.has(field.type)) lhs = `(${lhs})::text`
        // LIKE under "C" (bytes, and never a nondeterministic collation, which LIKE refuses);
        // ILIKE lower-cases with the database's own LC_CTYPE (see proto/POSTGRES.md)
        const pattern = this.param(likePattern(f.pattern), 'text')
        return f.caseInsensitive
          ? `(${lhs} COLLATE "default" ILIKE ${pattern} ${ESCAPE})`
          : `(${lhs} COLLATE "C" LIKE ${pattern} ${ESCAPE})`
      }
    }
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
}

/** `value` for a non-null `ref`, NULL (unknown) for a null one — what a comparison gives. */
function unknownIfNull(ref: string, value: boolean): string {
  return `(CASE WHEN ${ref} IS NULL THEN NULL ELSE ${value ? 'TRUE' : 'FALSE'} END)`
}

function scaleOf(item: SelectItem, f: Field): number {
  const s = item.scale ?? f.scale ?? 0
  if (!Number.isInteger(s) || s < 0 || s > 1000) throw new TypeError(`compilePostgres: bad decimal scale ${s}`)
  return s
}

/** Our pattern (`*` and `%` any run, `_` one character, nothing escapes) → a LIKE pattern with `\` escapes. */
export function likePattern(pattern: string): string {
  let out = ''
  for (const ch of pattern) {
    if (ch === '\\') out += '\\\\'
    else if (ch === '*') out += '%'
    else out += ch
  }
  return out
}

/** One element of an array literal, always double-quoted (so `NULL`, `,`, `{` stay text). */
function arrayElement(text: string): string {
  return `"${text.replace(/[\\"]/g, '\\$&')}"`
}

/**
 * The text PostgreSQL reads a literal from, by the logical type of its column (the Literal
 * typing rules of proto/plan.ts): dates and timestamps as ISO text, floats with their
 * special values spelled out.
 */
export function literalText(v: Literal, type: LogicalType): string {
  switch (type) {
    case 'date':
      return typeof v === 'number' ? formatDate(v) : String(v)
    case 'timestamp':
      return typeof v === 'bigint' ? formatTimestamp(v) : String(v)
    case 'time':
      return typeof v === 'bigint' ? formatTime(v) : String(v)
    case 'float32': case 'float64': {
      const n = Number(v)
      if (Number.isNaN(n)) return 'NaN'
      if (n === Infinity) return 'Infinity'
      if (n === -Infinity) return '-Infinity'
      return Object.is(n, -0) ? '-0' : String(n)
    }
    case 'boolean':
      return v === true || v === 'true' ? 'true' : 'false'
    default:
      return String(v)
  }
}

const US_PER_DAY = 86_400_000_000n

/** days since 1970-01-01 → `YYYY-MM-DD` (PostgreSQL spelling `YYYY-MM-DD BC` for year ≤ 0) */
export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days)
  return `${yearText(y)}-${pad(m, 2)}-${pad(d, 2)}${y <= 0 ? ' BC' : ''}`
}

/** µs since epoch UTC → `YYYY-MM-DDTHH:MM:SS.ffffffZ` (` BC` appended for year ≤ 0) */
export function formatTimestamp(us: bigint): string {
  let days = us / US_PER_DAY
  let rest = us % US_PER_DAY
  if (rest < 0n) { rest += US_PER_DAY; days -= 1n }
  const { y, m, d } = civilFromDays(Number(days))
  return `${yearText(y)}-${pad(m, 2)}-${pad(d, 2)}T${formatTime(rest)}Z${y <= 0 ? ' BC' : ''}`
}

/** µs since midnight → `HH:MM:SS.ffffff` */
export function formatTime(us: bigint): string {
  const micros = Number(us % 1_000_000n)
  const secs = Number(us / 1_000_000n)
  return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}.${pad(micros, 6)}`
}

/** astronomical year (0 = 1 BC) → PostgreSQL's year digits (with ` BC` added by the caller) */
function yearText(y: number): string {
  return pad(y <= 0 ? 1 - y : y, 4)
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}

