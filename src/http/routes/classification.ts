/** Column classification: get, override, refresh. */
import type { Route } from '../router.js'

export const classificationRoutes: Route[] = []
