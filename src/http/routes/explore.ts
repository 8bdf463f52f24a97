/** Preview and explore: validated plan → dataset source → streamed result. */
import type { TaskMasks } from '../../../proto/masks.js'
import { maskingViewOf, outputColumns, rulesOf, type MaskingView } from '../../governance/masking-view.js'
import { maskSaltOf } from '../../governance/salt.js'
import { OUTPUT_FORMATS, type Plan, type OutputFormat, type ReadAt } from '../../../proto/plan.js'
import { SluiceError, invalidParameter } from '../../../proto/errors.js'
import { parseExploreBody, parseExploreParams } from '../../query/index.js'
import { exploreTable, tableRefOf } from '../../connectors/lakehouse.js'
import { explorePostgres } from '../../connectors/postgres.js'
import { exploreBigQuery } from '../../connectors/bigquery-explore.js'
import type { Dataset } from '../../catalog/index.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { readableDataset } from '../../auth/dataset-access.js'
import { refreshRegisteredDataset } from '../../connectors/lakehouse-tables.js'
import { negotiateFormat, streamResult } from '../result-stream.js'
import { enumParam, intParam } from '../params.js'

const PREVIEW_DEFAULT = 100
const PREVIEW_MAX = 10_000

/** A connector dataset whose connector is a BigQuery one (else PostgreSQL, as before). */
function isBigQueryDataset(s: Services, d: Dataset): boolean {
  const id = (d.provenance as { connector_id?: unknown }).connector_id
  return typeof id === 'string' && s.connectors.get(d.org, id).type === 'bigquery'
}

/** The caller's masks as a worker task carries them; null when the caller sees raw values. */
function taskMasks(s: Services, d: Dataset, view: MaskingView): TaskMasks | null {
  return view.rules.size === 0 ? null : { rules: rulesOf(view), salt: maskSaltOf(s.secrets, d.org) }
}

async function runExplore(ctx: RequestContext, s: Services, d: Dataset, view: MaskingView, plan: Plan, format: OutputFormat | null, readAt: ReadAt): Promise<void> {
  if (s.draining.value) throw new SluiceError(503, 'overloaded', 'server is shutting down')
  const fmt = negotiateFormat(format, ctx.header('accept'))
  const req = { plan, columns: outputColumns(plan, view), format: fmt, readAt, masks: taskMasks(s, d, view), signal: ctx.signal }
  const source = d.kind !== 'connector'
    ? exploreTable(s.pool, await tableRefOf(s.config.dataDir, d), d, req)
    : isBigQueryDataset(s, d)
      ? exploreBigQuery(s.pool, s.connectors, d, req)
      : explorePostgres(s.pool, s.connectors, d, req)
  await streamResult(ctx, fmt, source, s.log)
}

/**
 * The dataset with its schema as of the table's latest commit (another writer may have
 * evolved it), and the caller's masking view of it: plans are parsed against the masked
 * schema, so a filter on a masked column compares masked values.
 */
async function currentDataset(ctx: RequestContext, s: Services): Promise<{ d: Dataset; view: MaskingView }> {
  const d = await refreshRegisteredDataset({ dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, log: s.log }, readableDataset(ctx, s))
  return { d, view: maskingViewOf(d, ctx.principal!) }
}

export const exploreRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/explore', auth: true, body: false,
    handler: async (ctx, s) => {
      const { d, view } = await currentDataset(ctx, s)
      const { plan, format, readAt } = parseExploreParams(ctx.queryEntries(), view.fields)
      await runExplore(ctx, s, d, view, plan, format, readAt)
    },
  },
  {
    method: 'POST', path: '/api/datasets/{name}/explore', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const { d, view } = await currentDataset(ctx, s)
      const json = await body!.readJson()
      const { plan, format, readAt } = parseExploreBody(json ?? {}, view.fields)
      await runExplore(ctx, s, d, view, plan, format ?? enumParam(ctx.query('format'), 'format', OUTPUT_FORMATS, null), readAt)
    },
  },
  {
    method: 'GET', path: '/api/datasets/{name}/preview', auth: true, body: false,
    handler: async (ctx, s) => {
      const { d, view } = await currentDataset(ctx, s)
      const entries = ctx.queryEntries()
      const allowed = new Set(['limit', 'format', 'version', 'as_of'])
      for (const [k] of entries) if (!allowed.has(k)) throw invalidParameter(k, 'preview takes only limit, format, version and as_of')
      const limit = intParam(ctx.query('limit'), 'limit', { def: PREVIEW_DEFAULT, min: 1, max: PREVIEW_MAX })
      const rest = entries.filter(([k]) => k !== 'limit')
      const { plan, format, readAt } = parseExploreParams([...rest, ['limit', String(limit)]], view.fields)
      await runExplore(ctx, s, d, view, plan, format, readAt)
    },
  },
]
