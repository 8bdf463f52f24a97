/**
 * GET /api/datasets/{name}/profile: per-column statistics (proto/profile.ts). File-backed
 * datasets are profiled in workers (src/connectors/profile.ts), PostgreSQL datasets with SQL
 * (src/connectors/profile-postgres.ts); both cache their answers (profile-cache.ts).
 */
import { isBigQueryDataset } from '../../connectors/bigquery-dataset.js'
import { profileBigQuery } from '../../connectors/profile-bigquery.js'
import { DEFAULT_TOP, MAX_TOP } from '../../../proto/profile.js'
import { invalidParameter } from '../../../proto/errors.js'
import { applyOption, noOptions, readAtOf } from '../../query/options.js'
import { profileTable, type ProfileRequest } from '../../connectors/profile.js'
import { profilePostgres } from '../../connectors/profile-postgres.js'
import { profileBodyText } from '../../connectors/profile-cache.js'
import type { Route } from '../router.js'
import { intParam } from '../params.js'
import { readableDataset } from '../../auth/dataset-access.js'
import { maskSaltOf } from '../../governance/salt.js'

const PARAMS = new Set(['columns', 'top', 'version', 'as_of'])

/** `columns=a,b` (repeatable) → names; null when absent. Empty names are 422 invalid_parameter. */
function columnsParam(values: string[]): string[] | null {
  if (values.length === 0) return null
  const names = values.flatMap((v) => v.split(','))
  if (names.some((n) => n === '')) throw invalidParameter('columns', 'expected comma-separated column names')
  return names
}

export const profileRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/profile', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = readableDataset(ctx, s)
      const entries = ctx.queryEntries()
      for (const [k] of entries) if (!PARAMS.has(k)) throw invalidParameter(k, 'profile takes only columns, top, version and as_of')
      const q = new URLSearchParams(ctx.rawQuery)
      const options = noOptions()
      for (const k of ['version', 'as_of'] as const) {
        const v = q.get(k)
        if (v !== null) applyOption(options, k, v)
      }
      const req: ProfileRequest = {
        columns: columnsParam(q.getAll('columns')),
        top: intParam(q.get('top'), 'top', { def: DEFAULT_TOP, min: 1, max: MAX_TOP }),
        readAt: readAtOf(options),
        caller: ctx.principal!,
        // profiles compute over the caller's masked view (profile-masking.ts); the salt hashes
        salt: maskSaltOf(s.secrets, d.org),
        signal: ctx.signal,
      }
      const answer = isBigQueryDataset(d)
        ? await profileBigQuery(s.connectors, d, { ...req, sampleRows: s.config.profileSampleRows })
        : d.kind === 'connector'
        ? await profilePostgres(s.connectors, d, { ...req, sampleRows: s.config.profileSampleRows })
        : await profileTable(s.pool, s.config.dataDir, d, { ...req, maxGroups: s.config.workerThreads })
      ctx.send(200, profileBodyText(answer.profile, answer.cached), 'application/json')
    },
  },
]
