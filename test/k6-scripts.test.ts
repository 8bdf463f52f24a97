// The k6 scripts in loadtest/k6 run once under a k6 shim against a real server with the bench
// dataset, so they cannot rot: their checks pass, they hit the URLs scenarios.json names, their
// options parse as k6 would parse them, and their thresholds are well formed and see samples.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { pathToFileURL } from 'node:url'
import { ROOT, startServer, uploadForm } from './helpers/server.js'
import { runK6Script, type K6Run } from './helpers/k6-shim.js'
import { evaluateThresholds, optionProblems, BUILTIN_METRICS, type Sample } from './helpers/k6-thresholds.js'
import { writeBenchCsv } from '../loadtest/generate.js'

const K6 = path.join(ROOT, 'loadtest', 'k6')
const SCENARIOS = JSON.parse(fs.readFileSync(path.join(ROOT, 'loadtest', 'scenarios.json'), 'utf8'))
const ROWS = 3000

/** Asserts what every script run must show: it ran cleanly and its options and thresholds are sound. */
function assertSound(t: Test, run: K6Run, opts: { minChecks: number }) {
  t.same(run.errors, [], 'no exception in setup, iterations or teardown')
  t.same(run.optionProblems, [], 'options parse as k6 would parse them')
  const checks = run.samples.filter((s) => s.metric === 'checks' && s.tags.group === '')
  t.ok(checks.length >= opts.minChecks, `at least ${opts.minChecks} checks ran (${checks.length})`)
  t.same(checks.filter((s) => s.value !== 1).map((s) => s.tags.check), [], 'every check passed')
  t.ok(run.thresholds.length > 0, 'the script has thresholds')
  for (const th of run.thresholds) {
    const tagged = Object.keys(th.tags).length > 0 || th.metric in run.metrics
    if (tagged) t.ok(th.samples > 0, `${th.key} matches samples (${th.samples})`)
    // latency thresholds are not asserted here (timings on a shared machine); rates are behaviour
    if (th.metric === 'checks' || th.metric === 'http_req_failed') t.ok(th.ok, `${th.key} ${th.expr} holds (${th.value})`)
    else t.comment(`${th.key} ${th.expr}: ${th.value.toFixed(1)} over ${th.samples} samples, ${th.ok ? 'met' : 'not met'}`)
  }
}

t.test('the k6 generator writes the bench rows of loadtest/generate.ts byte for byte', async (t) => {
  const data = await import(pathToFileURL(path.join(K6, 'lib', 'data.js')).href)
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'k6-gen-')), 'b.csv')
  await writeBenchCsv(file, 500, 11)
  t.equal(data.CSV_HEADER + '\n' + data.benchRows(500, 11), fs.readFileSync(file, 'utf8'))
  fs.rmSync(path.dirname(file), { recursive: true })
  const block = data.benchRows(100, 1)
  const row = 120 // longer than any generated row
  for (const size of [10 * block.length + 500, 2000, 60]) {
    const { csv, rows } = data.benchCsv(size, block, 100)
    t.ok(csv.length <= size && csv.length > size - row, `${size} bytes asked, ${csv.length} built`)
    t.ok(csv.endsWith('\n'), 'ends at a line end')
    t.equal(csv.split('\n').length - 2, rows, 'the row count is the line count')
  }
})

t.test('the shim evaluates thresholds and refuses bad options', async (t) => {
  const s = (value: number, tags: Record<string, string>): Sample => ({ metric: 'http_req_duration', type: 'trend', value, tags })
  const samples = [1, 2, 3, 4, 100].map((v) => s(v, { query: 'a' })).concat([s(1000, { query: 'b' })])
  const [a, b] = evaluateThresholds({ 'http_req_duration{query:a}': ['p(95)<50'], 'http_req_duration{query:b}': ['max<=1000'] }, samples, BUILTIN_METRICS)
  t.equal(a.samples, 5)
  t.notOk(a.ok, 'p(95) of 1,2,3,4,100 is over 50')
  t.ok(b.ok)
  t.throws(() => evaluateThresholds({ http_req_duration: ['rate<1'] }, [], BUILTIN_METRICS), /does not apply/)
  t.throws(() => evaluateThresholds({ no_such_metric: ['count<1'] }, [], BUILTIN_METRICS), /unknown metric/)
  const problems = optionProblems({
    scenarios: { x: { executor: 'ramping-arrival-rate', exec: 'nope', stages: [{ duration: '10 s', target: 1.5 }] } },
    thresholds: { http_req_duration: ['p95<3'] },
  }, ['default'], BUILTIN_METRICS)
  t.match(problems, [/preAllocatedVUs is required/, /duration is not a duration/, /target must be a whole number/, /exec "nope"/, /bad threshold expression/])
})

t.test('k6 scripts against a real server', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'k6-bench-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const csv = path.join(dir, 'bench.csv')
  await writeBenchCsv(csv, ROWS)
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: SCENARIOS.dataset }, { name: 'bench.csv', content: fs.readFileSync(csv) }) })
  t.equal(up.status, 201, 'bench dataset uploaded')
  const env = { SLUICE_URL: s.url + '/', SLUICE_TOKEN: await s.token() }

  t.test('dashboard.js', async (t) => {
    const run = await runK6Script(path.join(K6, 'dashboard.js'), { ...env, VUS: '3', DURATION: '20s', THINK_TIME: '0.5' }, 24)
    assertSound(t, run, { minChecks: 48 })
    t.match(run.options.scenarios.dashboard, { executor: 'constant-vus', vus: 3, duration: '20s', exec: 'dashboard' }, 'VUS and DURATION from the environment')
    t.equal(run.slept, 24 * 0.5, 'THINK_TIME between panels')
    const explore = run.requests.filter((r) => r.url.includes('/explore'))
    t.equal(explore.length, 24)
    for (const q of SCENARIOS.dashboard.queries) {
      const expected = q.path.replace('{dataset}', SCENARIOS.dataset).replace('{status}', 'new')
      t.ok(explore.some((r) => r.url === s.url + expected), `${q.name} requested as scenarios.json says`)
    }
    t.ok(explore.every((r) => r.headers.Authorization === `Bearer ${env.SLUICE_TOKEN}`), 'the token from SLUICE_TOKEN')
    // polling: a URL answered with an ETag is asked again with If-None-Match; 304 and 200 both pass
    const seen = new Map<string, string>()
    let revalidated = 0
    for (const r of explore) {
      const etag = seen.get(r.url)
      if (etag) { t.equal(r.headers['If-None-Match'], etag, 'the ETag of the last answer is sent'); revalidated++ }
      else t.notOk(r.headers['If-None-Match'], 'no If-None-Match without an ETag')
      t.ok(r.status === 200 || r.status === 304)
      if (r.responseHeaders.etag) seen.set(r.url, r.responseHeaders.etag)
    }
    const withEtag = explore.filter((r) => r.responseHeaders.etag).length
    t.comment(`${withEtag} answers carried an ETag, ${revalidated} requests revalidated, ${explore.filter((r) => r.status === 304).length} were 304`)
    t.ok(withEtag > 0, 'lakehouse explore answers carry an ETag')
    t.ok(revalidated > 0, 'the server sends ETags, so polls revalidate')
  })

  t.test('upload.js, synchronous, one upload per size class, deleted afterwards', async (t) => {
    const run = await runK6Script(path.join(K6, 'upload.js'), { ...env, UPLOAD_SCALE: '0.003', VUS: '2', ITERATIONS: '3' }, 3)
    assertSound(t, run, { minChecks: 9 })
    t.match(run.options.scenarios.uploads, { executor: 'per-vu-iterations', vus: 2, iterations: 3 })
    const posts = run.requests.filter((r) => r.method === 'POST')
    t.same(posts.map((r) => r.url), Array(3).fill(s.url + SCENARIOS.uploads.path))
    t.same(posts.map((r) => r.status), [201, 201, 201])
    const sizes = SCENARIOS.uploads.sizes.map((z: { bytes: number }) => z.bytes * 0.003)
    posts.forEach((p, i) => t.ok(p.bodyBytes > sizes[i] - 200 && p.bodyBytes < sizes[i] + 1000, `size class ${i}: ${p.bodyBytes} bytes`))
    t.match(posts[0].headers['Content-Type'], /^multipart\/form-data; boundary=/)
    t.equal(run.requests.filter((r) => r.method === 'DELETE' && (r.status === 200 || r.status === 204)).length, 3, 'each upload deleted')
    const list = await (await s.api('/api/datasets?q=k6_upload')).json() as { total: number }
    t.equal(list.total, 0, 'nothing left behind')
    t.ok(run.samples.some((x) => x.metric === 'upload_mb_per_s' && x.value > 0), 'throughput recorded')
  })

  t.test('upload.js, async with UPLOAD_NAME: the job is followed and the dataset kept', async (t) => {
    const run = await runK6Script(path.join(K6, 'upload.js'), { ...env, UPLOAD_SCALE: '0.01', UPLOAD_SIZES: '10MB', UPLOAD_ASYNC: '1', UPLOAD_NAME: 'k6_kept' }, 1)
    assertSound(t, run, { minChecks: 3 })
    t.match(run.requests.find((r) => r.method === 'POST'), { status: 202 })
    t.ok(run.requests.some((r) => /\/api\/jobs\/[^/]+$/.test(r.url)), 'the job is polled')
    const d = await (await s.api('/api/datasets/k6_kept')).json() as { row_count: number }
    t.ok(d.row_count > 1000, `kept with ${d.row_count} rows`)
  })

  t.test('upload.js with UPLOAD_FILE sends that file and checks UPLOAD_ROWS', async (t) => {
    const run = await runK6Script(path.join(K6, 'upload.js'), { ...env, UPLOAD_FILE: csv, UPLOAD_ROWS: String(ROWS), UPLOAD_NAME: 'k6_from_file' }, 1)
    assertSound(t, run, { minChecks: 2 })
    const post = run.requests.find((r) => r.method === 'POST')!
    t.ok(post.bodyBytes > fs.statSync(csv).size, 'the whole file in the multipart body')
    t.equal((await (await s.api('/api/datasets/k6_from_file')).json() as { row_count: number }).row_count, ROWS)
  })

  t.test('spike.js', async (t) => {
    const run = await runK6Script(path.join(K6, 'spike.js'), { ...env, BASE_RATE: '2', PEAK_RATE: '7', DURATION: '5s', VUS: '4', MAX_VUS: '9' }, 8)
    assertSound(t, run, { minChecks: 32 })
    const sc = run.options.scenarios.spike
    t.match(sc, { executor: 'ramping-arrival-rate', startRate: 2, preAllocatedVUs: 4, maxVUs: 9 })
    t.same(sc.stages.map((x: { target: number }) => x.target), SCENARIOS.spike.stages.map((x: { target: string }) => (x.target === 'peak' ? 7 : 2)))
    t.ok(sc.stages.some((x: { duration: string }) => x.duration === '5s'), 'DURATION holds the peak')
    for (const r of SCENARIOS.spike.requests) {
      const prefix = s.url + r.path.replace('{dataset}', SCENARIOS.dataset).split('{term}')[0]
      t.equal(run.requests.filter((q) => q.url.startsWith(prefix) && q.status === 200).length >= 8, true, `${r.name} requested each iteration`)
    }
    t.ok(run.requests.some((q) => q.url.endsWith('q=no_such_dataset&limit=20')), 'search terms from scenarios.json')
  })
})
