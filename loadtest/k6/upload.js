// Bulk uploads: multipart POST /api/datasets/file/upload of a generated bench CSV per size class
// (10, 50, 200 MB), the outcome checked (rows, schema, or the job with UPLOAD_ASYNC=1), then the
// dataset deleted. Memory: each VU holds the body as a string (1 byte per character) plus
// k6's copy while sending, so about 2-3x the upload size per VU (600 MB for 200 MB).
import http from 'k6/http'
import { check, fail, sleep } from 'k6'
import { Trend } from 'k6/metrics'
import { authHeaders, baseUrl, envNum, envStr, thresholdsFor } from './lib/sluice.js'
import { benchCsv, benchRows } from './lib/data.js'

const CONFIG = JSON.parse(open(envStr('SCENARIOS_FILE', '../scenarios.json')))
const UP = CONFIG.uploads
// UPLOAD_FILE: send this CSV instead of generated rows (read as UTF-8 text, once per VU, in memory)
const FILE = __ENV.UPLOAD_FILE ? open(__ENV.UPLOAD_FILE) : null
// UPLOAD_SIZES=10MB,50MB picks size classes; UPLOAD_SCALE=0.01 shrinks them for a smoke run
const WANTED = envStr('UPLOAD_SIZES', '').split(',').filter((s) => s)
const SIZES = UP.sizes.filter((s) => WANTED.length === 0 || WANTED.includes(s.label))
if (SIZES.length === 0) throw new Error(`UPLOAD_SIZES matches none of ${UP.sizes.map((s) => s.label)}`)
const SCALE = envNum('UPLOAD_SCALE', 1)
// UPLOAD_NAME: one upload kept under this name (e.g. to create the bench dataset)
const FIXED_NAME = envStr('UPLOAD_NAME', '')
const ASYNC = envStr('UPLOAD_ASYNC', '') === '1'

const throughput = new Trend('upload_mb_per_s')

export const options = {
  scenarios: {
    uploads: {
      executor: 'per-vu-iterations',
      exec: 'upload',
      vus: FIXED_NAME ? 1 : envNum('VUS', UP.vus),
      iterations: FIXED_NAME ? 1 : envNum('ITERATIONS', UP.iterations),
      maxDuration: envStr('DURATION', UP.max_duration),
    },
  },
  // a given file is held to the largest size class's p95
  thresholds: thresholdsFor(UP, 'size', FILE ? [{ label: 'file', p95_ms: Math.max(...UP.sizes.map((z) => z.p95_ms)) }] : SIZES),
}

let block = null // this VU's generated rows, built on first use (not in the init context k6 runs for options)

export function setup() {
  if (!__ENV.SLUICE_TOKEN) fail('set SLUICE_TOKEN to a JWT with the editor role')
  return { run: Date.now().toString(36) }
}

export function upload(data) {
  const size = SIZES[__ITER % SIZES.length]
  const name = FIXED_NAME || `${UP.name_prefix}_${data.run}_${__VU}_${__ITER}`
  let csv, rows
  if (FILE) {
    csv = FILE
    rows = envNum('UPLOAD_ROWS', null)
  } else {
    if (block === null) block = benchRows(UP.block_rows, UP.seed + __VU - 1) // VU 1: the harness's rows
    ;({ csv, rows } = benchCsv(Math.floor(size.bytes * SCALE), block, UP.block_rows))
  }
  const boundary = `----sluice-k6-${data.run}-${__VU}-${__ITER}`
  const fields = { name }
  if (ASYNC) fields.async = 'true'
  const body = multipart(boundary, fields, 'k6.csv', csv)
  csv = null
  const mb = body.length / 1e6

  const headers = Object.assign(authHeaders(), { 'Content-Type': `multipart/form-data; boundary=${boundary}` })
  const tags = { name: 'upload', size: FILE ? 'file' : size.label }
  const started = Date.now()
  const res = http.post(baseUrl() + UP.path, body, { headers, tags, timeout: envStr('UPLOAD_TIMEOUT', UP.request_timeout) })
  let result = null
  if (ASYNC) {
    check(res, { 'upload: 202 with a job': (r) => r.status === 202 && !!r.json().job.id }, tags)
    if (res.status === 202) result = awaitJob(res.json().job.id, tags.size)
  } else {
    check(res, { 'upload: 201': (r) => r.status === 201 }, tags)
    if (res.status === 201) result = res.json()
    else console.error(`upload ${name}: ${res.status} ${String(res.body).slice(0, 300)}`)
  }
  if (result) throughput.add(mb / ((Date.now() - started) / 1000), tags)
  check(result, {
    'upload: dataset has every row': (d) => d !== null && d.name === name && (rows === null ? d.row_count > 0 : d.row_count === rows),
  }, tags)

  if (result && !FIXED_NAME && envStr('KEEP_UPLOADS', '') !== '1') {
    const del = http.del(`${baseUrl()}/api/datasets/${name}`, null, { headers: authHeaders(), tags: { name: 'delete_upload' } })
    check(del, { 'upload: deleted': (r) => r.status === 200 || r.status === 204 })
  }
}

/** Polls GET /api/jobs/{id} until the job ends; returns its result (the dataset) or null. */
function awaitJob(id, label) {
  const deadline = Date.now() + 3600 * 1000
  for (;;) {
    const r = http.get(`${baseUrl()}/api/jobs/${id}`, { headers: authHeaders(), tags: { name: 'upload_job', size: label } })
    const job = r.status === 200 ? r.json().job : null
    if (job && (job.state === 'succeeded' || job.state === 'failed' || job.state === 'cancelled')) {
      check(job, { 'upload: job succeeded': (j) => j.state === 'succeeded' })
      return job.state === 'succeeded' ? job.result : null
    }
    if (!job || Date.now() > deadline) {
      check(r, { 'upload: job readable': () => false })
      return null
    }
    sleep(UP.job_poll_interval_s)
  }
}

/** A multipart/form-data body as one string: the fields, then the file part. */
function multipart(boundary, fields, filename, content) {
  let head = ''
  for (const k of Object.keys(fields)) head += `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${fields[k]}\r\n`
  head += `--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="${filename}"\r\nContent-Type: text/csv\r\n\r\n`
  return head + content + `\r\n--${boundary}--\r\n`
}
