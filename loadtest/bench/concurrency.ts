/**
 * Scenario 5: the small explore answer of loadtest/scenarios.json (`small_explore`, about
 * 2 KB of JSON, authenticated as usual) under 64 connections, req/s, vs a uWS hello-world
 * returning the same bytes without auth (the ceiling here) and a plain node:http server doing
 * the same. The three alternate, each run for the same duration.
 */
import fs from 'node:fs'
import path from 'node:path'
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { median, result, timedGet, type BenchContext, type ScenarioResult } from './common.js'
import { load, loadTool } from './load.js'

const HELLO = fileURLToPath(new URL('./hello-server.js', import.meta.url))
const SCENARIOS = fileURLToPath(new URL('../../../loadtest/scenarios.json', import.meta.url))
const CONNECTIONS = 64

async function startHello(kind: 'uws' | 'node', bodyFile: string): Promise<{ url: string; proc: ChildProcess }> {
  const proc = spawn(process.execPath, [HELLO, kind, bodyFile], { stdio: ['ignore', 'pipe', 'inherit'] })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    proc.stdout!.on('data', (c: Buffer) => { buf += c.toString(); const m = /\{"port":(\d+)\}/.exec(buf); if (m) resolve(Number(m[1])) })
    proc.on('exit', (code) => reject(new Error(`hello server (${kind}) exited with ${code}`)))
  })
  return { url: `http://127.0.0.1:${port}/`, proc }
}

const stop = (p: ChildProcess) => new Promise<void>((r) => { if (p.exitCode !== null) return r(); p.once('exit', () => r()); p.kill('SIGTERM') })

export async function concurrencyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const def = JSON.parse(fs.readFileSync(SCENARIOS, 'utf8')) as { small_explore: { path: string } }
  const p = def.small_explore.path.replaceAll('{dataset}', ctx.dataset.name)
  const answer = await timedGet(ctx.server, p)
  const bodyFile = path.join(ctx.work, 'small-explore.json')
  fs.writeFileSync(bodyFile, answer.body)
  const seconds = ctx.quick ? 2 : 10
  const uws = await startHello('uws', bodyFile)
  const node = await startHello('node', bodyFile)
  const sluice = { rps: [] as number[], errors: 0 }
  const uwsR = { rps: [] as number[], errors: 0 }
  const nodeR = { rps: [] as number[], errors: 0 }
  try {
    const auth = { authorization: `Bearer ${ctx.server.token}` }
    const runs: [typeof sluice, string, Record<string, string>][] = [[sluice, ctx.server.url + p, auth], [uwsR, uws.url, {}], [nodeR, node.url, {}]]
    // warm-up: JIT, token cache, decoded columns
    for (const [, url, h] of runs) await load(url, h, CONNECTIONS, 1)
    for (let i = 0; i < ctx.reps; i++) {
      // rotate who goes first
      for (let k = 0; k < runs.length; k++) {
        const [into, url, h] = runs[(i + k) % runs.length]!
        const r = await load(url, h, CONNECTIONS, seconds)
        into.rps.push(r.rps)
        into.errors += r.errors
      }
    }
  } finally {
    await Promise.all([stop(uws.proc), stop(node.proc)])
  }
  const nodeRps = median(nodeR.rps)
  return result({
    id: 'concurrency', name: `small explore (${answer.body.length} B JSON), ${CONNECTIONS} connections`, unit: 'req/s',
    samples: { sluice: sluice.rps, baseline: uwsR.rps }, target: { on: 'ratio', op: '>=', value: 0.75 },
    note: `higher is better; vs uWS hello-world, same bytes, no auth; node:http ${nodeRps.toFixed(0)} req/s (Sluice ÷ node:http ${(median(sluice.rps) / nodeRps).toFixed(2)}); ${loadTool()} -c${CONNECTIONS} ${seconds} s` +
      (sluice.errors ? `; ${sluice.errors} non-2xx/socket errors from Sluice (not counted)` : ''),
    extra: {
      tool: loadTool(), connections: CONNECTIONS, seconds, body_bytes: answer.body.length,
      node_http_rps: nodeRps, node_http_samples: nodeR.rps, ratio_vs_node_http: median(sluice.rps) / nodeRps,
      errors: { sluice: sluice.errors, uws: uwsR.errors, node_http: nodeR.errors },
    },
  })
}
