/**
 * The batches a scan task computes on: Parquet files read through the worker's column cache
 * (only the plan's columns), partition columns filled in as constants, then the caller's
 * masks applied. Masking runs after the cache, per task: the plan (filters, groups, order,
 * aggregates) only ever sees masked values, with their masked types.
 */
import type { Batch, Column } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import type { Literal } from '../proto/plan.js'
import type { TaskMasks } from '../proto/masks.js'
import type { ScanFile } from '../proto/scan.js'
import { readParquetBatches } from './kernels/parquet-read.js'
import { constantColumn } from './kernels/constant.js'
import { maskBatch, maskedFieldsOf, maskRuleMap } from './kernels/mask-batch.js'

export interface ScanSource {
  batches: AsyncGenerator<Batch>
  /** the fields of those batches (masked types) */
  fields: Field[]
}

/** Which row groups a part reads: (file index + row group) % of === index. */
export interface PartSelector { index: number; of: number }

async function* fileBatches(files: ScanFile[], fields: Field[], columns: string[], isCancelled: () => boolean, part: PartSelector | null, cache: true | 'read'): AsyncGenerator<Batch> {
  const partitionColumns = new Set<string>()
  for (const f of files) for (const k of Object.keys(f.partitionValues ?? {})) partitionColumns.add(k)
  const fileFields = fields.filter((f) => columns.includes(f.name) && !partitionColumns.has(f.name))
  const wanted = fields.filter((f) => columns.includes(f.name))
  for (let fi = 0; fi < files.length; fi++) {
    const file = files[fi]!
    const rowGroupFilter = part ? (rg: number) => (fi + rg) % part.of === part.index : undefined
    for await (const batch of readParquetBatches(file.path, { fields: fileFields, cache, rowGroupFilter })) {
      if (isCancelled()) return
      if (partitionColumns.size === 0) {
        yield batch
        continue
      }
      const byName = new Map(batch.columns.map((c) => [c.name, c]))
      const cols: Column[] = wanted.map((f) => byName.get(f.name)
        ?? constantColumn(f, (file.partitionValues?.[f.name] ?? null) as Literal | null, batch.length))
      yield { length: batch.length, columns: cols }
    }
  }
}

async function* mapBatches(src: AsyncIterable<Batch>, f: (b: Batch) => Batch): AsyncGenerator<Batch> {
  for await (const b of src) yield f(b)
}

/**
 * The scan's batches. `fill`: store decoded columns in the cache (aggregate plans, the
 * repeated dashboard queries); otherwise only read what is cached.
 */
export function scanSource(files: ScanFile[], fields: Field[], columns: string[], masks: TaskMasks | null, isCancelled: () => boolean, part: PartSelector | null = null, fill = true): ScanSource {
  const rules = maskRuleMap(masks)
  const salt = masks?.salt ?? ''
  const raw = fileBatches(files, fields, columns, isCancelled, part, fill ? true : 'read')
  return {
    batches: rules ? mapBatches(raw, (b) => maskBatch(b, rules, salt)) : raw,
    fields: maskedFieldsOf(fields.filter((f) => columns.includes(f.name)), rules),
  }
}
