/**
 * One part of a parallel aggregate scan (proto/scan.ts ScanPartTask): aggregate this part's
 * row groups and post the partial state to the merging scan task. A `cancel` from the merger
 * stops it between batches.
 */
import { toTaskFailure } from '../proto/errors.js'
import type { ScanPartTask, PartToMerger } from '../proto/scan.js'
import { Aggregator } from './kernels/aggregate.js'
import { aggregateInto } from './kernels/execute.js'
import { scanSource } from './scan-source.js'

export default async function scanPart(task: ScanPartTask): Promise<{ ok: true; value: null }> {
  const port = task.port
  let cancelled = false
  port.on('message', (m: { type: string }) => { if (m.type === 'cancel') cancelled = true })
  const post = (m: PartToMerger) => port.postMessage(m)
  try {
    const src = scanSource(task.files, task.fields, task.plan.columns, task.masks, () => cancelled, task.part)
    const agg = new Aggregator(task.plan, src.fields)
    await aggregateInto(agg, task.plan, src.batches, () => cancelled)
    if (!cancelled) post({ type: 'state', state: agg.state() })
  } catch (err) {
    post({ type: 'error', failure: toTaskFailure(err) })
  } finally {
    port.close()
  }
  return { ok: true, value: null }
}
