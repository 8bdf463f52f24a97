/**
 * OPTIMIZE and VACUUM of a Delta-backed dataset (editor or admin). Options come as a JSON body
 * or as query parameters (the body wins for a key given in both); unknown options are 422.
 * Synchronous by default (200 with the result); `async=true` answers 202 with a job.
 */
import { badRequest, invalidParameter } from '../../../proto/errors.js'
import { writableDataset } from '../../auth/dataset-access.js'
import { maskRulesFor } from '../../governance/masking-view.js'
import { DEFAULT_TARGET_FILE_SIZE } from '../../lakehouse/optimize-plan.js'
import type { MaintenanceDeps } from '../../jobs/maintenance.js'
import { prepareOptimize, runOptimize } from '../../jobs/optimize.js'
import { prepareVacuum, runVacuum } from '../../jobs/vacuum.js'
import { jobView } from '../../jobs/runner.js'
import type { BodyReader } from '../body.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { boolParam, enumParam, intParam } from '../params.js'
import { ENGINE_INFO } from '../../engine.js'

const OPTIMIZE_OPTIONS = ['target_file_size', 'where', 'async'] as const
const VACUUM_OPTIONS = ['retention_hours', 'dry_run', 'mode', 'async'] as const
/** 1 TiB: far above any sensible data file */
const MAX_TARGET_FILE_SIZE = 2 ** 40
const RETENTION_HOURS = /^(0|[1-9][0-9]{0,8})(\.[0-9]{1,6})?$/

/** Options as strings: JSON body values (strings, numbers, booleans) over query parameters. */
async function readOptions(ctx: RequestContext, body: BodyReader, allowed: readonly string[]): Promise<Map<string, string>> {
  const out = new Map<string, string>()
  for (const [k, v] of ctx.queryEntries()) {
    if (!allowed.includes(k)) throw invalidParameter(k, `unknown option; expected one of ${allowed.join(', ')}`)
    if (out.has(k)) throw invalidParameter(k, 'given more than once')
    out.set(k, v)
  }
  const json = await body.readJson()
  if (json === undefined || json === null) return out
  if (typeof json !== 'object' || Array.isArray(json)) throw badRequest('the body must be a JSON object of options')
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    if (!allowed.includes(k)) throw invalidParameter(k, `unknown option; expected one of ${allowed.join(', ')}`)
    if (v === null) continue
    if (typeof v === 'string') out.set(k, v)
    else if (typeof v === 'number' && Number.isFinite(v)) out.set(k, String(v))
    else if (typeof v === 'boolean') out.set(k, String(v))
    else throw invalidParameter(k, 'expected a string, number or boolean')
  }
  return out
}

function deps(s: Services): MaintenanceDeps {
  return { dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, engineInfo: ENGINE_INFO, concurrency: s.config.workerThreads }
}

export const maintenanceRoutes: Route[] = [
  {
    method: 'POST', path: '/api/datasets/{name}/optimize', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const d = writableDataset(ctx, s)
      const p = ctx.principal!
      const o = await readOptions(ctx, body!, OPTIMIZE_OPTIONS)
      const targetFileSize = intParam(o.get('target_file_size') ?? null, 'target_file_size', { def: DEFAULT_TARGET_FILE_SIZE, min: 1, max: MAX_TARGET_FILE_SIZE })
      const where = o.get('where')
      if (where !== undefined && (where.trim() === '' || where.length > 10_000)) throw invalidParameter('where', 'must be a non-empty filter of at most 10000 characters')
      const isAsync = boolParam(o.get('async'), 'async', false)
      const prep = await prepareOptimize(s.config.dataDir, d, { targetFileSize, where: where ?? null, maskedColumns: [...maskRulesFor(d, p).keys()] })
      if (isAsync) {
        const job = s.jobs.start(p, 'optimize', d.name, (jc) => runOptimize(deps(s), p, prep, jc, jc.signal))
        ctx.sendJson(202, { job: jobView(job) })
        return
      }
      ctx.sendJson(200, await runOptimize(deps(s), p, prep, null, ctx.signal))
    },
  },
  {
    method: 'POST', path: '/api/datasets/{name}/vacuum', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const d = writableDataset(ctx, s)
      const p = ctx.principal!
      const o = await readOptions(ctx, body!, VACUUM_OPTIONS)
      const rawHours = o.get('retention_hours')
      if (rawHours !== undefined && !RETENTION_HOURS.test(rawHours)) throw invalidParameter('retention_hours', `expected a non-negative number of hours, got "${rawHours.slice(0, 40)}"`)
      const mode = enumParam(o.get('mode') ?? null, 'mode', ['lite', 'full'] as const, 'lite')
      const dryRun = boolParam(o.get('dry_run'), 'dry_run', false)
      const isAsync = boolParam(o.get('async'), 'async', false)
      const prep = await prepareVacuum(s.config.dataDir, d, {
        retentionHours: rawHours === undefined ? null : Number(rawHours), dryRun, mode, maskedColumns: [...maskRulesFor(d, p).keys()],
      })
      if (isAsync) {
        const job = s.jobs.start(p, 'vacuum', d.name, (jc) => runVacuum(deps(s), p, prep, jc, jc.signal))
        ctx.sendJson(202, { job: jobView(job) })
        return
      }
      ctx.sendJson(200, await runVacuum(deps(s), p, prep, null, ctx.signal))
    },
  },
]
