/**
 * The rewrite path: read the uploaded file through our scan path (one row group at a time,
 * in batches of 16 Ki rows, cast to the final types) and write new part files with our
 * writer, rolling to a new file every `targetRowsPerFile` rows. Memory stays bounded: one
 * batch in JS, one row group being decoded and one being encoded in wasm. On failure every
 * file written is deleted. Runs in worker threads.
 */
import { throwIfCancelled, type CancelFlag } from '../../proto/cancel.js'
import type { Batch } from '../../proto/batch.js'
import type { Field } from '../../proto/types.js'
import type { IngestedFile } from '../../proto/ingest.js'
import { sliceBatch } from '../kernels/column.js'
import type { UploadFooter } from './parquet-upload-footer.js'
import { readUploadBatches } from './parquet-upload-read.js'
import { ParquetPartWriter } from './parquet-write.js'
import type { ProgressReporter } from './progress.js'
import { DeltaStats } from './stats.js'

export interface RewriteInput {
  path: string
  outDir: string
  footer: UploadFooter
  reads: Field[]
  fields: Field[]
  targetRowsPerFile: number
  totalBytes: number
  progress?: ProgressReporter
  rowGroupRows?: number
  cancel?: CancelFlag
}

/** Bytes of the file read after `rows` rows, counting row groups by their compressed size. */
export function bytesAfter(footer: UploadFooter, totalBytes: number, rows: number): number {
  let bytes = 0
  let seen = 0
  for (const rg of footer.rowGroups) {
    if (rows >= seen + rg.numRows) { bytes += rg.compressedSize; seen += rg.numRows; continue }
    bytes += rg.numRows > 0 ? Math.floor((rg.compressedSize * (rows - seen)) / rg.numRows) : 0
    break
  }
  return Math.min(totalBytes, bytes)
}

export async function rewriteUpload(input: RewriteInput): Promise<IngestedFile[]> {
  const { fields, targetRowsPerFile: target } = input
  const files: IngestedFile[] = []
  const writers: ParquetPartWriter[] = []
  let writer: ParquetPartWriter | null = null
  let stats: DeltaStats | null = null
  let inFile = 0
  let rows = 0

  const closeFile = async (): Promise<void> => {
    if (!writer) return
    const f = await writer.close()
    files.push({ name: f.name, size: f.size, numRecords: f.numRecords, stats: stats!.toJSON() })
    writer = null
    stats = null
    inFile = 0
  }
  const write = async (b: Batch): Promise<void> => {
    if (!writer) {
      writer = await ParquetPartWriter.create(input.outDir, files.length, input.rowGroupRows ? { rows: input.rowGroupRows } : {})
      writers.push(writer)
      stats = new DeltaStats(fields)
    }
    stats!.add(b)
    await writer.write(b)
    inFile += b.length
    if (inFile >= target) await closeFile()
  }

  try {
    for await (const batch of readUploadBatches(input.path, input.reads, fields)) {
      throwIfCancelled(input.cancel)
      let at = 0
      while (at < batch.length) {
        const room = target - inFile
        const n = Math.min(room, batch.length - at)
        await write(n === batch.length ? batch : sliceBatch(batch, at, at + n))
        at += n
      }
      rows += batch.length
      input.progress?.update(bytesAfter(input.footer, input.totalBytes, rows), rows)
    }
    await closeFile()
  } catch (err) {
    await Promise.all(writers.map((w) => w.abort()))
    throw err
  }
  return files
}
