/**
 * The type of each select item's values (API.md, "Result types"): count and
 * count_distinct → int64; sum of integers → int64, of floats → float64, of decimals →
 * decimal(38, input scale); avg of integers/floats → float64, of decimals → decimal(38,
 * input scale); min/max keep the input type; trunc keeps its date/timestamp type.
 *
 * Pure; safe on any thread.
 */
import type { Expr } from '../../proto/plan.js'
import { FLOAT_TYPES, INTEGER_TYPES, TEMPORAL_TYPES, typeName, type Field, type LogicalType } from '../../proto/types.js'
import { formatExpr } from './expr.js'
import { grammarError, show } from './reader.js'

export interface ResultType {
  type: LogicalType
  precision?: number
  scale?: number
}

/** min/max need an order the engines share; binary and json have none there. */
const UNORDERED: ReadonlySet<LogicalType> = new Set(['binary', 'json'])

function keep(field: Field): ResultType {
  if (field.type !== 'decimal') return { type: field.type }
  return { type: 'decimal', precision: field.precision ?? 38, scale: field.scale ?? 0 }
}

/**
 * `field` is the column `expr` reads (undefined for count()). Throws 422 invalid_query when
 * the function does not apply to the column's type.
 */
export function resultType(expr: Expr, field: Field | undefined, label: string): ResultType {
  if (expr.kind === 'agg' && (expr.fn === 'count' || expr.fn === 'count_distinct')) return { type: 'int64' }
  if (field === undefined) throw new Error(`resultType: no field for ${formatExpr(expr)}`)
  const wrongType = (needs: string) =>
    grammarError(label, `${show(formatExpr(expr))}: ${needs}, column ${show(field.name)} is ${typeName(field)}`)
  if (expr.kind === 'column') return keep(field)
  if (expr.kind === 'trunc') {
    if (!TEMPORAL_TYPES.has(field.type)) throw wrongType('trunc needs a date or timestamp column')
    return keep(field)
  }
  switch (expr.fn) {
    case 'count':
    case 'count_distinct':
      return { type: 'int64' }
    case 'sum':
    case 'avg':
      if (field.type === 'decimal') return { type: 'decimal', precision: 38, scale: field.scale ?? 0 }
      if (FLOAT_TYPES.has(field.type)) return { type: 'float64' }
      if (INTEGER_TYPES.has(field.type)) return { type: expr.fn === 'sum' ? 'int64' : 'float64' }
      throw wrongType(`${expr.fn} needs a numeric column`)
    case 'min':
    case 'max':
      if (UNORDERED.has(field.type)) throw wrongType(`${expr.fn} needs a column with an order`)
      return keep(field)
  }
}
