// Preview/listing spike: arrivals ramp from base_rate to peak_rate per time_unit and back. Each
// arrival is a user who lists datasets, searches, then opens one (metadata and preview at once).
import http from 'k6/http'
import { check } from 'k6'
import { authHeaders, baseUrl, envNum, envStr, fill, requireDataset, thresholdsFor } from './lib/sluice.js'

const CONFIG = JSON.parse(open(envStr('SCENARIOS_FILE', '../scenarios.json')))
const SPIKE = CONFIG.spike
const DATASET = envStr('DATASET', CONFIG.dataset)
const RATES = { base: envNum('BASE_RATE', SPIKE.base_rate), peak: envNum('PEAK_RATE', SPIKE.peak_rate) }
const REQ = {}
for (const r of SPIKE.requests) REQ[r.name] = r

export const options = {
  scenarios: {
    spike: {
      executor: 'ramping-arrival-rate',
      exec: 'browse',
      startRate: RATES.base,
      timeUnit: SPIKE.time_unit,
      preAllocatedVUs: envNum('VUS', SPIKE.pre_allocated_vus),
      maxVUs: envNum('MAX_VUS', SPIKE.max_vus),
      // DURATION replaces how long the peak is held
      stages: SPIKE.stages.map((s) => ({ duration: s.hold ? envStr('DURATION', s.duration) : s.duration, target: RATES[s.target] })),
    },
  },
  thresholds: thresholdsFor(SPIKE, 'endpoint', SPIKE.requests),
}

export function setup() {
  requireDataset(DATASET)
  return { dataset: DATASET }
}

export function browse(data) {
  const term = SPIKE.search_terms[(__ITER + __VU) % SPIKE.search_terms.length]
  const vars = { dataset: data.dataset, term }
  const get = (name) => ({ method: 'GET', url: baseUrl() + fill(REQ[name].path, vars), params: { headers: authHeaders(), tags: { name, endpoint: name } } })
  const send = (name) => { const g = get(name); return http.get(g.url, g.params) }

  const list = send('list')
  check(list, { 'list: 200 with items': (r) => r.status === 200 && Array.isArray(r.json().items) && r.json().total > 0 })
  const search = send('search')
  check(search, { 'search: 200 with items': (r) => r.status === 200 && Array.isArray(r.json().items) })

  const [meta, preview] = http.batch([get('metadata'), get('preview')])
  check(meta, { 'metadata: 200, the dataset': (r) => r.status === 200 && r.json().name === data.dataset })
  check(preview, {
    'preview: 200 with rows': (r) => {
      if (r.status !== 200) return false
      const b = r.json()
      return Array.isArray(b.columns) && b.rows.length > 0 && b.rows.length <= 100 && !b.error
    },
  })
}
