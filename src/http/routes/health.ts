import type { Route } from '../router.js'
import { loadOpenApi } from '../openapi.js'

let openapiCache: string | null = null

export const healthRoutes: Route[] = [
  {
    method: 'GET', path: '/healthz', auth: false, body: false,
    handler: async (ctx) => ctx.sendJson(200, { status: 'ok' }),
  },
  {
    method: 'GET', path: '/readyz', auth: false, body: false,
    handler: async (ctx, s) => {
      const checks = { catalog: s.datasets.ping(), workers: s.pool.threads > 0, draining: s.draining.value }
      const ready = checks.catalog && checks.workers && !checks.draining
      ctx.sendJson(ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks })
    },
  },
  {
    method: 'GET', path: '/openapi.json', auth: false, body: false,
    handler: async (ctx) => {
      openapiCache ??= JSON.stringify(loadOpenApi())
      ctx.send(200, openapiCache, 'application/json')
    },
  },
]
