/**
 * Scan task: read Parquet files (only the plan's columns, one row group at a time), execute
 * the plan, encode the output format, and send bytes to the main thread as it grants
 * credit (protocol in proto/scan.ts). Cancel stops the scan between batches.
 */
import type { Batch, Column } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import type { Literal } from '../proto/plan.js'
import { toTaskFailure } from '../proto/errors.js'
import type { ScanFile, ScanTask } from '../proto/scan.js'
import { readParquetBatches } from './kernels/parquet-read.js'
import { executePlan } from './kernels/execute.js'
import { createEncoder } from './kernels/encode.js'
import { constantColumn } from './kernels/constant.js'
import { CreditedPort, concatBytes as concat } from './kernels/credited-port.js'
import { maskBatch, maskedFieldsOf, maskRuleMap } from './kernels/mask-batch.js'

async function* fileBatches(files: ScanFile[], fields: Field[], columns: string[], partitionColumns: Set<string>, isCancelled: () => boolean): AsyncGenerator<Batch> {
  const fileFields = fields.filter((f) => columns.includes(f.name) && !partitionColumns.has(f.name))
  const wanted = fields.filter((f) => columns.includes(f.name))
  for (const file of files) {
    for await (const batch of readParquetBatches(file.path, { fields: fileFields })) {
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

export default async function scan(task: ScanTask): Promise<{ ok: true; value: null }> {
  const port = new CreditedPort(task.port, task.initialCredit)
  try {
    const partitionColumns = new Set<string>()
    for (const f of task.files) for (const k of Object.keys(f.partitionValues ?? {})) partitionColumns.add(k)
    const encoder = createEncoder(task.format, task.columns)
    // Masks replace raw values as they are read: the plan (filters, groups, order,
    // aggregates) only ever sees masked values, with their masked types.
    const rules = maskRuleMap(task.masks)
    const salt = task.masks?.salt ?? ''
    const raw = fileBatches(task.files, task.fields, task.plan.columns, partitionColumns, () => port.cancelled)
    const source = rules ? mapBatches(raw, (b) => maskBatch(b, rules, salt)) : raw
    const inputFields = maskedFieldsOf(task.fields.filter((f) => task.plan.columns.includes(f.name)), rules)
    let rowCount = 0
    // The start bytes wait for the first batch (or the end), so an error before any output
    // can still become a proper HTTP error status on the main thread.
    let pending: Uint8Array | null = encoder.start()
    for await (const out of executePlan(task.plan, inputFields, source, { batchRows: task.batchRows })) {
      if (port.cancelled) break
      rowCount += out.length
      const bytes = encoder.batch(out)
      await port.send(pending ? concat(pending, bytes) : bytes)
      pending = null
    }
    if (!port.cancelled) {
      const end = encoder.end(rowCount)
      await port.send(pending ? concat(pending, end) : end)
      port.post({ type: 'done', rowCount })
    }
  } catch (err) {
    port.post({ type: 'error', failure: toTaskFailure(err) })
  } finally {
    port.close()
  }
  return { ok: true, value: null }
}
