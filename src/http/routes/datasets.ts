/** Dataset catalog endpoints: list/search, get, patch (description, settings), delete. */
import fs from 'node:fs'
import { datasetNotFound, invalidParameter, badRequest } from '../../../proto/errors.js'
import { SORTS, validateSettings, type Dataset, type DatasetSort } from '../../catalog/index.js'
import { assertCanGovern, listScope, readableDataset, writableDataset } from '../../auth/dataset-access.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { enumParam, intParam } from '../params.js'
import { datasetView } from '../views.js'
import { refreshRegisteredDataset } from '../../connectors/lakehouse-tables.js'
import { isManagedTable } from '../../connectors/lakehouse.js'

/**
 * A page of the caller's datasets: `GET /api/datasets` (available = false) and
 * `GET /api/datasets/available` (true) share the parameters and the shape; they differ only
 * in which datasets they show (listScope).
 */
export async function sendDatasetList(ctx: RequestContext, s: Services, available: boolean): Promise<void> {
  const q = new URLSearchParams(ctx.rawQuery)
  const limit = intParam(q.get('limit'), 'limit', { def: 50, max: 200, clamp: true })
  const offset = intParam(q.get('offset'), 'offset', { def: 0 })
  const sort = enumParam(q.get('sort'), 'sort', Object.keys(SORTS) as DatasetSort[], 'name')
  const text = q.get('q')
  if (text !== null && text.length > 200) throw invalidParameter('q', 'at most 200 characters')
  const visibleTo = listScope(s, ctx.principal!, available)
  const { total, items } = s.datasets.list(ctx.principal!.org, { limit, offset, sort, q: text || null, visibleTo })
  ctx.sendJson(200, { total, limit, offset, items: items.map((d) => datasetView(d, ctx.principal!)) })
}

export const datasetRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets', auth: true, body: false,
    handler: async (ctx, s) => sendDatasetList(ctx, s, false),
  },
  {
    method: 'GET', path: '/api/datasets/{name}', auth: true, body: false,
    handler: async (ctx, s) => {
      // A registered Delta table changes under other tools: report its current version and row count.
      const d = await refreshRegisteredDataset({ dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, log: s.log }, readableDataset(ctx, s))
      ctx.sendJson(200, datasetView(d, ctx.principal!))
    },
  },
  {
    method: 'PATCH', path: '/api/datasets/{name}', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const d = writableDataset(ctx, s)
      const patch = await body!.readJson()
      if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw badRequest('body must be a JSON object')
      for (const key of Object.keys(patch)) {
        if (key !== 'description' && key !== 'settings') throw invalidParameter(key, 'only "description" and "settings" can be changed')
      }
      const p = patch as { description?: unknown; settings?: unknown }
      if (p.description !== undefined) {
        if (typeof p.description !== 'string' || p.description.length > 10_000) throw invalidParameter('description', 'must be a string of at most 10000 characters')
        d.description = p.description
      }
      if (p.settings !== undefined) {
        const next = validateSettings(p.settings, d.schema, { pushdown: d.kind === 'connector' })
        if (JSON.stringify(next.masking ?? []) !== JSON.stringify(d.settings.masking ?? [])) assertCanGovern(ctx.principal!, d, 'masking rules')
        d.settings = next
      }
      d.updatedAt = new Date().toISOString()
      s.datasets.update(d)
      ctx.sendJson(200, datasetView(d, ctx.principal!))
    },
  },
  {
    method: 'DELETE', path: '/api/datasets/{name}', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = writableDataset(ctx, s)
      s.datasets.delete(d.id)
      // Managed tables (uploads, imports) are ours to delete; registered tables stay (API.md, Files on disk).
      if (isManagedTable(s.config.dataDir, d)) await fs.promises.rm(d.tablePath!, { recursive: true, force: true })
      ctx.sendEmpty(204)
    },
  },
]
