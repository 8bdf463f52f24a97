/**
 * A validated explore Plan (proto/plan.ts) → one BigQuery (GoogleSQL) SELECT with named query
 * parameters. The twin of src/query/postgres-sql.ts: same shape, same semantics (the Arrow
 * kernels in workers/kernels/ are the reference; the SQL returns the same rows, up to the
 * order of ties). Dialect decisions and what only real BigQuery can confirm: proto/BIGQUERY.md.
 *
 *   SELECT <select list> FROM (SELECT <value expr> AS `<col>`, ... FROM <from> AS `src`) AS `t`
 *   WHERE ... GROUP BY ... ORDER BY ... LIMIT @pN OFFSET @pM
 *
 * The inner SELECT is the only place a source column is read (value expressions: type
 * conversions, masking), so nothing outside it sees a raw value. Every identifier is
 * backtick-quoted and every value of the query is a named parameter (`@p0`, `@p1`, ...) with
 * an explicit BigQuery type: no value text ever enters the SQL string. The SQL itself does
 * depend on *which kind* of value a literal is (NaN, ±Infinity, a date outside BigQuery's
 * range): those are compiled to their exact meaning, as postgres-sql.ts does for NUL. The
 * skeleton and the filter tree are sql-walk.ts; this file is the GoogleSQL spelling.
 *
 * Pure; safe on any thread.
 */
import type { AggExpr, CmpOp, Literal, Plan, SelectItem, TruncUnit } from '../../proto/plan.js'
import type { Field, LogicalType } from '../../proto/types.js'
import { civilFromDays, MICROS_PER_DAY_N, splitMicros } from '../../proto/calendar.js'
import { CMP_SQL, SqlWalk, type SqlSource } from './sql-walk.js'
import { civilText, formatTime, likePattern, spellLiteral, type LiteralSpelling } from './sql-text.js'

export { formatTime }

/** The scalar types a BigQuery query parameter can have here. */
export type BigQueryType = 'STRING' | 'INT64' | 'FLOAT64' | 'NUMERIC' | 'BIGNUMERIC' | 'BOOL' | 'DATE' | 'TIMESTAMP' | 'TIME' | 'BYTES'

/** A scalar parameter: `value` is the REST text form; null is SQL NULL. */
export interface BigQueryScalarParam {
  name: string
  type: BigQueryType
  value: string | null
}

/** An `ARRAY<type>` parameter (only `in` lists make these): `x IN UNNEST(@p)`. */
export interface BigQueryArrayParam {
  name: string
  type: BigQueryType
  array: string[]
}

export type BigQueryParam = BigQueryScalarParam | BigQueryArrayParam

/** The REST `QueryParameter` JSON (jobs.query / jobs.insert `queryParameters`, parameterMode NAMED). */
export interface BigQueryRestParameter {
  name: string
  parameterType: { type: string; arrayType?: { type: BigQueryType } }
  parameterValue: { value?: string; arrayValues?: { value: string }[] }
}

/** Options of one source (all optional). */
export interface BigQuerySqlSettings {
  /**
   * Order strings through `CAST(x AS BYTES)` (UTF-8 byte order = code point order) in ordering
   * comparisons, ORDER BY and min/max, instead of relying on the column having no collation.
   * For columns or datasets with a default collation such as `und:ci` (see BIGQUERY.md).
   */
  byteOrderStrings?: boolean
}

/** Where the plan reads from: `from` a backtick-quoted `project.dataset.table` or a parenthesised query; the fields type the parameters. */
export interface BigQuerySqlSource extends SqlSource {
  settings?: BigQuerySqlSettings
}

export interface BigQuerySql {
  sql: string
  params: BigQueryParam[]
}

/**
 * One character of a quoted identifier or string literal, escaped per GoogleSQL's "Lexical
 * structure and syntax": quoted identifiers "have the same escape sequences as string
 * literals" (`\\`, `` \` ``, `\'`, `\n`, `\r`, `\t`, `\uhhhh`), and a quoted (non-triple)
 * literal cannot hold a raw newline. Controls are written as escapes; NUL and lone surrogates
 * (not UTF-8) are refused.
 */
function escapeChar(ch: string, quote: string): string {
  if (ch === '\\' || ch === quote) return `\\${ch}`
  const cp = ch.codePointAt(0)!
  if (cp === 0) throw new TypeError('BigQuery SQL: a NUL character cannot be quoted')
  if (cp >= 0xd800 && cp <= 0xdfff) throw new TypeError('BigQuery SQL: a lone UTF-16 surrogate is not UTF-8')
  if (ch === '\n') return '\\n'
  if (ch === '\r') return '\\r'
  if (ch === '\t') return '\\t'
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f) || cp === 0x2028 || cp === 0x2029) return `\\u${cp.toString(16).padStart(4, '0')}`
  return ch
}

/** `name` as a BigQuery quoted identifier: backticks, `` ` `` and `\` backslash-escaped, controls as escapes. */
export function quoteIdent(name: string): string {
  if (name === '') throw new TypeError('BigQuery SQL: a quoted identifier cannot be empty')
  let out = '`'
  for (const ch of name) out += escapeChar(ch, '`')
  return `${out}\``
}

/** `s` as a single-quoted GoogleSQL string literal (for constants of settings, never query values). */
export function stringLiteral(s: string): string {
  let out = "'"
  for (const ch of s) out += escapeChar(ch, "'")
  return `${out}'`
}

/** The REST form of the parameters (`queryParameters` with `parameterMode: 'NAMED'`). */
export function toRestParameters(params: readonly BigQueryParam[]): BigQueryRestParameter[] {
  return params.map((p) => {
    if ('array' in p) {
      return { name: p.name, parameterType: { type: 'ARRAY', arrayType: { type: p.type } }, parameterValue: { arrayValues: p.array.map((value) => ({ value })) } }
    }
    return { name: p.name, parameterType: { type: p.type }, parameterValue: p.value === null ? {} : { value: p.value } }
  })
}

/** Plan trunc units → GoogleSQL date parts (`week` is the ISO week, Monday). */
const TRUNC_PART: Record<TruncUnit, string> = {
  second: 'SECOND', minute: 'MINUTE', hour: 'HOUR', day: 'DAY', week: 'ISOWEEK', month: 'MONTH', quarter: 'QUARTER', year: 'YEAR',
}

/** Strings (and JSON text) compare and order by code point. */
const STRINGISH: ReadonlySet<LogicalType> = new Set(['string', 'json'])
const FLOATS: ReadonlySet<LogicalType> = new Set(['float32', 'float64'])

/** BigQuery's DATE and TIMESTAMP range: 0001-01-01 .. 9999-12-31 (23:59:59.999999 UTC). */
const MIN_DAY = -719_162
const MAX_DAY = 2_932_896
const MIN_US = BigInt(MIN_DAY) * MICROS_PER_DAY_N
const MAX_US = (BigInt(MAX_DAY) + 1n) * MICROS_PER_DAY_N - 1n
const INT64_MAX = '9223372036854775807'

/** NUMERIC holds decimal(p,s) with s ≤ 9 and p - s ≤ 29; everything else (up to 38,38) needs BIGNUMERIC. */
export function decimalType(f: Pick<Field, 'precision' | 'scale'>): 'NUMERIC' | 'BIGNUMERIC' {
  const p = f.precision ?? 38
  const s = f.scale ?? 0
  return s <= 9 && p - s <= 29 ? 'NUMERIC' : 'BIGNUMERIC'
}

/** The BigQuery type a literal compared with a column of `f` is bound as. */
export function paramType(f: Pick<Field, 'type' | 'precision' | 'scale'>): BigQueryType {
  switch (f.type) {
    case 'string': case 'json': return 'STRING'
    case 'int16': case 'int32': case 'int64': return 'INT64'
    case 'float32': case 'float64': return 'FLOAT64'
    case 'decimal': return decimalType(f)
    case 'boolean': return 'BOOL'
    case 'date': return 'DATE'
    case 'timestamp': return 'TIMESTAMP'
    case 'time': return 'TIME'
    case 'binary': return 'BYTES'
  }
}

/**
 * Compiles `plan` over `source`. Throws TypeError when the plan does not fit the source (a
 * column without a value expression or field): plans are validated against the same schema,
 * so that is a bug, not a user error.
 */
export function compileBigQuery(plan: Plan, source: BigQuerySqlSource): BigQuerySql {
  const c = new BigQueryCompiler(source)
  return { sql: c.compile(plan), params: c.params }
}

class BigQueryCompiler extends SqlWalk<BigQueryParam> {
  protected readonly who = 'compileBigQuery'
  // GoogleSQL has OFFSET only after LIMIT: an offset alone gets the largest INT64 as its limit
  protected readonly unlimited = INT64_MAX
  protected readonly maxScale = 38
  readonly byteOrder: boolean

  constructor(source: BigQuerySqlSource) {
    super(source)
    this.byteOrder = source.settings?.byteOrderStrings === true
  }

  protected quote(name: string): string {
    return quoteIdent(name)
  }

  // BigQuery has no empty select list; a constant reads no column (and bills no bytes)
  protected override innerItems(plan: Plan): string[] {
    return plan.columns.length === 0 ? ['1 AS `_`'] : super.innerItems(plan)
  }

  // a lone surrogate is not UTF-8, so no identifier spells it either
  protected override canAlias(name: string): boolean {
    return super.canAlias(name) && !/\p{Surrogate}/u.test(name)
  }

  param(text: string | null, type: BigQueryType): string {
    const name = `p${this.params.length}`
    this.params.push({ name, type, value: text })
    return `@${name}`
  }

  arrayParam(values: string[], type: BigQueryType): string {
    const name = `p${this.params.length}`
    this.params.push({ name, type, array: values })
    return `@${name}`
  }

  protected intParam(text: string): string {
    return this.param(text, 'INT64')
  }

  /** `ref` as the key strings order by: itself, or its UTF-8 bytes with byteOrderStrings. */
  orderKey(ref: string, type: LogicalType): string {
    return this.byteOrder && STRINGISH.has(type) ? `CAST(${ref} AS BYTES)` : ref
  }

  protected trunc(ref: string, unit: TruncUnit, type: LogicalType): string {
    return type === 'date' ? dateTrunc(ref, unit) : timestampTrunc(ref, unit)
  }

  protected aggregate(item: SelectItem, e: AggExpr): string {
    if (e.column === null) return 'COUNT(*)'
    const ref = this.ref(e.column)
    const f = this.field(e.column)
    const floatOut = item.type === 'float64' || item.type === 'float32'
    switch (e.fn) {
      case 'count': return `COUNT(${ref})`
      case 'count_distinct': return `COUNT(DISTINCT ${ref})`
      case 'min': case 'max':
        // LOGICAL_AND is min, LOGICAL_OR is max (FALSE < TRUE), as postgres-sql.ts
        if (f.type === 'boolean') return `${e.fn === 'min' ? 'LOGICAL_AND' : 'LOGICAL_OR'}(${ref})`
        // the kernels put NaN above every number; BigQuery's MIN/MAX return NaN when any input
        // is NaN, which is right for max and wrong for min: the min of the non-NaN values first
        if (FLOATS.has(f.type) && e.fn === 'min') return `COALESCE(MIN(IF(IS_NAN(${ref}), NULL, ${ref})), MIN(${ref}))`
        if (this.byteOrder && STRINGISH.has(f.type)) return `CAST(${e.fn.toUpperCase()}(CAST(${ref} AS BYTES)) AS STRING)`
        return `${e.fn.toUpperCase()}(${ref})`
      case 'sum': {
        if (f.type === 'decimal') {
          const total = `SUM(CAST(${ref} AS BIGNUMERIC))`
          if (floatOut) return `CAST(${total} AS FLOAT64)`
          // exact at scale s; the cast to BIGNUMERIC(38, s) fails when the sum needs more than 38 digits, as the kernel refuses it
          return `CAST(${total} AS BIGNUMERIC(38, ${this.scaleOf(item, f)}))`
        }
        if (FLOATS.has(f.type) || floatOut) return `SUM(CAST(${ref} AS FLOAT64))`
        // SUM(INT64) is INT64 and raises an error on overflow, never wraps
        return `SUM(${ref})`
      }
      case 'avg':
        if (f.type === 'decimal' && !floatOut) return decimalAvg(ref, this.scaleOf(item, f))
        // sum then one division, as the kernel does; IEEE_DIVIDE never raises (NULL for no rows)
        if (FLOATS.has(f.type)) return `IEEE_DIVIDE(SUM(CAST(${ref} AS FLOAT64)), COUNT(${ref}))`
        // the exact sum (no INT64 overflow), then one rounding to FLOAT64, like Number(sum) / n
        return `IEEE_DIVIDE(CAST(SUM(CAST(${ref} AS BIGNUMERIC)) AS FLOAT64), COUNT(${ref}))`
    }
  }

  protected sortKey(sql: string, type: LogicalType, dir: string): string {
    // BigQuery sorts NaN below -inf; the kernels above +inf: NaN-ness is the first key
    if (FLOATS.has(type)) return `IS_NAN(${sql}) ${dir}, ${sql} ${dir}`
    return `${this.orderKey(sql, type)} ${dir}`
  }

  protected like(column: string, pattern: string, caseInsensitive: boolean): string {
    const field = this.field(column)
    let lhs = this.ref(column)
    if (!STRINGISH.has(field.type)) lhs = `CAST(${lhs} AS STRING)`
    // GoogleSQL LIKE: `%` any run, `_` one character, `\` escapes (no ESCAPE clause);
    // ILIKE lower-cases both sides with LOWER (full Unicode mapping, see BIGQUERY.md)
    const p = this.param(likePattern(pattern), 'STRING')
    return caseInsensitive ? `(LOWER(${lhs}) LIKE LOWER(${p}))` : `(${lhs} LIKE ${p})`
  }

  protected compare(column: string, op: CmpOp, value: Literal): string {
    const field = this.field(column)
    const ref = this.ref(column)
    if (FLOATS.has(field.type)) return this.floatCompare(ref, op, Number(value))
    const side = outOfRange(value, field.type)
    if (side !== 0) {
      // a date/timestamp BigQuery cannot hold: no value equals it, every value is on one side
      if (op === 'eq' || op === 'neq') return unknownIfNull(ref, op === 'neq')
      return unknownIfNull(ref, (op === 'lt' || op === 'lte') === side > 0)
    }
    const p = this.param(literalText(value, field.type), paramType(field))
    const lhs = op === 'eq' || op === 'neq' ? ref : this.orderKey(ref, field.type)
    const rhs = op === 'eq' || op === 'neq' || lhs === ref ? p : `CAST(${p} AS BYTES)`
    return `(${lhs} ${CMP_SQL[op]} ${rhs})`
  }

  /**
   * Float comparison in the kernels' total order (NaN = NaN, NaN above every number, -0 = 0)
   * on top of GoogleSQL's IEEE comparisons: NaN literals compile to IS_NAN, and `>`/`>=` say
   * explicitly that a NaN value is above the literal.
   */
  floatCompare(ref: string, op: CmpOp, v: number): string {
    if (Number.isNaN(v)) {
      switch (op) {
        case 'eq': case 'gte': return `IS_NAN(${ref})`
        case 'neq': case 'lt': return `(NOT IS_NAN(${ref}))`
        case 'gt': return unknownIfNull(ref, false)
        case 'lte': return unknownIfNull(ref, true)
      }
    }
    // GoogleSQL: "All comparisons with NaN return FALSE, except for != and <>, which return
    // TRUE" -- right for =, <>, < and <=; a NaN value is above every number for > and >=
    const p = this.floatParam(v)
    if (op === 'gt' || op === 'gte') return `(${ref} ${CMP_SQL[op]} ${p} OR IS_NAN(${ref}))`
    return `(${ref} ${CMP_SQL[op]} ${p})`
  }

  /** A non-NaN float: a FLOAT64 parameter, ±Infinity through the documented STRING → FLOAT64 cast ("inf"). */
  floatParam(v: number): string {
    if (Number.isFinite(v)) return this.param(literalText(v, 'float64'), 'FLOAT64')
    return `CAST(${this.param(v > 0 ? 'inf' : '-inf', 'STRING')} AS FLOAT64)`
  }

  protected inList(column: string, values: Literal[]): string {
    const field = this.field(column)
    const ref = this.ref(column)
    const parts: string[] = []
    let kept: Literal[] = values
    if (FLOATS.has(field.type)) {
      const nums = values.map(Number)
      kept = nums.filter((n) => Number.isFinite(n))
      for (const inf of [Infinity, -Infinity]) if (nums.includes(inf)) parts.push(`${ref} = ${this.floatParam(inf)}`)
      if (nums.some((n) => Number.isNaN(n))) parts.push(`IS_NAN(${ref})`)
    } else {
      kept = values.filter((v) => outOfRange(v, field.type) === 0)
    }
    if (kept.length > 0) {
      const texts = [...new Set(kept.map((v) => literalText(v, field.type)))]
      parts.unshift(`${ref} IN UNNEST(${this.arrayParam(texts, paramType(field))})`)
    }
    // nothing left (every value out of range): false, unknown for null, as a comparison
    if (parts.length === 0) return unknownIfNull(ref, false)
    return parts.length === 1 ? `(${parts[0]})` : `(${parts.join(' OR ')})`
  }
}

/**
 * TIMESTAMP_TRUNC in UTC. The time zone argument applies to MINUTE and coarser parts (GoogleSQL
 * "time zone parts"); SECOND takes none (a second is the same in every zone, UTC the default).
 */
export function timestampTrunc(expr: string, unit: TruncUnit): string {
  const part = TRUNC_PART[unit]
  if (part === undefined) throw new TypeError(`unknown trunc unit "${String(unit)}"`)
  return unit === 'second' ? `TIMESTAMP_TRUNC(${expr}, SECOND)` : `TIMESTAMP_TRUNC(${expr}, ${part}, 'UTC')`
}

/** DATE_TRUNC of a DATE; second..day leave a date as it is (DATE_TRUNC has no part below DAY). */
export function dateTrunc(expr: string, unit: TruncUnit): string {
  const part = TRUNC_PART[unit]
  if (part === undefined) throw new TypeError(`unknown trunc unit "${String(unit)}"`)
  return unit === 'second' || unit === 'minute' || unit === 'hour' || unit === 'day' ? expr : `DATE_TRUNC(${expr}, ${part})`
}

/** `value` for a non-null `ref`, NULL (unknown) for a null one — what a comparison gives. */
function unknownIfNull(ref: string, value: boolean): string {
  return `IF(${ref} IS NULL, NULL, ${value ? 'TRUE' : 'FALSE'})`
}

/**
 * avg of a decimal at `scale` digits, rounded once, half away from zero, like the kernel
 * (accumulators.ts divRoundHalfUp): integer DIV/MOD on BIGNUMERIC, as postgres-sql.ts does
 * with numeric. NULLIF keeps DIV from dividing by a zero count (no rows: NULL).
 */
function decimalAvg(ref: string, scale: number): string {
  const up = `(SUM(CAST(${ref} AS BIGNUMERIC)) * BIGNUMERIC '1${'0'.repeat(scale)}')`
  const n = `NULLIF(COUNT(${ref}), 0)`
  const q = `(DIV(${up}, ${n}) + CASE WHEN 2 * ABS(MOD(${up}, ${n})) >= ${n} THEN SIGN(${up}) ELSE 0 END)`
  return `CAST(${scale === 0 ? q : `${q} / BIGNUMERIC '1${'0'.repeat(scale)}'`} AS BIGNUMERIC(38, ${scale}))`
}

/** -1 below BigQuery's DATE/TIMESTAMP range, 1 above, 0 inside (and for every other type). */
function outOfRange(v: Literal, type: LogicalType): -1 | 0 | 1 {
  if (type === 'date' && typeof v === 'number') return v < MIN_DAY ? -1 : v > MAX_DAY ? 1 : 0
  if (type === 'timestamp' && typeof v === 'bigint') return v < MIN_US ? -1 : v > MAX_US ? 1 : 0
  return 0
}

/** REST text: DATE `YYYY-MM-DD`, TIMESTAMP `YYYY-MM-DD HH:MM:SS.ffffff+00`, FLOAT64 specials as the STRING → FLOAT64 cast reads them. */
const SPELLING: LiteralSpelling = {
  date: formatDate, timestamp: formatTimestamp, nan: 'nan', infinity: 'inf', signedZero: false,
}

/**
 * The REST text of a literal, by the logical type of its column (proto/plan.ts Literal):
 * DATE `YYYY-MM-DD`, TIMESTAMP `YYYY-MM-DD HH:MM:SS.ffffff+00`, TIME `HH:MM:SS.ffffff`,
 * FLOAT64 shortest round-trip, BOOL `true`/`false`, BYTES base64, the rest as is.
 */
export function literalText(v: Literal, type: LogicalType): string {
  return spellLiteral(v, type, SPELLING)
}

/** days since 1970-01-01 → `YYYY-MM-DD` (years 1..9999: BigQuery's range) */
export function formatDate(days: number): string {
  const { y, m, d } = civilFromDays(days)
  return civilText(y, m, d)
}

/** µs since epoch UTC → `YYYY-MM-DD HH:MM:SS.ffffff+00` */
export function formatTimestamp(us: bigint): string {
  const { days, micros } = splitMicros(us)
  return `${formatDate(days)} ${formatTime(BigInt(micros))}+00`
}
