// CI smoke test of `npm run bench`: the compiled harness runs every scenario in --quick mode
// and writes its JSON and SVG; figures are checked for shape and sanity, never against targets
// (timings are not asserted). Also GET /healthz?detail=1, which the memory scenario relies on.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DIST, spawnNode, startServer } from './helpers/server.js'

const HARNESS = path.join(DIST, 'loadtest', 'bench.js')
const IDS = ['upload', 'groupby', 'pg-stream', 'profile', 'concurrency', 'memory']

function run(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const p = spawnNode([HARNESS, ...args])
    let out = ''
    p.stdout.on('data', (c: Buffer) => { out += c.toString() })
    p.stderr.on('data', (c: Buffer) => { out += c.toString() })
    const timer = setTimeout(() => p.kill('SIGKILL'), 240_000)
    p.on('error', reject)
    p.on('close', (code) => { clearTimeout(timer); resolve({ code, out }) })
  })
}

const finitePositive = (x: unknown) => typeof x === 'number' && Number.isFinite(x) && x > 0

t.test('GET /healthz?detail=1 adds the worker pool counts; plain /healthz is unchanged', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  t.same(await (await fetch(`${s.url}/healthz`)).json(), { status: 'ok' })
  const h = await (await fetch(`${s.url}/healthz?detail=1`)).json() as { status: string; pool: { threads: number; queued: number; running: number } }
  t.equal(h.status, 'ok')
  t.ok(h.pool.threads >= 1, 'threads')
  t.same([h.pool.queued, h.pool.running], [0, 0], 'an idle server runs and queues nothing')
})

t.test('bench --quick: six scenarios, each with a figure, a baseline, a ratio and a verdict', async (t) => {
  t.ok(fs.existsSync(HARNESS), `${HARNESS} is built`)
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-test-'))
  t.teardown(() => fs.rmSync(out, { recursive: true, force: true }))
  const r = await run(['--quick', '--out', out])
  t.equal(r.code, 0, 'exits 0 (no scenario failed)', { output: r.out.slice(-4000) })
  t.match(r.out, /\| # \| scenario \| Sluice \| baseline \| unit \| ratio \| target \| met \| note \|/, 'prints the table')

  const report = JSON.parse(fs.readFileSync(path.join(out, 'quick.json'), 'utf8'))
  t.match(report, {
    date: String,
    machine: { cpus: Number, model: String, node: process.version, memory_gb: Number },
    options: { quick: true, rows: Number, reps: Number },
  })
  t.same(report.scenarios.map((s: { id: string }) => s.id), IDS, 'all six scenarios, in order')
  for (const s of report.scenarios) {
    t.test(s.id, async (t) => {
      t.notOk(s.error, 'no error')
      t.match(s, { name: String, unit: String, note: String, target: { on: /^(ratio|sluice)$/, op: /^(<=|>=)$/, value: Number } })
      if (s.id === 'pg-stream' && s.baseline === null) {
        // a machine without the psql client: no baseline, said so
        t.match(s.note, /psql is not installed/)
        t.equal(s.met, null)
      } else {
        t.equal(typeof s.met, 'boolean', 'met is judged')
        t.ok(finitePositive(s.baseline), `baseline ${s.baseline} is a finite positive figure`)
      }
      if (s.id === 'memory') {
        // growth over idle may be ~0 on a tiny run; the idle RSS is the baseline
        t.ok(Number.isFinite(s.sluice) && s.sluice >= 0, `growth ${s.sluice} MB`)
        t.same(s.extra.leaks, [], 'nothing leaked after 100 clients')
        t.match(s.extra.after, { pool: { running: 0, queued: 0 }, pg_sessions: 0 })
        const c = s.extra.concurrent
        t.equal(Object.values(c.statuses as Record<string, number>).reduce((a, b) => a + b, 0), 100, 'a hundred clients, each with a status')
        // every fourth client disconnects mid-stream, unless the server refused it (503 overloaded)
        t.ok(c.disconnected <= 25 && c.disconnected >= 25 - (c.statuses['503'] ?? 0), `${c.disconnected} disconnected`)
      } else {
        t.ok(finitePositive(s.sluice), `Sluice ${s.sluice} ${s.unit} is a finite positive figure`)
        if (s.baseline !== null) {
          t.ok(finitePositive(s.ratio), `ratio ${s.ratio}`)
          t.ok(Math.abs(s.ratio - s.sluice / s.baseline) < 1e-9 * Math.max(1, s.ratio), 'ratio = Sluice / baseline')
        }
      }
      t.equal(s.samples.sluice.length, report.options.reps, 'one sample per repetition')
    })
  }
  const g = report.scenarios.find((s: { id: string }) => s.id === 'groupby')
  t.equal(g.extra.row_counts_agree, true, 'Sluice and DuckDB count the same rows for the first group-by')
  t.match(g.extra.cache_hit_304, { status: /^(ok|not_available)$/ })
  const svg = fs.readFileSync(path.join(out, 'quick.svg'), 'utf8')
  t.match(svg, /^<svg [^>]*xmlns="http:\/\/www.w3.org\/2000\/svg"/, 'writes the chart')
  t.equal((svg.match(/<rect x=/g) ?? []).length, 6, 'one bar per scenario')
})
