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
import type { Batch } from '../../proto/batch.js'
import type { Field } from '../../proto/types.js'
import { SluiceError } from '../../proto/errors.js'
import { recordBatchToBatch } from './arrow-from.js'
import { nullColumn } from './column.js'

const READ_BATCH_ROWS = 16384

export interface ParquetReadOptions {
  /** the columns to produce, in order, cast to these types; absent ones come back all-null */
  fields: Field[]
  signal?: AbortSignal
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
async function openParquet(path: string): Promise<pq.ParquetFile> {
  const name = basename(path)
  let blob: Blob
  try {
    // Node 20's openAsBlob reports a missing file only as ERR_INVALID_ARG_VALUE: stat first.
    await stat(path)
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
  const { fields, signal } = opts
  signal?.throwIfAborted()
  const file = await openParquet(path)
  try {
    const present = fileColumnNames(file)
    const columns = fields.filter((f) => present.has(f.name)).map((f) => f.name)
    const meta = file.metadata()
    let numRowGroups: number
    const rowGroupRows: number[] = []
    try {
      numRowGroups = meta.numRowGroups()
      for (let i = 0; i < numRowGroups; i++) {
        const rg = meta.rowGroup(i)
        rowGroupRows.push(rg.numRows())
        rg.free()
      }
    } finally {
      meta.free()
    }
    for (let i = 0; i < numRowGroups; i++) {
      signal?.throwIfAborted()
      if (columns.length === 0) {
        // nothing to read from the file: every requested column is absent (or none requested)
        const n = rowGroupRows[i]!
        if (n > 0) yield { length: n, columns: fields.map((f) => nullColumn(f.name, f.type, n, f.precision, f.scale)) }
        continue
      }
      // Stream the row group in batches: decoding a whole row group at once holds all of it
      // (and grows wasm memory, which never shrinks) where one batch at a time is enough.
      // batchSize defaults to 1024 rows: far too small for per-batch overheads downstream.
      const stream = await file.stream({ columns, rowGroups: [i], batchSize: READ_BATCH_ROWS })
      for await (const wasmBatch of stream as unknown as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
        // intoIPCStream consumes (and releases) the wasm record batch
        const table = tableFromIPC(wasmBatch.intoIPCStream())
        for (const rb of table.batches) {
          if (rb.numRows > 0) yield recordBatchToBatch(rb, fields)
        }
      }
    }
  } finally {
    file.free()
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
