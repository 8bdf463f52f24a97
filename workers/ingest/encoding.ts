/**
 * Text encodings of CSV uploads: detection, and transcoding to UTF-8. Runs in worker threads.
 *
 * A UTF-8 file (with or without a BOM) is parsed in place. Any other encoding is transcoded
 * once, streaming, into a UTF-8 temp file next to the upload (deleted afterwards), and both
 * passes parse that file: the tokenizer stays UTF-8 only, and line breaks survive the
 * transcoding, so line numbers in errors are the same as in the original.
 *
 * Detection (no `encoding` given): a BOM (UTF-8, UTF-16LE, UTF-16BE); else a sample whose NUL
 * bytes sit on every other byte is BOM-less UTF-16; else UTF-8 when the whole file is valid
 * UTF-8; else, when the text before the first invalid byte held UTF-8 multi-byte characters,
 * the file is UTF-8 with a bad byte (422, never mojibake); else chardet on a sample (the
 * start and the region of the first non-UTF-8 byte) decides between the Latin-1 family (the
 * result; a warning when chardet named another Latin script such as ISO-8859-2) and a
 * non-Latin encoding we do not read (422: CJK, Cyrillic, Greek, Hebrew, Arabic).
 * Within the Latin-1 family: windows-1252 when a byte 0x80-0x9F occurs (C1 controls are not
 * text), else iso-8859-1 (the two decode every other byte alike).
 */
import { isAscii, isUtf8 } from 'node:buffer'
import { createReadStream } from 'node:fs'
import { open, rm } from 'node:fs/promises'
import { randomBytes } from 'node:crypto'
import chardet from 'chardet'
import iconv from 'iconv-lite'
import { invalidFile, invalidParameter } from '../../proto/errors.js'
import { CSV_ENCODINGS, type CsvEncoding } from '../../proto/ingest.js'
import { Utf8Checker, completePrefix, lineAt } from './csv-source.js'

const CHUNK = 1024 * 1024
const SAMPLE = 64 * 1024
/** bytes windows-1252 leaves undefined, and the range 0x80-0x9F, as latin1-decoded text */
const CP1252_UNDEFINED = /[\x81\x8d\x8f\x90\x9d]/
const C1 = /[\x80-\x9f]/
/**
 * chardet answers that mean a script Latin-1 would turn into mojibake: CJK multi-byte
 * encodings, Cyrillic, Greek, Hebrew, Arabic. Refused (a wrong guess costs the caller an
 * explicit encoding=, a silent Latin-1 reading would cost the data).
 */
const NOT_LATIN = /^(shift_jis|euc-jp|euc-kr|big5|gb18030|iso-2022-|windows-125[13568]|koi8|iso-8859-[5678])/i
const MULTI_BYTE = /^(shift_jis|euc-jp|euc-kr|big5|gb18030|iso-2022-)/i
/**
 * A single-byte non-Latin guess counts only with this many distinct bytes >= 0x80 in the
 * sample: Cyrillic or Greek text uses dozens, while chardet also names KOI8-R for a Latin-1
 * file whose only accented letter is a repeated é.
 */
const MIN_DISTINCT_HIGH = 10

export interface CsvSource {
  /** the UTF-8 file to parse (the upload itself, or a transcoded temp file) */
  path: string
  /** bytes of a UTF-8 BOM to skip in `path` */
  bomLength: number
  encoding: CsvEncoding
  detected: boolean
  warnings: string[]
  /** delete the temp file, if any (idempotent) */
  cleanup(): Promise<void>
  /**
   * true: taken as UTF-8 from its first SAMPLE bytes only (`openCsvSource` with `provisional`);
   * whoever parses it must read every byte as UTF-8 (the tokenizers validate as they go) and,
   * on any failure, decide again with a full `openCsvSource`.
   */
  provisional?: boolean
}

/** Check a caller-given encoding (a CsvEncoding, any case). */
export function checkEncoding(e: unknown): CsvEncoding {
  const s = typeof e === 'string' ? e.toLowerCase() : ''
  if (!(CSV_ENCODINGS as readonly string[]).includes(s)) throw invalidParameter('encoding', `must be one of ${CSV_ENCODINGS.join(', ')}`)
  return s as CsvEncoding
}

/**
 * Decide the encoding of `file` (or take `given`) and provide a UTF-8 file to parse. Throws
 * 422 invalid_file "line N: ..." for bytes not valid in the encoding. `provisional`: a file
 * without a BOM, not UTF-16, whose first SAMPLE bytes are UTF-8, is taken as UTF-8 without
 * checking the rest (a pass over the whole file, ~0.2 s per 170 MB here); see CsvSource.provisional.
 */
export async function openCsvSource(file: string, given: CsvEncoding | undefined, provisional = false): Promise<CsvSource> {
  const head = await readAt(file, 0, SAMPLE)
  const bom = bomOf(head)
  let encoding: CsvEncoding
  const detected = given === undefined
  const warnings: string[] = []
  if (given !== undefined) {
    encoding = given
    if (bom && bom.encoding !== encoding) {
      throw invalidFile(`line 1: the file starts with a ${bom.encoding.toUpperCase()} byte order mark, but encoding=${encoding} was given`)
    }
  } else if (bom) {
    encoding = bom.encoding
  } else {
    const utf16 = utf16WithoutBom(head)
    if (utf16) {
      encoding = utf16
    } else if (provisional && isUtf8(head.subarray(0, completePrefix(head, 0, head.length)))) {
      return { path: file, bomLength: 0, encoding: 'utf-8', detected, warnings, cleanup: async () => {}, provisional: true }
    } else {
      const bad = await firstInvalidUtf8(file)
      if (bad === null) encoding = 'utf-8'
      else {
        if (bad.nonAsciiBefore) {
          throw invalidFile(`line ${await lineAt(file, bad.offset)}: the file is not valid UTF-8 (byte offset ${bad.offset}), though the text before holds UTF-8 characters; pass encoding= if it is in another encoding`)
        }
        const around = await readAt(file, Math.max(0, bad.offset - 1024), SAMPLE)
        const sample = Buffer.concat([head, around])
        const guess = chardet.detect(sample)
        if (guess && NOT_LATIN.test(guess) && (MULTI_BYTE.test(guess) || distinctHighBytes(sample) >= MIN_DISTINCT_HIGH)) {
          throw invalidFile(`line ${await lineAt(file, bad.offset)}: the file is not valid UTF-8 (byte offset ${bad.offset}) and looks like ${guess}, which is not supported; convert it to UTF-8, or pass encoding= (${CSV_ENCODINGS.join(', ')}) to read it as one of these`)
        }
        if (guess && !/^(iso-8859-1|windows-1252)$/i.test(guess)) {
          warnings.push(`the file is not UTF-8; read it as Latin-1 (windows-1252 / iso-8859-1), although it might be ${guess}: check the preview`)
        }
        encoding = 'windows-1252' // refined to iso-8859-1 below when no byte 0x80-0x9F occurs
      }
    }
  }
  if (encoding === 'utf-8') {
    return { path: file, bomLength: bom?.encoding === 'utf-8' ? 3 : 0, encoding, detected, warnings, cleanup: async () => {} }
  }
  const out = `${file}.${randomBytes(6).toString('hex')}.utf8.tmp`
  const skip = bom && bom.encoding === encoding ? bom.length : 0
  try {
    const latin = detected && (encoding === 'windows-1252')
    const { sawC1 } = await transcode(file, out, encoding, skip)
    if (latin && !sawC1) encoding = 'iso-8859-1'
  } catch (err) {
    await rm(out, { force: true })
    throw err
  }
  return { path: out, bomLength: 0, encoding, detected, warnings, cleanup: () => rm(out, { force: true }) }
}

function distinctHighBytes(b: Buffer): number {
  const seen = new Uint8Array(128)
  let n = 0
  for (let i = 0; i < b.length; i++) {
    const c = b[i]!
    if (c >= 0x80 && seen[c - 0x80] === 0) { seen[c - 0x80] = 1; n++ }
  }
  return n
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.alloc(length)
    const { bytesRead } = await fh.read(buf, 0, length, position)
    return buf.subarray(0, bytesRead)
  } finally {
    await fh.close()
  }
}

function bomOf(b: Buffer): { encoding: CsvEncoding; length: number } | null {
  if (b.length >= 3 && b[0] === 0xef && b[1] === 0xbb && b[2] === 0xbf) return { encoding: 'utf-8', length: 3 }
  if (b.length >= 2 && b[0] === 0xff && b[1] === 0xfe) return { encoding: 'utf-16le', length: 2 }
  if (b.length >= 2 && b[0] === 0xfe && b[1] === 0xff) return { encoding: 'utf-16be', length: 2 }
  return null
}

/** BOM-less UTF-16 of mostly-ASCII text: NULs on at least a third of the odd (LE) or even (BE) bytes, none on the others. */
function utf16WithoutBom(b: Buffer): CsvEncoding | null {
  let even = 0
  let odd = 0
  const n = b.length & ~1
  for (let i = 0; i < n; i += 2) {
    if (b[i] === 0) even++
    if (b[i + 1] === 0) odd++
  }
  const pairs = n / 2
  if (pairs < 2) return null
  if (odd * 3 >= pairs && even === 0) return 'utf-16le'
  if (even * 3 >= pairs && odd === 0) return 'utf-16be'
  return null
}

/**
 * The offset of the first byte that is not UTF-8 and whether a non-ASCII (so UTF-8 multi-byte)
 * character came before it, or null for a valid file (one streaming pass, simdutf).
 */
async function firstInvalidUtf8(file: string): Promise<{ offset: number; nonAsciiBefore: boolean } | null> {
  const utf8 = new Utf8Checker()
  let read = 0
  let nonAscii = false
  const stream = createReadStream(file, { highWaterMark: CHUNK })
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      const body = utf8.check(chunk)
      if (utf8.bad !== null) {
        return { offset: read + utf8.bad - utf8.carriedBefore, nonAsciiBefore: nonAscii || !isAscii(body.subarray(0, utf8.bad)) }
      }
      if (!nonAscii && !isAscii(body)) nonAscii = true
      read += chunk.length
    }
  } finally {
    stream.destroy()
  }
  return utf8.finish() ? null : { offset: read - utf8.carried, nonAsciiBefore: nonAscii }
}

/**
 * Stream `file` (from byte `skip`) in `encoding` into `out` as UTF-8. A byte sequence not
 * valid in the encoding → 422 invalid_file naming its line (counted on the text written so far).
 */
async function transcode(file: string, out: string, encoding: CsvEncoding, skip: number): Promise<{ sawC1: boolean }> {
  const fh = await open(out, 'wx')
  let written = 0
  let sawC1 = false
  const write = async (s: string): Promise<void> => {
    if (s.length === 0) return
    const b = Buffer.from(s, 'utf8')
    await fh.write(b)
    written += b.length
  }
  const fail = async (validText: string, message: string): Promise<never> => {
    await write(validText)
    await fh.close()
    throw invalidFile(`line ${await lineAt(out, written)}: ${message}`)
  }
  let carry: Buffer | null = null
  let offset = skip // file offset of the next byte not yet decoded
  const stream = createReadStream(file, { start: skip, highWaterMark: CHUNK })
  try {
    for await (const raw of stream as AsyncIterable<Buffer>) {
      if (encoding === 'iso-8859-1') {
        await write(raw.toString('latin1'))
      } else if (encoding === 'windows-1252') {
        // latin1 decoding + regexes: ~3x faster than a byte loop; bytes 0x80-0x9F map 1:1 to U+0080-U+009F
        const latin = raw.toString('latin1')
        if (!C1.test(latin)) {
          await write(latin)
        } else {
          sawC1 = true
          const bad = latin.search(CP1252_UNDEFINED)
          if (bad >= 0) {
            await fail(iconv.decode(raw.subarray(0, bad), 'windows-1252'),
              `byte 0x${raw[bad]!.toString(16).toUpperCase()} (byte offset ${offset + bad}) is not a character in windows-1252; pass encoding=iso-8859-1 if the file really is ISO-8859-1`)
          }
          await write(iconv.decode(raw, 'windows-1252'))
        }
      } else {
        // UTF-16: an odd byte, or a high surrogate at the end, waits for the next chunk
        const data: Buffer = carry ? Buffer.concat([carry, raw]) : raw
        const even = data.length & ~1
        let units = data.subarray(0, even)
        if (encoding === 'utf-16be') units = Buffer.from(units).swap16()
        let text = units.toString('utf16le')
        let keep: number = data.length - even
        const last = text.charCodeAt(text.length - 1)
        if (last >= 0xd800 && last <= 0xdbff) {
          text = text.slice(0, -1)
          keep += 2
        }
        await checkUtf16(text, offset, encoding, fail)
        await write(text)
        offset += data.length - keep
        carry = keep > 0 ? Buffer.from(data.subarray(data.length - keep)) : null
        continue
      }
      offset += raw.length
    }
    if (carry) {
      await fail('', `the file is not valid ${encoding.toUpperCase()}: it ends inside a character (byte offset ${offset})`)
    }
    await fh.close()
  } catch (err) {
    await fh.close().catch(() => {})
    throw err
  } finally {
    stream.destroy()
  }
  return { sawC1 }
}

async function checkUtf16(text: string, offset: number, encoding: CsvEncoding, fail: (valid: string, message: string) => Promise<never>): Promise<void> {
  // String.prototype.isWellFormed is in Node 20 (V8 11.3), not in the ES2023 lib
  if ((text as unknown as { isWellFormed(): boolean }).isWellFormed()) return
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0xd800 || c > 0xdfff) continue
    if (c <= 0xdbff) {
      const d = text.charCodeAt(i + 1)
      if (d >= 0xdc00 && d <= 0xdfff) { i++; continue }
    }
    await fail(text.slice(0, i), `the file is not valid ${encoding.toUpperCase()}: an unpaired surrogate at byte offset ${offset + 2 * i}`)
  }
}
