import { Router } from '../router.js'
import { healthRoutes } from './health.js'
import { datasetRoutes } from './datasets.js'
import { jobRoutes } from './jobs.js'
import { fileRoutes } from './files.js'
import { exploreRoutes } from './explore.js'
import { browseRoutes } from './browse.js'
import { registerRoutes } from './register.js'
import { historyRoutes } from './history.js'
import { maintenanceRoutes } from './maintenance.js'
import { connectorRoutes } from './connectors.js'
import { importRoutes } from './import.js'
import { profileRoutes } from './profile.js'
import { columnStatsRoutes } from './column-stats.js'
import { grantRoutes } from './grants.js'
import { classificationRoutes } from './classification.js'
import { governanceRoutes } from './governance.js'

/** Every route the server serves; the OpenAPI test compares this list with the served document. */
export function buildRouter(): Router {
  const router = new Router()
  for (const r of [
    ...healthRoutes, ...datasetRoutes, ...jobRoutes, ...fileRoutes, ...exploreRoutes,
    ...browseRoutes, ...registerRoutes, ...historyRoutes, ...maintenanceRoutes,
    ...connectorRoutes, ...importRoutes, ...profileRoutes,
    ...columnStatsRoutes, ...grantRoutes, ...classificationRoutes, ...governanceRoutes,
  ]) router.add(r)
  return router
}
