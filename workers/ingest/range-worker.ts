/**
 * Helper thread of ingest-split.ts: writes the second byte range of a CSV file with the
 * sampled layout and reports progress and the result (never throws across the thread).
 */
import { parentPort } from 'node:worker_threads'
import type { RangeJob, RangeMessage } from './ingest-split.js'
import { writePass } from './write-pass.js'

const post = (m: RangeMessage): void => parentPort!.postMessage(m)
// the job comes as the first message: the thread is started before the split is known
parentPort!.once('message', (job: RangeJob) => {
  writePass(job.task, job.layout, job.guard, job.tuning, job.target, {
    start: () => {},
    update: (bytes, rows) => post({ kind: 'progress', bytes: bytes - job.start, rows }),
  }, { start: job.start, end: Infinity, header: false }).then(
    (value) => post({ kind: 'done', ok: true, value }),
    (err: unknown) => post({ kind: 'done', ok: false, message: err instanceof Error ? err.message : String(err) }),
  )
})
