/**
 * Syntax of the comma-separated `select`, `group` and `order` lists. Produces items whose
 * names are not yet checked against a schema (resolve.ts does that). Spaces around items
 * are ignored; names that are not plain identifiers are double-quoted.
 *
 * Pure; safe on any thread.
 */
import type { Expr } from '../../proto/plan.js'
import { readExpr } from './expr.js'
import { show, type Budget, Reader } from './reader.js'

/** Every parsed item remembers the parameter it came from (`select`, `select[2]`) for later errors. */
export interface SelectSyntax {
  label: string
  alias: string | null
  expr: Expr
}

export interface GroupSyntax {
  label: string
  expr: Expr
}

export interface OrderSyntax {
  label: string
  expr: Expr
  desc: boolean
  /** as written; null = the default for the direction */
  nullsFirst: boolean | null
}

function readList<T>(text: string, label: string, budget: Budget, readItem: (r: Reader) => T): T[] {
  const items: T[] = []
  if (text.trim() === '') return items
  const r = new Reader(text, label)
  for (;;) {
    r.skipSpaces()
    const start = r.pos
    items.push(readItem(r))
    budget.take(label)
    r.skipSpaces()
    if (r.atEnd()) return items
    if (!r.accept(',')) {
      throw r.fail(`expected "," or the end after ${show(text.slice(start, r.pos).trimEnd())}, got ${r.got()}`)
    }
  }
}

/**
 * `region,day:ts.trunc(day),n:count()`. Returns null for `*` (all columns); an empty text
 * is an empty list (the caller treats it as absent). Throws 422 invalid_query.
 */
export function parseSelectList(text: string, label: string, budget: Budget): SelectSyntax[] | null {
  if (text.trim() === '*') return null
  return readList(text, label, budget, r => {
    if (r.peek() === '*') throw r.fail('"*" must be the only item')
    const start = r.pos
    const first = r.readName()
    let alias: string | null = null
    if (first !== null && r.accept(':')) alias = first.text
    else r.pos = start
    return { label, alias, expr: readExpr(r) }
  })
}

/** `region,ts.trunc(day)`: aliases, columns or scalar expressions. Throws 422 invalid_query. */
export function parseGroupList(text: string, label: string, budget: Budget): GroupSyntax[] {
  return readList(text, label, budget, r => ({ label, expr: readExpr(r) }))
}

/** `revenue.desc.nullslast,region`. Throws 422 invalid_query. */
export function parseOrderList(text: string, label: string, budget: Budget): OrderSyntax[] {
  return readList(text, label, budget, r => {
    const start = r.pos
    const expr = readExpr(r)
    let desc = false
    let direction = false
    let nullsFirst: boolean | null = null
    while (nullsFirst === null && r.peek() === '.') {
      const before = r.text.slice(start, r.pos)
      r.pos++
      const word = r.readIdent()
      if (!direction && (word === 'asc' || word === 'desc')) {
        direction = true
        desc = word === 'desc'
      } else if (word === 'nullsfirst' || word === 'nullslast') {
        nullsFirst = word === 'nullsfirst'
      } else {
        const expected = direction ? 'nullsfirst|nullslast' : 'asc|desc|nullsfirst|nullslast'
        throw r.fail(`expected ${expected} after ${show(before)}, got ${word === null ? r.got() : show(word)}`)
      }
    }
    return { label, expr, desc, nullsFirst }
  })
}
