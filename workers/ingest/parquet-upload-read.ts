/**
 * Reading an uploaded Parquet file through our own scan path (workers/kernels/parquet-read.ts,
 * what explore uses), so an upload reads exactly as the committed table will. Errors of the
 * reader become 422 invalid_file: the data is the caller's file, not a table of ours.
 * Runs in worker threads.
 */
import { openAsBlob } from 'node:fs'
import { tableFromIPC, type Field as ArrowField } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import type { Batch } from '../../proto/batch.js'
import { SluiceError, invalidFile } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import { renamed } from '../kernels/column.js'
import { readParquetBatches } from '../kernels/parquet-read.js'

/** parquet-wasm's Arrow schema of the file (the fields our reader maps to logical types). */
export async function arrowFieldsOf(path: string): Promise<ArrowField[]> {
  let file: pq.ParquetFile
  try {
    file = await pq.ParquetFile.fromFile(await openAsBlob(path))
  } catch {
    throw invalidFile('the file is not readable Parquet')
  }
  try {
    const schema = file.schema()
    try {
      return tableFromIPC(schema.intoIPCStream()).schema.fields
    } finally {
      try { schema.free() } catch { /* consumed by intoIPCStream */ }
    }
  } catch (err) {
    if (err instanceof SluiceError) throw err
    throw invalidFile('the Parquet schema could not be read')
  } finally {
    file.free()
  }
}

/** Why a read failed, for the caller: value errors keep their message (they name the column). */
export function asFileError(err: unknown): unknown {
  if (err instanceof SluiceError) {
    if (err.code === 'schema_mismatch' || err.code === 'unsupported_table') return invalidFile(err.message)
    return err
  }
  if (err instanceof Error && err.name === 'AbortError') return err
  // parquet-wasm throws plain errors (or strings) for data it cannot decode
  const msg = err instanceof Error ? err.message : String(err)
  return invalidFile(`the Parquet data could not be read: ${msg.slice(0, 200)}`)
}

/**
 * The file's rows as Batches of `fields` (final names and types), reading the file columns
 * `reads` (same order: file names, final types).
 */
export async function* readUploadBatches(path: string, reads: Field[], fields: Field[], signal?: AbortSignal): AsyncGenerator<Batch> {
  const gen = readParquetBatches(path, { fields: reads, signal })
  try {
    for (;;) {
      let next: IteratorResult<Batch>
      try {
        next = await gen.next()
      } catch (err) {
        throw asFileError(err)
      }
      if (next.done) return
      const b = next.value
      yield { length: b.length, columns: b.columns.map((c, i) => renamed(c, fields[i]!.name)) }
    }
  } finally {
    await gen.return(undefined) // frees the wasm file when the caller stops early
  }
}
