/**
 * The csv-preview task: infer over the whole file (pass 1) and type the first rows exactly as
 * an ingest would store them. Runs in worker threads.
 */
import type { CsvPreviewResult, CsvPreviewTask } from '../../proto/ingest.js'
import { typeName } from '../../proto/types.js'
import { createEncoder } from '../kernels/encode.js'
import { BatchBuilder } from './columns.js'
import { inferCsv, textOf } from './infer.js'

/** Preview a CSV file. Throws SluiceError 422 (see inferCsv). */
export async function previewCsv(task: CsvPreviewTask): Promise<CsvPreviewResult> {
  const limit = Math.max(0, Math.floor(Number(task.limit) || 0))
  const layout = await inferCsv(task.file, task.options ?? {}, limit, undefined, undefined, Infinity, task.cancel)
  const builder = new BatchBuilder(layout.fields, layout.sampleRows.length, textOf(layout.dialect))
  for (const row of layout.sampleRows) builder.append(row)
  const rows = builder.finish(0, true)
  const meta = layout.fields.map((f) => ({ name: f.name, type: typeName(f), masked: false, logical: f.type }))
  return {
    dialect: layout.dialect,
    fields: layout.fields,
    rows,
    // the JSON output encoder writes the rows of a batch as `{...},{...}`
    rowsJson: `[${Buffer.from(createEncoder('json', meta).batch(rows)).toString('utf8')}]`,
    rowCount: layout.rowCount,
    warnings: layout.warnings,
  }
}
