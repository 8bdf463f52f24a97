/**
 * Stream a CSV file from disk as records of strings: UTF-8 validation, csv-parse in arrays
 * mode without `cast` (STACK.md: a cast costs 5x), one field count for the whole file, blank
 * lines, and errors that name the physical line. Runs in worker threads.
 *
 * csv-parse is driven through `parser.api.parse(buf, end, push, close)`, the synchronous core
 * its own stream Transform calls: records arrive by a plain function call instead of one
 * stream object each (about 25% faster here), and a record handler may throw to stop.
 */
import { isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { Parser } from 'csv-parse'
import { invalidFile } from '../../proto/errors.js'

/** A problem with one record; the scanner turns it into 422 invalid_file "line N: ...". */
export class RecordError extends Error {}

/** Largest record accepted (an unclosed quote otherwise reads the whole file into one field). */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024
const READ_CHUNK_BYTES = 1024 * 1024

interface ParserCore {
  parse(buf: Buffer | undefined, end: boolean, push: (record: string[]) => void, close: () => void): Error | undefined
  info: { bytes: number }
}

export interface ScanHandlers {
  /**
   * One record: every record has the same number of fields (the first record's). Blank lines
   * are skipped, except in a one-column file, where a blank line is an empty cell (trailing
   * blank lines are dropped either way). Called synchronously; may throw RecordError.
   */
  onRecord(fields: string[]): void
  /** After each chunk of the file (about 1 MiB) was parsed; awaited (backpressure). */
  onChunk?(bytesRead: number): Promise<void> | void
}

/**
 * Parse `file` (starting after a BOM of `bomLength` bytes) with `delimiter` and quote `"`.
 * Throws SluiceError 422 invalid_file for bytes that are not UTF-8, malformed quoting, a record
 * with a different number of fields, or a RecordError from a handler — each naming the line
 * where the record starts. Other errors from handlers pass through.
 */
export class CsvScanner {
  /** file offset where the record being delivered starts */
  recordStart = 0
  /** fields per record, known after the first record */
  width = -1
  #prevEnd = 0

  constructor(readonly file: string, readonly delimiter: string, readonly bomLength: number) {}

  async run(handlers: ScanHandlers): Promise<void> {
    const parser = new Parser({
      delimiter: this.delimiter,
      quote: '"',
      escape: '"',
      // every line end, also mixed in one file (auto-detection fixes the first one it meets
      // and leaves a stray \r in the values of the other lines)
      record_delimiter: ['\r\n', '\n', '\r'],
      relax_column_count: true, // checked here, to name the line our way and to see blank lines
      max_record_size: MAX_RECORD_BYTES,
    })
    const core = (parser as unknown as { api: ParserCore }).api
    const base = this.bomLength
    this.#prevEnd = base
    let pendingBlank = 0
    let failure: { offset: number; message: string } | null = null
    const { onRecord } = handlers
    const push = (fields: string[]): void => {
      const start = this.#prevEnd
      this.#prevEnd = base + core.info.bytes
      this.recordStart = start
      const blank = fields.length === 1 && fields[0] === ''
      if (this.width < 0) {
        if (blank) return // leading blank lines
        this.width = fields.length
      } else if (blank && this.width > 1) {
        return
      } else if (blank) {
        pendingBlank++
        return
      } else if (fields.length !== this.width) {
        failure ??= { offset: start, message: `expected ${this.width} fields, found ${fields.length}` }
        throw new RecordError(failure.message)
      }
      for (; pendingBlank > 0; pendingBlank--) onRecord([''])
      this.recordStart = start
      onRecord(fields)
    }
    const close = (): void => {}
    const parse = (buf: Buffer | undefined, end: boolean): void => {
      let err: Error | undefined
      try {
        err = core.parse(buf, end, push, close)
      } catch (e) {
        if (!(e instanceof RecordError)) throw e
        failure ??= { offset: this.recordStart, message: e.message }
      }
      if (err) failure ??= { offset: this.#prevEnd, message: describeParseError(err) }
    }

    const utf8 = new Utf8Checker()
    let bytesRead = 0
    const stream = createReadStream(this.file, { start: base, highWaterMark: READ_CHUNK_BYTES })
    try {
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        const bad = utf8.check(chunk)
        if (bad === null) {
          parse(chunk, false)
        } else {
          // records before the bad byte may hold an earlier problem: report the first one
          if (bad > 0) parse(chunk.subarray(0, bad), false)
          failure ??= utf8Failure(base + bytesRead + bad)
        }
        if (failure) break
        bytesRead += chunk.length
        await handlers.onChunk?.(base + bytesRead)
      }
      if (!failure) {
        if (!utf8.finish()) failure = utf8Failure(base + bytesRead - utf8.carried)
      }
      if (!failure) parse(undefined, true)
    } finally {
      stream.destroy()
    }
    if (failure) throw invalidFile(`line ${await lineAt(this.file, failure.offset)}: ${failure.message}`)
  }
}

function describeParseError(err: Error): string {
  switch ((err as { code?: string }).code) {
    case 'CSV_QUOTE_NOT_CLOSED': return 'a quoted field is not closed'
    case 'CSV_INVALID_CLOSING_QUOTE': return 'a closing quote is followed by a character other than a delimiter or a line end'
    case 'INVALID_OPENING_QUOTE': return 'a quote appears inside an unquoted field (quote the field and double the quote)'
    case 'CSV_MAX_RECORD_SIZE': return `a record is larger than ${MAX_RECORD_BYTES} bytes (an unclosed quote?)`
    default: return `malformed CSV (${err.message})`
  }
}

function utf8Failure(offset: number): { offset: number; message: string } {
  return { offset, message: `the file is not valid UTF-8 (byte offset ${offset}); upload it as UTF-8` }
}

/**
 * Incremental UTF-8 validation with node's isUtf8 (simdutf): a character split across chunks
 * is carried into the next check.
 */
class Utf8Checker {
  #carry: Buffer = Buffer.alloc(0)

  get carried(): number {
    return this.#carry.length
  }

  /**
   * null when valid so far, else the chunk-relative offset of the first invalid byte
   * (negative when it lies in the carried bytes of the previous chunk).
   */
  check(chunk: Buffer): number | null {
    const carryLen = this.#carry.length
    const data = carryLen ? Buffer.concat([this.#carry, chunk]) : chunk
    const cut = completePrefix(data)
    const body = data.subarray(0, cut)
    this.#carry = Buffer.from(data.subarray(cut))
    if (isUtf8(body)) return null
    return firstInvalid(body) - carryLen
  }

  /** At the end of the file: false when a partial character is left over. */
  finish(): boolean {
    return this.#carry.length === 0
  }
}

/** Length of the prefix of `b` that does not end inside a multi-byte character. */
function completePrefix(b: Buffer): number {
  let i = b.length - 1
  let k = 0
  while (i >= 0 && k < 3 && (b[i]! & 0xc0) === 0x80) { i--; k++ }
  if (i < 0) return b.length
  const lead = b[i]!
  const need = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1
  return b.length - i < need ? i : b.length
}

/** Offset of the first byte that starts an invalid UTF-8 sequence (only called on failure). */
function firstInvalid(b: Uint8Array): number {
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
