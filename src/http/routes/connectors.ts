/**
 * Connector endpoints: list and get (any org member; never a secret), create, patch, delete
 * and test (admin). The built-in `lakehouse` connector is listed in every org and cannot be
 * changed. Records and runtimes live in ConnectorRegistry (src/connectors/postgres-runtime.ts).
 */
import { forbidden } from '../../../proto/errors.js'
import { isAdmin } from '../../auth/principal.js'
import type { ConnectorRecord } from '../../catalog/index.js'
import type { HealthSnapshot } from '../../connectors/pg-health.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { intParam } from '../params.js'

function assertAdmin(ctx: RequestContext): void {
  if (!isAdmin(ctx.principal!)) throw forbidden('managing connectors needs the admin role')
}

function healthView(h: HealthSnapshot | null, builtin: boolean) {
  if (builtin) return { state: 'up', checked_at: null, error: null }
  if (!h) return { state: 'unknown', checked_at: null, error: null }
  return { state: h.state, checked_at: h.checkedAt, error: h.error ? { error: h.error.code, message: h.error.message } : null }
}

/** A connector on the wire: its config without secrets, `password_set` (PostgreSQL) / `has_credentials` (BigQuery) instead. */
export function connectorView(c: ConnectorRecord, s: Services) {
  const builtin = c.source === 'builtin'
  return {
    id: c.id,
    type: c.type,
    source: c.source,
    config: builtin ? {} : c.type === 'bigquery'
      ? { ...c.config, has_credentials: s.connectors.hasPassword(c) }
      : { ...c.config, password_set: s.connectors.hasPassword(c) },
    health: healthView(builtin ? null : s.connectors.health(c.org, c.id), builtin),
    created_by: builtin ? null : c.createdBy,
    created_at: builtin ? null : c.createdAt,
    updated_at: builtin ? null : c.updatedAt,
  }
}

export const connectorRoutes: Route[] = [
  {
    method: 'GET', path: '/api/connectors', auth: true, body: false,
    handler: async (ctx, s) => {
      const q = new URLSearchParams(ctx.rawQuery)
      const limit = intParam(q.get('limit'), 'limit', { def: 50, max: 200, clamp: true })
      const offset = intParam(q.get('offset'), 'offset', { def: 0 })
      const all = s.connectors.list(ctx.principal!.org)
      ctx.sendJson(200, { total: all.length, limit, offset, items: all.slice(offset, offset + limit).map((c) => connectorView(c, s)) })
    },
  },
  {
    method: 'POST', path: '/api/connectors', auth: true, body: true,
    handler: async (ctx, s, body) => {
      assertAdmin(ctx)
      const c = s.connectors.create(ctx.principal!, await body!.readJson())
      s.log.info({ org: c.org, connector: c.id, type: c.type, by: c.createdBy }, 'connector created')
      ctx.sendJson(201, connectorView(c, s))
    },
  },
  {
    method: 'GET', path: '/api/connectors/{id}', auth: true, body: false,
    handler: async (ctx, s) => {
      ctx.sendJson(200, connectorView(s.connectors.get(ctx.principal!.org, ctx.params.id), s))
    },
  },
  {
    method: 'PATCH', path: '/api/connectors/{id}', auth: true, body: true,
    handler: async (ctx, s, body) => {
      assertAdmin(ctx)
      const p = ctx.principal!
      s.connectors.get(p.org, ctx.params.id) // 404 before reading the body
      const c = s.connectors.patch(p.org, ctx.params.id, await body!.readJson())
      s.log.info({ org: c.org, connector: c.id, by: p.sub }, 'connector changed')
      ctx.sendJson(200, connectorView(c, s))
    },
  },
  {
    method: 'DELETE', path: '/api/connectors/{id}', auth: true, body: false,
    handler: async (ctx, s) => {
      assertAdmin(ctx)
      const p = ctx.principal!
      s.connectors.delete(p.org, ctx.params.id)
      s.log.info({ org: p.org, connector: ctx.params.id, by: p.sub }, 'connector deleted')
      ctx.sendEmpty(204)
    },
  },
  {
    method: 'POST', path: '/api/connectors/{id}/test', auth: true, body: false,
    handler: async (ctx, s) => {
      assertAdmin(ctx)
      const c = s.connectors.get(ctx.principal!.org, ctx.params.id)
      if (c.type === 'lakehouse') {
        ctx.sendJson(200, { ok: true, latency_ms: 0, server_version: null })
        return
      }
      const r = c.type === 'bigquery'
        ? await s.connectors.bigQueryRuntime(c.org, c.id).check(ctx.signal)
        : await s.connectors.runtime(c.org, c.id).check(ctx.signal)
      ctx.sendJson(200, r.ok
        ? { ok: true, latency_ms: r.latencyMs, server_version: r.serverVersion }
        : { ok: false, error: { error: r.error.code, message: r.error.message } })
    },
  },
]
