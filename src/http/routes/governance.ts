/** Governance summary of the caller's org (src/governance/summary.ts). */
import type { Route } from '../router.js'
import { governanceSummary } from '../../governance/summary.js'

export const governanceRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/governance/summary', auth: true, body: false,
    handler: async (ctx, s) => {
      ctx.sendJson(200, governanceSummary(s, ctx.principal!))
    },
  },
]
