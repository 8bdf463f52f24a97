import type { Route } from '../router.js'

export const maintenanceRoutes: Route[] = []
