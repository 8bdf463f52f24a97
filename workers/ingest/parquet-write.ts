/**
 * Write Parquet data files from Batches with parquet-wasm, one row group at a time:
 * Batch → apache-arrow RecordBatch (workers/kernels/arrow-to.ts) → Arrow IPC stream → wasm
 * RecordBatch → `transformParquetStream`, whose output is written to disk as it comes. Only
 * the row group being encoded is held in wasm memory, so a file of any size stays bounded.
 * Runs in worker threads (each has its own wasm instance; wasm memory never shrinks, so wasm
 * objects are freed or handed over as soon as possible).
 *
 * Types land as the Arrow types of API.md: int64 → INT64, timestamp → INT64
 * TIMESTAMP(MICROS, isAdjustedToUTC=true), date → INT32 DATE, string → BYTE_ARRAY UTF8.
 */
import { randomUUID } from 'node:crypto'
import { open, unlink, type FileHandle } from 'node:fs/promises'
import { join } from 'node:path'
import * as pq from 'parquet-wasm'
import { isUtf8Values, type Batch, type WriteBatch } from '../../proto/batch.js'
import { batchToRecordBatch } from '../kernels/arrow-to.js'
import { IpcScratch } from '../kernels/ipc-scratch.js'

/** Rows per row group (and per Batch handed to the writer). */
export const DEFAULT_ROW_GROUP_ROWS = 128 * 1024
/**
 * Bytes the encoder may buffer for one row group (its estimate of the encoded data) before
 * it ends the row group early: bounds wasm memory for wide rows.
 */
export const DEFAULT_ROW_GROUP_BYTES = 128 * 1024 * 1024

export interface RowGroupLimits {
  /** rows per row group (default DEFAULT_ROW_GROUP_ROWS) */
  rows?: number
  /** buffered bytes per row group (default DEFAULT_ROW_GROUP_BYTES) */
  bytes?: number
  /**
   * columns written without dictionary encoding (see highCardinalityColumns): a dictionary
   * the encoder fills and then abandons costs time and bytes (~25% of a row group's encode).
   */
  noDictionary?: string[]
  /**
   * int64/timestamp columns written DELTA_BINARY_PACKED instead of PLAIN (only columns without
   * a dictionary): bench data, 1 M rows: 23.2 MB and 501 ms to encode vs 27.0 MB and 526 ms.
   */
  deltaEncoded?: string[]
  /**
   * columns written without row-group statistics: string columns (see encodingsFor). A
   * string min/max is computed per value in wasm, ~4 ms per column per 128 Ki rows, 17% of
   * a bench row group's encode; the Delta log carries every file's string min/max for
   * pruning, and row-group string bounds prune only within sorted files.
   */
  noStatistics?: string[]
}

/**
 * Writer settings for a file whose first Batch is `batch`: no dictionary for its
 * high-cardinality columns, delta encoding for those that hold int64 or timestamps.
 */
export function encodingsFor(batch: WriteBatch): Pick<RowGroupLimits, 'noDictionary' | 'deltaEncoded' | 'noStatistics'> {
  const noDictionary = highCardinalityColumns(batch)
  const ints = new Set(batch.columns.filter((c) => c.type === 'int64' || c.type === 'timestamp').map((c) => c.name))
  const noStatistics = batch.columns.filter((c) => c.type === 'string').map((c) => c.name)
  return { noDictionary, deltaEncoded: noDictionary.filter((n) => ints.has(n)), noStatistics }
}

/** Values looked at per column by highCardinalityColumns. */
const DICTIONARY_PROBE = 8192

/**
 * Names of the columns of `batch` (the first of a file) whose first DICTIONARY_PROBE values
 * are more than a quarter distinct: a dictionary would not pay for itself. Booleans never
 * use one anyway; a column that turns repetitive later only loses some compression.
 */
export function highCardinalityColumns(batch: WriteBatch): string[] {
  const n = Math.min(batch.length, DICTIONARY_PROBE)
  if (n < 1024) return []
  const out: string[] = []
  for (const col of batch.columns) {
    if (col.type === 'boolean') continue
    const v = isUtf8Values(col.values) ? utf8Strings(col.values.offsets, col.values.bytes, n) : col.values as ArrayLike<unknown>
    const seen = new Set<unknown>()
    for (let i = 0; i < n; i++) if (!col.nulls || !col.nulls[i]) seen.add(v[i])
    if (seen.size * 4 > n) out.push(col.name)
  }
  return out
}

/** The first n values of a Utf8Values column as strings. */
function utf8Strings(offsets: Int32Array, bytes: Uint8Array, n: number): string[] {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  return Array.from({ length: n }, (_, i) => buf.toString('utf8', offsets[i], offsets[i + 1]))
}

interface Codec {
  compression: pq.Compression
  suffix: 'snappy'
}

/**
 * Snappy: the default of Spark, delta-rs and DuckDB. Measured on the bench data (1 M rows,
 * this machine): encode 526 ms and 27.0 MB with Snappy, 770 ms and 19.6 MB with ZSTD. Data
 * files are written once and scanned often; Snappy also decodes faster.
 */
export function parquetCodec(): Codec {
  return { compression: pq.Compression.SNAPPY, suffix: 'snappy' }
}

function writerProperties(limits: RowGroupLimits): pq.WriterProperties {
  let b = new pq.WriterPropertiesBuilder()
    .setCompression(parquetCodec().compression)
    // row-group statistics only: no reader here uses page-level ones, and they cost ~5% of the encode
    .setStatisticsEnabled(pq.EnabledStatistics.Chunk)
    .setMaxRowGroupSize(limits.rows ?? DEFAULT_ROW_GROUP_ROWS)
    .setMaxRowGroupBytes(limits.bytes ?? DEFAULT_ROW_GROUP_BYTES)
    .setCreatedBy('sluice (parquet-wasm 0.8.0)')
  // a flat column's path is its name; a name with a dot would be read as a nested path
  for (const name of limits.noDictionary ?? []) if (!name.includes('.')) b = b.setColumnDictionaryEnabled(name, false)
  for (const name of limits.deltaEncoded ?? []) if (!name.includes('.')) b = b.setColumnEncoding(name, pq.Encoding.DELTA_BINARY_PACKED)
  for (const name of limits.noStatistics ?? []) if (!name.includes('.')) b = b.setColumnStatisticsEnabled(name, pq.EnabledStatistics.None)
  return b.build()
}

/** The wasm RecordBatch of a Batch (the caller owns it), through `scratch` (copied into wasm). */
function toWasmBatch(batch: WriteBatch, scratch: IpcScratch): pq.RecordBatch {
  const table = pq.Table.fromIPCStream(scratch.streamOf(batchToRecordBatch(batch)))
  try {
    const rb = table.recordBatch(0)
    if (!rb) throw new Error('Arrow IPC conversion produced no record batch')
    return rb
  } finally {
    table.free()
  }
}

/** `part-00000-<uuid>.c000.zstd.parquet`, Spark's naming. */
export function partFileName(index: number): string {
  return `part-${String(index).padStart(5, '0')}-${randomUUID()}.c000.${parquetCodec().suffix}.parquet`
}

export interface WrittenFile {
  /** file name inside the directory */
  name: string
  /** bytes */
  size: number
  numRecords: number
}

/**
 * One Parquet file being written. `write` each Batch, then `close`; `abort` stops and deletes
 * the file. The encoder ends a row group when it holds `limits.rows` rows or `limits.bytes`
 * bytes (so Batches of exactly `limits.rows` rows become one row group each; smaller ones are
 * merged). Throws what parquet-wasm or the file system throw.
 */
export class ParquetPartWriter {
  #ctrl!: ReadableStreamDefaultController<pq.RecordBatch>
  #demand: Promise<void>
  #onDemand: () => void = () => {}
  #done!: Promise<void>
  #rows = 0
  #size = 0
  #closed = false
  /**
   * the Arrow IPC bytes of each row group on their way into wasm (reused: see IpcScratch);
   * let go once the file is closed, as callers may keep closed writers until they finish
   */
  #ipc: IpcScratch | null = new IpcScratch()

  private constructor(readonly dir: string, readonly name: string) {
    this.#demand = this.#nextDemand()
  }

  /** Create `dir/<partFileName(index)>` (fails if it exists) and start the encoder. */
  static async create(dir: string, index: number, limits: RowGroupLimits = {}): Promise<ParquetPartWriter> {
    const w = new ParquetPartWriter(dir, partFileName(index))
    const fh = await open(join(dir, w.name), 'wx')
    try {
      const input = new ReadableStream<pq.RecordBatch>(
        { start: (c) => { w.#ctrl = c }, pull: () => w.#onDemand() },
        { highWaterMark: 0 },
      )
      // transformParquetStream resolves only once it has read the first batch (for the schema):
      // it must not be awaited before the first write
      const output = pq.transformParquetStream(input, writerProperties(limits)) as Promise<ReadableStream<Uint8Array>>
      w.#done = w.#drain(output, fh)
    } catch (err) {
      await fh.close()
      await unlink(join(dir, w.name)).catch(() => {})
      throw err
    }
    w.#done.catch(() => {}) // observed in write/close/abort
    return w
  }

  #nextDemand(): Promise<void> {
    return new Promise((resolve) => { this.#onDemand = resolve })
  }

  async #drain(output: Promise<ReadableStream<Uint8Array>>, fh: FileHandle): Promise<void> {
    try {
      for await (const chunk of (await output) as unknown as AsyncIterable<Uint8Array>) {
        await fh.write(chunk)
        this.#size += chunk.byteLength
      }
    } finally {
      await fh.close()
    }
  }

  get path(): string {
    return join(this.dir, this.name)
  }

  /** Encode one Batch as (at most) one row group; waits until the encoder takes it. */
  async write(batch: WriteBatch): Promise<void> {
    if (batch.length === 0) return
    const stopped = this.#done.then(() => { throw new Error('the Parquet encoder stopped early') })
    await Promise.race([this.#demand, stopped])
    this.#demand = this.#nextDemand()
    this.#ipc ??= new IpcScratch()
    this.#ctrl.enqueue(toWasmBatch(batch, this.#ipc)) // the stream takes ownership of the wasm batch
    this.#rows += batch.length
  }

  /** Finish the file: footer written, file closed. */
  async close(): Promise<WrittenFile> {
    this.#closed = true
    this.#ipc = null
    this.#ctrl.close()
    await this.#done
    return { name: this.name, size: this.#size, numRecords: this.#rows }
  }

  /** Stop and delete the file; never throws. */
  async abort(): Promise<void> {
    this.#ipc = null
    if (!this.#closed) {
      this.#closed = true
      try { this.#ctrl.error(new Error('aborted')) } catch { /* already closed */ }
    }
    await this.#done.catch(() => {})
    await unlink(this.path).catch(() => {})
  }
}

/** Write `batches` to a new part file in `dir` (convenience for small outputs and tests). */
export async function writeParquetFile(dir: string, index: number, batches: Iterable<WriteBatch>, limits?: RowGroupLimits): Promise<WrittenFile> {
  const w = await ParquetPartWriter.create(dir, index, limits)
  try {
    for (const b of batches) await w.write(b)
    return await w.close()
  } catch (err) {
    await w.abort()
    throw err
  }
}
