import type { Route } from '../router.js'
import { loadOpenApi } from '../openapi.js'

let openapiCache: string | null = null

export const healthRoutes: Route[] = [
  {
    method: 'GET', path: '/healthz', auth: false, body: false,
    // `?detail=1` adds the worker pool's counts (npm run bench checks nothing leaked after a run);
    // the plain answer stays `{"status":"ok"}`.
    handler: async (ctx, s) => ctx.sendJson(200, ctx.query('detail') === '1' ? { status: 'ok', pool: s.pool.stats } : { status: 'ok' }),
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
