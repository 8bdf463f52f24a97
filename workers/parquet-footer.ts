/**
 * Piscina task module: Parquet footers only (proto/parquet-footer.ts). Row counts come from
 * each file's metadata; the schema of the first file is its Arrow schema mapped to the
 * logical types the scan path produces for the same columns (workers/kernels/arrow-from.ts),
 * so a plain Parquet folder reads back with exactly the types its schema announces.
 * Failures come back as data (TaskFailure).
 */
import { openAsBlob } from 'node:fs'
import path from 'node:path'
import { tableFromIPC, Type, type DataType, type Int, type Float, type Decimal, type Dictionary } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import { SluiceError, toTaskFailure, type TaskResult } from '../proto/errors.js'
import type { ParquetFooterResult, ParquetFooterTask, UnsupportedParquetColumn } from '../proto/parquet-footer.js'
import type { Field, LogicalType } from '../proto/types.js'
import { rowCountOf } from './kernels/parquet-read.js'

type Mapped = Pick<Field, 'type' | 'precision' | 'scale'>

/** The logical type of an Arrow column, as recordBatchToBatch would produce it; null when Sluice cannot read it. */
export function logicalOf(t: DataType): Mapped | null {
  switch (t.typeId) {
    case Type.Utf8: case Type.LargeUtf8: case Type.Null: return { type: 'string' }
    case Type.Binary: case Type.LargeBinary: case Type.FixedSizeBinary: return { type: 'binary' }
    case Type.Bool: return { type: 'boolean' }
    case Type.Date: return { type: 'date' }
    case Type.Timestamp: return { type: 'timestamp' }
    case Type.Time: return { type: 'time' }
    case Type.Int: {
      const it = t as Int
      let type: LogicalType
      if (it.bitWidth === 64) type = 'int64'
      else if (it.bitWidth === 32) type = it.isSigned ? 'int32' : 'int64'
      else type = it.bitWidth <= 8 || it.isSigned ? 'int16' : 'int32'
      return { type }
    }
    case Type.Float: return { type: (t as Float).precision === 2 ? 'float64' : 'float32' }
    case Type.Decimal: {
      const d = t as Decimal
      if (d.bitWidth > 128 || d.precision > 38 || d.scale < 0) return null
      return { type: 'decimal', precision: d.precision, scale: d.scale }
    }
    case Type.Dictionary: return logicalOf((t as Dictionary).dictionary)
    default: return null
  }
}

async function openFile(file: string, shown: string): Promise<pq.ParquetFile> {
  try {
    return await pq.ParquetFile.fromFile(await openAsBlob(file))
  } catch (err) {
    throw new SluiceError(422, 'unsupported_table', `"${shown}" is not a readable Parquet file`, undefined, { cause: err })
  }
}



function schemaOf(file: pq.ParquetFile): { fields: Field[]; unsupported: UnsupportedParquetColumn[] } {
  const schema = file.schema()
  let arrowFields
  try {
    arrowFields = tableFromIPC(schema.intoIPCStream()).schema.fields
  } finally {
    try { schema.free() } catch { /* consumed by intoIPCStream */ }
  }
  const fields: Field[] = []
  const unsupported: UnsupportedParquetColumn[] = []
  for (const f of arrowFields) {
    const m = logicalOf(f.type)
    if (m) fields.push({ name: f.name, nullable: f.nullable, ...m })
    else unsupported.push({ name: f.name, type: String(f.type) })
  }
  return { fields, unsupported }
}

export default async function parquetFooter(task: ParquetFooterTask): Promise<TaskResult<ParquetFooterResult>> {
  try {
    const rowCounts: number[] = []
    let described: ReturnType<typeof schemaOf> | null = null
    for (let i = 0; i < task.files.length; i++) {
      const file = task.files[i]!
      const shown = task.baseDir ? path.relative(task.baseDir, file) : path.basename(file)
      const pf = await openFile(file, shown)
      try {
        rowCounts.push(rowCountOf(pf))
        if (i === 0 && task.schema) described = schemaOf(pf)
      } catch (err) {
        if (err instanceof SluiceError) throw err
        throw new SluiceError(422, 'unsupported_table', `"${shown}" has a Parquet footer Sluice cannot read`, undefined, { cause: err })
      } finally {
        pf.free()
      }
    }
    return { ok: true, value: { fields: described?.fields ?? null, unsupported: described?.unsupported ?? [], rowCounts } }
  } catch (err) {
    if (!(err instanceof SluiceError)) console.error('parquet footer task failed', err)
    return toTaskFailure(err)
  }
}
