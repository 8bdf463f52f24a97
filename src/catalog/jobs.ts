/** Job records (API.md, "Jobs"), per org. The running side lives in src/jobs/. */
import type { CatalogDb } from './db.js'

export type JobState = 'queued' | 'running' | 'succeeded' | 'failed' | 'cancelled'

export interface JobProgress { percent: number; phase: string; [counter: string]: unknown }

export interface Job {
  id: string
  org: string
  kind: string
  state: JobState
  progress: JobProgress
  dataset: string | null
  createdBy: string
  createdAt: string
  updatedAt: string
  error: { error: string; message: string } | null
  result: unknown
}

interface Row {
  id: string; org: string; kind: string; state: JobState; progress_json: string; dataset: string | null
  created_by: string; created_at: string; updated_at: string; error_json: string | null; result_json: string | null
}

const fromRow = (r: Row): Job => ({
  id: r.id, org: r.org, kind: r.kind, state: r.state, progress: JSON.parse(r.progress_json),
  dataset: r.dataset, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
  error: r.error_json ? JSON.parse(r.error_json) : null, result: r.result_json ? JSON.parse(r.result_json) : null,
})

export class JobStore {
  constructor(private readonly db: CatalogDb) {}

  insert(j: Job): void {
    this.db.prepare(`INSERT INTO jobs (id, org, kind, state, progress_json, dataset, created_by, created_at, updated_at, error_json, result_json)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`).run(j.id, j.org, j.kind, j.state, JSON.stringify(j.progress), j.dataset,
      j.createdBy, j.createdAt, j.updatedAt, j.error ? JSON.stringify(j.error) : null, j.result === null ? null : JSON.stringify(j.result))
  }

  update(j: Job): void {
    this.db.prepare(`UPDATE jobs SET state = ?, progress_json = ?, dataset = ?, updated_at = ?, error_json = ?, result_json = ? WHERE id = ?`)
      .run(j.state, JSON.stringify(j.progress), j.dataset, j.updatedAt, j.error ? JSON.stringify(j.error) : null,
        j.result === null ? null : JSON.stringify(j.result), j.id)
  }

  /** The newest job of `kind` about `dataset` in the org (batch imports are found by their name). */
  latestFor(org: string, kind: string, dataset: string): Job | undefined {
    const r = this.db.prepare('SELECT * FROM jobs WHERE org = ? AND kind = ? AND dataset = ? ORDER BY created_at DESC LIMIT 1').get(org, kind, dataset) as Row | undefined
    return r && fromRow(r)
  }

  get(org: string, id: string): Job | undefined {
    const r = this.db.prepare('SELECT * FROM jobs WHERE org = ? AND id = ?').get(org, id) as Row | undefined
    return r && fromRow(r)
  }

  /** Jobs left queued or running by a process that died cannot finish: mark them failed. */
  failOrphans(nowIso: string): number {
    return this.db.prepare(`UPDATE jobs SET state = 'failed', updated_at = ?,
        error_json = '{"error":"internal","message":"the server restarted while the job ran"}'
      WHERE state IN ('queued', 'running')`).run(nowIso).changes
  }
}
