/**
 * Streams a multipart/form-data upload: the `file` part goes straight to a temp file (never
 * whole in memory), small text fields are collected. The upload fails with 413 as soon as
 * the file passes maxFileBytes; on any failure the temp file is removed.
 */
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import busboy from 'busboy'
import { badRequest, payloadTooLarge, SluiceError } from '../../proto/errors.js'

export interface ReceivedFile { path: string; filename: string; bytes: number; mimeType: string }
export interface ReceivedForm { fields: Record<string, string>; file: ReceivedFile | null }

const MAX_FIELD_BYTES = 1024 * 1024

export async function receiveMultipart(
  body: AsyncIterable<Buffer>,
  contentType: string,
  opts: { tmpDir: string; maxFileBytes: number },
): Promise<ReceivedForm> {
  let bb: busboy.Busboy
  try {
    bb = busboy({
      headers: { 'content-type': contentType },
      limits: { files: 1, fileSize: opts.maxFileBytes, fields: 50, fieldSize: MAX_FIELD_BYTES, parts: 60 },
    })
  } catch {
    throw badRequest('Content-Type must be multipart/form-data with a boundary')
  }
  const fields: Record<string, string> = {}
  let file: ReceivedFile | null = null
  let failure: SluiceError | null = null
  const writes: Promise<void>[] = []
  const fail = (err: SluiceError) => { failure ??= err }

  bb.on('field', (name, value, info) => {
    if (info.valueTruncated) fail(badRequest(`form field "${name}" is larger than ${MAX_FIELD_BYTES} bytes`))
    fields[name] = value
  })
  bb.on('file', (name, stream, info) => {
    if (name !== 'file' || file) {
      stream.resume()
      if (name !== 'file') fail(badRequest(`unexpected file part "${name}": send the file as the "file" part`))
      return
    }
    fs.mkdirSync(opts.tmpDir, { recursive: true })
    const target = path.join(opts.tmpDir, `upload-${crypto.randomUUID()}`)
    const received: ReceivedFile = { path: target, filename: info.filename ?? 'upload', bytes: 0, mimeType: info.mimeType }
    file = received
    stream.on('data', (c: Buffer) => { received.bytes += c.byteLength })
    stream.on('limit', () => fail(payloadTooLarge(opts.maxFileBytes)))
    writes.push(pipeline(stream, fs.createWriteStream(target)).catch((err) => {
      fail(badRequest(`could not store the upload: ${(err as Error).message}`))
    }))
  })
  const closed = new Promise<void>((resolve) => {
    bb.on('close', resolve)
    bb.on('error', (err) => { fail(badRequest(`malformed multipart body: ${(err as Error).message}`)); resolve() })
  })

  try {
    for await (const chunk of body) {
      if (failure) break
      if (!bb.write(chunk)) await Promise.race([once(bb, 'drain'), closed])
    }
    if (!failure) bb.end()
    else bb.destroy()
    if (!failure) await closed
    await Promise.all(writes)
    if (failure) throw failure
    return { fields, file }
  } catch (err) {
    bb.destroy()
    const f = file as ReceivedFile | null
    if (f) await fs.promises.rm(f.path, { force: true })
    throw err
  }
}
