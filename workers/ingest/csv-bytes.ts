/**
 * The write pass's CSV tokenizer on bytes: records are delivered as field byte ranges of a
 * read buffer, never as strings, so that typed columns can be parsed from bytes and string
 * columns copied as UTF-8 straight into Arrow (columns.ts `appendBytes`). Same grammar,
 * errors and line numbers as CsvScanner (csv-source.ts), which stays the tokenizer of
 * inference and previews; this one handles the common dialect only (`supportsBytes`): a
 * one-byte ASCII delimiter and quote, the quote as its own escape. Runs in worker threads.
 *
 * The file is read into one buffer: a record not complete at the end of what was read is
 * moved to the front and the next read appended after it (no concatenation, no re-decoding).
 * Bytes are validated as UTF-8 as they arrive (simdutf); a character cut by a read waits for
 * the next one. A quoted field with doubled quotes is unescaped in place once its record is
 * complete (the unescaped text is never longer).
 */
import { isUtf8 } from 'node:buffer'
import { open } from 'node:fs/promises'
import { invalidFile } from '../../proto/errors.js'
import { MAX_RECORD_BYTES, MSG_AFTER_CLOSE, MSG_TOO_LARGE, MSG_UNCLOSED, RecordError, completePrefix, firstInvalid, lineAt, utf8FailureMessage, type Failure, type ScanHandlers } from './csv-source.js'

const READ_BYTES = 1024 * 1024
const LF = 10
const CR = 13

/** Whether CsvByteScanner reads this dialect (else CsvScanner does). */
export function supportsBytes(delimiter: string, quote: string, escape: string): boolean {
  const ascii = (s: string): boolean => s.length === 1 && s.charCodeAt(0) < 0x80
  return ascii(delimiter) && ascii(quote) && escape === quote
}

/**
 * One record: field f is `buf[starts[f], ends[f])` (quotes removed and unescaped). Valid only
 * during the onRecord call.
 */
export interface ByteRecord {
  buf: Uint8Array
  starts: Int32Array
  ends: Int32Array
}


/** CsvScanner's contract on bytes (see the file comment for the dialects it takes). */
export class CsvByteScanner {
  /** file offset where the record being delivered starts */
  recordStart = 0
  /** fields per record, known after the first record (may be set before `run`) */
  width = -1
  /** file offset where parsing stops as at the end of the file (see CsvScanner.end) */
  end = Infinity

  #failure: Failure | null = null
  #pendingBlank = 0
  #onRecord: (r: ByteRecord) => void = () => {}
  /** file offset of buf[0] */
  #base = 0
  readonly #rec: ByteRecord = { buf: new Uint8Array(0), starts: new Int32Array(64), ends: new Int32Array(64) }
  /** per field of the record being tokenized: 1 when it holds doubled quotes */
  #escaped = new Uint8Array(64)
  readonly #blank: ByteRecord = { buf: new Uint8Array(0), starts: new Int32Array(1), ends: new Int32Array(1) }
  readonly #delim: number
  readonly #quote: number
  /** 1 for the bytes that end an unquoted field: the delimiter, \n, \r */
  readonly #stops = new Uint8Array(256)

  constructor(readonly file: string, delimiter: string, readonly bomLength: number, quote = '"') {
    this.#delim = delimiter.charCodeAt(0)
    this.#quote = quote.charCodeAt(0)
    this.#stops[this.#delim] = this.#stops[LF] = this.#stops[CR] = 1
  }

  /** Parse the file (from `bomLength` to `end`). Throws SluiceError 422 as CsvScanner.run. */
  async run(handlers: ScanHandlers<ByteRecord>): Promise<void> {
    this.#onRecord = handlers.onRecord
    this.#failure = null
    this.#pendingBlank = 0
    const start = this.bomLength
    const stop = Number.isFinite(this.end) ? this.end : Infinity
    if (stop <= start) return
    const fh = await open(this.file, 'r')
    let buf = Buffer.allocUnsafe(4 * READ_BYTES)
    this.#base = start
    /** buf[0, filled) read; [0, valid) checked UTF-8 ending on a character boundary */
    let filled = 0
    let valid = 0
    let pos = 0 // where the next record starts in buf
    let fileOffset = start // next byte to read
    try {
      for (;;) {
        if (buf.length - filled < READ_BYTES) {
          // a long record (at most MAX_RECORD_BYTES, checked below): grow
          const bigger = Buffer.allocUnsafe(buf.length * 2)
          buf.copy(bigger, 0, 0, filled)
          buf = bigger
        }
        const want = Math.min(READ_BYTES, stop - fileOffset)
        const { bytesRead } = want > 0 ? await fh.read(buf, filled, want, fileOffset) : { bytesRead: 0 }
        const eof = bytesRead === 0
        fileOffset += bytesRead
        filled += bytesRead
        let bad = -1
        if (!eof) {
          const cut = completePrefix(buf, valid, filled)
          if (!isUtf8(buf.subarray(valid, cut))) bad = valid + firstInvalid(buf.subarray(valid, cut))
          else valid = cut
        } else if (valid < filled) {
          bad = valid // a character cut by the end of the file
        }
        if (bad >= 0) {
          // records before the bad byte may hold an earlier problem: report the first one
          if (bad > pos) this.#tokenize(buf, pos, bad, false)
          this.#failure ??= { offset: this.#base + bad, message: utf8FailureMessage(this.#base + bad) }
          break
        }
        const rest = this.#tokenize(buf, pos, valid, eof)
        if (rest < 0 || eof) break
        // the incomplete record moves to the front
        if (rest > 0) {
          buf.copy(buf, 0, rest, filled)
          this.#base += rest
          filled -= rest
          valid -= rest
        }
        pos = 0
        if (filled > MAX_RECORD_BYTES) { this.#failure ??= { offset: this.#base, message: MSG_TOO_LARGE }; break }
        await handlers.onChunk?.(fileOffset)
      }
    } finally {
      await fh.close()
    }
    const failure = this.#failure as Failure | null
    if (failure) throw invalidFile(`line ${await lineAt(this.file, failure.offset)}: ${failure.message}`)
  }

  /**
   * Deliver the complete records of buf[from, to). Returns where an incomplete record starts
   * (`to` when none), or -1 after a failure. `final`: the end of the input.
   */
  #tokenize(buf: Uint8Array, from: number, to: number, final: boolean): number {
    const D = this.#delim
    const Q = this.#quote
    const stops = this.#stops
    const rec = this.#rec
    let starts = rec.starts
    let ends = rec.ends
    let escapedAt = this.#escaped
    let pos = from
    while (pos < to) {
      const recStart = pos
      let nf = 0
      let recEnd = -1
      let anyEscaped = 0 // a field of this record holds doubled quotes
      for (;;) {
        if (nf === starts.length) {
          this.#grow()
          starts = rec.starts
          ends = rec.ends
          escapedAt = this.#escaped
        }
        if (pos < to && buf[pos] === Q) {
          // quoted field: up to a quote not followed by another
          let p = pos + 1
          let escaped = 0
          let q: number
          for (;;) {
            q = buf.indexOf(Q, p)
            if (q < 0 || q >= to) {
              if (!final) return recStart
              return this.#fail(recStart, MSG_UNCLOSED)
            }
            if (q + 1 >= to) {
              if (!final) return recStart
              break
            }
            if (buf[q + 1] === Q) { escaped = 1; p = q + 2; continue }
            break
          }
          starts[nf] = pos + 1
          ends[nf] = q
          escapedAt[nf++] = escaped
          anyEscaped |= escaped
          const after = q + 1
          if (after >= to) { recEnd = to; break }
          const c = buf[after]!
          if (c === LF) { recEnd = after + 1; break }
          if (c === CR) {
            if (after + 1 < to) { recEnd = buf[after + 1] === LF ? after + 2 : after + 1; break }
            if (!final) return recStart
            recEnd = to
            break
          }
          if (c === D) { pos = after + 1; continue }
          return this.#fail(recStart, MSG_AFTER_CLOSE)
        }
        // unquoted field: up to the next delimiter or line end (a quote inside is plain text)
        let j = pos
        while (j < to && stops[buf[j]!] === 0) j++
        const c = j < to ? buf[j]! : 0
        starts[nf] = pos
        ends[nf] = j
        escapedAt[nf++] = 0
        if (j === to) {
          if (!final) return recStart
          recEnd = to
          break
        }
        if (c === D) { pos = j + 1; continue }
        if (c === LF) { recEnd = j + 1; break }
        if (j + 1 < to) { recEnd = buf[j + 1] === LF ? j + 2 : j + 1; break }
        if (!final) return recStart
        recEnd = to
        break
      }
      if (!this.#record(buf, nf, recStart, anyEscaped)) return -1
      pos = recEnd
    }
    return to
  }

  #grow(): void {
    const n = this.#rec.starts.length * 2
    const starts = new Int32Array(n); starts.set(this.#rec.starts)
    const ends = new Int32Array(n); ends.set(this.#rec.ends)
    const escaped = new Uint8Array(n); escaped.set(this.#escaped)
    this.#rec.starts = starts
    this.#rec.ends = ends
    this.#escaped = escaped
  }

  #fail(bufIndex: number, message: string): -1 {
    this.#failure ??= { offset: this.#base + bufIndex, message }
    return -1
  }

  /** One complete record of `nf` fields starting at buf[recStart]; false after a failure. */
  #record(buf: Uint8Array, nf: number, recStart: number, anyEscaped: number): boolean {
    const rec = this.#rec
    const start = this.#base + recStart
    this.recordStart = start
    const blank = nf === 1 && rec.starts[0] === rec.ends[0]
    if (this.width < 0) {
      if (blank) return true // leading blank lines
      this.width = nf
    } else if (blank && this.width > 1) {
      return true
    } else if (blank) {
      this.#pendingBlank++
      return true
    } else if (nf !== this.width) {
      this.#fail(recStart, `expected ${this.width} fields, found ${nf}`)
      return false
    }
    if (anyEscaped) for (let f = 0; f < nf; f++) if (this.#escaped[f]) rec.ends[f] = unescapeInPlace(buf, rec.starts[f]!, rec.ends[f]!, this.#quote)
    rec.buf = buf
    try {
      for (; this.#pendingBlank > 0; this.#pendingBlank--) this.#onRecord(this.#blank)
      this.recordStart = start
      this.#onRecord(rec)
    } catch (e) {
      if (!(e instanceof RecordError)) throw e
      this.#failure ??= { offset: this.recordStart, message: e.message }
      return false
    }
    return true
  }
}

/** Doubled quotes in buf[start, end) become single ones, in place; returns the new end. */
function unescapeInPlace(buf: Uint8Array, start: number, end: number, quote: number): number {
  let w = start
  for (let r = start; r < end; r++, w++) {
    const c = buf[r]!
    buf[w] = c
    if (c === quote) r++ // the tokenizer saw it doubled
  }
  return w
}
