/**
 * The classification sample of a file-backed table: up to `rows` rows of every field, read
 * from at most MAX_SAMPLE_FILES of its Parquet files spread over the table (first, last and
 * evenly between), an equal share from each, so columns that later appends filled (or added)
 * show up too. Delta partition columns come from each file's partition values. Worker thread.
 */
import type { Batch, Column } from '../../../proto/batch.js'
import type { Field } from '../../../proto/types.js'
import type { Literal } from '../../../proto/plan.js'
import type { ScanFile } from '../../../proto/scan.js'
import { readParquetBatches } from '../parquet-read.js'
import { constantColumn } from '../constant.js'
import { concatBatches, sliceBatch } from '../column.js'

export const MAX_SAMPLE_FILES = 16

/** Up to `max` files spread evenly over `files` (always the first and the last). Pure. */
export function spreadFiles<T>(files: readonly T[], max: number): T[] {
  if (files.length <= max) return [...files]
  const out: T[] = []
  for (let i = 0; i < max; i++) out.push(files[Math.round(i * (files.length - 1) / (max - 1))]!)
  return out
}

export async function parquetSample(files: readonly ScanFile[], fields: readonly Field[], rows: number): Promise<Batch> {
  const picked = spreadFiles(files, MAX_SAMPLE_FILES)
  const share = Math.ceil(rows / Math.max(1, picked.length))
  const parts: Batch[] = []
  let total = 0
  for (const file of picked) {
    const partition = file.partitionValues ?? {}
    const inFile = fields.filter((f) => !(f.name in partition))
    let taken = 0
    // only the rows taken are read: the reader fetches just the pages that hold them
    for await (const batch of readParquetBatches(file.path, { fields: inFile, limit: Math.min(share, rows - total) })) {
      const n = Math.min(batch.length, share - taken, rows - total)
      const byName = new Map(batch.columns.map((c) => [c.name, c]))
      const columns: Column[] = fields.map((f) => byName.get(f.name) ?? constantColumn(f, (partition[f.name] ?? null) as Literal | null, batch.length))
      parts.push(sliceBatch({ length: batch.length, columns }, 0, n))
      taken += n
      total += n
      if (taken >= share || total >= rows) break
    }
    if (total >= rows) break
  }
  return parts.length === 0 ? { length: 0, columns: [] } : concatBatches(parts)
}
