import type { Route } from '../router.js'

export const registerRoutes: Route[] = []
