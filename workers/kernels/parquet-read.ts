/**
 * Read Parquet files as Batches with parquet-wasm: only the requested columns, one row group
 * at a time, handed to apache-arrow as an IPC stream. Runs in worker threads (each holds its
 * own wasm instance, ~110 MB; wasm memory never shrinks, so every wasm object is freed).
 */
import { openAsBlob } from 'node:fs'
import { stat } from 'node:fs/promises'
import { basename } from 'node:path'
import { tableFromIPC } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import type { Batch, Column } from '../../proto/batch.js'
import type { Field } from '../../proto/types.js'
import { SluiceError } from '../../proto/errors.js'
import { recordBatchToBatch } from './arrow-from.js'
import { nullColumn, concatBatches, sliceBatch } from './column.js'
import { ColumnCache, columnCache, type FileStamp } from './column-cache.js'

const READ_BATCH_ROWS = 16384
/** Larger batches through the cache: per-batch costs (IPC framing, schema decode) amortise over more rows. */
const CACHED_BATCH_ROWS = 65536
/**
 * Streaming exports (cache 'read'): smaller batches die young. 16 K-row batches waiting on
 * credit survived scavenges and were promoted, growing the worker's old space (RSS) by ~70 MB.
 */
const STREAM_BATCH_ROWS = 4096

export interface ParquetReadOptions {
  /** the columns to produce, in order, cast to these types; absent ones come back all-null */
  fields: Field[]
  signal?: AbortSignal
  /**
   * Use this worker's column cache (scans; raw values only): 'read' serves row groups whose
   * columns are all cached, `true` also stores what it decodes (aggregate plans: exports
   * that stream whole tables must not churn the cache or grow memory to its budget).
   */
  cache?: boolean | 'read'
  /** read only the row groups this accepts (parallel scans split a file's row groups) */
  rowGroupFilter?: (rowGroup: number) => boolean
  /**
   * the first `limit` rows only (samples). The reader then fetches and decodes only the
   * pages holding them, not whole column chunks: the classification sample's first 455 rows
   * of each of 11 bench files take ~45 ms instead of ~240 ms. Never served from the cache.
   */
  limit?: number
}

/** Top-level column names of a Parquet file's Arrow schema. */
function fileColumnNames(file: pq.ParquetFile): Set<string> {
  const schema = file.schema()
  try {
    // an empty table carrying only the schema
    const t = tableFromIPC(schema.intoIPCStream())
    return new Set(t.schema.fields.map((f) => f.name))
  } finally {
    // intoIPCStream consumes the wasm object; free() on a consumed object is a no-op or throws
    try { schema.free() } catch { /* already consumed */ }
  }
}

/**
 * Opens a data file; a missing or unreadable one is `422 unsupported_table` naming the file
 * (its name only: no server paths in messages), so a table whose log points at files that
 * are gone fails clearly instead of as a bare 500.
 */
async function statFile(path: string): Promise<FileStamp> {
  try {
    // Node 20's openAsBlob reports a missing file only as ERR_INVALID_ARG_VALUE: stat first.
    const st = await stat(path)
    return { path, size: st.size, mtimeMs: st.mtimeMs }
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SluiceError(422, 'unsupported_table', `data file "${basename(path)}" referenced by the table is missing`)
    throw err
  }
}

async function openParquet(path: string, statted = false): Promise<pq.ParquetFile> {
  const name = basename(path)
  let blob: Blob
  if (!statted) await statFile(path)
  try {
    blob = await openAsBlob(path)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SluiceError(422, 'unsupported_table', `data file "${name}" referenced by the table is missing`)
    throw err
  }
  try {
    return await pq.ParquetFile.fromFile(blob)
  } catch {
    throw new SluiceError(422, 'unsupported_table', `data file "${name}" is not readable Parquet`)
  }
}

/**
 * Yields the file's rows as Batches shaped like `opts.fields` (names, order, types), one or
 * more per row group. Reads only the requested columns that exist in the file. Checks
 * `opts.signal` between row groups (throws its reason when aborted). Throws SluiceError 422
 * `schema_mismatch` when a column cannot be cast to its field type.
 */
export async function* readParquetBatches(path: string, opts: ParquetReadOptions): AsyncGenerator<Batch> {
  if (opts.cache && columnCache.budget > 0 && opts.limit === undefined) {
    yield* readCachedBatches(path, opts)
    return
  }
  const { fields, signal } = opts
  signal?.throwIfAborted()
  let left = opts.limit ?? Infinity
  if (left <= 0) return
  const file = await openParquet(path)
  try {
    const present = fileColumnNames(file)
    const columns = fields.filter((f) => present.has(f.name)).map((f) => f.name)
    const rowGroupRows = rowGroupRowsOf(file)
    const numRowGroups = rowGroupRows.length
    for (let i = 0; i < numRowGroups && left > 0; i++) {
      if (opts.rowGroupFilter && !opts.rowGroupFilter(i)) continue
      signal?.throwIfAborted()
      if (columns.length === 0) {
        // nothing to read from the file: every requested column is absent (or none requested)
        const n = Math.min(rowGroupRows[i]!, left)
        left -= n
        if (n > 0) yield { length: n, columns: fields.map((f) => nullColumn(f.name, f.type, n, f.precision, f.scale)) }
        continue
      }
      // Stream the row group in batches: decoding a whole row group at once holds all of it
      // (and grows wasm memory, which never shrinks) where one batch at a time is enough.
      // batchSize defaults to 1024 rows: far too small for per-batch overheads downstream.
      const batchSize = Math.min(opts.cache === 'read' ? STREAM_BATCH_ROWS : READ_BATCH_ROWS, left)
      const limited = left < rowGroupRows[i]! ? { limit: left } : {}
      const stream = await file.stream({ columns, rowGroups: [i], batchSize, ...limited })
      for await (const wasmBatch of stream as unknown as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
        // intoIPCStream consumes (and releases) the wasm record batch
        const table = tableFromIPC(wasmBatch.intoIPCStream())
        for (const rb of table.batches) {
          if (rb.numRows === 0 || left <= 0) continue
          const batch = recordBatchToBatch(rb, fields)
          // the reader honours limit and batchSize; cut anyway, so that `limit` is exact
          const cut = batch.length > left ? sliceBatch(batch, 0, left) : batch
          left -= cut.length
          yield cut
        }
      }
    }
  } finally {
    file.free()
  }
}

function rowGroupRowsOf(file: pq.ParquetFile): number[] {
  const meta = file.metadata()
  const rowGroupRows: number[] = []
  try {
    const numRowGroups = meta.numRowGroups()
    for (let i = 0; i < numRowGroups; i++) {
      const rg = meta.rowGroup(i)
      rowGroupRows.push(rg.numRows())
      rg.free()
    }
  } finally {
    meta.free()
  }
  return rowGroupRows
}

/**
 * readParquetBatches through the worker's column cache: columns of a row group that are
 * cached are served from it; the missing ones are decoded (only those) and stored. The
 * file is opened only when something must be decoded.
 */
async function* readCachedBatches(path: string, opts: ParquetReadOptions): AsyncGenerator<Batch> {
  const { fields, signal } = opts
  signal?.throwIfAborted()
  const stamp = await statFile(path)
  let file: pq.ParquetFile | null = null
  const open = async () => (file ??= await openParquet(path, true))
  try {
    let meta = columnCache.meta(stamp)
    if (!meta) {
      const f = await open()
      meta = { columns: fileColumnNames(f), rowGroupRows: rowGroupRowsOf(f) }
      columnCache.setMeta(stamp, meta)
    }
    const present = fields.filter((f) => meta!.columns.has(f.name))
    for (let i = 0; i < meta.rowGroupRows.length; i++) {
      if (opts.rowGroupFilter && !opts.rowGroupFilter(i)) continue
      signal?.throwIfAborted()
      const n = meta.rowGroupRows[i]!
      if (n === 0) continue
      if (present.length === 0) {
        yield { length: n, columns: fields.map((f) => nullColumn(f.name, f.type, n, f.precision, f.scale)) }
        continue
      }
      const chunks = new Map<string, Column[]>()
      const missing: Field[] = []
      for (const f of present) {
        const c = columnCache.get(ColumnCache.key(stamp, i, f))
        if (c) chunks.set(f.name, c)
        else missing.push(f)
      }
      const store = opts.cache !== 'read'
      if (missing.length > 0 && !store) {
        // read-only: decode the row group plainly and yield batch by batch (collecting the
        // whole row group first held all its decoded columns at once: RSS growth on exports)
        const stream = await (await open()).stream({ columns: present.map((f) => f.name), rowGroups: [i], batchSize: STREAM_BATCH_ROWS })
        for await (const wasmBatch of stream as unknown as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
          const table = tableFromIPC(wasmBatch.intoIPCStream())
          for (const rb of table.batches) {
            if (rb.numRows > 0) yield recordBatchToBatch(rb, fields)
          }
          signal?.throwIfAborted()
        }
        continue
      }
      if (missing.length > 0) {
        const decoded = missing.map(() => [] as Column[])
        const stream = await (await open()).stream({ columns: missing.map((f) => f.name), rowGroups: [i], batchSize: store ? CACHED_BATCH_ROWS : READ_BATCH_ROWS })
        for await (const wasmBatch of stream as unknown as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
          const table = tableFromIPC(wasmBatch.intoIPCStream())
          for (const rb of table.batches) {
            if (rb.numRows === 0) continue
            const b = recordBatchToBatch(rb, missing)
            b.columns.forEach((c, k) => decoded[k]!.push(c))
          }
          signal?.throwIfAborted()
        }
        missing.forEach((f, k) => chunks.set(f.name, store ? columnCache.put(ColumnCache.key(stamp, i, f), decoded[k]!) : decoded[k]!))
      }
      const lengths = chunks.get(present[0]!.name)!.map((c) => c.values.length)
      const aligned = present.every((f) => { const cs = chunks.get(f.name)!; return cs.length === lengths.length && cs.every((c, j) => c.values.length === lengths[j]) })
      if (!aligned) {
        // chunk boundaries differ between cached and fresh columns: one chunk per column
        for (const f of present) chunks.set(f.name, [concatBatches(chunks.get(f.name)!.map((c) => ({ length: c.values.length, columns: [c] }))).columns[0]!])
        lengths.splice(0, lengths.length, n)
      }
      for (let j = 0; j < lengths.length; j++) {
        const len = lengths[j]!
        yield {
          length: len,
          columns: fields.map((f) => chunks.get(f.name)?.[j] ?? nullColumn(f.name, f.type, len, f.precision, f.scale)),
        }
      }
    }
  } finally {
    (file as pq.ParquetFile | null)?.free()
  }
}

/** Number of rows in a Parquet file, from its footer. */
export async function readParquetRowCount(path: string): Promise<number> {
  const file = await pq.ParquetFile.fromFile(await openAsBlob(path))
  try {
    return rowCountOf(file)
  } finally {
    file.free()
  }
}

/** Rows of an open Parquet file, from its footer (wasm metadata objects freed). */
export function rowCountOf(file: pq.ParquetFile): number {
  const meta = file.metadata()
  try {
    const fm = meta.fileMetadata()
    try { return fm.numRows() } finally { fm.free() }
  } finally {
    meta.free()
  }
}
