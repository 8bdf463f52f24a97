/**
 * A fixed-concurrency HTTP load: wrk (/usr/bin/wrk, Debian's) when present, else autocannon
 * (dev dependency, run in this process). BENCH_LOAD=autocannon forces the fallback.
 * Returns successful (2xx) requests per second.
 */
import fs from 'node:fs'
import { spawn } from 'node:child_process'

export const WRK = '/usr/bin/wrk'
export const loadTool = (): 'wrk' | 'autocannon' => process.env.BENCH_LOAD !== 'autocannon' && fs.existsSync(WRK) ? 'wrk' : 'autocannon'

export interface LoadResult { rps: number; requests: number; errors: number; tool: string }

export async function load(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  return loadTool() === 'wrk' ? wrk(url, headers, connections, seconds) : autocannon(url, headers, connections, seconds)
}

function wrk(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  const args = ['-t2', `-c${connections}`, `-d${seconds}s`, ...Object.entries(headers).flatMap(([k, v]) => ['-H', `${k}: ${v}`]), url]
  return new Promise((resolve, reject) => {
    const p = spawn(WRK, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    p.stdout.on('data', (c: Buffer) => { out += c.toString() })
    p.stderr.on('data', (c: Buffer) => { out += c.toString() })
    p.on('error', reject)
    p.on('close', (code) => {
      const total = /(\d+) requests in ([\d.]+)(m?s|m)\b/.exec(out)
      const rate = /Requests\/sec:\s+([\d.]+)/.exec(out)
      if (code !== 0 || !total || !rate) return reject(new Error(`wrk failed (${code}): ${out}`))
      const requests = Number(total[1])
      const bad = Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0) + Number(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out)?.slice(1).reduce((t, x) => t + Number(x), 0) ?? 0)
      const rps = Number(rate[1]) * (requests > 0 ? Math.max(0, requests - bad) / requests : 0)
      resolve({ rps, requests, errors: bad, tool: 'wrk' })
    })
  })
}

async function autocannon(url: string, headers: Record<string, string>, connections: number, seconds: number): Promise<LoadResult> {
  // no @types/autocannon: the module is used through this one call
  const mod = await import('autocannon' as string) as { default: (o: object) => Promise<{ '2xx': number; non2xx: number; errors: number; timeouts: number; duration: number; requests: { total: number } }> }
  const r = await mod.default({ url, connections, duration: seconds, headers })
  return { rps: r['2xx'] / r.duration, requests: r.requests.total, errors: r.non2xx + r.errors + r.timeouts, tool: 'autocannon' }
}
