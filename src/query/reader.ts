/**
 * The tokenizer every explore parser shares: a cursor over one parameter's text that reads
 * identifiers, double-quoted names and single characters. Hand-written on purpose: the
 * text is hostile, so there is no regular expression here that could backtrack, and every
 * read moves forward (the only rewind is a one-token lookahead, see expr.ts).
 *
 * Pure; safe on any thread.
 */
import { invalidQuery, type SluiceError } from '../../proto/errors.js'

/** Deepest nesting of and()/or() accepted; deeper is 422, never a stack overflow. */
export const MAX_DEPTH = 64
/** Most select/group/order items, filter conditions and in-list values in one query. */
export const MAX_ITEMS = 10_000

const MAX_SHOWN_CHARS = 60

/** A user token as it appears in an error message: JSON-quoted and cut short, so a hostile value cannot bloat a response. */
export function show(token: string): string {
  return JSON.stringify(token.length > MAX_SHOWN_CHARS ? `${token.slice(0, MAX_SHOWN_CHARS)}…` : token)
}

/** The one error every grammar problem becomes: 422 invalid_query, "<parameter>: <what>". */
export function grammarError(label: string, msg: string): SluiceError {
  return invalidQuery(`${label}: ${msg}`)
}

/** Counts items across one request so that a query cannot grow without bound. */
export class Budget {
  #used = 0
  take(label: string, n = 1): void {
    this.#used += n
    if (this.#used > MAX_ITEMS) throw grammarError(label, `too many items (at most ${MAX_ITEMS} per query)`)
  }
}

export interface Name {
  text: string
  quoted: boolean
}

const isIdentStart = (c: number) => (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95
const isIdentPart = (c: number) => isIdentStart(c) || (c >= 48 && c <= 57)

/** true when `s` is a plain identifier `[A-Za-z_][A-Za-z0-9_]*` (needs no quotes) */
export function isIdentifier(s: string): boolean {
  if (s.length === 0 || !isIdentStart(s.charCodeAt(0))) return false
  for (let i = 1; i < s.length; i++) if (!isIdentPart(s.charCodeAt(i))) return false
  return true
}

/** A column or alias name as the user would have to write it. */
export function writeName(s: string): string {
  return isIdentifier(s) ? s : `"${s.replaceAll('"', '""')}"`
}

export class Reader {
  pos = 0
  constructor(
    readonly text: string,
    /** the parameter this text came from, first word of every error message */
    readonly label: string,
  ) {}

  atEnd(): boolean {
    return this.pos >= this.text.length
  }

  /** the next character, or '' at the end */
  peek(): string {
    return this.pos < this.text.length ? this.text[this.pos]! : ''
  }

  accept(ch: string): boolean {
    if (this.text[this.pos] !== ch) return false
    this.pos++
    return true
  }

  /** consumes `ch` or throws "expected <ch> <context>, got <next token>" */
  expect(ch: string, context: string): void {
    if (!this.accept(ch)) throw this.fail(`expected "${ch}" ${context}, got ${this.got()}`)
  }

  skipSpaces(): void {
    while (this.text[this.pos] === ' ') this.pos++
  }

  /** an identifier at the cursor, or null (cursor unmoved) */
  readIdent(): string | null {
    const start = this.pos
    if (!isIdentStart(this.text.charCodeAt(start))) return null
    let end = start + 1
    while (end < this.text.length && isIdentPart(this.text.charCodeAt(end))) end++
    this.pos = end
    return this.text.slice(start, end)
  }

  /** a double-quoted token at the cursor, `""` standing for one `"`; throws when unterminated */
  readQuoted(): string {
    const open = this.pos
    let from = open + 1
    for (;;) {
      const close = this.text.indexOf('"', from)
      if (close < 0) throw this.fail(`unterminated quoted name or value starting at ${show(this.text.slice(open))}`)
      if (this.text[close + 1] === '"') {
        from = close + 2
        continue
      }
      this.pos = close + 1
      const raw = this.text.slice(open + 1, close)
      return from === open + 1 ? raw : raw.replaceAll('""', '"')
    }
  }

  /** an identifier or a non-empty quoted name at the cursor, or null (cursor unmoved) */
  readName(): Name | null {
    if (this.peek() === '"') {
      const start = this.pos
      const text = this.readQuoted()
      if (text === '') {
        this.pos = start
        throw this.fail('empty quoted name ""')
      }
      return { text, quoted: true }
    }
    const text = this.readIdent()
    return text === null ? null : { text, quoted: false }
  }

  /** the upcoming token, for "got ..." in messages */
  got(): string {
    if (this.atEnd()) return 'end of input'
    let end = this.pos
    while (end < this.text.length && end - this.pos < MAX_SHOWN_CHARS && !',.():"'.includes(this.text[end]!)) end++
    return show(end === this.pos ? this.text[this.pos]! : this.text.slice(this.pos, end))
  }

  fail(msg: string): SluiceError {
    return grammarError(this.label, msg)
  }
}
