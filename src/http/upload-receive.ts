/**
 * Receiving an upload: the file lands in a temp file under DATA_DIR, never whole in memory.
 *
 * - Bodies: `multipart/form-data` with a `file` part (options as form fields or query
 *   parameters), or the raw file as the body (`curl --data-binary @f.csv`, options as query
 *   parameters only).
 * - `Content-Encoding: gzip` on the request: the body is decompressed as it arrives.
 * - A gzip file (`.csv.gz`, detected by its magic bytes, whatever its name) is decompressed
 *   into a second temp file.
 * - MAX_UPLOAD_BYTES counts the received (compressed) bytes and, separately, the
 *   decompressed bytes: a decompression bomb stops with 413 as soon as it passes the limit,
 *   so it never fills the disk. Every temp file is removed on failure.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import zlib from 'node:zlib'
import { Readable, Transform, type TransformCallback } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { badRequest, payloadTooLarge, SluiceError } from '../../proto/errors.js'
import type { BodyReader } from './body.js'
import { receiveMultipart, type ReceivedFile, type ReceivedForm } from './multipart.js'

export interface ReceivedUpload {
  fields: Record<string, string>
  file: ReceivedFile & {
    /** bytes as received over the wire (before any decompression) */
    receivedBytes: number
    /** true when the request or the file was gzip-compressed */
    decompressed: boolean
  }
}

/** Raw-body uploads: the content types we take as "the file itself". */
const RAW_TYPES = [
  'text/csv', 'text/plain', 'text/tab-separated-values', 'application/csv', 'application/octet-stream',
  'application/gzip', 'application/x-gzip',
  'application/vnd.apache.parquet', 'application/x-parquet', 'application/parquet',
  'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet',
]

/** Fails the stream with 413 once more than `max` bytes went through. */
function byteLimit(max: number, counter: { n: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _enc, cb: TransformCallback) {
      counter.n += chunk.byteLength
      if (counter.n > max) cb(payloadTooLarge(max))
      else cb(null, chunk)
    },
  })
}

const tempPath = (tmpDir: string) => path.join(tmpDir, `upload-${crypto.randomUUID()}`)

/** The request body, decompressed when the request says `Content-Encoding: gzip`. */
function requestStream(body: BodyReader, contentEncoding: string | undefined, max: number): AsyncIterable<Buffer> {
  const enc = (contentEncoding ?? 'identity').trim().toLowerCase()
  if (enc === 'identity' || enc === '') return body
  if (enc !== 'gzip' && enc !== 'x-gzip') throw badRequest(`Content-Encoding "${enc}" is not supported: send the body as is or gzip-compressed`)
  const counter = { n: 0 }
  const gunzip = zlib.createGunzip()
  const source = Readable.from(body)
  const out = source.pipe(gunzip).pipe(byteLimit(max, counter))
  // pipe() does not forward errors: each earlier stage's failure must reach the consumer
  // through the last one, or a client that disconnects mid-body leaves the consumer (and its
  // temp file) waiting forever.
  source.on('error', (err) => out.destroy(err))
  gunzip.on('error', (err) => out.destroy(badRequest(`the request body is not valid gzip: ${err.message}`)))
  return out
}

async function receiveRaw(stream: AsyncIterable<Buffer>, opts: { tmpDir: string; max: number; filename: string; mimeType: string }): Promise<ReceivedFile> {
  fs.mkdirSync(opts.tmpDir, { recursive: true })
  const target = tempPath(opts.tmpDir)
  const counter = { n: 0 }
  try {
    await pipeline(Readable.from(stream), byteLimit(opts.max, counter), fs.createWriteStream(target))
  } catch (err) {
    await fs.promises.rm(target, { force: true })
    throw err instanceof SluiceError ? err : badRequest(`could not store the upload: ${(err as Error).message}`)
  }
  return { path: target, filename: opts.filename, bytes: counter.n, mimeType: opts.mimeType }
}

const GZIP_MAGIC = [0x1f, 0x8b]

async function startsWith(file: string, magic: number[]): Promise<boolean> {
  const fd = await fs.promises.open(file, 'r')
  try {
    const buf = Buffer.alloc(magic.length)
    const { bytesRead } = await fd.read(buf, 0, magic.length, 0)
    return bytesRead === magic.length && magic.every((b, i) => buf[i] === b)
  } finally {
    await fd.close()
  }
}

/** A gzip file is replaced by its decompressed content (at most `max` bytes, else 413). */
async function gunzipFile(file: ReceivedFile, tmpDir: string, max: number): Promise<ReceivedFile> {
  const target = tempPath(tmpDir)
  const counter = { n: 0 }
  try {
    await pipeline(fs.createReadStream(file.path), zlib.createGunzip(), byteLimit(max, counter), fs.createWriteStream(target))
  } catch (err) {
    await fs.promises.rm(target, { force: true })
    if (err instanceof SluiceError) throw err
    throw new SluiceError(422, 'invalid_file', `the file is not valid gzip: ${(err as Error).message}`)
  } finally {
    await fs.promises.rm(file.path, { force: true })
  }
  return { path: target, filename: file.filename.replace(/\.gz$/i, ''), bytes: counter.n, mimeType: file.mimeType }
}

/**
 * Receives an upload (multipart or raw body), decompressing as needed. `rawFilename` names a
 * raw-body upload (its `filename` query parameter, else "upload"). Throws 400 (malformed or
 * unsupported body), 413 (over the limit, compressed or decompressed), 422 (bad gzip).
 */
export async function receiveUpload(
  body: BodyReader,
  headers: { contentType: string; contentEncoding: string | undefined; contentLength: string | undefined },
  opts: { tmpDir: string; maxBytes: number; rawFilename: string },
): Promise<ReceivedUpload> {
  const max = opts.maxBytes
  // The multipart envelope adds a little to the file's size; allow 64 KiB of it.
  if (headers.contentLength && Number(headers.contentLength) > max + 65_536) throw payloadTooLarge(max)
  const type = headers.contentType.split(';')[0]!.trim().toLowerCase()
  const stream = requestStream(body, headers.contentEncoding, max + 65_536)
  let fields: Record<string, string> = {}
  let file: ReceivedFile
  if (type === 'multipart/form-data') {
    const form: ReceivedForm = await receiveMultipart(stream, headers.contentType, { tmpDir: opts.tmpDir, maxFileBytes: max })
    if (!form.file) throw badRequest('the form has no "file" part')
    fields = form.fields
    file = form.file
  } else if (RAW_TYPES.includes(type)) {
    file = await receiveRaw(stream, { tmpDir: opts.tmpDir, max, filename: opts.rawFilename, mimeType: type })
  } else {
    throw badRequest(`send the file as multipart/form-data with a "file" part, or as the raw body with Content-Type ${RAW_TYPES.slice(0, 3).join(', ')}, a Parquet or an xlsx type`)
  }
  const receivedBytes = body.received
  let decompressed = headers.contentEncoding !== undefined && !/^\s*(identity)?\s*$/i.test(headers.contentEncoding)
  if (file.bytes > 0 && await startsWith(file.path, GZIP_MAGIC)) {
    file = await gunzipFile(file, opts.tmpDir, max)
    decompressed = true
  }
  return { fields, file: { ...file, receivedBytes, decompressed } }
}
