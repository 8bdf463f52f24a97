/**
 * A lexer for `source_query` text: just enough of PostgreSQL's lexical rules (comments,
 * strings, dollar quotes, quoted identifiers, parentheses, `;`) to give clear 422 messages
 * before PostgreSQL sees the query. The real guards are PostgreSQL's parser (the query is a
 * subquery) and the READ ONLY transaction; see proto/POSTGRES.md, "Sources".
 */
import { invalidQuery } from '../../proto/errors.js'

/** First keywords of a query PostgreSQL accepts as a subquery. */
const QUERY_KEYWORDS: ReadonlySet<string> = new Set(['select', 'with', 'values', 'table'])

/**
 * Lexes a source query just enough to give clear errors: comments (`--`, nested block
 * comments), strings ('...', E'...' with backslash escapes, $tag$...$tag$), quoted
 * identifiers, parentheses and `;`. Returns the query without its trailing `;` (and what
 * follows it, which may only be whitespace and comments). Assumes standard_conforming_strings
 * is on (the default since PostgreSQL 9.1): a disagreement can only turn into a syntax error
 * there, since the text always goes out as one extended-protocol statement.
 * Throws 422 invalid_query.
 */
export function scanSourceQuery(query: string): string {
  const fail = (why: string) => invalidQuery(`source_query: ${why}`)
  if (query.includes('\0')) throw fail('contains a NUL character')
  const n = query.length
  let i = 0
  let depth = 0
  /** the first token after any opening parentheses: a lower-cased word, null for another token */
  let first: string | null | undefined
  let any = false
  let semicolon = -1
  const sawToken = (word: string | null, paren = false) => {
    if (semicolon >= 0) throw fail('holds more than one statement; give exactly one SELECT')
    any = true
    if (!paren && first === undefined) first = word
  }
  const closeString = (from: number, backslashEscapes: boolean, what: string): number => {
    for (let j = from; j < n; j++) {
      const c = query[j]
      if (backslashEscapes && c === '\\') { j++; continue }
      if (c === "'") {
        if (query[j + 1] === "'") { j++; continue }
        return j + 1
      }
    }
    throw fail(`unterminated ${what}`)
  }
  while (i < n) {
    const c = query[i]!
    const next = query[i + 1]
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') { i++; continue }
    if (c === '-' && next === '-') {
      while (i < n && query[i] !== '\n' && query[i] !== '\r') i++
      continue
    }
    if (c === '/' && next === '*') {
      let nest = 1
      for (i += 2; nest > 0; ) {
        if (i >= n) throw fail('unterminated /* comment')
        if (query[i] === '/' && query[i + 1] === '*') { nest++; i += 2 } else if (query[i] === '*' && query[i + 1] === '/') { nest--; i += 2 } else i++
      }
      continue
    }
    if (c === ';') {
      if (depth !== 0) throw fail('";" inside parentheses')
      if (semicolon >= 0) throw fail('holds more than one statement; give exactly one SELECT')
      if (!any) throw fail('empty')
      semicolon = i++
      continue
    }
    if (c === '(') { sawToken(null, true); depth++; i++; continue }
    if (c === ')') {
      sawToken(null)
      if (--depth < 0) throw fail('unbalanced ")"')
      i++
      continue
    }
    if (c === "'") { sawToken(null); i = closeString(i + 1, false, 'string'); continue }
    if (c === '"') {
      sawToken(null)
      const end = closeQuoted(query, i + 1)
      if (end < 0) throw fail('unterminated quoted identifier')
      i = end
      continue
    }
    if (c === '$') {
      const m = DOLLAR_TAG.exec(query.slice(i, i + 256))
      if (m !== null) {
        sawToken(null)
        const end = query.indexOf(m[0], i + m[0].length)
        if (end < 0) throw fail(`unterminated dollar-quoted string ${m[0]}`)
        i = end + m[0].length
        continue
      }
      sawToken(null)
      i++
      while (i < n && /[0-9]/.test(query[i]!)) i++
      continue
    }
    if (IDENT_START.test(c)) {
      let j = i + 1
      while (j < n && IDENT_PART.test(query[j]!)) j++
      const lower = query.slice(i, j).toLowerCase()
      sawToken(lower)
      i = j
      if (lower === 'e' && query[i] === "'") i = closeString(i + 1, true, 'string')
      else if (lower === 'u' && query[i] === '&' && (query[i + 1] === "'" || query[i + 1] === '"')) {
        if (query[i + 1] === "'") i = closeString(i + 2, false, 'string')
        else {
          const end = closeQuoted(query, i + 2)
          if (end < 0) throw fail('unterminated quoted identifier')
          i = end
        }
      }
      continue
    }
    sawToken(null)
    i++
  }
  if (!any) throw fail('empty')
  if (depth !== 0) throw fail('unbalanced "("')
  if (first === undefined || first === null || !QUERY_KEYWORDS.has(first)) {
    const got = typeof first === 'string' ? JSON.stringify(first.toUpperCase()) : 'something else'
    throw fail(`must be one read-only query (SELECT, WITH ... SELECT, VALUES or TABLE), got ${got}`)
  }
  return (semicolon >= 0 ? query.slice(0, semicolon) : query).trimEnd()
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/

/** End (after the closing quote) of a double-quoted identifier whose text starts at `from`, or -1. */
function closeQuoted(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '"') {
      if (text[j + 1] === '"') { j++; continue }
      return j + 1
    }
  }
  return -1
}
