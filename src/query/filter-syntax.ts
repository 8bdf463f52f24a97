/**
 * Syntax of filters: a filter parameter `col=[not.]op.value`, the logic trees of
 * `and=(...)`, `or=(...)`, `not.and=(...)`, `not.or=(...)`, and one tree element as the
 * POST body's `filter` carries it. Values stay text here; resolve-filter.ts types them by
 * their column.
 *
 * Pure; safe on any thread.
 */
import { MAX_DEPTH, show, type Budget, Reader } from './reader.js'

export type FilterOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte' | 'in' | 'like' | 'ilike' | 'is'
const OPS: ReadonlySet<string> = new Set<FilterOp>(['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'ilike', 'is'])
const OP_LIST = 'eq|neq|gt|gte|lt|lte|in|like|ilike|is'
const IS_VALUES: ReadonlySet<string> = new Set(['null', 'true', 'false'])

export type FilterSyntax =
  | { kind: 'and' | 'or'; children: FilterSyntax[] }
  | { kind: 'not'; child: FilterSyntax }
  /** `value` is the list for `in`, the text otherwise (for `is`: null|true|false) */
  | { kind: 'cond'; label: string; column: string; op: FilterOp; value: string | string[] }

export type LogicKey = 'and' | 'or' | 'not.and' | 'not.or'
export const LOGIC_KEYS: ReadonlySet<string> = new Set<LogicKey>(['and', 'or', 'not.and', 'not.or'])

/**
 * A filter parameter: `key` is the column name as written, `value` is `op.value` or
 * `not.op.value`. The value after the operator is taken as is (no quoting), except the
 * parenthesised list of `in`. Throws 422 invalid_query.
 */
export function parseParamFilter(key: string, value: string, budget: Budget): FilterSyntax {
  const label = `filter ${show(key)}`
  budget.take(label)
  const r = new Reader(value, label)
  return readCondition(r, key, budget, true)
}

/** `and=(...)` and friends: `value` is the parenthesised list. Throws 422 invalid_query. */
export function parseLogicParam(key: LogicKey, value: string, budget: Budget): FilterSyntax {
  const r = new Reader(value, key)
  const negated = key.startsWith('not.')
  const group = readGroup(r, negated ? (key.slice(4) as 'and' | 'or') : (key as 'and' | 'or'), 1, budget)
  if (!r.atEnd()) throw r.fail(`unexpected ${r.got()} after the closing ")"`)
  return negated ? { kind: 'not', child: group } : group
}

/** One element as inside and=(...): `col.op.value`, `col.not.op.value`, `and(...)`, `not.or(...)`. */
export function parseLogicElement(text: string, label: string, budget: Budget): FilterSyntax {
  const r = new Reader(text, label)
  const element = readElement(r, 0, budget)
  if (!r.atEnd()) throw r.fail(`expected one condition, got ${r.got()} after it (combine conditions with and(...) or or(...))`)
  return element
}

function readGroup(r: Reader, kind: 'and' | 'or', depth: number, budget: Budget): FilterSyntax {
  if (depth > MAX_DEPTH) throw r.fail(`and/or nested deeper than ${MAX_DEPTH} levels`)
  r.expect('(', `to open ${kind}`)
  r.skipSpaces()
  if (r.peek() === ')') throw r.fail(`empty ${kind}(): expected at least one condition`)
  const children: FilterSyntax[] = []
  for (;;) {
    children.push(readElement(r, depth, budget))
    r.skipSpaces()
    if (r.accept(')')) return { kind, children }
    if (!r.accept(',')) throw r.fail(`expected "," or ")" in ${kind}(...), got ${r.got()}`)
  }
}

function readElement(r: Reader, depth: number, budget: Budget): FilterSyntax {
  r.skipSpaces()
  const name = r.readName()
  if (name === null) throw r.fail(`expected a condition "column.op.value", and(...) or or(...), got ${r.got()}`)
  if (!name.quoted) {
    if ((name.text === 'and' || name.text === 'or') && r.peek() === '(') {
      return readGroup(r, name.text, depth + 1, budget)
    }
    if (name.text === 'not' && r.peek() === '.') {
      const afterName = r.pos
      r.pos++
      const word = r.readIdent()
      if ((word === 'and' || word === 'or') && r.peek() === '(') {
        return { kind: 'not', child: readGroup(r, word, depth + 1, budget) }
      }
      r.pos = afterName
    }
  }
  budget.take(r.label)
  r.expect('.', `after column ${show(name.text)}`)
  return readCondition(r, name.text, budget, false)
}

/**
 * `[not.]op.value` after the column. In a parameter (`whole`) the value runs to the end of
 * the text; in a tree it runs to the next `,` or `)` unless double-quoted.
 */
function readCondition(r: Reader, column: string, budget: Budget, whole: boolean): FilterSyntax {
  let op = readOp(r, column)
  let negated = false
  if (op === 'not') {
    negated = true
    r.expect('.', `after "not" in the filter on ${show(column)}`)
    op = readOp(r, column)
    if (op === 'not') throw r.fail(`unknown operator "not" after "not." on ${show(column)} (expected ${OP_LIST})`)
  }
  r.expect('.', `and a value after ${show(`${negated ? 'not.' : ''}${op}`)} on ${show(column)}`)
  let value: string | string[]
  if (op === 'in') {
    value = readInList(r, column, budget)
    if (whole && !r.atEnd()) throw r.fail(`unexpected ${r.got()} after the in list on ${show(column)}`)
  } else {
    value = whole ? r.text.slice(r.pos) : readTreeValue(r)
    if (whole) r.pos = r.text.length
    if (op === 'is' && !IS_VALUES.has(value)) {
      throw r.fail(`expected is.null, is.true or is.false on ${show(column)}, got ${show(`is.${value}`)}`)
    }
  }
  const cond: FilterSyntax = { kind: 'cond', label: r.label, column, op: op as FilterOp, value }
  return negated ? { kind: 'not', child: cond } : cond
}

function readOp(r: Reader, column: string): FilterOp | 'not' {
  const word = r.readIdent()
  if (word === null) throw r.fail(`expected an operator (${OP_LIST}) on ${show(column)}, got ${r.got()}`)
  if (word !== 'not' && !OPS.has(word)) {
    throw r.fail(`unknown operator ${show(word)} on ${show(column)} (expected ${OP_LIST}, optionally after not.)`)
  }
  return word as FilterOp | 'not'
}

/** `(a,b,"c,d")`: values are raw up to `,`/`)`, or double-quoted to hold those characters. */
function readInList(r: Reader, column: string, budget: Budget): string[] {
  r.expect('(', `to open the in list on ${show(column)}`)
  if (r.peek() === ')') throw r.fail(`empty in list on ${show(column)}: expected at least one value`)
  const values: string[] = []
  for (;;) {
    budget.take(r.label)
    values.push(readTreeValue(r))
    if (r.accept(')')) return values
    if (!r.accept(',')) throw r.fail(`expected "," or ")" in the in list on ${show(column)}, got ${r.got()}`)
  }
}

/** A value inside parentheses: double-quoted, or raw up to the next `,` or `)`. */
function readTreeValue(r: Reader): string {
  if (r.peek() === '"') {
    const value = r.readQuoted()
    const next = r.peek()
    if (next !== '' && next !== ',' && next !== ')') throw r.fail(`unexpected ${r.got()} after the quoted value ${show(value)}`)
    return value
  }
  const start = r.pos
  for (; r.pos < r.text.length; r.pos++) {
    const c = r.text[r.pos]
    if (c === ',' || c === ')') break
    if (c === '(' || c === '"') {
      throw r.fail(`unquoted value ${show(r.text.slice(start, r.pos + 1))} contains ${show(c)}; double-quote values that contain , ( ) or "`)
    }
  }
  return r.text.slice(start, r.pos)
}
