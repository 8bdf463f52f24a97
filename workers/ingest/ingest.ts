/**
 * The csv-ingest task: pass 1 infers the layout (infer.ts), pass 2 parses the file again into
 * typed chunks (a full chunk is one row group) and writes Parquet part files of
 * `targetRowsPerFile` rows with their Delta stats. Memory stays bounded: one chunk of rows in
 * JS (at most 128 Ki rows or 64 MiB of CSV), one row group being encoded in wasm.
 * Runs in worker threads. On failure every file it wrote is deleted.
 */
import type { Batch } from '../../proto/batch.js'
import { invalidParameter } from '../../proto/errors.js'
import type { CsvIngestResult, CsvIngestTask, IngestedFile } from '../../proto/ingest.js'
import { BatchBuilder } from './columns.js'
import { CsvScanner } from './csv-source.js'
import { openCsvSource, type CsvSource } from './encoding.js'
import { inferCsv, textOf, textOptions } from './infer.js'
import { DEFAULT_ROW_GROUP_ROWS, ParquetPartWriter } from './parquet-write.js'
import { ProgressReporter } from './progress.js'
import { DeltaStats } from './stats.js'

export const DEFAULT_TARGET_ROWS_PER_FILE = 1_000_000
/** A chunk also ends after this many bytes of CSV, so that wide rows stay bounded in JS. */
export const MAX_CHUNK_CSV_BYTES = 64 * 1024 * 1024

export interface IngestTuning {
  /** rows per chunk and row group (default 128 Ki) */
  rowGroupRows?: number
  /** CSV bytes per chunk at most (default MAX_CHUNK_CSV_BYTES) */
  maxChunkBytes?: number
  /** encoded bytes per row group at most (default DEFAULT_ROW_GROUP_BYTES) */
  rowGroupBytes?: number
}

interface OpenFile {
  writer: ParquetPartWriter
  stats: DeltaStats
}

/**
 * Ingest a CSV file into Parquet files in `task.outDir`. Returns the files in order; none for
 * a file without data rows. Throws SluiceError 422 (see inferCsv; invalid_parameter for a
 * bad targetRowsPerFile) and file system / parquet-wasm errors.
 */
export async function ingestCsv(task: CsvIngestTask, tuning: IngestTuning = {}): Promise<CsvIngestResult> {
  const target = task.targetRowsPerFile ?? DEFAULT_TARGET_ROWS_PER_FILE
  if (!Number.isSafeInteger(target) || target < 1) throw invalidParameter('targetRowsPerFile', 'must be a positive integer')
  const progress = task.progress ? new ProgressReporter(task.progress) : undefined

  // non-UTF-8 files are transcoded once into a temp file that both passes parse
  const source = await openCsvSource(task.file, textOptions(task.options ?? {}).encoding)
  try {
    return await ingestSource(task, source, tuning, target, progress)
  } finally {
    await source.cleanup()
  }
}

async function ingestSource(task: CsvIngestTask, source: CsvSource, tuning: IngestTuning, target: number, progress?: ProgressReporter): Promise<CsvIngestResult> {
  const rowGroupRows = Math.min(tuning.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS, target)
  const maxChunkBytes = tuning.maxChunkBytes ?? MAX_CHUNK_CSV_BYTES
  const layout = await inferCsv(task.file, task.options ?? {}, 0, progress, source)
  const { fields, dialect } = layout

  const files: IngestedFile[] = []
  const written: ParquetPartWriter[] = []
  let open: OpenFile | null = null
  /** full chunks waiting to be written; `last` closes the current file */
  const queue: { batch: Batch; last: boolean }[] = []
  let rowsInFile = 0 // rows assigned to the current file, including queued chunks
  const builder = new BatchBuilder(fields, Math.min(rowGroupRows, target), textOf(dialect))

  const nextCapacity = (): number => Math.min(rowGroupRows, target - rowsInFile)
  let chunkStart = layout.bomLength
  const cutChunk = (): void => {
    chunkStart = scanner.recordStart
    rowsInFile += builder.length
    const last = rowsInFile >= target
    if (last) rowsInFile = 0
    queue.push({ batch: builder.finish(nextCapacity()), last })
  }
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const { batch, last } = queue.shift()!
      if (!open) {
        const writer = await ParquetPartWriter.create(task.outDir, files.length, { rows: rowGroupRows, bytes: tuning.rowGroupBytes })
        written.push(writer)
        open = { writer, stats: new DeltaStats(fields) }
      }
      open.stats.add(batch)
      await open.writer.write(batch)
      if (last) await closeFile()
    }
  }
  const closeFile = async (): Promise<void> => {
    if (!open) return
    const f = await open.writer.close()
    files.push({ name: f.name, size: f.size, numRecords: f.numRecords, stats: open.stats.toJSON() })
    open = null
  }

  let records = 0
  let rows = 0
  const skipFirst = dialect.header
  const scanner = new CsvScanner(layout.path, dialect.delimiter, layout.bomLength, dialect.quote, dialect.escape)
  progress?.start('writing', layout.totalBytes)
  try {
    await scanner.run({
      onRecord: (fieldsOfRow) => {
        if (records++ === 0 && skipFirst) return
        builder.append(fieldsOfRow)
        rows++
        if (builder.length === builder.capacity || scanner.recordStart - chunkStart > maxChunkBytes) cutChunk()
      },
      onChunk: async (bytesRead) => {
        await flush()
        progress?.update(bytesRead, rows)
      },
    })
    if (builder.length > 0) cutChunk()
    if (queue.length > 0) queue[queue.length - 1]!.last = true
    await flush()
    await closeFile()
  } catch (err) {
    await Promise.all(written.map((w) => w.abort()))
    throw err
  }
  return { dialect, fields, rowCount: rows, warnings: layout.warnings, files }
}
