/**
 * Expression syntax shared by select, group and order: `col`, `col.trunc(unit)`,
 * `count()` and `col.count()`, `col.count_distinct()`, `col.sum()`, `col.avg()`,
 * `col.min()`, `col.max()`. Column names are not checked here (see resolve.ts).
 *
 * Pure; safe on any thread.
 */
import type { AggFn, Expr, TruncUnit } from '../../proto/plan.js'
import { show, writeName, type Reader } from './reader.js'

export const TRUNC_UNITS: ReadonlySet<string> = new Set<TruncUnit>([
  'second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year',
])
const AGG_FNS: ReadonlySet<string> = new Set<AggFn>(['count', 'count_distinct', 'sum', 'avg', 'min', 'max'])
const FUNCTIONS = 'trunc|count|count_distinct|sum|avg|min|max'

/**
 * Reads one expression at the cursor. A `.` that is not followed by `name(` is left
 * unread, so order modifiers (`revenue.desc`) stay for the caller.
 * Throws 422 invalid_query on a missing name, an unknown function or a bad trunc unit.
 */
export function readExpr(r: Reader): Expr {
  const name = r.readName()
  if (name === null) throw r.fail(`expected a column name, got ${r.got()}`)
  if (r.peek() === '(') {
    if (name.quoted || name.text !== 'count') {
      throw r.fail(`unknown function ${show(name.text)}: only count() stands alone, other functions follow a column (${FUNCTIONS})`)
    }
    r.pos++
    r.expect(')', 'after "count("')
    return { kind: 'agg', fn: 'count', column: null }
  }
  const beforeDot = r.pos
  if (r.accept('.')) {
    const fn = r.readIdent()
    if (fn !== null && r.peek() === '(') {
      r.pos++
      if (fn === 'trunc') {
        const unit = r.readIdent()
        if (unit === null || !TRUNC_UNITS.has(unit)) {
          throw r.fail(`trunc of ${show(name.text)}: expected a unit (${[...TRUNC_UNITS].join('|')}), got ${unit === null ? r.got() : show(unit)}`)
        }
        r.expect(')', `after "trunc(${unit}"`)
        return { kind: 'trunc', column: name.text, unit: unit as TruncUnit }
      }
      if (AGG_FNS.has(fn)) {
        r.expect(')', `after "${fn}(" (${fn}() takes no argument)`)
        return { kind: 'agg', fn: fn as AggFn, column: name.text }
      }
      throw r.fail(`unknown function ${show(fn)} after ${show(name.text)} (expected ${FUNCTIONS})`)
    }
    r.pos = beforeDot
  }
  return { kind: 'column', column: name.text }
}

/** The expression as a user would write it, for error messages. */
export function formatExpr(e: Expr): string {
  if (e.kind === 'column') return writeName(e.column)
  if (e.kind === 'trunc') return `${writeName(e.column)}.trunc(${e.unit})`
  return e.column === null ? `${e.fn}()` : `${writeName(e.column)}.${e.fn}()`
}

/** A string equal for equal expressions and different otherwise: a Map key for look-ups by expression. */
export function exprKey(e: Expr): string {
  if (e.kind === 'column') return JSON.stringify(['column', e.column])
  if (e.kind === 'trunc') return JSON.stringify(['trunc', e.column, e.unit])
  return JSON.stringify(['agg', e.fn, e.column])
}
