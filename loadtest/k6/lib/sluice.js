// What the three k6 scripts share: the server URL and token from the environment, paths
// from scenarios.json, thresholds built from its p95_ms fields, and the setup check.
import http from 'k6/http'
import { fail } from 'k6'

/** SLUICE_URL without a trailing slash (default http://localhost:8080). */
export function baseUrl() {
  return (__ENV.SLUICE_URL || 'http://localhost:8080').replace(/\/+$/, '')
}

/** The Authorization header for SLUICE_TOKEN (a JWT signed with the server's JWT_SECRET). */
export function authHeaders() {
  return __ENV.SLUICE_TOKEN ? { Authorization: `Bearer ${__ENV.SLUICE_TOKEN}` } : {}
}

export function envNum(name, fallback) {
  const v = __ENV[name]
  if (v === undefined || v === '') return fallback
  const n = Number(v)
  if (!Number.isFinite(n)) throw new Error(`${name} must be a number, got "${v}"`)
  return n
}

export function envStr(name, fallback) {
  const v = __ENV[name]
  return v === undefined || v === '' ? fallback : v
}

/** Replaces {name} placeholders; values are URL-encoded. */
export function fill(path, vars) {
  return path.replace(/\{(\w+)\}/g, (m, k) => {
    if (vars[k] === undefined) throw new Error(`no value for {${k}} in ${path}`)
    return encodeURIComponent(String(vars[k]))
  })
}

/**
 * The section's thresholds plus one `http_req_duration{<tag>:<name>}: p(95)<p95_ms` per item,
 * so a slow query or endpoint fails the run on its own.
 */
export function thresholdsFor(section, tag, items) {
  const out = Object.assign({}, section.thresholds)
  for (const it of items) if (it.p95_ms) out[`http_req_duration{${tag}:${it.name || it.label}}`] = [`p(95)<${it.p95_ms}`]
  return out
}

/** setup(): stops the run early with a clear message when the token or the dataset is missing. */
export function requireDataset(dataset) {
  if (!__ENV.SLUICE_TOKEN) fail('set SLUICE_TOKEN to a JWT for the server (see loadtest/k6 in the README)')
  const res = http.get(`${baseUrl()}/api/datasets/${encodeURIComponent(dataset)}`, { headers: authHeaders(), tags: { name: 'setup' } })
  if (res.status === 401) fail(`401 from ${baseUrl()}: SLUICE_TOKEN is not accepted (${res.body})`)
  if (res.status !== 200) fail(`dataset "${dataset}" is missing (${res.status}): upload it first, e.g. k6 run -e UPLOAD_NAME=${dataset} loadtest/k6/upload.js`)
  return res.json()
}
