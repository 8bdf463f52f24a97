/**
 * One pass over a CSV file (or a byte range of it) with a known layout: typed chunks (a full
 * chunk is one row group) written to Parquet part files of `targetRowsPerFile` rows with their
 * Delta stats. Memory stays bounded: one chunk of rows in JS (at most 128 Ki rows or 64 MiB of
 * CSV), one row group being encoded in wasm. On failure every file it wrote is deleted.
 */
import { throwIfCancelled } from '../../proto/cancel.js'
import type { WriteBatch } from '../../proto/batch.js'
import type { CsvIngestResult, CsvIngestTask, IngestedFile } from '../../proto/ingest.js'
import { BatchBuilder } from './columns.js'
import { CsvByteScanner, supportsBytes } from './csv-bytes.js'
import { CsvScanner } from './csv-source.js'
import { textOf, type CsvLayout } from './infer.js'
import { DEFAULT_ROW_GROUP_ROWS, ParquetPartWriter, encodingsFor } from './parquet-write.js'
import { DeltaStats } from './stats.js'

/** A chunk also ends after this many bytes of CSV, so that wide rows stay bounded in JS. */
export const MAX_CHUNK_CSV_BYTES = 64 * 1024 * 1024

export interface IngestTuning {
  /** rows per chunk and row group (default 128 Ki) */
  rowGroupRows?: number
  /** CSV bytes per chunk at most (default MAX_CHUNK_CSV_BYTES) */
  maxChunkBytes?: number
  /** encoded bytes per row group at most (default DEFAULT_ROW_GROUP_BYTES) */
  rowGroupBytes?: number
  /** see ingest.ts DEFAULT_SAMPLE_BYTES */
  sampleBytes?: number
  /** see ingest-split.ts DEFAULT_PARALLEL_MIN_BYTES */
  parallelMinBytes?: number
}

/** Where writePass reports: a ProgressReporter, or a sum over byte ranges. */
export interface ProgressSink {
  start(phase: 'writing', totalBytes: number): void
  update(bytesRead: number, rowsParsed: number): void
  /** optional: a last update that is never throttled */
  done?(bytesRead: number, rowsParsed: number): void
}

/** A part of the file for writePass: [start, end), whether its first record is the header. */
export interface ByteRange { start: number; end: number; header: boolean }

interface OpenFile {
  writer: ParquetPartWriter
  stats: DeltaStats
}

/**
 * Parse the file into typed chunks and Parquet files with `layout`. `guard`: the layout is a
 * sample's; cells are checked against these codes (BatchBuilder.guard, LayoutMismatch).
 */
export async function writePass(
  task: CsvIngestTask, layout: CsvLayout, guard: Int8Array | null, tuning: IngestTuning, target: number, progress?: ProgressSink,
  range: ByteRange = { start: layout.bomLength, end: Infinity, header: layout.dialect.header },
): Promise<CsvIngestResult> {
  const rowGroupRows = Math.min(tuning.rowGroupRows ?? DEFAULT_ROW_GROUP_ROWS, target)
  const maxChunkBytes = tuning.maxChunkBytes ?? MAX_CHUNK_CSV_BYTES
  const { fields, dialect } = layout

  const files: IngestedFile[] = []
  const written: ParquetPartWriter[] = []
  let open: OpenFile | null = null
  /** full chunks waiting to be written; `last` closes the current file */
  const queue: { batch: WriteBatch; last: boolean }[] = []
  let rowsInFile = 0 // rows assigned to the current file, including queued chunks
  // the common dialects are tokenized and converted from bytes (csv-bytes.ts)
  const bytes = supportsBytes(dialect.delimiter, dialect.quote, dialect.escape)
  const builder = new BatchBuilder(fields, Math.min(rowGroupRows, target), textOf(dialect), bytes)
  if (guard) builder.guard(guard)

  const nextCapacity = (): number => Math.min(rowGroupRows, target - rowsInFile)
  let chunkStart = range.start
  const cutChunk = (): void => {
    chunkStart = scanner.recordStart
    rowsInFile += builder.length
    const last = rowsInFile >= target
    if (last) rowsInFile = 0
    queue.push({ batch: builder.finishWrite(nextCapacity()), last })
  }
  const flush = async (): Promise<void> => {
    while (queue.length > 0) {
      const { batch, last } = queue.shift()!
      if (!open) {
        const writer = await ParquetPartWriter.create(task.outDir, files.length, { rows: rowGroupRows, bytes: tuning.rowGroupBytes, ...encodingsFor(batch) })
        written.push(writer)
        open = { writer, stats: new DeltaStats(fields) }
      }
      open.stats.add(batch)
      await open.writer.write(batch)
      // the encoder has its own copy, the stats keep none: the next chunk may reuse the arrays
      builder.recycle(batch)
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
  const skipFirst = range.header
  const scanner = bytes
    ? new CsvByteScanner(layout.path, dialect.delimiter, range.start, dialect.quote)
    : new CsvScanner(layout.path, dialect.delimiter, range.start, dialect.quote, dialect.escape)
  scanner.end = range.end
  if (range.start > layout.bomLength) scanner.width = fields.length
  progress?.start('writing', layout.totalBytes)
  const endOfRecord = (): void => {
    rows++
    if (builder.length === builder.capacity || scanner.recordStart - chunkStart > maxChunkBytes) cutChunk()
  }
  const onChunk = async (bytesRead: number): Promise<void> => {
    throwIfCancelled(task.cancel)
    await flush()
    progress?.update(bytesRead, rows)
  }
  try {
    if (scanner instanceof CsvByteScanner) {
      await scanner.run({
        onRecord: (record) => {
          if (records++ === 0 && skipFirst) return
          builder.appendBytes(record)
          endOfRecord()
        },
        onChunk,
      })
    } else {
      await scanner.run({
        onRecord: (fieldsOfRow) => {
          if (records++ === 0 && skipFirst) return
          builder.append(fieldsOfRow)
          endOfRecord()
        },
        onChunk,
      })
    }
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
