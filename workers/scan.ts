/**
 * Scan task: read Parquet files (only the plan's columns, one row group at a time, through
 * the worker's column cache), execute the plan, encode the output format, and send bytes to
 * the main thread as it grants credit (protocol in proto/scan.ts). Cancel stops the scan
 * between batches. With `parts`, the rows were aggregated by ScanPartTasks in parallel: this
 * task merges their states, then orders, limits and encodes.
 */
import type { Batch } from '../proto/batch.js'
import { toTaskFailure } from '../proto/errors.js'
import type { ScanTask } from '../proto/scan.js'
import { executePlan, aggregateOutput } from './kernels/execute.js'
import { createEncoder } from './kernels/encode.js'
import { CreditedPort, concatBytes as concat } from './kernels/credited-port.js'
import { maskedFieldsOf, maskRuleMap } from './kernels/mask-batch.js'
import { Aggregator } from './kernels/aggregate.js'
import { scanSource } from './scan-source.js'
import { mergeParts } from './scan-merge.js'

async function* mergedOutput(task: ScanTask, port: CreditedPort): AsyncGenerator<Batch> {
  const fields = maskedFieldsOf(task.fields.filter((f) => task.plan.columns.includes(f.name)), maskRuleMap(task.masks))
  const agg = new Aggregator(task.plan, fields)
  if (!(await mergeParts(task.parts!, agg, port))) return
  yield* aggregateOutput(agg, task.plan, { batchRows: task.batchRows })
}

export default async function scan(task: ScanTask): Promise<{ ok: true; value: null }> {
  const port = new CreditedPort(task.port, task.initialCredit)
  try {
    const encoder = createEncoder(task.format, task.columns)
    let output: AsyncIterable<Batch>
    if (task.parts) {
      output = mergedOutput(task, port)
    } else {
      const src = scanSource(task.files, task.fields, task.plan.columns, task.masks, () => port.cancelled, null, task.plan.aggregate)
      output = executePlan(task.plan, src.fields, src.batches, { batchRows: task.batchRows })
    }
    let rowCount = 0
    // The start bytes wait for the first batch (or the end), so an error before any output
    // can still become a proper HTTP error status on the main thread.
    let pending: Uint8Array | null = encoder.start()
    for await (const out of output) {
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
