/**
 * A minimal zip central-directory reader: the entry list of a workbook, the bytes of its small
 * parts ([Content_Types].xml, workbook.xml, its rels, styles.xml) read by offset, and the big
 * parts (sheets, shared strings) streamed as UTF-8 text. Reading by the central directory makes
 * the result independent of the order of the entries inside the zip (a single streaming pass
 * over the local headers, as exceljs's WorkbookReader does, intermittently loses the last
 * entry: exceljs issue 3064). Throws SluiceError 422 invalid_file on anything that is not a
 * readable zip. Worker threads.
 */
import { createReadStream } from 'node:fs'
import type { FileHandle } from 'node:fs/promises'
import { StringDecoder } from 'node:string_decoder'
import { createInflateRaw, inflateRawSync } from 'node:zlib'
import { invalidFile } from '../../proto/errors.js'

export interface ZipEntry {
  name: string
  /** 0 stored, 8 deflate */
  method: number
  flags: number
  compressedSize: number
  uncompressedSize: number
  localOffset: number
}

const EOCD_SIG = 0x06054b50
const ZIP64_LOCATOR_SIG = 0x07064b50
const ZIP64_EOCD_SIG = 0x06064b50
const CENTRAL_SIG = 0x02014b50
const LOCAL_SIG = 0x04034b50
/** the end record (22 bytes) plus the longest zip comment */
const EOCD_SEARCH = 22 + 0xffff

async function readAt(fh: FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length)
  const { bytesRead } = await fh.read(buf, 0, length, offset)
  if (bytesRead !== length) throw invalidFile('the workbook is truncated (not a complete zip file)')
  return buf
}

function u64(b: Buffer, at: number): number {
  const v = b.readBigUInt64LE(at)
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw invalidFile('the workbook is not a valid zip file')
  return Number(v)
}

/** Every entry of the zip, by name. */
export async function listZip(fh: FileHandle, size: number): Promise<Map<string, ZipEntry>> {
  const tailLen = Math.min(size, EOCD_SEARCH)
  if (tailLen < 22) throw invalidFile('the workbook is not a zip file')
  const tail = await readAt(fh, size - tailLen, tailLen)
  let eocd = -1
  for (let i = tailLen - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === EOCD_SIG) { eocd = i; break }
  }
  if (eocd < 0) throw invalidFile('the workbook is not a zip file (no central directory; truncated?)')
  let count = tail.readUInt16LE(eocd + 10)
  let cdSize = tail.readUInt32LE(eocd + 12)
  let cdOffset = tail.readUInt32LE(eocd + 16)
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20
    if (loc < 0 || tail.readUInt32LE(loc) !== ZIP64_LOCATOR_SIG) throw invalidFile('the workbook is not a valid zip file')
    const rec = await readAt(fh, u64(tail, loc + 8), 56)
    if (rec.readUInt32LE(0) !== ZIP64_EOCD_SIG) throw invalidFile('the workbook is not a valid zip file')
    count = u64(rec, 32)
    cdSize = u64(rec, 40)
    cdOffset = u64(rec, 48)
  }
  if (cdOffset + cdSize > size) throw invalidFile('the workbook is not a valid zip file (truncated?)')
  const cd = await readAt(fh, cdOffset, cdSize)
  const entries = new Map<string, ZipEntry>()
  let p = 0
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== CENTRAL_SIG) throw invalidFile('the workbook is not a valid zip file')
    const nameLen = cd.readUInt16LE(p + 28)
    const extraLen = cd.readUInt16LE(p + 30)
    const commentLen = cd.readUInt16LE(p + 32)
    const e: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      method: cd.readUInt16LE(p + 10),
      flags: cd.readUInt16LE(p + 8),
      compressedSize: cd.readUInt32LE(p + 20),
      uncompressedSize: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    }
    zip64Extra(e, cd.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen))
    entries.set(e.name, e)
    p += 46 + nameLen + extraLen + commentLen
  }
  return entries
}

/** Sizes and offset of entries beyond 4 GiB live in the zip64 extra field (id 1), in this order. */
function zip64Extra(e: ZipEntry, extra: Buffer): void {
  for (let q = 0; q + 4 <= extra.length;) {
    const id = extra.readUInt16LE(q)
    const len = extra.readUInt16LE(q + 2)
    if (id === 1) {
      let r = q + 4
      const next = (): number => { const v = r + 8 <= q + 4 + len ? u64(extra, r) : NaN; r += 8; return v }
      if (e.uncompressedSize === 0xffffffff) e.uncompressedSize = next()
      if (e.compressedSize === 0xffffffff) e.compressedSize = next()
      if (e.localOffset === 0xffffffff) e.localOffset = next()
      return
    }
    q += 4 + len
  }
}

/** Where the entry's (compressed) data starts: after its local header. */
async function dataStart(fh: FileHandle, e: ZipEntry): Promise<number> {
  if (e.flags & 1) throw invalidFile(`the workbook is encrypted (${e.name}); save it without a password`)
  if (e.method !== 0 && e.method !== 8) throw invalidFile(`the workbook part ${e.name} uses an unsupported compression method (${e.method})`)
  const local = await readAt(fh, e.localOffset, 30)
  if (local.readUInt32LE(0) !== LOCAL_SIG) throw invalidFile('the workbook is not a valid zip file')
  return e.localOffset + 30 + local.readUInt16LE(26) + local.readUInt16LE(28)
}

/** The uncompressed bytes of a (small) entry; refuses entries above `maxBytes`. */
export async function readZipEntry(fh: FileHandle, e: ZipEntry, maxBytes: number): Promise<Buffer> {
  if (e.uncompressedSize > maxBytes || e.compressedSize > maxBytes) throw invalidFile(`the workbook part ${e.name} is too large`)
  const raw = await readAt(fh, await dataStart(fh, e), e.compressedSize)
  if (e.method === 0) return raw
  try {
    return inflateRawSync(raw, { maxOutputLength: maxBytes })
  } catch {
    throw invalidFile(`the workbook part ${e.name} is corrupt`)
  }
}

/**
 * Stream an entry of `file` as UTF-8 text (a character split between chunks is held back until
 * it is whole). `onBytes` gets the compressed bytes read from the file, chunk by chunk.
 */
export async function* zipEntryText(file: string, fh: FileHandle, e: ZipEntry, onBytes?: (n: number) => void): AsyncGenerator<string> {
  const start = await dataStart(fh, e)
  if (start + e.compressedSize > (await fh.stat()).size) throw invalidFile(`the workbook part ${e.name} is truncated`)
  const input = createReadStream(file, { start, end: start + e.compressedSize - 1, highWaterMark: 256 * 1024 })
  if (onBytes) input.on('data', (b) => onBytes((b as Buffer).length))
  const source = e.method === 0 ? input : input.pipe(createInflateRaw())
  if (source !== input) input.on('error', (err) => source.destroy(err))
  const text = new StringDecoder('utf8')
  try {
    for await (const chunk of source as AsyncIterable<Buffer>) {
      const s = text.write(chunk)
      if (s) yield s
    }
  } catch (err) {
    throw invalidFile(`the workbook part ${e.name} is corrupt: ${(err as Error).message}`)
  } finally {
    input.destroy()
    source.destroy()
  }
  const rest = text.end()
  if (rest) yield rest
}
