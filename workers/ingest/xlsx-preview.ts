/**
 * The xlsx-preview task: pass 1 over the whole workbook (every sheet's used range, the chosen
 * sheet's types) and the first rows typed exactly as an ingest would store them.
 */
import type { UploadPreviewResult, XlsxPreviewTask } from '../../proto/ingest.js'
import { typeName } from '../../proto/types.js'
import { createEncoder } from '../kernels/encode.js'
import { BatchBuilder } from './columns.js'
import { inferXlsx } from './xlsx-layout.js'

export async function previewXlsx(task: XlsxPreviewTask): Promise<UploadPreviewResult> {
  const limit = Math.max(0, Math.floor(Number(task.limit) || 0))
  const { sheets, layout } = await inferXlsx(task.file, task.options ?? {}, limit, true)
  const builder = new BatchBuilder(layout.fields, layout.sampleRows.length)
  for (const row of layout.sampleRows) builder.append(row)
  const rows = builder.finish(0, true)
  const meta = layout.fields.map((f) => ({ name: f.name, type: typeName(f), masked: false, logical: f.type }))
  return {
    format: 'xlsx',
    sheets,
    sheet: layout.info.name,
    fields: layout.fields,
    rows,
    // the JSON output encoder writes the rows of a batch as `{...},{...}`
    rowsJson: `[${Buffer.from(createEncoder('json', meta).batch(rows)).toString('utf8')}]`,
    rowCount: layout.rowCount,
    warnings: layout.warnings,
  }
}
