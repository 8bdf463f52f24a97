/**
 * Runs long work as jobs (API.md, Jobs): records state and progress in the catalog, keeps
 * an AbortController per running job so `DELETE /api/jobs/{id}` can cancel it. The work
 * function must leave nothing half-written when its signal aborts.
 */
import crypto from 'node:crypto'
import { SluiceError, jobNotFound } from '../../proto/errors.js'
import type { Job, JobProgress, JobStore } from '../catalog/index.js'
import type { Principal } from '../auth/principal.js'
import { isAdmin } from '../auth/principal.js'
import type { Logger } from '../log.js'

export interface JobContext {
  id: string
  signal: AbortSignal
  /** merge counters into the job's progress (written to the catalog at most every 250 ms) */
  progress(p: Partial<JobProgress>): void
  /** set once the job knows which dataset it produces */
  setDataset(name: string): void
}

export type JobWork<T> = (job: JobContext) => Promise<T>

const PROGRESS_WRITE_MS = 250

export class JobRunner {
  readonly #running = new Map<string, AbortController>()
  readonly #settled = new Map<string, Promise<unknown>>()

  constructor(private readonly store: JobStore, private readonly log: Logger) {}

  /** Creates the job and starts it; returns the job as first recorded (state running). */
  start<T>(p: Principal, kind: string, dataset: string | null, work: JobWork<T>): Job {
    const now = new Date().toISOString()
    const job: Job = {
      id: crypto.randomUUID(), org: p.org, kind, state: 'running', progress: { percent: 0, phase: 'starting' },
      dataset, createdBy: p.sub, createdAt: now, updatedAt: now, error: null, result: null,
    }
    this.store.insert(job)
    const ac = new AbortController()
    this.#running.set(job.id, ac)
    let lastWrite = 0
    const ctx: JobContext = {
      id: job.id,
      signal: ac.signal,
      progress: (update) => {
        Object.assign(job.progress, update)
        const t = Date.now()
        if (t - lastWrite >= PROGRESS_WRITE_MS) {
          lastWrite = t
          job.updatedAt = new Date(t).toISOString()
          this.store.update(job)
        }
      },
      setDataset: (name) => { job.dataset = name },
    }
    const settled = work(ctx).then(
      (result) => {
        job.state = 'succeeded'
        job.result = result ?? null
        job.progress.percent = 100
        job.progress.phase = 'done'
      },
      (err: unknown) => {
        if (ac.signal.aborted) {
          job.state = 'cancelled'
          job.error = { error: 'cancelled', message: 'the job was cancelled' }
        } else {
          job.state = 'failed'
          if (err instanceof SluiceError) job.error = { error: err.code, message: err.message }
          else {
            this.log.error({ err, job: job.id }, 'job failed')
            job.error = { error: 'internal', message: 'internal error' }
          }
        }
      },
    ).finally(() => {
      job.updatedAt = new Date().toISOString()
      this.store.update(job)
      this.#running.delete(job.id)
      this.#settled.delete(job.id)
    })
    this.#settled.set(job.id, settled)
    return { ...job, progress: { ...job.progress } }
  }

  /** The job as the caller may see it: their own, or any in the org for admins. */
  get(p: Principal, id: string): Job {
    const job = this.store.get(p.org, id)
    if (!job || (job.createdBy !== p.sub && !isAdmin(p))) throw jobNotFound(id)
    return job
  }

  /** Cancels a running job and waits until its work has cleaned up. */
  async cancel(p: Principal, id: string): Promise<Job> {
    this.get(p, id)
    const ac = this.#running.get(id)
    if (ac) {
      ac.abort(new SluiceError(499, 'cancelled', 'the job was cancelled'))
      await this.#settled.get(id)?.catch(() => {})
    }
    return this.get(p, id)
  }

  /** Cancels everything still running (shutdown). */
  async cancelAll(): Promise<void> {
    for (const ac of this.#running.values()) ac.abort(new SluiceError(503, 'overloaded', 'server shutting down'))
    await Promise.allSettled([...this.#settled.values()])
  }
}

export function jobView(j: Job) {
  return {
    id: j.id, kind: j.kind, state: j.state, progress: j.progress, dataset: j.dataset,
    created_by: j.createdBy, created_at: j.createdAt, updated_at: j.updatedAt, error: j.error, result: j.result,
  }
}
