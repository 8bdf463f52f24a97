// Dashboard mix: panels of explore queries (filters, groups; JSON, Arrow, NDJSON) picked by
// weight, polled with If-None-Match. Run: k6 run -e SLUICE_URL=... -e SLUICE_TOKEN=... dashboard.js
import http from 'k6/http'
import { check, sleep } from 'k6'
import { Rate } from 'k6/metrics'
import { authHeaders, baseUrl, envNum, envStr, fill, requireDataset, thresholdsFor } from './lib/sluice.js'

const CONFIG = JSON.parse(open(envStr('SCENARIOS_FILE', '../scenarios.json')))
const DASH = CONFIG.dashboard
const DATASET = envStr('DATASET', CONFIG.dataset)

/** 304 answers among dashboard requests: how often polling was answered from the result cache. */
const notModified = new Rate('dashboard_not_modified')

export const options = {
  scenarios: {
    dashboard: {
      executor: 'constant-vus',
      exec: 'dashboard',
      vus: envNum('VUS', DASH.vus),
      duration: envStr('DURATION', DASH.duration),
    },
  },
  thresholds: thresholdsFor(DASH, 'query', DASH.queries),
}

// Smooth weighted round robin: weights 4,3,2,1 give a cycle of 10 panels, spread out.
const CYCLE = []
{
  const current = DASH.queries.map(() => 0)
  const total = DASH.queries.reduce((s, q) => s + q.weight, 0)
  for (let n = 0; n < total; n++) {
    let best = 0
    DASH.queries.forEach((q, i) => { current[i] += q.weight; if (current[i] > current[best]) best = i })
    current[best] -= total
    CYCLE.push(DASH.queries[best])
  }
}

/** ETag per URL for this VU (each VU is one dashboard viewer). */
const etags = {}

export function setup() {
  requireDataset(DATASET)
  return { dataset: DATASET }
}

export function dashboard(data) {
  const slot = (__ITER + __VU) % CYCLE.length
  const q = CYCLE[slot]
  // filter values change slowly, so most panel loads are polls of a URL seen before
  const statuses = DASH.filter_values.status
  const status = statuses[Math.floor((__ITER + __VU) / CYCLE.length) % statuses.length]
  const url = baseUrl() + fill(q.path, { dataset: data.dataset, status })
  const format = /format=(\w+)/.exec(q.path)[1]

  const headers = authHeaders()
  if (DASH.poll_with_if_none_match && etags[url]) headers['If-None-Match'] = etags[url]
  const res = http.get(url, {
    headers,
    tags: { name: q.name, query: q.name, format },
    responseType: format === 'arrow' ? 'binary' : 'text',
  })
  // k6 canonicalizes header names: "ETag" arrives as "Etag"
  if (res.headers.Etag) etags[url] = res.headers.Etag
  notModified.add(res.status === 304, { query: q.name })

  check(res, {
    'dashboard: 200 or 304': (r) => r.status === 200 || r.status === 304,
    'dashboard: complete body': (r) => r.status === 304 || completeBody(r, format),
  }, { query: q.name })
  sleep(envNum('THINK_TIME', DASH.think_time_s))
}

/** The body is whole: no mid-stream error (API.md: JSON/NDJSON end with an error object). */
function completeBody(r, format) {
  if (r.status !== 200 || r.body === null) return false
  if (format === 'arrow') {
    // an Arrow IPC stream starts with the continuation marker 0xFFFFFFFF
    const head = new Uint8Array(r.body, 0, 4)
    return r.body.byteLength > 8 && head.every((b) => b === 0xff)
  }
  if (format === 'ndjson') {
    const lines = r.body.trim().split('\n')
    return Array.isArray(JSON.parse(lines[0]).columns) && !('error' in JSON.parse(lines[lines.length - 1]))
  }
  const body = r.json()
  return Array.isArray(body.columns) && Array.isArray(body.rows) && !body.error
}
