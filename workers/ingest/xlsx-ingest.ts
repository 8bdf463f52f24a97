/**
 * The xlsx-ingest task: pass 1 infers the layout (xlsx-layout.ts), pass 2 streams the workbook
 * again, reads only the chosen sheet, and writes typed chunks (one row group each) into
 * Parquet part files of `targetRowsPerFile` rows with their Delta stats. Cells go through
 * their text into the CSV column builder (columns.ts), so both formats store values alike.
 * Memory: the shared strings table, one chunk of rows in JS, one row group
 * in wasm. On failure every file written is deleted. Worker threads.
 */
import { throwIfCancelled } from '../../proto/cancel.js'
import type { Batch } from '../../proto/batch.js'
import { invalidParameter } from '../../proto/errors.js'
import type { IngestedFile, UploadIngestResult, XlsxIngestTask } from '../../proto/ingest.js'
import { BatchBuilder } from './columns.js'
import { DEFAULT_TARGET_ROWS_PER_FILE } from './ingest.js'
import { DEFAULT_ROW_GROUP_ROWS, ParquetPartWriter } from './parquet-write.js'
import { ProgressReporter } from './progress.js'
import { DeltaStats } from './stats.js'
import { rowTexts } from './xlsx-infer.js'
import { inferXlsx } from './xlsx-layout.js'
import { readWorkbook } from './xlsx-read.js'
import { SheetCounters } from './xlsx-sheet.js'

/** A chunk also ends at this many cells, so that wide sheets stay bounded in JS. */
const MAX_CHUNK_CELLS = 4 * 1024 * 1024

export async function ingestXlsx(task: XlsxIngestTask, tuning: { rowGroupRows?: number } = {}): Promise<UploadIngestResult> {
  const target = task.targetRowsPerFile ?? DEFAULT_TARGET_ROWS_PER_FILE
  if (!Number.isSafeInteger(target) || target < 1) throw invalidParameter('targetRowsPerFile', 'must be a positive integer')
  const progress = task.progress ? new ProgressReporter(task.progress) : undefined
  const { pkg, index, layout, totalBytes } = await inferXlsx(task.file, task.options ?? {}, 0, false, progress)
  const { fields, firstCol, headerRow } = layout
  const width = fields.length
  const rowGroupRows = Math.max(1, Math.min(tuning.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS, target, Math.floor(MAX_CHUNK_CELLS / width)))

  const files: IngestedFile[] = []
  const written: ParquetPartWriter[] = []
  let open: { writer: ParquetPartWriter; stats: DeltaStats } | null = null
  const queue: { batch: Batch; last: boolean }[] = []
  let rowsInFile = 0
  const builder = new BatchBuilder(fields, Math.min(rowGroupRows, target))
  const cutChunk = (): void => {
    rowsInFile += builder.length
    const last = rowsInFile >= target
    if (last) rowsInFile = 0
    queue.push({ batch: builder.finish(Math.min(rowGroupRows, target - rowsInFile)), last })
  }
  const closeFile = async (): Promise<void> => {
    if (!open) return
    const f = await open.writer.close()
    files.push({ name: f.name, size: f.size, numRecords: f.numRecords, stats: open.stats.toJSON() })
    open = null
  }
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const { batch, last } = queue.shift()!
      if (!open) {
        const writer = await ParquetPartWriter.create(task.outDir, files.length, { rows: rowGroupRows })
        written.push(writer)
        open = { writer, stats: new DeltaStats(fields) }
      }
      open.stats.add(batch)
      await open.writer.write(batch)
      if (last) await closeFile()
    }
  }

  let rows = 0
  progress?.start('writing', totalBytes)
  try {
    await readWorkbook(task.file, pkg, (i) => (i !== index ? null : {
      counters: new SheetCounters(),
      onRow: (r, cells) => {
        if (r === headerRow) return
        builder.append(rowTexts(cells, firstCol, width))
        rows++
        if (builder.length === builder.capacity) cutChunk()
      },
      onChunk: async () => {
        throwIfCancelled(task.cancel)
        await flush()
      },
    }), (bytes) => progress?.update(bytes, rows))
    if (builder.length > 0) cutChunk()
    if (queue.length > 0) queue[queue.length - 1]!.last = true
    await flush()
    await closeFile()
  } catch (err) {
    await Promise.all(written.map((w) => w.abort()))
    throw err
  }
  return { format: 'xlsx', sheet: layout.info.name, fields, rowCount: rows, warnings: layout.warnings, files }
}
