/**
 * k6 option and threshold semantics for the k6 shim: parses threshold keys and expressions,
 * evaluates them over the samples a shim run collected, and checks `options` the way k6 would
 * refuse them (unknown executor, missing fields, bad durations, thresholds on unknown metrics).
 */

export type MetricType = 'counter' | 'gauge' | 'rate' | 'trend'

export interface Sample { metric: string; type: MetricType; value: number; tags: Record<string, string> }

/** k6's built-in metrics (those the shim emits, and those only real executors emit). */
export const BUILTIN_METRICS: Record<string, MetricType> = {
  checks: 'rate', data_received: 'counter', data_sent: 'counter', dropped_iterations: 'counter',
  iteration_duration: 'trend', iterations: 'counter', vus: 'gauge', vus_max: 'gauge',
  http_reqs: 'counter', http_req_blocked: 'trend', http_req_connecting: 'trend', http_req_duration: 'trend',
  http_req_failed: 'rate', http_req_receiving: 'trend', http_req_sending: 'trend',
  http_req_tls_handshake: 'trend', http_req_waiting: 'trend',
}

export interface ThresholdKey { metric: string; tags: Record<string, string> }
export interface ThresholdExpr { agg: string; percentile?: number; op: string; value: number }

/** `http_req_duration{scenario:dashboard,query:x}` → metric and tag filter (k6 splits each tag at its first colon). */
export function parseThresholdKey(key: string): ThresholdKey {
  const m = /^([A-Za-z0-9_.]+)(?:\{(.*)\})?$/.exec(key.trim())
  if (!m) throw new Error(`bad threshold key "${key}"`)
  const tags: Record<string, string> = {}
  if (m[2] !== undefined) {
    for (const part of m[2].split(',')) {
      const i = part.indexOf(':')
      if (i <= 0) throw new Error(`bad tag filter "${part}" in "${key}"`)
      tags[part.slice(0, i).trim()] = part.slice(i + 1).trim()
    }
  }
  return { metric: m[1], tags }
}

export function parseThresholdExpr(expr: string): ThresholdExpr {
  const m = /^\s*(avg|min|max|med|count|rate|value|p\((\d+(?:\.\d+)?)\))\s*(<=|>=|===|==|!=|<|>)\s*(-?\d+(?:\.\d+)?)\s*$/.exec(expr)
  if (!m) throw new Error(`bad threshold expression "${expr}"`)
  const agg = m[2] !== undefined ? 'p' : m[1]
  return { agg, percentile: m[2] !== undefined ? Number(m[2]) : undefined, op: m[3], value: Number(m[4]) }
}

const AGGS: Record<MetricType, string[]> = { trend: ['avg', 'min', 'max', 'med', 'p'], rate: ['rate'], counter: ['count'], gauge: ['value'] }

/** p(N) as k6 computes it: linear interpolation between the nearest ranks. */
function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return 0
  const i = (p / 100) * (sorted.length - 1)
  const lo = Math.floor(i)
  return lo + 1 < sorted.length ? sorted[lo] + (sorted[lo + 1] - sorted[lo]) * (i - lo) : sorted[lo]
}

function aggregate(e: ThresholdExpr, values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  switch (e.agg) {
    case 'avg': case 'rate': return values.length ? values.reduce((s, v) => s + v, 0) / values.length : 0
    case 'min': return sorted[0] ?? 0
    case 'max': return sorted[sorted.length - 1] ?? 0
    case 'med': return percentile(sorted, 50)
    case 'p': return percentile(sorted, e.percentile!)
    case 'count': return values.reduce((s, v) => s + v, 0)
    default: return values[values.length - 1] ?? 0 // gauge value: the last one
  }
}

function compare(a: number, op: string, b: number): boolean {
  switch (op) {
    case '<': return a < b
    case '<=': return a <= b
    case '>': return a > b
    case '>=': return a >= b
    case '!=': return a !== b
    default: return a === b
  }
}

export interface ThresholdResult { key: string; expr: string; metric: string; tags: Record<string, string>; samples: number; value: number; ok: boolean }

type ThresholdSpec = string | { threshold: string; abortOnFail?: boolean; delayAbortEval?: string }

/** Every threshold expression evaluated over the matching samples (throws on a malformed one). */
export function evaluateThresholds(thresholds: Record<string, ThresholdSpec[]>, samples: Sample[], types: Record<string, MetricType>): ThresholdResult[] {
  const out: ThresholdResult[] = []
  for (const [key, specs] of Object.entries(thresholds)) {
    const k = parseThresholdKey(key)
    const type = types[k.metric]
    if (!type) throw new Error(`threshold on unknown metric "${k.metric}"`)
    const values = samples
      .filter((s) => s.metric === k.metric && Object.entries(k.tags).every(([t, v]) => s.tags[t] === v))
      .map((s) => s.value)
    for (const spec of specs) {
      const expr = typeof spec === 'string' ? spec : spec.threshold
      const e = parseThresholdExpr(expr)
      if (!AGGS[type].includes(e.agg)) throw new Error(`"${expr}" does not apply to ${type} metric ${k.metric}`)
      const value = aggregate(e, values)
      out.push({ key, expr, metric: k.metric, tags: k.tags, samples: values.length, value, ok: compare(value, e.op, e.value) })
    }
  }
  return out
}

const DURATION = /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/
const EXECUTOR_FIELDS: Record<string, { required: string[]; counts: string[]; durations: string[] }> = {
  'shared-iterations': { required: [], counts: ['vus', 'iterations'], durations: ['maxDuration'] },
  'per-vu-iterations': { required: [], counts: ['vus', 'iterations'], durations: ['maxDuration'] },
  'constant-vus': { required: ['duration'], counts: ['vus'], durations: ['duration'] },
  'ramping-vus': { required: ['stages'], counts: ['startVUs'], durations: [] },
  'constant-arrival-rate': { required: ['rate', 'duration', 'preAllocatedVUs'], counts: ['rate', 'preAllocatedVUs', 'maxVUs'], durations: ['duration', 'timeUnit'] },
  'ramping-arrival-rate': { required: ['stages', 'preAllocatedVUs'], counts: ['startRate', 'preAllocatedVUs', 'maxVUs'], durations: ['timeUnit'] },
}

const isDuration = (v: unknown) => (typeof v === 'number' && v >= 0) || (typeof v === 'string' && DURATION.test(v))
const isCount = (v: unknown) => typeof v === 'number' && Number.isInteger(v) && v >= 0

/** What k6 would refuse in these options; `exported` are the script's exported function names. */
export function optionProblems(options: Record<string, any>, exported: string[], types: Record<string, MetricType>): string[] {
  const problems: string[] = []
  for (const [name, sc] of Object.entries<Record<string, any>>(options.scenarios ?? {})) {
    const spec = EXECUTOR_FIELDS[sc.executor]
    if (!spec) { problems.push(`${name}: unknown executor "${sc.executor}"`); continue }
    for (const f of spec.required) if (sc[f] === undefined) problems.push(`${name}: ${f} is required`)
    for (const f of spec.counts) if (sc[f] !== undefined && !isCount(sc[f])) problems.push(`${name}: ${f} must be a whole number, got ${JSON.stringify(sc[f])}`)
    for (const f of [...spec.durations, 'startTime', 'gracefulStop']) if (sc[f] !== undefined && !isDuration(sc[f])) problems.push(`${name}: ${f} is not a duration: ${JSON.stringify(sc[f])}`)
    if (sc.stages !== undefined) {
      if (!Array.isArray(sc.stages) || sc.stages.length === 0) problems.push(`${name}: stages must be a non-empty list`)
      else sc.stages.forEach((s: any, i: number) => {
        if (!isDuration(s.duration)) problems.push(`${name}: stages[${i}].duration is not a duration: ${JSON.stringify(s.duration)}`)
        if (!isCount(s.target)) problems.push(`${name}: stages[${i}].target must be a whole number, got ${JSON.stringify(s.target)}`)
      })
    }
    if (sc.maxVUs !== undefined && sc.preAllocatedVUs !== undefined && sc.maxVUs < sc.preAllocatedVUs) problems.push(`${name}: maxVUs is below preAllocatedVUs`)
    if (!exported.includes(sc.exec ?? 'default')) problems.push(`${name}: exec "${sc.exec ?? 'default'}" is not an exported function`)
  }
  if (!options.scenarios && !exported.includes('default')) problems.push('no scenarios and no default function')
  for (const [key, specs] of Object.entries<unknown>(options.thresholds ?? {})) {
    try {
      if (!Array.isArray(specs) || specs.length === 0) throw new Error(`threshold "${key}" must be a non-empty list`)
      evaluateThresholds({ [key]: specs as ThresholdSpec[] }, [], types)
    } catch (e) {
      problems.push((e as Error).message)
    }
  }
  return problems
}
