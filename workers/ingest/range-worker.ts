/**
 * Helper thread of ingest-split.ts: writes the second byte range of a CSV file with the
 * sampled layout and reports progress and the result (never throws across the thread).
 */
import { parentPort, workerData } from 'node:worker_threads'
import type { RangeJob, RangeMessage } from './ingest-split.js'
import { writePass } from './write-pass.js'

const job = workerData as RangeJob
const post = (m: RangeMessage): void => parentPort!.postMessage(m)
try {
  const value = await writePass(job.task, job.layout, job.guard, job.tuning, job.target, {
    start: () => {},
    update: (bytes, rows) => post({ kind: 'progress', bytes: bytes - job.start, rows }),
  }, { start: job.start, end: Infinity, header: false })
  post({ kind: 'done', ok: true, value })
} catch (err) {
  post({ kind: 'done', ok: false, message: err instanceof Error ? err.message : String(err) })
}
