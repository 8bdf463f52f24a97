/** Governance summary of the caller's org. */
import type { Route } from '../router.js'

export const governanceRoutes: Route[] = []
