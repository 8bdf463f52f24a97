/**
 * The parquet-preview task: the fields an ingest with the same options commits, the row count
 * from the footer, and the first `limit` rows read (from the first row group on) exactly as
 * they will be stored. Runs in worker threads.
 */
import type { Batch } from '../../proto/batch.js'
import type { ParquetPreviewTask, UploadPreviewResult } from '../../proto/ingest.js'
import { typeName } from '../../proto/types.js'
import { concatBatches, nullColumn, sliceBatch } from '../kernels/column.js'
import { createEncoder } from '../kernels/encode.js'
import { openUpload } from './parquet-upload-open.js'
import { readUploadBatches } from './parquet-upload-read.js'

export async function previewParquet(task: ParquetPreviewTask): Promise<UploadPreviewResult> {
  const limit = Math.max(0, Math.floor(Number(task.limit) || 0))
  const { footer, plan } = await openUpload(task.file, task.options)
  const parts: Batch[] = []
  let have = 0
  if (limit > 0) {
    for await (const b of readUploadBatches(task.file, plan.reads, plan.fields)) {
      parts.push(have + b.length > limit ? sliceBatch(b, 0, limit - have) : b)
      have += parts[parts.length - 1]!.length
      if (have >= limit) break
    }
  }
  const rows: Batch = parts.length > 0 ? concatBatches(parts)
    : { length: 0, columns: plan.fields.map((f) => nullColumn(f.name, f.type, 0, f.precision, f.scale)) }
  const meta = plan.fields.map((f) => ({ name: f.name, type: typeName(f), masked: false, logical: f.type, precision: f.precision, scale: f.scale }))
  return {
    format: 'parquet',
    fields: plan.fields,
    rows,
    rowsJson: `[${Buffer.from(createEncoder('json', meta).batch(rows)).toString('utf8')}]`,
    rowCount: footer.numRows,
    warnings: plan.warnings,
  }
}
