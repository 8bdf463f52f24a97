/**
 * Share grants of a dataset and the datasets available to the caller (API.md "Who may do
 * what"). Managing grants — listing them included, since the list says who sees the data —
 * is for admins and the dataset's creator; other readers get 403, non-readers 404.
 */
import { badRequest, invalidParameter, notFound } from '../../../proto/errors.js'
import { validatePermission, validatePrincipal, type Grant } from '../../catalog/index.js'
import { assertCanGovern, readableDataset } from '../../auth/dataset-access.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { intParam } from '../params.js'
import { sendDatasetList } from './datasets.js'

const BODY_KEYS = new Set(['principal', 'permission'])

export function grantView(g: Grant) {
  return { id: g.id, principal: g.principal, permission: g.permission, created_by: g.createdBy, created_at: g.createdAt }
}

/** The dataset in the path, if the caller may manage its grants: 404 when unreadable, 403 when not admin or creator. */
function governedDataset(ctx: RequestContext, s: Services) {
  const d = readableDataset(ctx, s)
  assertCanGovern(ctx.principal!, d, 'the grants of this dataset')
  return d
}

export const grantRoutes: Route[] = [
  {
    // Literal segment: the router prefers it over GET /api/datasets/{name}.
    method: 'GET', path: '/api/datasets/available', auth: true, body: false,
    handler: async (ctx, s) => sendDatasetList(ctx, s, true),
  },
  {
    method: 'GET', path: '/api/datasets/{name}/grants', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = governedDataset(ctx, s)
      const limit = intParam(ctx.query('limit'), 'limit', { def: 50, max: 200, clamp: true })
      const offset = intParam(ctx.query('offset'), 'offset', { def: 0 })
      // A dataset has a handful of grants: page in memory, oldest first.
      const all = s.grants.listForDataset(d.org, d.id)
      ctx.sendJson(200, { total: all.length, limit, offset, items: all.slice(offset, offset + limit).map(grantView) })
    },
  },
  {
    method: 'POST', path: '/api/datasets/{name}/grants', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const d = governedDataset(ctx, s)
      const raw = await body!.readJson()
      if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw badRequest('body must be a JSON object {"principal", "permission"}')
      for (const key of Object.keys(raw)) if (!BODY_KEYS.has(key)) throw invalidParameter(key, 'unknown key; expected "principal" and "permission"')
      const b = raw as { principal?: unknown; permission?: unknown }
      const principal = validatePrincipal(b.principal)
      const permission = validatePermission(b.permission)
      const { grant, created } = s.grants.upsert(d.org, d.id, principal, permission, ctx.principal!.sub)
      ctx.sendJson(created ? 201 : 200, grantView(grant))
    },
  },
  {
    method: 'DELETE', path: '/api/datasets/{name}/grants/{id}', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = governedDataset(ctx, s)
      if (!s.grants.delete(d.org, d.id, ctx.params.id)) throw notFound(`no grant "${ctx.params.id.slice(0, 100)}" on dataset "${d.name}"`)
      ctx.sendEmpty(204)
    },
  },
]
