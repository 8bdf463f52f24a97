/**
 * The uWS front end: one catch-all handler that copies the request, finds the route,
 * authenticates, runs the handler and maps errors — plus one log line per request.
 */
import uWS, { type HttpRequest } from 'uWebSockets.js'
import { notFound } from '../../proto/errors.js'
import { RequestContext } from './context.js'
import { BodyReader } from './body.js'
import { toSluiceError } from './errors.js'
import type { Route, Router } from './router.js'
import type { Services } from './services.js'

export interface RunningServer {
  port: number
  /** stop accepting new connections (in-flight requests go on) */
  stopListening(): void
  /** requests still in flight */
  inFlight(): number
}

const routeNames = new WeakMap<Route, string>()

/** `GET /api/...`, the route as logs name it (made once per route). */
function routeName(r: Route): string {
  let name = routeNames.get(r)
  if (name === undefined) routeNames.set(r, name = `${r.method} ${r.path}`)
  return name
}

export function startHttp(router: Router, s: Services): Promise<RunningServer> {
  const app = uWS.App()
  let inFlight = 0

  // One function for every request's end (no closure per request).
  const finished = (ctx: RequestContext) => {
    inFlight--
    if (!s.log.isLevelEnabled('info')) return // no line to build
    // no start time when the level was raised to info during the request
    const durationMs = ctx.startedAt > 0 ? Math.round((performance.now() - ctx.startedAt) * 10) / 10 : undefined
    s.log.info({
      request_id: ctx.requestId, method: ctx.method, route: ctx.route, status: ctx.aborted && !ctx.status ? 499 : ctx.status,
      bytes: ctx.bytesOut, duration_ms: durationMs, aborted: ctx.aborted || undefined,
    }, 'request')
  }

  app.any('/*', (res, req) => {
    const ctx = new RequestContext(res, req)
    if (s.log.isLevelEnabled('info')) ctx.startedAt = performance.now()
    inFlight++
    ctx.onFinish(finished)
    try {
      route(ctx, req)
    } finally {
      ctx.inRequestHandler = false
      // Not answered yet: the rest runs later, and uWS must hear of a client that leaves.
      if (!ctx.finished) ctx.watchAbort()
    }
  })

  function route(ctx: RequestContext, req: HttpRequest): void {
    const match = router.match(ctx.method, ctx.path)
    if (match === null || match === 'method') {
      // API.md has no 405 code: a method a path does not serve is 404 not_found, saying so.
      ctx.sendError(notFound(match === 'method' ? `${ctx.method} is not served on ${ctx.path}` : `no route for ${ctx.method} ${ctx.path}`))
      return
    }
    ctx.route = routeName(match.route)
    ctx.params = match.params
    let body: BodyReader | null = null
    if (match.route.body) {
      ctx.readBodyHeaders(req)
      body = new BodyReader(ctx.res, ctx.signal)
    }
    dispatch(ctx, s, match.route, body)
  }

  return new Promise((resolve, reject) => {
    app.listen(s.config.host, s.config.port, (listenSocket) => {
      if (!listenSocket) return reject(new Error(`could not listen on ${s.config.host}:${s.config.port}`))
      resolve({
        port: uWS.us_socket_local_port(listenSocket),
        stopListening: () => uWS.us_listen_socket_close(listenSocket),
        inFlight: () => inFlight,
      })
    })
  })
}

/**
 * Authenticates and runs the handler. A token already verified and a handler that answers
 * synchronously (a cached result) run inside the uWS callback, without a Promise; anything
 * else continues in `dispatchAsync`.
 */
function dispatch(ctx: RequestContext, s: Services, route: Route, body: BodyReader | null): void {
  let pending: Promise<void> | void
  try {
    if (route.auth) {
      const principal = s.verifier.cachedPrincipal(ctx.header('authorization'))
      if (principal === undefined) {
        void dispatchAsync(ctx, s, route, body, null)
        return
      }
      ctx.principal = principal
    }
    pending = route.handler(ctx, s, body)
    if (pending === undefined) return responded(ctx)
  } catch (err) {
    return failed(ctx, s, err)
  }
  void dispatchAsync(ctx, s, route, body, pending)
}

async function dispatchAsync(ctx: RequestContext, s: Services, route: Route, body: BodyReader | null, running: Promise<void> | null): Promise<void> {
  try {
    if (running === null) {
      if (route.auth) ctx.principal = await s.verifier.verifyHeader(ctx.header('authorization'))
      if (ctx.aborted) return
      await route.handler(ctx, s, body)
    } else {
      await running
    }
    responded(ctx)
  } catch (err) {
    failed(ctx, s, err)
  }
}

function responded(ctx: RequestContext): void {
  if (!ctx.finished && !ctx.aborted) throw new Error(`handler for ${ctx.route} returned without responding`)
}

function failed(ctx: RequestContext, s: Services, err: unknown): void {
  if (ctx.aborted) return
  const e = toSluiceError(err, s.log, ctx.requestId)
  if (ctx.headersSent) ctx.abortStream()
  else ctx.sendError(e)
}
