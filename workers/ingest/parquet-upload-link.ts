/**
 * The no-rewrite path: the uploaded Parquet file becomes a part file of the table as it is,
 * hard-linked into `outDir` under a Spark-style name (copied when a link is not possible,
 * e.g. across file systems), with Delta stats from its footer or, when the footer lacks
 * them, from reading its columns once. Runs in worker threads.
 */
import { randomUUID } from 'node:crypto'
import { constants } from 'node:fs'
import { copyFile, link, stat, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import type { Field } from '../../proto/types.js'
import type { IngestedFile } from '../../proto/ingest.js'
import type { UploadFooter } from './parquet-upload-footer.js'
import { readUploadBatches } from './parquet-upload-read.js'
import { footerStats } from './parquet-upload-stats.js'
import type { ProgressReporter } from './progress.js'
import { DeltaStats } from './stats.js'

/** parquet.thrift CompressionCodec → the name Spark puts in part file names. */
const CODEC_SUFFIX: Record<number, string> = { 1: 'snappy', 2: 'gz', 3: 'lzo', 4: 'brotli', 5: 'lz4', 6: 'zstd', 7: 'lz4raw' }

export function linkedFileName(codec: number | null): string {
  const suffix = codec !== null && CODEC_SUFFIX[codec] ? `.${CODEC_SUFFIX[codec]}` : ''
  return `part-00000-${randomUUID()}.c000${suffix}.parquet`
}

/** Stats of the file: from the footer when complete, else by reading every column once. */
async function statsOf(path: string, footer: UploadFooter, fields: Field[], progress?: ProgressReporter): Promise<string> {
  const fromFooter = footerStats(footer, fields)
  if (fromFooter !== null) return fromFooter
  const stats = new DeltaStats(fields)
  const total = (await stat(path)).size
  let rows = 0
  for await (const b of readUploadBatches(path, fields, fields)) {
    stats.add(b)
    rows += b.length
    progress?.update(Math.floor((total * rows) / Math.max(1, footer.numRows)), rows)
  }
  return stats.toJSON()
}

export async function linkUpload(path: string, outDir: string, footer: UploadFooter, fields: Field[], progress?: ProgressReporter): Promise<IngestedFile> {
  const stats = await statsOf(path, footer, fields, progress)
  const name = linkedFileName(footer.codec)
  const dest = join(outDir, name)
  try {
    await link(path, dest)
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code !== 'EXDEV' && code !== 'EPERM' && code !== 'ENOTSUP' && code !== 'EMLINK') throw err
    try {
      await copyFile(path, dest, constants.COPYFILE_EXCL | constants.COPYFILE_FICLONE)
    } catch (copyErr) {
      await unlink(dest).catch(() => {})
      throw copyErr
    }
  }
  const size = (await stat(dest)).size
  return { name, size, numRecords: footer.numRows, stats }
}
