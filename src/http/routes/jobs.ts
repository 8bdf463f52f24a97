import type { Route } from '../router.js'
import { jobView } from '../../jobs/runner.js'

export const jobRoutes: Route[] = [
  {
    method: 'GET', path: '/api/jobs/{id}', auth: true, body: false,
    handler: async (ctx, s) => ctx.sendJson(200, { job: jobView(s.jobs.get(ctx.principal!, ctx.params.id)) }),
  },
  {
    method: 'DELETE', path: '/api/jobs/{id}', auth: true, body: false,
    handler: async (ctx, s) => ctx.sendJson(200, { job: jobView(await s.jobs.cancel(ctx.principal!, ctx.params.id)) }),
  },
]
