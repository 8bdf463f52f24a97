/**
 * A small router: method + path pattern (`/api/datasets/:name/explore`) → handler. Static
 * segments win over parameters, so `/api/datasets/file/upload` never reaches `:name`.
 * The route table doubles as the list that the OpenAPI test checks against proto/openapi.json.
 */
import type { RequestContext } from './context.js'
import type { BodyReader } from './body.js'
import type { Services } from './services.js'

/** May answer synchronously (returning nothing): the small cached answers skip every Promise. */
export type Handler = (ctx: RequestContext, s: Services, body: BodyReader | null) => Promise<void> | void

export interface Route {
  method: 'GET' | 'POST' | 'PATCH' | 'PUT' | 'DELETE'
  /** OpenAPI-style template with `{param}` segments */
  path: string
  auth: boolean
  /** attach a body reader at dispatch time (uWS delivers body chunks only then) */
  body: boolean
  handler: Handler
}

const MEMO_PATHS = 2048

interface Compiled { route: Route; segments: (string | { param: string })[] }

export interface Match { route: Route; params: Record<string, string> }

export class Router {
  readonly #routes: Compiled[] = []
  readonly #memo = new Map<string, Map<string, Match | 'method' | null>>()

  add(route: Route): void {
    this.#memo.clear()
    const segments = route.path.split('/').filter(Boolean).map((s) =>
      s.startsWith('{') && s.endsWith('}') ? { param: s.slice(1, -1) } : s)
    this.#routes.push({ route, segments })
    // Most specific first: more static segments earlier at the first position they differ.
    this.#routes.sort((a, b) => specificity(b) - specificity(a))
  }

  get routes(): Route[] { return this.#routes.map((c) => c.route) }

  /**
   * The matching route, or 'method' when the path exists under another method, or null.
   * Remembered by path and method (bounded; dropped whole when full, and on `add`): polled
   * URLs skip the split, decode and scan. The returned params are frozen, as they are shared.
   */
  match(method: string, path: string): Match | 'method' | null {
    let byMethod = this.#memo.get(path)
    const known = byMethod?.get(method)
    if (known !== undefined) return known
    const m = this.#match(method, path)
    if (m !== null && m !== 'method') Object.freeze(m.params)
    if (!byMethod) {
      if (this.#memo.size >= MEMO_PATHS) this.#memo.clear()
      this.#memo.set(path, byMethod = new Map())
    }
    byMethod.set(method, m)
    return m
  }

  #match(method: string, path: string): Match | 'method' | null {
    let parts: string[]
    try {
      parts = path.split('/').filter(Boolean).map(decodeURIComponent)
    } catch {
      return null
    }
    let pathMatched = false
    for (const c of this.#routes) {
      if (c.segments.length !== parts.length) continue
      const params: Record<string, string> = {}
      let ok = true
      for (let i = 0; i < parts.length && ok; i++) {
        const seg = c.segments[i]
        if (typeof seg === 'string') ok = seg === parts[i]
        else params[seg.param] = parts[i]
      }
      if (!ok) continue
      if (c.route.method === method) return { route: c.route, params }
      pathMatched = true
    }
    return pathMatched ? 'method' : null
  }
}

function specificity(c: Compiled): number {
  // Static segments count more the earlier they appear.
  let score = 0
  c.segments.forEach((s, i) => { if (typeof s === 'string') score += 1 << Math.max(0, 16 - i) })
  return score
}
