/**
 * Scenario 5 of issue #9: a small explore answer (~2 KB JSON, authenticated as usual) under 64
 * concurrent connections, req/s of Sluice vs a uWS hello-world returning the same bytes
 * without auth (the ceiling on this machine) and vs a plain node:http server doing the same.
 * The three are measured alternately, several rounds, and the medians compared.
 *
 * `measureSmallExplore(opts)` is what the full harness calls with a server it already runs;
 * `node .dist-NAME/loadtest/small-explore.js [--rows N] [--seconds S] [--rounds R]` runs it on
 * its own: starts Sluice, uploads a bench CSV, measures, prints the figures.
 *
 * Load comes from wrk (Debian package) when present, else autocannon (dev dependency).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { createRequire } from 'node:module'
import { writeBenchCsv } from './generate.js'
import { startBenchServer } from './server.js'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const SCENARIOS = JSON.parse(fs.readFileSync(path.resolve(HERE, '..', '..', 'loadtest', 'scenarios.json'), 'utf8')) as {
  dataset: string; small_explore: { path: string }
}

export interface SmallExploreOptions {
  /** Sluice base URL, e.g. http://127.0.0.1:8080 */
  url: string
  /** bearer token that may read the dataset */
  token: string
  /** dataset name (default: scenarios.json `dataset`) */
  dataset?: string
  /** concurrent connections (default 64) */
  connections?: number
  /** seconds per measurement (default 5) */
  seconds?: number
  /** alternating rounds of the three servers (default 3); medians are reported */
  rounds?: number
  /** progress lines (default: none) */
  log?: (line: string) => void
}

export interface SmallExploreResult {
  /** the request path measured (scenarios.json small_explore) */
  path: string
  /** bytes of the answer body, the same bytes the baselines return */
  body_bytes: number
  load_tool: 'wrk' | 'autocannon'
  connections: number
  seconds: number
  /** median req/s over the rounds */
  sluice_rps: number
  uws_hello_rps: number
  node_http_rps: number
  /** every round's figures */
  runs: { sluice: number; uws: number; node: number }[]
  /** sluice_rps / uws_hello_rps (target ≥ 0.75) */
  ratio_vs_uws: number
  ratio_vs_node_http: number
  /** non-2xx answers Sluice gave during the measurement (must be 0) */
  sluice_errors: number
}

const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length === 0 ? 0 : s[Math.floor((s.length - 1) / 2)]! }

function hasWrk(): boolean {
  return spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined
}

interface LoadResult { rps: number; errors: number }

async function runWrk(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  const args = ['-t1', `-c${connections}`, `-d${seconds}s`, '--latency']
  for (const [k, v] of Object.entries(headers)) args.push('-H', `${k}: ${v}`)
  args.push(url)
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn('wrk', args, { stdio: ['ignore', 'pipe', 'inherit'] })
    let buf = ''
    p.stdout.on('data', (c: Buffer) => { buf += c.toString() })
    p.on('error', reject)
    p.on('exit', (code) => (code === 0 ? resolve(buf) : reject(new Error(`wrk exited with ${code}: ${buf}`))))
  })
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN)
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0)
  const socketErrs = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)
  const errors = non2xx + (socketErrs ? socketErrs.slice(1).reduce((a, b) => a + Number(b), 0) : 0)
  if (!Number.isFinite(rps)) throw new Error(`could not read wrk output: ${out}`)
  return { rps, errors }
}

async function runAutocannon(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  type Autocannon = (o: object) => Promise<{ requests: { average: number }; non2xx: number; errors: number }>
  const mod = 'autocannon' // a variable: autocannon ships no types
  const { default: autocannon } = await import(mod) as { default: Autocannon }
  const r = await autocannon({ url, connections, duration: seconds, headers, pipelining: 1 })
  return { rps: r.requests.average, errors: r.non2xx + r.errors }
}

/** A baseline server in a child process (so it has a core of its own, as Sluice does). */
async function startBaseline(kind: 'uws' | 'node', body: Buffer): Promise<{ url: string; stop(): Promise<void> }> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-hello-'))
  const bodyFile = path.join(dir, 'body.json')
  fs.writeFileSync(bodyFile, body)
  const uwsPath = JSON.stringify(createRequire(import.meta.url).resolve('uWebSockets.js'))
  const code = kind === 'uws'
    ? `const uWS = require(${uwsPath}); const body = require('fs').readFileSync(process.argv[1]);
       uWS.App().get('/*', (res) => { res.cork(() => { res.writeHeader('Content-Type', 'application/json'); res.end(body) }) })
         .listen('127.0.0.1', 0, (s) => console.log(JSON.stringify({ port: uWS.us_socket_local_port(s) })))`
    : `const http = require('http'); const body = require('fs').readFileSync(process.argv[1]);
       const srv = http.createServer((req, res) => { res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length }); res.end(body) });
       srv.keepAliveTimeout = 60000; srv.listen(0, '127.0.0.1', () => console.log(JSON.stringify({ port: srv.address().port })))`
  const proc: ChildProcess = spawn(process.execPath, ['-e', code, bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /\{"port":(\d+)\}/.exec(buf)
      if (m) resolve(Number(m[1]))
    })
    proc.on('exit', (c) => reject(new Error(`${kind} baseline exited with ${c}`)))
  })
  return {
    url: `http://127.0.0.1:${port}/`,
    stop: async () => {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        await new Promise((r) => proc.once('exit', r))
      }
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}

/**
 * Measures scenario 5 against a running Sluice that serves `opts.dataset` (the bench data).
 * Fetches the answer once (it must be a 200 of ~2 KB JSON), starts the two baselines with the
 * same bytes, then runs Sluice, uWS and node:http alternately for `rounds` rounds.
 */
export async function measureSmallExplore(opts: SmallExploreOptions): Promise<SmallExploreResult> {
  const connections = opts.connections ?? 64
  const seconds = opts.seconds ?? 5
  const rounds = opts.rounds ?? 3
  const log = opts.log ?? (() => {})
  const reqPath = SCENARIOS.small_explore.path.replace('{dataset}', opts.dataset ?? SCENARIOS.dataset)
  const auth = { authorization: `Bearer ${opts.token}` }
  const first = await fetch(opts.url + reqPath, { headers: auth })
  const body = Buffer.from(await first.arrayBuffer())
  if (first.status !== 200) throw new Error(`small explore answered ${first.status}: ${body.toString('utf8').slice(0, 300)}`)
  const tool = hasWrk() ? 'wrk' : 'autocannon'
  const load = tool === 'wrk' ? runWrk : runAutocannon
  const uws = await startBaseline('uws', body)
  const node = await startBaseline('node', body)
  const runs: SmallExploreResult['runs'] = []
  let sluiceErrors = 0
  try {
    // a short warm-up of each (JIT, connection set-up)
    await load(opts.url + reqPath, auth, connections, 1)
    await load(uws.url, {}, connections, 1)
    await load(node.url, {}, connections, 1)
    for (let i = 0; i < rounds; i++) {
      const s = await load(opts.url + reqPath, auth, connections, seconds)
      sluiceErrors += s.errors
      const u = await load(uws.url, {}, connections, seconds)
      const n = await load(node.url, {}, connections, seconds)
      runs.push({ sluice: Math.round(s.rps), uws: Math.round(u.rps), node: Math.round(n.rps) })
      log(`round ${i + 1}: sluice ${Math.round(s.rps)} req/s, uWS hello ${Math.round(u.rps)}, node:http ${Math.round(n.rps)}`)
    }
  } finally {
    await uws.stop()
    await node.stop()
  }
  const sluice = median(runs.map((r) => r.sluice))
  const uwsRps = median(runs.map((r) => r.uws))
  const nodeRps = median(runs.map((r) => r.node))
  return {
    path: reqPath, body_bytes: body.byteLength, load_tool: tool, connections, seconds,
    sluice_rps: sluice, uws_hello_rps: uwsRps, node_http_rps: nodeRps, runs,
    ratio_vs_uws: Math.round((sluice / uwsRps) * 1000) / 1000,
    ratio_vs_node_http: Math.round((sluice / nodeRps) * 1000) / 1000,
    sluice_errors: sluiceErrors,
  }
}

/** Uploads the bench CSV as dataset `name` (raw body). */
async function uploadBench(url: string, token: string, name: string, file: string): Promise<void> {
  const r = await fetch(`${url}/api/datasets/file/upload?name=${name}&filename=bench.csv`, {
    method: 'POST', body: await fs.openAsBlob(file), headers: { authorization: `Bearer ${token}`, 'content-type': 'text/csv' },
  })
  if (r.status !== 201) throw new Error(`upload: ${r.status} ${await r.text()}`)
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { rows: { type: 'string', default: '200000' }, seconds: { type: 'string', default: '5' }, rounds: { type: 'string', default: '3' } } })
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-small-explore-'))
  const csv = path.join(dataDir, 'bench.csv')
  await writeBenchCsv(csv, Number(values.rows))
  const s = await startBenchServer(path.join(dataDir, 'data'))
  try {
    await uploadBench(s.url, s.token, SCENARIOS.dataset, csv)
    const r = await measureSmallExplore({ url: s.url, token: s.token, seconds: Number(values.seconds), rounds: Number(values.rounds), log: (l) => console.log(l) })
    console.log(`small explore (${r.body_bytes} B JSON, ${r.connections} connections, ${r.load_tool}, median of ${r.runs.length} rounds)`)
    console.log(`  sluice     ${r.sluice_rps} req/s (${r.sluice_errors} errors)`)
    console.log(`  uWS hello  ${r.uws_hello_rps} req/s   ratio ${r.ratio_vs_uws} (target >= 0.75)`)
    console.log(`  node:http  ${r.node_http_rps} req/s   ratio ${r.ratio_vs_node_http}`)
    console.log(JSON.stringify(r))
  } finally {
    await s.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((err) => { console.error(err); process.exitCode = 1 })
}
