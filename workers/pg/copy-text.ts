/**
 * Parser of PostgreSQL's COPY text format (https://www.postgresql.org/docs/current/sql-copy.html,
 * "Text Format") into columns of text cells, `batchRows` rows at a time: one line per row,
 * fields separated by tabs, `\N` is NULL, backslash escapes `\b \f \n \r \t \v \\`, `\digits`
 * (1-3 octal digits) and `\xhh` (1-2 hex digits); any other escaped character is itself.
 * The cells are the type's text output, exactly what the cursor path receives.
 *
 * Bytes arrive in arbitrary chunks. A newline byte never occurs inside a UTF-8 sequence and
 * newlines inside values are escaped, so each chunk is decoded up to its last newline in one
 * call and split with indexOf on the string (fields become cheap slices of it). Pure; any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import { columnCountMismatch } from './decode.js'

export interface CellColumns {
  length: number
  /** one array of cells per column */
  columns: (string | null)[][]
}

const NL = 10
const TAB = 9

export class CopyTextParser {
  #rest: Buffer[] = []
  #restBytes = 0
  #columns: (string | null)[][]
  #length = 0
  #ready: CellColumns[] = []

  constructor(readonly width: number, readonly batchRows: number) {
    this.#columns = this.#newColumns()
  }

  #newColumns(): (string | null)[][] {
    return Array.from({ length: this.width }, () => new Array<string | null>(this.batchRows))
  }

  /** Take a chunk of COPY data. */
  push(chunk: Buffer): void {
    const last = chunk.lastIndexOf(NL)
    if (last < 0) {
      this.#rest.push(chunk)
      this.#restBytes += chunk.length
      return
    }
    let text: string
    if (this.#restBytes > 0) {
      this.#rest.push(chunk.subarray(0, last + 1))
      text = Buffer.concat(this.#rest, this.#restBytes + last + 1).toString('utf8')
      this.#rest = []
      this.#restBytes = 0
    } else {
      text = chunk.toString('utf8', 0, last + 1)
    }
    if (last + 1 < chunk.length) {
      this.#rest.push(chunk.subarray(last + 1))
      this.#restBytes = chunk.length - last - 1
    }
    this.#parse(text)
  }

  /** The input is complete: a last line without a newline (never sent by PostgreSQL) is an error. */
  end(): void {
    if (this.#restBytes > 0) throw new SluiceError(500, 'internal', 'COPY data ended inside a row')
    if (this.#length > 0) this.#cut()
  }

  /** A complete batch of cells, or null when none is ready. */
  takeBatch(): CellColumns | null {
    return this.#ready.shift() ?? null
  }

  #cut(): void {
    const length = this.#length
    if (length < this.batchRows) for (const col of this.#columns) col.length = length
    this.#ready.push({ length, columns: this.#columns })
    this.#columns = this.#newColumns()
    this.#length = 0
  }

  /** Parse whole lines (`text` ends with a newline). */
  #parse(text: string): void {
    const width = this.width
    const n = text.length
    let pos = 0
    // position of the next backslash at or after pos (n when none): a field has escapes
    // only if this falls inside it, so clean fields cost no extra scan
    let bs = text.indexOf('\\')
    if (bs < 0) bs = n
    // the same for the next tab: each tab is found once, also the one that proves a
    // row's last field ends at the newline
    let tab = -1
    let columns = this.#columns
    let row = this.#length
    while (pos < n) {
      const eol = text.indexOf('\n', pos)
      for (let c = 0; c < width; c++) {
        if (tab < pos) { tab = text.indexOf('\t', pos); if (tab < 0) tab = n }
        let end: number
        if (c < width - 1) {
          end = tab
          if (end > eol) throw badRow()
        } else {
          if (tab < eol) throw badRow()
          end = eol
        }
        if (bs < pos) { bs = text.indexOf('\\', pos); if (bs < 0) bs = n }
        let cell: string | null
        if (bs >= end) cell = text.slice(pos, end)
        else if (end - pos === 2 && text.charCodeAt(pos + 1) === 78 /* N */ && bs === pos) cell = null
        else cell = unescape(text, pos, end)
        columns[c]![row] = cell
        pos = end + 1
      }
      if (pos !== eol + 1) throw badRow()
      if (++row === this.batchRows) {
        this.#length = row
        this.#cut()
        columns = this.#columns
        row = 0
      }
    }
    this.#length = row
  }
}

/** A row with another number of fields than the task's columns. */
const badRow = columnCountMismatch

const ESCAPES: Record<number, string> = { 98: '\b', 102: '\f', 110: '\n', 114: '\r', 116: '\t', 118: '\v' }

function isOctal(c: number): boolean { return c >= 48 && c <= 55 }
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48
  if (c >= 97 && c <= 102) return c - 87
  if (c >= 65 && c <= 70) return c - 55
  return -1
}

/**
 * The value of the escaped field text[pos, end). COPY TO escapes only the backslash and the
 * control characters above; octal and hex escapes (which COPY FROM accepts) are decoded too,
 * as the character with that code.
 */
export function unescape(text: string, pos: number, end: number): string {
  let out = ''
  let from = pos
  let i = pos
  while (i < end) {
    if (text.charCodeAt(i) !== 92) { i++; continue }
    out += text.slice(from, i)
    const c = text.charCodeAt(i + 1)
    if (i + 1 >= end) { from = i + 1; i++; break } // a lone trailing backslash: dropped
    const simple = ESCAPES[c]
    if (simple !== undefined) { out += simple; i += 2 }
    else if (isOctal(c)) {
      let v = 0
      let k = i + 1
      for (let d = 0; d < 3 && k < end && isOctal(text.charCodeAt(k)); d++, k++) v = v * 8 + (text.charCodeAt(k) - 48)
      out += String.fromCharCode(v & 0xff)
      i = k
    } else if (c === 120 /* x */ && i + 2 < end && hexValue(text.charCodeAt(i + 2)) >= 0) {
      let v = hexValue(text.charCodeAt(i + 2))
      let k = i + 3
      if (k < end && hexValue(text.charCodeAt(k)) >= 0) { v = v * 16 + hexValue(text.charCodeAt(k)); k++ }
      out += String.fromCharCode(v)
      i = k
    } else { out += text[i + 1]; i += 2 }
    from = i
  }
  return out + text.slice(from, end)
}
