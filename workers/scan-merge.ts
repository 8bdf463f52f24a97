/**
 * The merging side of a parallel aggregate scan: wait for every part's partial state, then
 * fold them into one Aggregator in part order (so the group order does not depend on which
 * part finished first). The first failure wins: the other parts are cancelled and the error
 * is thrown. A cancel from the main thread cancels every part.
 */
import type { MessagePort } from 'node:worker_threads'
import { SluiceError } from '../proto/errors.js'
import type { PartToMerger } from '../proto/scan.js'
import type { Aggregator, AggregatorState } from './kernels/aggregate.js'
import type { CreditedPort } from './kernels/credited-port.js'

/** Resolves true once every part's state is merged into `agg`; false when cancelled. */
export async function mergeParts(parts: MessagePort[], agg: Aggregator, control: CreditedPort): Promise<boolean> {
  const states = new Array<AggregatorState | undefined>(parts.length)
  const cancelAll = () => { for (const p of parts) { try { p.postMessage({ type: 'cancel' }) } catch { /* closed */ } } }
  try {
    await new Promise<void>((resolve, reject) => {
      let left = parts.length
      let settled = false
      const fail = (err: Error) => { if (!settled) { settled = true; cancelAll(); reject(err) } }
      control.onCancel(() => { if (!settled) { settled = true; cancelAll(); resolve() } })
      if (left === 0) { settled = true; resolve() }
      parts.forEach((p, k) => {
        p.on('message', (m: PartToMerger) => {
          if (m.type === 'error') { fail(new SluiceError(m.failure.status, m.failure.code, m.failure.message)); return }
          states[k] = m.state as AggregatorState
          if (--left === 0 && !settled) { settled = true; resolve() }
        })
        // a part whose worker died closes its port without a state
        p.on('close', () => { if (states[k] === undefined) fail(new SluiceError(500, 'internal', 'a scan part ended without a result')) })
      })
    })
  } finally {
    for (const p of parts) p.close()
  }
  if (control.cancelled) return false
  for (const st of states) agg.merge(st!)
  return true
}
