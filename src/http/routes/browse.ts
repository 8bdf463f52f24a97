import type { Route } from '../router.js'

export const browseRoutes: Route[] = []
