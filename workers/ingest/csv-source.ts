/**
 * Stream a CSV file from disk as records of strings: UTF-8 validation, a hand-written RFC 4180
 * tokenizer, one field count for the whole file, blank lines, and errors that name the
 * physical line. Runs in worker threads.
 *
 * Each read chunk is validated and decoded to a string once; fields without quotes are cut
 * with `indexOf` for the next delimiter / line end (positions cached across fields), quoted
 * fields with `indexOf` for the next quote. A record not complete at the end of a chunk
 * (or ending in `\r` / `"` whose meaning depends on the next character) is carried, as text,
 * into the next chunk and parsed again from its start.
 */
import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { invalidFile } from '../../proto/errors.js'

/** A problem with one record; the scanner turns it into 422 invalid_file "line N: ...". */
export class RecordError extends Error {}

/** Largest record accepted (an unclosed quote otherwise reads the whole file into one field). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024
const READ_CHUNK_BYTES = 1024 * 1024

const LF = 10
const CR = 13

/** Tokenizer messages (both tokenizers: csv-bytes.ts too). */
export const MSG_UNCLOSED = 'a quoted field is not closed'
export const MSG_AFTER_CLOSE = 'a closing quote is followed by a character other than a delimiter or a line end'
export const MSG_TOO_LARGE = `a record is larger than ${MAX_RECORD_BYTES} bytes (an unclosed quote?)`

export interface ScanHandlers<R = string[]> {
  /**
   * One record: every record has the same number of fields (the first record's). Blank lines
   * are skipped, except in a one-column file, where a blank line is an empty cell (trailing
   * blank lines are dropped either way). Called synchronously; may throw RecordError.
   * CsvScanner's arrays are the handler's to keep; CsvByteScanner's records (csv-bytes.ts)
   * are valid during the call only.
   */
  onRecord(record: R): void
  /** After each chunk of the file (about 1 MiB) was parsed; awaited (backpressure). */
  onChunk?(bytesRead: number): Promise<void> | void
}

/** A problem found at a file offset (reported as "line N: message"). */
export interface Failure { offset: number; message: string }

/**
 * Parse `file` (starting after a BOM of `bomLength` bytes) with `delimiter`, `quote` and
 * `escape` (inside quoted fields, escape + quote is a quote and escape + escape an escape;
 * before any other character the escape is kept as is; a doubled quote is a quote too).
 * Throws SluiceError 422 invalid_file for bytes that are not UTF-8, malformed quoting, a record
 * with a different number of fields, or a RecordError from a handler — each naming the line
 * where the record starts. Other errors from handlers pass through.
 */
export class CsvScanner {
  /** file offset where the record being delivered starts */
  recordStart = 0
  /** fields per record, known after the first record (may be set before `run`) */
  width = -1
  /**
   * File offset where parsing stops as at the end of the file (a byte range of a file split
   * at a record boundary; a boundary that is not one shows as an unclosed quote).
   */
  end = Infinity

  #failure: Failure | null = null
  #pendingBlank = 0
  #onRecord: (fields: string[]) => void = () => {}

  readonly #quoteCode: number
  readonly #escape: string | null

  constructor(readonly file: string, readonly delimiter: string, readonly bomLength: number, readonly quote = '"', escape = quote) {
    this.#quoteCode = quote.charCodeAt(0)
    this.#escape = escape === quote ? null : escape
  }

  /**
   * Parse the file. `limitBytes`: stop after the chunk that reaches this file offset (a
   * sample; the record cut by the stop is not delivered). Returns false when it stopped
   * before the end of the file.
   */
  async run(handlers: ScanHandlers, limitBytes = Infinity): Promise<boolean> {
    const base = this.bomLength
    this.#onRecord = handlers.onRecord
    this.#failure = null
    this.#pendingBlank = 0
    /** text of a record not complete at the end of the previous chunk, and its file offset */
    let carry = ''
    let carryOffset = base
    let carryBytes = 0
    const parse = (body: Buffer | null, final: boolean): void => {
      const text = body === null || body.length === 0 ? '' : body.toString('utf8')
      const bodyBytes = body === null ? 0 : body.length
      const s = carry.length === 0 ? text : carry + text
      const ascii = s.length === carryBytes + bodyBytes
      const rest = this.#tokenize(s, carryOffset, ascii, final)
      if (rest < 0) return
      if (rest === s.length) {
        carry = ''
        carryOffset = carryOffset + carryBytes + bodyBytes
        carryBytes = 0
      } else {
        const restOffset = ascii ? carryOffset + rest : carryOffset + utf8Length(s, 0, rest)
        carry = s.slice(rest)
        carryBytes = carryOffset + carryBytes + bodyBytes - restOffset
        carryOffset = restOffset
        if (carryBytes > MAX_RECORD_BYTES) this.#failure ??= { offset: carryOffset, message: MSG_TOO_LARGE }
      }
    }

    const utf8 = new Utf8Checker()
    let bytesRead = 0
    const range = Number.isFinite(this.end) ? { end: this.end - 1 } : {}
    if (this.end <= base) return true
    const stream = createReadStream(this.file, { start: base, ...range, highWaterMark: READ_CHUNK_BYTES })
    let stopped = false
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const body = utf8.check(chunk)
        if (utf8.bad === null) {
          parse(body, false)
        } else {
          // records before the bad byte may hold an earlier problem: report the first one
          if (utf8.bad > 0) parse(body.subarray(0, utf8.bad), false)
          this.#failure ??= utf8Failure(base + bytesRead + utf8.bad - utf8.carriedBefore)
        }
        if (this.#failure) break
        bytesRead += chunk.length
        await handlers.onChunk?.(base + bytesRead)
        if (base + bytesRead >= limitBytes) { stopped = true; break }
      }
      if (stopped) return false
      if (!this.#failure) {
        if (!utf8.finish()) this.#failure = utf8Failure(base + bytesRead - utf8.carried)
      }
      if (!this.#failure) parse(null, true)
    } finally {
      stream.destroy()
    }
    const failure = this.#failure as Failure | null
    if (failure) throw invalidFile(`line ${await lineAt(this.file, failure.offset)}: ${failure.message}`)
    return true
  }

  /**
   * Deliver the complete records of `s` (file offset `offset`; `ascii`: one byte per char).
   * Returns the index where an incomplete record starts (s.length when none), or -1 after a
   * failure. `final`: the end of the file, every record is complete.
   */
  #tokenize(s: string, offset: number, ascii: boolean, final: boolean): number {
    const len = s.length
    const delim = this.delimiter
    const dl = delim.length
    const quote = this.quote
    const QUOTE = this.#quoteCode
    const esc = this.#escape
    // byte offsets of char indexes in a non-ASCII string, counted forward from a cursor
    let curChar = 0
    let curByte = offset
    // next positions of the delimiter, \n, \r and the escape at or after the scan position
    // (len: none left); stale when below the position
    let nextD = -1
    let nextLF = -1
    let nextCR = -1
    let nextE = -1 // next escape character (when it is not the quote)
    let pos = 0
    while (pos < len) {
      const recStart = pos
      const fields: string[] = []
      let recEnd = -1
      for (;;) {
        if (s.charCodeAt(pos) === QUOTE) {
          // quoted field
          let p = pos + 1
          let value = ''
          let after = -1
          for (;;) {
            const q = s.indexOf(quote, p)
            if (esc !== null) {
              // an escape character before the next quote (or with no quote left)
              if (nextE < p) { nextE = s.indexOf(esc, p); if (nextE < 0) nextE = len }
              const e = nextE
              if (e < len && (q < 0 || e < q)) {
                if (e + 1 >= len) {
                  if (!final) return recStart
                  return this.#fail(ascii ? offset + recStart : offset + utf8Length(s, 0, recStart), MSG_UNCLOSED)
                }
                const next = s[e + 1]
                if (next === quote || next === esc) { value += s.slice(p, e) + next; p = e + 2 }
                else { value += s.slice(p, e + 1); p = e + 1 }
                continue
              }
            }
            if (q < 0) {
              if (!final) return recStart
              return this.#fail(ascii ? offset + recStart : offset + utf8Length(s, 0, recStart), MSG_UNCLOSED)
            }
            if (q + 1 >= len) {
              if (!final) return recStart
              value += s.slice(p, q)
              after = len
              break
            }
            if (s.charCodeAt(q + 1) === QUOTE) {
              value += s.slice(p, q + 1)
              p = q + 2
              continue
            }
            value += s.slice(p, q)
            after = q + 1
            break
          }
          fields.push(value)
          if (after >= len) { recEnd = len; break }
          const c = s.charCodeAt(after)
          if (c === LF) { recEnd = after + 1; break }
          if (c === CR) {
            if (after + 1 < len) { recEnd = s.charCodeAt(after + 1) === LF ? after + 2 : after + 1; break }
            if (!final) return recStart
            recEnd = len
            break
          }
          if (s.startsWith(delim, after)) { pos = after + dl; continue }
          return this.#fail(ascii ? offset + recStart : offset + utf8Length(s, 0, recStart), MSG_AFTER_CLOSE)
        }
        // unquoted field: up to the next delimiter or line end
        if (nextD < pos) { nextD = s.indexOf(delim, pos); if (nextD < 0) nextD = len }
        if (nextLF < pos) { nextLF = s.indexOf('\n', pos); if (nextLF < 0) nextLF = len }
        if (nextCR < pos) { nextCR = s.indexOf('\r', pos); if (nextCR < 0) nextCR = len }
        const eol = nextLF < nextCR ? nextLF : nextCR
        const end = nextD < eol ? nextD : eol
        // a quote inside an unquoted field is a plain character (csv-spectrum, Python csv, Excel)
        if (end === len) {
          if (!final) return recStart
          fields.push(s.slice(pos))
          recEnd = len
          break
        }
        fields.push(s.slice(pos, end))
        if (end === nextD) { pos = end + dl; continue }
        if (end === nextLF) { recEnd = end + 1; break }
        // \r: alone or \r\n
        if (end + 1 < len) { recEnd = s.charCodeAt(end + 1) === LF ? end + 2 : end + 1; break }
        if (!final) return recStart
        recEnd = len
        break
      }
      let start: number
      if (ascii) start = offset + recStart
      else {
        curByte += utf8Length(s, curChar, recStart)
        curChar = recStart
        start = curByte
      }
      if (!this.#record(fields, start)) return -1
      pos = recEnd
    }
    return len
  }

  #fail(offset: number, message: string): -1 {
    this.#failure ??= { offset, message }
    return -1
  }

  /** One parsed record starting at file offset `start`; false after a failure. */
  #record(fields: string[], start: number): boolean {
    this.recordStart = start
    const blank = fields.length === 1 && fields[0] === ''
    if (this.width < 0) {
      if (blank) return true // leading blank lines
      this.width = fields.length
    } else if (blank && this.width > 1) {
      return true
    } else if (blank) {
      this.#pendingBlank++
      return true
    } else if (fields.length !== this.width) {
      this.#fail(start, `expected ${this.width} fields, found ${fields.length}`)
      return false
    }
    try {
      for (; this.#pendingBlank > 0; this.#pendingBlank--) this.#onRecord([''])
      this.recordStart = start
      this.#onRecord(fields)
    } catch (e) {
      if (!(e instanceof RecordError)) throw e
      this.#fail(this.recordStart, e.message)
      return false
    }
    return true
  }
}

/** UTF-8 byte length of s[from, to) (s is well-formed: surrogates come in pairs). */
function utf8Length(s: string, from: number, to: number): number {
  if (to - from < 16) {
    let n = to - from
    for (let i = from; i < to; i++) {
      const c = s.charCodeAt(i)
      if (c >= 0x80) n += c < 0x800 || (c >= 0xd800 && c <= 0xdfff) ? 1 : 2
    }
    return n
  }
  return Buffer.byteLength(s.slice(from, to), 'utf8')
}

function utf8Failure(offset: number): { offset: number; message: string } {
  return { offset, message: utf8FailureMessage(offset) }
}

/** The 422 message for a byte at file `offset` that is not UTF-8. */
export function utf8FailureMessage(offset: number): string {
  return `the file is not valid UTF-8 (byte offset ${offset}); pass encoding= if it is in another encoding`
}

/**
 * Incremental UTF-8 validation with node's isUtf8 (simdutf): a character split across chunks
 * is carried into the next check.
 */
export class Utf8Checker {
  #carry: Buffer = Buffer.alloc(0)
  /** after check(): null when valid so far, else the body-relative offset of the first invalid byte */
  bad: number | null = null
  /** after check(): bytes of the previous chunk at the start of the body */
  carriedBefore = 0

  get carried(): number {
    return this.#carry.length
  }

  /** The complete characters available after `chunk` (carried bytes first); sets `bad`. */
  check(chunk: Buffer): Buffer {
    const carryLen = this.#carry.length
    const data = carryLen ? Buffer.concat([this.#carry, chunk]) : chunk
    const cut = completePrefix(data, 0, data.length)
    const body = data.subarray(0, cut)
    this.#carry = Buffer.from(data.subarray(cut))
    this.carriedBefore = carryLen
    this.bad = isUtf8(body) ? null : firstInvalid(body)
    return body
  }

  /** At the end of the file: false when a partial character is left over. */
  finish(): boolean {
    return this.#carry.length === 0
  }
}

/** End of the longest prefix of b[from, to) that does not stop inside a multi-byte character. */
export function completePrefix(b: Uint8Array, from: number, to: number): number {
  let i = to - 1
  let k = 0
  while (i >= from && k < 3 && (b[i]! & 0xc0) === 0x80) { i--; k++ }
  if (i < from) return to
  const lead = b[i]!
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return to - i < need ? i : to
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (only called on failure). */
export function firstInvalid(b: Uint8Array): number {
  for (let i = 0; i < b.length;) {
    const c = b[i]!
    let n = 0
    let min = 0
    if (c < 0x80) { i++; continue }
    if (c >= 0xc2 && c <= 0xdf) { n = 1; min = 0x80 }
    else if (c >= 0xe0 && c <= 0xef) { n = 2; min = 0x800 }
    else if (c >= 0xf0 && c <= 0xf4) { n = 3; min = 0x10000 }
    else return i
    let cp = c & (0x3f >> n)
    for (let j = 1; j <= n; j++) {
      const d = b[i + j]
      if (d === undefined || (d & 0xc0) !== 0x80) return i
      cp = (cp << 6) | (d & 0x3f)
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return i
    i += n + 1
  }
  return b.length
}

/** 1-based physical line of a file offset: line breaks are \n, \r\n and a lone \r. */
export async function lineAt(file: string, offset: number): Promise<number> {
  let line = 1
  let prevCR = false
  if (offset <= 0) return 1
  const stream = createReadStream(file, { start: 0, end: offset - 1, highWaterMark: READ_CHUNK_BYTES })
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    for (let i = 0; i < chunk.length; i++) {
      const c = chunk[i]
      if (c === 10) { if (!prevCR) line++; prevCR = false }
      else if (c === 13) { line++; prevCR = true }
      else prevCR = false
    }
  }
  return line
}
