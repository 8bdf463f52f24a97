/**
 * The refresh policy of imported datasets (`settings.refresh: {"every": "1h"}`): every tick
 * the scheduler starts a refresh job for each imported dataset whose last copy (import or
 * refresh) is older than its interval and that has no refresh running. Refreshes run as the
 * dataset's creator, recorded in history with the job id as run_id. PostgreSQL and BigQuery
 * imports alike (the dataset's provenance says which).
 */
import type { Dataset, DatasetStore } from '../catalog/index.js'
import type { Logger } from '../log.js'
import { isImported, refreshImport, type ImportDeps } from './import.js'
import { refreshBigQueryImport } from './import-bigquery.js'
import type { JobRunner } from './runner.js'
import type { Job } from '../catalog/index.js'
import type { Principal } from '../../proto/principal.js'

export const REFRESH_JOB_KIND = 'refresh'

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** "15m" → 900000 (settings validation has already checked the shape). */
export function durationMs(text: string): number {
  const m = /^(\d+)([smhd])$/.exec(text)
  if (!m) throw new Error(`not a duration: ${text}`)
  return Number(m[1]) * UNIT_MS[m[2]!]!
}

/** When the dataset's rows were last copied from its source (ms since epoch). */
export function lastCopiedMs(d: Dataset): number {
  const at = d.provenance.refreshed_at ?? d.provenance.imported_at ?? d.createdAt
  return Date.parse(String(at))
}

export function refreshDue(d: Dataset, nowMs: number): boolean {
  const r = d.settings.refresh
  if (!r || r === 'manual' || !isImported(d)) return false
  return nowMs - lastCopiedMs(d) >= durationMs(r.every)
}

/** The principal a scheduled refresh runs as: the dataset's creator, in its org. */
function ownerOf(d: Dataset): Principal {
  return { sub: d.createdBy, org: d.org, roles: ['editor'], groups: [] } as Principal
}

export class RefreshScheduler {
  #timer: NodeJS.Timeout | null = null
  /** dataset id → job id of the refresh running for it */
  readonly #running = new Map<string, string>()
  /** dataset id → when the schedule last started a refresh (a failing source is retried once per interval, not every tick) */
  readonly #attempted = new Map<string, number>()

  constructor(
    private readonly deps: ImportDeps & { datasets: DatasetStore },
    private readonly jobs: JobRunner,
    private readonly log: Logger,
    private readonly tickMs: number,
  ) {}

  start(): void {
    this.#timer = setInterval(() => this.tick(), this.tickMs)
    this.#timer.unref()
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer)
    this.#timer = null
  }

  /** Starts a refresh job now (POST /api/datasets/{name}/refresh, or the schedule). */
  refreshNow(p: Principal, d: Dataset): Job {
    const job = this.jobs.start(p, REFRESH_JOB_KIND, d.name, async (ctx) => {
      try {
        const refresh = d.provenance.source === 'bigquery' ? refreshBigQueryImport : refreshImport
        const next = await refresh(this.deps, p, d, ctx, ctx.signal)
        return { dataset: next.name, version: next.currentVersion, row_count: next.rowCount }
      } finally {
        this.#running.delete(d.id)
      }
    })
    this.#running.set(d.id, job.id)
    return job
  }

  tick(nowMs = Date.now()): void {
    for (const d of this.deps.datasets.withRefreshPolicy()) {
      if (this.#running.has(d.id) || !refreshDue(d, nowMs)) continue
      const every = durationMs((d.settings.refresh as { every: string }).every)
      if (nowMs - (this.#attempted.get(d.id) ?? 0) < every) continue
      this.#attempted.set(d.id, nowMs)
      try {
        const job = this.refreshNow(ownerOf(d), d)
        this.log.info({ dataset: d.name, org: d.org, job: job.id }, 'scheduled refresh started')
      } catch (err) {
        this.log.error({ err, dataset: d.name }, 'scheduled refresh could not start')
      }
    }
  }
}
