/** Share grants of a dataset and the datasets available to the caller (owner: grants work). */
import type { Route } from '../router.js'

export const grantRoutes: Route[] = []
