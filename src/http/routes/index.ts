import { Router } from '../router.js'
import { healthRoutes } from './health.js'
import { datasetRoutes } from './datasets.js'
import { jobRoutes } from './jobs.js'
import { fileRoutes } from './files.js'
import { exploreRoutes } from './explore.js'

/** Every route the server serves; the OpenAPI test compares this list with proto/openapi.json. */
export function buildRouter(): Router {
  const router = new Router()
  for (const r of [...healthRoutes, ...datasetRoutes, ...jobRoutes, ...fileRoutes, ...exploreRoutes]) router.add(r)
  return router
}
