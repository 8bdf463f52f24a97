/**
 * Bound parameters → literals, for `COPY (sql) TO STDOUT`, which takes no parameters and
 * travels by the simple query protocol (where `;` would start another statement).
 *
 * The statement is scanned the way PostgreSQL's lexer splits it: '...' strings (with ''),
 * E'...' strings (with backslash escapes), "..." identifiers, $tag$...$tag$ bodies, -- and
 * nested /* *\/ comments. Only a `$n` outside all of those, and not inside an identifier
 * (`a$1` is a name), is a parameter.
 *
 * A value becomes a dollar-quoted constant `$sluiceN$value$sluiceN$` (N picked so that the tag
 * occurs nowhere in the statement) or NULL: an untyped literal, which PostgreSQL resolves from
 * context like an untyped parameter. Values are inlined only when they contain none of
 * ' " \ $ CR LF /* *\/ (and no NUL): such a value cannot end any string, identifier,
 * comment or dollar quote, so even if this scanner and PostgreSQL's ever disagreed about
 * where a `$n` stands, the worst outcome is changed text inside a literal or a comment —
 * never SQL made of a value.
 *
 * Refuses (returns null, so the caller uses the cursor) anything it is not sure about: such a
 * value, an unterminated string or comment, a `;` or an unbalanced `)` outside them (either
 * could end the COPY's query early), a parameter number without a value. Pure; any thread.
 */

function isIdentChar(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 36 || c >= 128
}

function isIdentStart(c: number): boolean {
  return (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || c === 95 || c >= 128
}

/** `sql` with `$n` replaced by literals of `params[n-1]`, or null when refused (see above). */
export function inlineParams(sql: string, params: readonly (string | null)[]): string | null {
  if (params.some((v) => v !== null && UNSAFE_VALUE.test(v))) return null
  let k0 = 0
  while (sql.includes(`$sluice${k0}$`)) k0++
  const tag = `$sluice${k0}$`
  const n = sql.length
  let out = ''
  let from = 0
  let depth = 0
  let i = 0
  while (i < n) {
    const c = sql.charCodeAt(i)
    const prev = i > 0 ? sql.charCodeAt(i - 1) : 32
    if (c === 39 /* ' */) {
      // E'...' (or e'...') when the E is a whole word: backslash escapes apply
      const escapes = (prev === 69 || prev === 101) && !(i > 1 && isIdentChar(sql.charCodeAt(i - 2)))
      const end = stringEnd(sql, i + 1, escapes)
      if (end < 0) return null
      i = end
    } else if (c === 34 /* " */) {
      const end = sql.indexOf('"', i + 1)
      if (end < 0) return null
      i = end + 1 // a doubled "" is two adjacent identifiers to this scan: same result
    } else if (c === 45 /* - */ && sql.charCodeAt(i + 1) === 45) {
      // a -- comment ends at CR as well as LF (PostgreSQL's lexer: --[^\n\r]*)
      let k = i + 2
      while (k < n && sql.charCodeAt(k) !== 10 && sql.charCodeAt(k) !== 13) k++
      i = k
    } else if (c === 47 /* / */ && sql.charCodeAt(i + 1) === 42 /* * */) {
      const end = commentEnd(sql, i + 2)
      if (end < 0) return null
      i = end
    } else if (c === 36 /* $ */ && !isIdentChar(prev)) {
      const d = sql.charCodeAt(i + 1)
      if (d >= 48 && d <= 57) {
        let k = i + 1
        while (k < n && sql.charCodeAt(k) >= 48 && sql.charCodeAt(k) <= 57) k++
        const index = Number(sql.slice(i + 1, k))
        if (!(index >= 1 && index <= params.length)) return null
        const v = params[index - 1]!
        out += sql.slice(from, i) + (v === null ? 'NULL' : tag + v + tag)
        from = k
        i = k
      } else {
        // a dollar-quoted body: $$...$$ or $tag$...$tag$
        let k = i + 1
        if (isIdentStart(d)) { k++; while (k < n && isIdentChar(sql.charCodeAt(k)) && sql.charCodeAt(k) !== 36) k++ }
        if (sql.charCodeAt(k) !== 36) { i++; continue }
        const tag = sql.slice(i, k + 1)
        const end = sql.indexOf(tag, k + 1)
        if (end < 0) return null
        i = end + tag.length
      }
    } else if (c === 59 /* ; */) {
      return null
    } else if (c === 40 /* ( */) {
      depth++
      i++
    } else if (c === 41 /* ) */) {
      if (--depth < 0) return null
      i++
    } else {
      i++
    }
  }
  if (depth !== 0) return null
  return out + sql.slice(from)
}

/** Index just past the closing quote of a string whose body starts at `i`, or -1. */
function stringEnd(sql: string, i: number, escapes: boolean): number {
  const n = sql.length
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (escapes && c === 92 /* \ */) { i += 2; continue }
    if (c === 39) {
      if (sql.charCodeAt(i + 1) === 39) { i += 2; continue }
      return i + 1
    }
    i++
  }
  return -1
}

/** Index just past the `*\/` closing a (nested) comment whose body starts at `i`, or -1. */
function commentEnd(sql: string, i: number): number {
  const n = sql.length
  let depth = 1
  while (i < n) {
    const c = sql.charCodeAt(i)
    if (c === 42 && sql.charCodeAt(i + 1) === 47) { i += 2; if (--depth === 0) return i; continue }
    if (c === 47 && sql.charCodeAt(i + 1) === 42) { i += 2; depth++; continue }
    i++
  }
  return -1
}

/** What a value must not contain to be inlined (see the file comment). */
const UNSAFE_VALUE = /['"\\$\r\n\0]|\/\*|\*\//
