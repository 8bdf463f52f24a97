/**
 * Runs one k6 script inside a worker thread with the k6 modules it imports (`k6`, `k6/http`,
 * `k6/metrics`) and k6's globals (`open`, `__ENV`, `__VU`, `__ITER`). k6's HTTP calls are
 * synchronous: here they post the request to the main thread, which does the fetch, and block
 * on Atomics.wait until the answer is on the port (read with receiveMessageOnPort).
 */
import { parentPort, workerData, receiveMessageOnPort, type MessagePort } from 'node:worker_threads'
import { register } from 'node:module'
import fs from 'node:fs'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import type { MetricType, Sample } from './k6-thresholds.js'

export interface WorkerInput { script: string; env: Record<string, string>; iterations: number; flag: SharedArrayBuffer; port: MessagePort }
export interface WireRequest { method: string; url: string; body: string | ArrayBuffer | null; headers: Record<string, string>; binary: boolean; timeoutMs: number }
export interface WireResponse {
  status: number; url: string; headers: [string, string][]; body: string | ArrayBuffer | null; error: string
  timings: { duration: number; waiting: number; receiving: number; sending: number }; sentBytes: number; receivedBytes: number
}
export interface ScriptError { phase: string; scenario: string; iter: number; message: string }
export interface WorkerDone {
  type: 'done'; options: Record<string, any>; exported: string[]; metrics: Record<string, MetricType>
  samples: Sample[]; errors: ScriptError[]; slept: number
}

const input = workerData as WorkerInput
const flag = new Int32Array(input.flag)
const samples: Sample[] = []
const metrics: Record<string, MetricType> = {}
const errors: ScriptError[] = []
let slept = 0
let inInit = true
let ctxTags: Record<string, string> = { scenario: 'default', group: '' }

function emit(metric: string, type: MetricType, value: number, tags: Record<string, string>) {
  samples.push({ metric, type, value, tags: { ...ctxTags, ...tags } })
}

function fetchSync(requests: WireRequest[]): WireResponse[] {
  Atomics.store(flag, 0, 0)
  parentPort!.postMessage({ type: 'http', requests })
  for (;;) {
    if (Atomics.wait(flag, 0, 0, 600_000) === 'timed-out') throw new Error('k6 shim: no HTTP answer within 10 minutes')
    const m = receiveMessageOnPort(input.port)
    if (m) return m.message as WireResponse[]
  }
}

/** Go's textproto canonical header names, as k6 shows them: "etag" → "Etag". */
const canonical = (h: string) => h.split('-').map((w) => w.charAt(0).toUpperCase() + w.slice(1).toLowerCase()).join('-')

const msOf = (t: unknown) => typeof t === 'number' ? t : typeof t === 'string' ? parseDuration(t) : 60_000
function parseDuration(s: string): number {
  const units: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
  let ms = 0
  for (const [, n, u] of s.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)) ms += Number(n) * units[u]
  return ms
}

type Params = { headers?: Record<string, string>; tags?: Record<string, string>; responseType?: string; timeout?: string | number }

function toWire(method: string, url: string, body: unknown, params: Params = {}): WireRequest {
  if (body !== null && body !== undefined && typeof body !== 'string' && !(body instanceof ArrayBuffer)) {
    throw new Error('k6 shim: only string and ArrayBuffer bodies are supported (objects would be form-encoded by k6)')
  }
  if (params.responseType && !['text', 'binary', 'none'].includes(params.responseType)) throw new Error(`bad responseType ${params.responseType}`)
  return { method, url, body: (body as string | ArrayBuffer | null) ?? null, headers: params.headers ?? {}, binary: params.responseType === 'binary', timeoutMs: msOf(params.timeout) }
}

function toResponse(req: WireRequest, params: Params, w: WireResponse) {
  const headers: Record<string, string> = {}
  for (const [k, v] of w.headers) headers[canonical(k)] = v
  const expected = w.status >= 200 && w.status <= 399
  const tags: Record<string, string> = { method: req.method, url: req.url, name: req.url, status: String(w.status), expected_response: String(expected), ...params.tags }
  if (w.error) tags.error_code = '1000'
  emit('http_reqs', 'counter', 1, tags)
  emit('http_req_duration', 'trend', w.timings.duration, tags)
  emit('http_req_waiting', 'trend', w.timings.waiting, tags)
  emit('http_req_receiving', 'trend', w.timings.receiving, tags)
  emit('http_req_sending', 'trend', w.timings.sending, tags)
  for (const m of ['http_req_blocked', 'http_req_connecting', 'http_req_tls_handshake']) emit(m, 'trend', 0, tags)
  emit('http_req_failed', 'rate', expected ? 0 : 1, tags)
  emit('data_sent', 'counter', w.sentBytes, tags)
  emit('data_received', 'counter', w.receivedBytes, tags)
  const body = params.responseType === 'none' ? null : w.body
  return {
    status: w.status, url: w.url, headers, body, error: w.error, error_code: w.error ? 1000 : 0,
    timings: { blocked: 0, connecting: 0, tls_handshake: 0, ...w.timings },
    request: { method: req.method, url: req.url, headers: req.headers, body: req.body },
    json(selector?: string) {
      if (selector !== undefined) throw new Error('k6 shim: res.json(selector) is not supported; use res.json().path')
      if (typeof body !== 'string') throw new Error('res.json(): the body is not text')
      return JSON.parse(body)
    },
  }
}

type BatchItem = string | [string, string, unknown?, Params?] | { method?: string; url: string; body?: unknown; params?: Params }

const http = {
  request(method: string, url: string, body?: unknown, params?: Params) {
    const req = toWire(method.toUpperCase(), url, body, params)
    return toResponse(req, params ?? {}, fetchSync([req])[0])
  },
  get: (url: string, params?: Params) => http.request('GET', url, null, params),
  head: (url: string, params?: Params) => http.request('HEAD', url, null, params),
  post: (url: string, body?: unknown, params?: Params) => http.request('POST', url, body, params),
  put: (url: string, body?: unknown, params?: Params) => http.request('PUT', url, body, params),
  patch: (url: string, body?: unknown, params?: Params) => http.request('PATCH', url, body, params),
  del: (url: string, body?: unknown, params?: Params) => http.request('DELETE', url, body, params),
  /** Requests in parallel (the main thread runs them concurrently); answers in the same order. */
  batch(items: BatchItem[]) {
    if (!Array.isArray(items)) throw new Error('k6 shim: http.batch takes an array')
    const norm = items.map((it) => typeof it === 'string' ? { method: 'GET', url: it, body: null, params: {} }
      : Array.isArray(it) ? { method: it[0], url: it[1], body: it[2] ?? null, params: it[3] ?? {} }
        : { method: it.method ?? 'GET', url: it.url, body: it.body ?? null, params: it.params ?? {} })
    const reqs = norm.map((n) => toWire(n.method.toUpperCase(), n.url, n.body, n.params))
    return fetchSync(reqs).map((w, i) => toResponse(reqs[i], norm[i].params, w))
  },
}

const k6 = {
  check(value: unknown, sets: Record<string, (v: unknown) => unknown>, tags: Record<string, string> = {}) {
    let all = true
    for (const [name, fn] of Object.entries(sets)) {
      const ok = Boolean(typeof fn === 'function' ? fn(value) : fn)
      emit('checks', 'rate', ok ? 1 : 0, { ...tags, check: name })
      all &&= ok
    }
    return all
  },
  sleep(seconds: number) { slept += seconds }, // recorded, not waited: the test is about behaviour
  group<T>(name: string, fn: () => T): T {
    const saved = ctxTags
    ctxTags = { ...ctxTags, group: `${ctxTags.group}::${name}` }
    try { return fn() } finally { ctxTags = saved }
  },
  fail(message = ''): never { throw new Error(message) },
}

function metricClass(type: MetricType) {
  return class {
    constructor(readonly name: string) {
      if (!inInit) throw new Error('metrics must be created in the init context')
      metrics[name] = type
    }
    add(value: number | boolean, tags: Record<string, string> = {}) { emit(this.name, type, Number(value), tags) }
  }
}
const k6metrics = { Counter: metricClass('counter'), Gauge: metricClass('gauge'), Rate: metricClass('rate'), Trend: metricClass('trend') }

const modules: Record<string, Record<string, unknown>> = { 'k6': k6, 'k6/http': http, 'k6/metrics': k6metrics }
const g = globalThis as Record<string, unknown>
g.__k6shim = modules
g.__ENV = { ...input.env }
g.__VU = 1
g.__ITER = 0
g.open = (file: string, mode?: string) => {
  if (!inInit) throw new Error("open() can't be used outside the init context")
  const p = path.resolve(path.dirname(input.script), file) // k6: relative to the script
  return mode === 'b' ? new Uint8Array(fs.readFileSync(p)).buffer : fs.readFileSync(p, 'utf8')
}

// The resolve hook maps the k6 module names to data: modules that re-export the objects above.
const exportsOf = Object.fromEntries(Object.entries(modules).map(([k, v]) => [k, Object.keys(v)]))
register('data:text/javascript,' + encodeURIComponent(`
const names = ${JSON.stringify(exportsOf)}
export async function resolve(spec, context, next) {
  if (spec === 'k6' || spec.startsWith('k6/')) {
    if (!names[spec]) throw new Error('k6 shim: module ' + spec + ' is not provided')
    const src = 'const m = globalThis.__k6shim[' + JSON.stringify(spec) + ']; export default m; export const {' + names[spec].join(',') + '} = m;'
    return { url: 'data:text/javascript,' + encodeURIComponent(src), shortCircuit: true }
  }
  return next(spec, context)
}`))

async function main() {
  const mod = await import(pathToFileURL(input.script).href) as Record<string, any>
  inInit = false
  const options = JSON.parse(JSON.stringify(mod.options ?? {}))
  const exported = Object.keys(mod).filter((k) => typeof mod[k] === 'function')
  const run = (phase: string, scenario: string, iter: number, fn: () => unknown) => {
    try { return fn() } catch (e) { errors.push({ phase, scenario, iter, message: (e as Error).stack ?? String(e) }) }
  }
  ctxTags = { scenario: '', group: '::setup' }
  const data = mod.setup ? run('setup', '', 0, () => mod.setup()) : undefined
  if (errors.length === 0) {
    const scenarios: [string, string][] = options.scenarios
      ? Object.entries<Record<string, string>>(options.scenarios).map(([n, s]) => [n, s.exec ?? 'default'])
      : [['default', 'default']]
    for (const [scenario, exec] of scenarios) {
      for (let i = 0; i < input.iterations; i++) {
        g.__ITER = i
        ctxTags = { scenario, group: '' }
        const t0 = performance.now()
        run('iteration', scenario, i, () => mod[exec](data))
        emit('iteration_duration', 'trend', performance.now() - t0, {})
        emit('iterations', 'counter', 1, {})
      }
    }
  }
  ctxTags = { scenario: '', group: '::teardown' }
  if (mod.teardown) run('teardown', '', 0, () => mod.teardown(data))
  const done: WorkerDone = { type: 'done', options, exported, metrics, samples, errors, slept }
  parentPort!.postMessage(done)
}

main().catch((e) => parentPort!.postMessage({ type: 'done', options: {}, exported: [], metrics, samples, errors: [...errors, { phase: 'init', scenario: '', iter: 0, message: (e as Error).stack ?? String(e) }], slept }))
