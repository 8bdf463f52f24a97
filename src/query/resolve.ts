/**
 * Parsed query syntax + the dataset schema → a validated Plan (proto/plan.ts): every name
 * resolved to a source column, every result typed, the group/aggregate rules enforced.
 * The URL (params.ts) and the POST body (body.ts) both end here, so they cannot drift.
 *
 * Pure; safe on any thread.
 */
import type { Expr, OrderItem, Plan, ScalarExpr, SelectItem } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import { exprKey, formatExpr } from './expr.js'
import type { FilterSyntax } from './filter-syntax.js'
import type { GroupSyntax, OrderSyntax, SelectSyntax } from './lists.js'
import { grammarError, show } from './reader.js'
import { resolveFilters } from './resolve-filter.js'
import { resultType } from './result-type.js'

/** One explore request after its transport (URL or JSON) is peeled off. */
export interface QuerySyntax {
  /** null = all schema columns in order */
  select: SelectSyntax[] | null
  group: GroupSyntax[]
  order: OrderSyntax[]
  /** ANDed together */
  filters: FilterSyntax[]
  limit: number | null
  offset: number
}

interface Scope {
  fields: ReadonlyMap<string, Field>
  /** source columns the plan reads */
  used: Set<string>
}

/** Where each select item can be found: by output name and by expression (first match). */
interface Outputs {
  items: SelectItem[]
  /** the parameter each item came from (`select`, `select[2]`), for errors */
  labels: string[]
  byName: Map<string, number>
  byExpr: Map<string, number>
}

/** Throws 422 invalid_query naming the parameter and the token at fault. */
export function resolvePlan(q: QuerySyntax, schema: readonly Field[]): Plan {
  const scope: Scope = { fields: new Map(schema.map(f => [f.name, f])), used: new Set() }
  const outputs = resolveSelect(q.select, schema, scope)
  const select = outputs.items
  const group = resolveGroup(q.group, outputs, scope)
  const aggregate = group.length > 0 || select.some(s => s.expr.kind === 'agg')
  if (aggregate) {
    const keys = new Set(group.map(exprKey))
    select.forEach((item, i) => {
      if (item.expr.kind !== 'agg' && !keys.has(exprKey(item.expr))) {
        throw grammarError(outputs.labels[i]!, `${show(formatExpr(item.expr))} must appear in group or be inside an aggregate function`)
      }
    })
  }
  const order = q.order.map(o => resolveOrder(o, outputs, aggregate, scope))
  const filter = resolveFilters(q.filters, scope.fields, scope.used)
  return {
    select,
    group,
    aggregate,
    filter,
    order,
    limit: q.limit,
    offset: q.offset,
    columns: schema.filter(f => scope.used.has(f.name)).map(f => f.name),
  }
}

function field(column: string, label: string, scope: Scope): Field {
  const f = scope.fields.get(column)
  if (f === undefined) throw grammarError(label, `unknown column ${show(column)}`)
  scope.used.add(column)
  return f
}

/** checks that every column of `expr` exists and returns its field (undefined for count()) */
function fieldOf(expr: Expr, label: string, scope: Scope): Field | undefined {
  return expr.kind === 'agg' && expr.column === null ? undefined : field(expr.column as string, label, scope)
}

function resolveSelect(items: SelectSyntax[] | null, schema: readonly Field[], scope: Scope): Outputs {
  const outputs: Outputs = { items: [], labels: [], byName: new Map(), byExpr: new Map() }
  const source: SelectSyntax[] =
    items ?? schema.map(f => ({ label: 'select', alias: null, expr: { kind: 'column', column: f.name } }))
  for (const item of source) {
    const type = resultType(item.expr, fieldOf(item.expr, item.label, scope), item.label)
    const name = item.alias ?? defaultName(item.expr)
    if (outputs.byName.has(name)) {
      throw grammarError(item.label, `duplicate output name ${show(name)}; give one of the items an alias (alias:expression)`)
    }
    const index = outputs.items.push({ name, expr: item.expr, ...type }) - 1
    outputs.byName.set(name, index)
    const key = exprKey(item.expr)
    if (!outputs.byExpr.has(key)) outputs.byExpr.set(key, index)
    outputs.labels.push(item.label)
  }
  return outputs
}

/** a column keeps its name, a trunc is named after its column, an aggregate after its function (PostgREST does the same) */
function defaultName(e: Expr): string {
  return e.kind === 'agg' ? e.fn : e.column
}

function resolveGroup(items: GroupSyntax[], outputs: Outputs, scope: Scope): ScalarExpr[] {
  const keys = new Map<string, ScalarExpr>()
  for (const { label, expr } of items) {
    let key: ScalarExpr
    if (expr.kind === 'agg') {
      throw grammarError(label, `aggregate ${show(formatExpr(expr))} cannot be a group key`)
    } else if (expr.kind === 'column') {
      const index = outputs.byName.get(expr.column)
      const named = index === undefined ? undefined : outputs.items[index]!
      if (named !== undefined) {
        if (named.expr.kind === 'agg') {
          throw grammarError(label, `${show(expr.column)} names the aggregate ${show(formatExpr(named.expr))}, which cannot be a group key`)
        }
        key = named.expr
      } else if (scope.fields.has(expr.column)) {
        key = expr
      } else {
        throw grammarError(label, `unknown column or alias ${show(expr.column)}`)
      }
    } else {
      key = expr
    }
    resultType(key, fieldOf(key, label, scope), label)
    if (!keys.has(exprKey(key))) keys.set(exprKey(key), key)
  }
  return [...keys.values()]
}

function resolveOrder(o: OrderSyntax, outputs: Outputs, aggregate: boolean, scope: Scope): OrderItem {
  const nullsFirst = o.nullsFirst ?? o.desc
  const at = (output: number): OrderItem => ({ output, column: null, desc: o.desc, nullsFirst })
  const { expr, label } = o
  if (expr.kind === 'column') {
    const byName = outputs.byName.get(expr.column)
    if (byName !== undefined) return at(byName)
    if (!scope.fields.has(expr.column)) throw grammarError(label, `unknown column or output name ${show(expr.column)}`)
  } else {
    fieldOf(expr, label, scope)
  }
  const byExpr = outputs.byExpr.get(exprKey(expr))
  if (byExpr !== undefined) return at(byExpr)
  if (expr.kind !== 'column') {
    throw grammarError(label, `${show(formatExpr(expr))} is not in select; select it (with an alias) to order by it`)
  }
  if (aggregate) {
    throw grammarError(label, `column ${show(expr.column)} is not in the output; an aggregate query can only be ordered by its output columns`)
  }
  scope.used.add(expr.column)
  return { output: null, column: expr.column, desc: o.desc, nullsFirst }
}
