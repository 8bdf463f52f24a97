/**
 * Which reader an uploaded file needs, from its first bytes (names and content types lie):
 * `PAR1` → Parquet, a zip (`PK\x03\x04`) → xlsx, anything else → CSV. Legacy `.xls` (OLE2
 * compound files) is refused here with a clear 422; macro-enabled `.xlsm` is refused by the
 * xlsx worker, which sees the zip's content. `format=` may name the format instead.
 */
import fs from 'node:fs'
import { invalidParameter, SluiceError } from '../../proto/errors.js'
import type { UploadFormat } from '../../proto/ingest.js'

export const UPLOAD_FORMATS: readonly UploadFormat[] = ['csv', 'parquet', 'xlsx']

const PARQUET = Buffer.from('PAR1')
const ZIP = Buffer.from([0x50, 0x4b, 0x03, 0x04])
const OLE2 = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])

async function head(file: string, n: number): Promise<Buffer> {
  const fd = await fs.promises.open(file, 'r')
  try {
    const buf = Buffer.alloc(n)
    const { bytesRead } = await fd.read(buf, 0, n, 0)
    return buf.subarray(0, bytesRead)
  } finally {
    await fd.close()
  }
}

/** The format of the file at `file`; `explicit` (the `format` option) wins over detection. */
export async function detectUploadFormat(file: string, explicit: string | null): Promise<UploadFormat> {
  if (explicit !== null && explicit !== '') {
    if (!(UPLOAD_FORMATS as readonly string[]).includes(explicit)) throw invalidParameter('format', `must be one of ${UPLOAD_FORMATS.join(', ')}`)
    return explicit as UploadFormat
  }
  const b = await head(file, 8)
  if (b.subarray(0, 8).equals(OLE2)) {
    throw new SluiceError(422, 'invalid_file', 'this is a legacy Excel (.xls) workbook, which is not supported: save it as .xlsx or CSV')
  }
  if (b.subarray(0, 4).equals(PARQUET)) return 'parquet'
  if (b.subarray(0, 4).equals(ZIP)) return 'xlsx'
  return 'csv'
}
