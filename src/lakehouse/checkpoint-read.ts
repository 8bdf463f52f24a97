/**
 * Reading checkpoint parquet files (PROTOCOL.md "Checkpoints", "Checkpoint Schema") into
 * actions, with parquet-wasm (`ParquetFile.fromFile(await fs.openAsBlob(p))`, streamed in
 * batches, handed to apache-arrow as Arrow IPC).
 *
 * Only the columns replay needs are read: whole `protocol`, `metaData`, `txn`, `remove`,
 * `domainMetadata`, `checkpointMetadata`, `sidecar`, and the plain members of `add`
 * (`stats` stays the JSON string; `stats_parsed` and `partitionValues_parsed` are skipped).
 * Every missing column is treated as null, as the protocol says.
 *
 * I/O + wasm; runs on any thread (each thread has its own parquet-wasm instance).
 */
import * as fs from 'node:fs'
import { ParquetFile } from 'parquet-wasm'
import { DataType, tableFromIPC, type Vector, type MapRow } from 'apache-arrow'
import { normalizeAction, type Action } from './actions.js'
import type { CheckpointSet } from './log-files.js'

const WHOLE_COLUMNS = ['protocol', 'metaData', 'txn', 'remove', 'domainMetadata', 'checkpointMetadata', 'sidecar']
const ADD_MEMBERS = [
  'path', 'partitionValues', 'size', 'modificationTime', 'dataChange', 'stats', 'tags',
  'deletionVector', 'baseRowId', 'defaultRowCommitVersion', 'clusteringProvider',
]
const BATCH_ROWS = 8192

import { CheckpointReadError, type CheckpointContents } from './checkpoint-contents.js'
export { CheckpointReadError, type CheckpointContents }

/** Converts row `i` of an Arrow vector to a plain JS value (int64 → number, map → object). */
function toPlain(vec: Vector, i: number): unknown {
  if (!vec.isValid(i)) return null
  const t = vec.type
  if (DataType.isStruct(t)) {
    const o: Record<string, unknown> = {}
    t.children.forEach((c, j) => {
      const child = vec.getChildAt(j)
      o[c.name] = child ? toPlain(child, i) : null
    })
    return o
  }
  if (DataType.isMap(t)) {
    const row = vec.get(i) as MapRow | null
    const o: Record<string, unknown> = {}
    if (row) for (const [k, v] of row) o[String(k)] = v === null || v === undefined ? null : typeof v === 'bigint' ? v.toString() : v
    return o
  }
  if (DataType.isList(t)) {
    const inner = vec.get(i) as Vector | null
    if (!inner) return null
    const out: unknown[] = []
    for (let j = 0; j < inner.length; j++) out.push(toPlain(inner, j))
    return out
  }
  const v: unknown = vec.get(i)
  return typeof v === 'bigint' ? Number(v) : v
}

async function readPart(file: string, version: number, out: Action[]): Promise<number> {
  const pf = await ParquetFile.fromFile(await fs.openAsBlob(file))
  try {
    const rowCount = pf.metadata().fileMetadata().numRows()
    const fileSchema = tableFromIPC(pf.schema().intoIPCStream()).schema
    const columns: string[] = []
    for (const f of fileSchema.fields) {
      if (WHOLE_COLUMNS.includes(f.name)) columns.push(f.name)
      else if (f.name === 'add' && DataType.isStruct(f.type)) {
        for (const c of f.type.children) if (ADD_MEMBERS.includes(c.name)) columns.push(`add.${c.name}`)
      }
    }
    if (columns.length === 0) return rowCount
    const stream = await pf.stream({ columns, batchSize: BATCH_ROWS })
    const where = `checkpoint ${version}`
    for await (const wasmBatch of stream as AsyncIterable<{ intoIPCStream(): Uint8Array }>) {
      const table = tableFromIPC(wasmBatch.intoIPCStream())
      const vectors = table.schema.fields.map((f, j) => ({ name: f.name, vec: table.getChildAt(j)! }))
      for (let i = 0; i < table.numRows; i++) {
        for (const { name, vec } of vectors) {
          if (!vec.isValid(i)) continue
          const a = normalizeAction(name, toPlain(vec, i), where)
          if (a) out.push(a)
        }
      }
    }
    return rowCount
  } finally {
    pf.free()
  }
}


/**
 * Reads every part of a checkpoint into actions.
 * Throws `CheckpointReadError` (`422 unsupported_table`, the original error as `cause`) when a
 * part cannot be read; replay then falls back to an older checkpoint or to the JSON commits.
 */
export async function readCheckpoint(set: CheckpointSet): Promise<CheckpointContents> {
  const actions: Action[] = []
  let rowCount = 0
  for (const file of set.files) {
    try {
      rowCount += await readPart(file, set.version, actions)
    } catch (err) {
      throw new CheckpointReadError(set.version, err)
    }
  }
  return { version: set.version, actions, rowCount }
}
