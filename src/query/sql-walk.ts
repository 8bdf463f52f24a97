/**
 * The walk both SQL compilers make over a validated explore Plan (proto/plan.ts):
 *
 *   SELECT <select list> FROM (SELECT <value expr> AS <col>, ... FROM <from> AS src) AS t
 *   WHERE <filter> GROUP BY ... ORDER BY ... LIMIT <param> OFFSET <param>
 *
 * SqlWalk owns that skeleton, the boolean part of the filter tree (and/or/not/is) and the
 * column lookups. A dialect (postgres-sql.ts, bigquery-sql.ts) subclasses it and spells the
 * rest: identifiers, parameters, aggregates, time buckets, comparisons, IN, LIKE, sort keys.
 *
 * The inner SELECT is the only place a source column is read, so nothing outside it sees a
 * raw value; every other reference is `t.<col>` through `ref`.
 */
import type { AggExpr, CmpOp, Filter, Literal, OrderItem, Plan, ScalarExpr, SelectItem, TruncUnit } from '../../proto/plan.js'
import type { Field, LogicalType } from '../../proto/types.js'

/** Where a plan reads from (each dialect's source type has these, maybe more). */
export interface SqlSource {
  /** a FROM-clause item: a quoted table name or a parenthesised query */
  from: string
  /** column name → SQL value expression over quoted references to the source's columns */
  columns: ReadonlyMap<string, string>
  /** column name → logical field */
  fields: ReadonlyMap<string, Field>
}

export const CMP_SQL: Record<CmpOp, string> = { eq: '=', neq: '<>', gt: '>', gte: '>=', lt: '<', lte: '<=' }

/**
 * One compilation (`P`: the dialect's parameter). Throws TypeError when the plan does not fit
 * the source (a column without a value expression or field): plans are validated against the
 * same schema, so that is a bug, not a user error.
 */
export abstract class SqlWalk<P> {
  readonly params: P[] = []

  constructor(readonly source: SqlSource) {}

  /** the compiler's name, first word of its TypeErrors */
  protected abstract readonly who: string
  /** the LIMIT when the plan has only an OFFSET; null: no LIMIT clause */
  protected abstract readonly unlimited: string | null
  /** the largest decimal scale the dialect's exact numeric type takes */
  protected abstract readonly maxScale: number

  protected abstract quote(name: string): string
  /** a non-negative integer (LIMIT, OFFSET) as a parameter */
  protected abstract intParam(text: string): string
  protected abstract aggregate(item: SelectItem, e: AggExpr): string
  /** the UTC `unit` bucket of `ref`, a column of `type` (date or timestamp) */
  protected abstract trunc(ref: string, unit: TruncUnit, type: LogicalType): string
  /** an ORDER BY item: the sort key(s) of `sql` (of `type`), each followed by `dir` */
  protected abstract sortKey(sql: string, type: LogicalType, dir: string): string
  protected abstract compare(column: string, op: CmpOp, value: Literal): string
  protected abstract inList(column: string, values: Literal[]): string
  protected abstract like(column: string, pattern: string, caseInsensitive: boolean): string

  /** The SQL text of `plan`; its parameters are then in `params`. */
  compile(plan: Plan): string {
    const inner = this.innerItems(plan)
    const select = plan.select.map((item) => {
      const sql = this.expr(item)
      return this.canAlias(item.name) ? `${sql} AS ${this.quote(item.name)}` : sql
    })
    let sql = `SELECT ${select.join(', ')} FROM (SELECT ${inner.join(', ')} FROM ${this.source.from} AS ${this.quote('src')}) AS ${this.quote('t')}`
    if (plan.filter) sql += ` WHERE ${this.filter(plan.filter)}`
    if (plan.group.length > 0) sql += ` GROUP BY ${plan.group.map((g) => this.scalar(g)).join(', ')}`
    if (plan.order.length > 0) sql += ` ORDER BY ${plan.order.map((o) => this.orderItem(plan, o)).join(', ')}`
    const limit = plan.limit !== null ? String(Math.max(0, Math.floor(plan.limit))) : plan.offset > 0 ? this.unlimited : null
    if (limit !== null) sql += ` LIMIT ${this.intParam(limit)}`
    if (plan.offset > 0) sql += ` OFFSET ${this.intParam(String(Math.floor(plan.offset)))}`
    return sql
  }

  /** The inner select list: each column's value expression under the column's name. */
  protected innerItems(plan: Plan): string[] {
    return plan.columns.map((c) => `${this.valueExpr(c)} AS ${this.quote(c)}`)
  }

  /** Whether an output name can be an alias; one no identifier can spell (empty, NUL) gets none. */
  protected canAlias(name: string): boolean {
    return name !== '' && !name.includes('\0')
  }

  protected field(column: string): Field {
    const f = this.source.fields.get(column)
    if (f === undefined) throw new TypeError(`${this.who}: no field for column "${column}"`)
    return f
  }

  protected valueExpr(column: string): string {
    const e = this.source.columns.get(column)
    if (e === undefined) throw new TypeError(`${this.who}: no value expression for column "${column}"`)
    return e
  }

  protected ref(column: string): string {
    this.field(column)
    return `${this.quote('t')}.${this.quote(column)}`
  }

  /** The decimal scale of an aggregate's result. */
  protected scaleOf(item: SelectItem, f: Field): number {
    const s = item.scale ?? f.scale ?? 0
    if (!Number.isInteger(s) || s < 0 || s > this.maxScale) throw new TypeError(`${this.who}: bad decimal scale ${s}`)
    return s
  }

  /** A column, or its UTC time bucket (dates stay dates). */
  protected scalar(e: ScalarExpr): string {
    const ref = this.ref(e.column)
    return e.kind === 'column' ? ref : this.trunc(ref, e.unit, this.field(e.column).type)
  }

  private expr(item: SelectItem): string {
    return item.expr.kind === 'agg' ? this.aggregate(item, item.expr) : this.scalar(item.expr)
  }

  private orderItem(plan: Plan, o: OrderItem): string {
    let sql: string
    let type: LogicalType
    if (o.output !== null) {
      const item = plan.select[o.output]
      if (item === undefined) throw new TypeError(`${this.who}: order by output ${o.output} of ${plan.select.length}`)
      // the expression again, not the alias: PostgreSQL resolves an alias only when it stands
      // alone, and the expression is what GoogleSQL checks against GROUP BY either way
      sql = this.expr(item)
      type = item.type
    } else if (o.column !== null) {
      sql = this.ref(o.column)
      type = this.field(o.column).type
    } else {
      throw new TypeError(`${this.who}: order item with neither output nor column`)
    }
    return this.sortKey(sql, type, `${o.desc ? 'DESC' : 'ASC'} NULLS ${o.nullsFirst ? 'FIRST' : 'LAST'}`)
  }

  protected filter(f: Filter): string {
    switch (f.kind) {
      case 'and': case 'or':
        if (f.children.length === 0) return f.kind === 'and' ? 'TRUE' : 'FALSE'
        return `(${f.children.map((c) => this.filter(c)).join(f.kind === 'and' ? ' AND ' : ' OR ')})`
      case 'not':
        return `(NOT ${this.filter(f.child)})`
      case 'is':
        return `(${this.ref(f.column)} IS ${f.value === null ? 'NULL' : f.value ? 'TRUE' : 'FALSE'})`
      case 'cmp':
        return this.compare(f.column, f.op, f.value)
      case 'in':
        return this.inList(f.column, f.values)
      case 'like':
        return this.like(f.column, f.pattern, f.caseInsensitive)
    }
  }
}
