/** What every scenario of `npm run bench` shares: the run's context, the result shape, small helpers. */
import fs from 'node:fs'
import http from 'node:http'
import { pipeline } from 'node:stream/promises'
import path from 'node:path'
import type { DuckDBConnection } from '@duckdb/node-api'
import type { BenchServer } from '../server.js'
import type { BenchPostgres } from './pg.js'

export const SCENARIOS = ['upload', 'groupby', 'pg-stream', 'profile', 'concurrency', 'memory'] as const
export type ScenarioId = (typeof SCENARIOS)[number]

export interface Target {
  /** what the target applies to: the ratio Sluice/baseline, or Sluice's own figure (memory) */
  on: 'ratio' | 'sluice'
  op: '<=' | '>='
  value: number
}

export interface ScenarioResult {
  id: ScenarioId
  name: string
  /** median over the repetitions */
  sluice: number
  /** median over the repetitions; null when the baseline could not run (see note) */
  baseline: number | null
  unit: string
  /** Sluice / baseline; null without a baseline */
  ratio: number | null
  target: Target
  /** null when the target could not be judged (no baseline) */
  met: boolean | null
  note: string
  reps: number
  samples: { sluice: number[]; baseline: number[] }
  /** further figures of the scenario (first call, cache hits, other baselines, RSS series...) */
  extra: Record<string, unknown>
  /** set when the scenario failed; its figures are then NaN */
  error?: string
}

export interface BenchContext {
  server: BenchServer
  duck: DuckDBConnection
  work: string
  csv: string
  csvBytes: number
  rows: number
  /** rows of the one-client stream of the memory scenario */
  streamRows: number
  reps: number
  quick: boolean
  /** the lakehouse dataset every read scenario uses (an upload of `csv`) */
  dataset: { name: string; id: string }
  /** PostgreSQL with the same rows, when a scenario needs it */
  pg: BenchPostgres | null
}

export const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}
export const mb = (bytes: number): number => bytes / 2 ** 20
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

export function met(target: Target, sluice: number, ratio: number | null): boolean | null {
  const v = target.on === 'ratio' ? ratio : sluice
  if (v === null || !Number.isFinite(v)) return null
  return target.op === '<=' ? v <= target.value : v >= target.value
}

export function targetText(t: Target, unit: string): string {
  return t.on === 'ratio' ? `ratio ${t.op === '<=' ? '≤' : '≥'} ${t.value}` : `${t.op === '<=' ? '≤' : '≥'} ${t.value} ${unit}`
}

/**
 * Runs `a` and `b` `reps` times, alternating which goes first each round, so drift on a busy
 * machine lands on both sides. Returns every sample of each.
 */
export async function alternate(reps: number, a: (i: number) => Promise<number>, b: ((i: number) => Promise<number>) | null): Promise<{ a: number[]; b: number[] }> {
  const out = { a: [] as number[], b: [] as number[] }
  for (let i = 0; i < reps; i++) {
    if (!b) { out.a.push(await a(i)); continue }
    if (i % 2 === 0) { out.a.push(await a(i)); out.b.push(await b(i)) } else { out.b.push(await b(i)); out.a.push(await a(i)) }
  }
  return out
}

export async function api(s: BenchServer, p: string, init: RequestInit = {}): Promise<Response> {
  const headers = new Headers(init.headers)
  if (!headers.has('authorization')) headers.set('authorization', `Bearer ${s.token}`)
  return fetch(s.url + p, { ...init, headers })
}

export async function apiJson<T = Record<string, unknown>>(s: BenchServer, p: string, init: RequestInit = {}): Promise<T> {
  const r = await api(s, p, init)
  const text = await r.text()
  if (r.status >= 300) throw new Error(`${init.method ?? 'GET'} ${p}: ${r.status} ${text.slice(0, 300)}`)
  return JSON.parse(text) as T
}

export function postJson(s: BenchServer, p: string, body: unknown, method = 'POST') {
  return apiJson(s, p, { method, body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
}

/**
 * Uploads a CSV as the raw request body (the fastest way in); returns the dataset id and
 * seconds to the 201. The file is streamed with node:http, as curl or k6 would send it:
 * fetch with a file Blob costs the client (on the same two cores) ~20% of the server's rate.
 */
export async function uploadCsv(s: BenchServer, name: string, file: string): Promise<{ id: string; seconds: number }> {
  const t0 = performance.now()
  const url = new URL(`${s.url}/api/datasets/file/upload?name=${encodeURIComponent(name)}&filename=${encodeURIComponent(path.basename(file))}`)
  const headers = { 'content-type': 'text/csv', 'content-length': String(fs.statSync(file).size), authorization: `Bearer ${s.token}` }
  const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
    const req = http.request(url, { method: 'POST', headers }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }))
      res.on('error', reject)
    })
    req.on('error', reject)
    pipeline(fs.createReadStream(file, { highWaterMark: 1 << 20 }), req).catch(reject)
  })
  const seconds = (performance.now() - t0) / 1000
  if (status !== 201) throw new Error(`upload ${name}: ${status} ${text.slice(0, 300)}`)
  return { id: (JSON.parse(text) as { id: string }).id, seconds }
}

/** GET that reads the whole body; returns ms to the last byte. */
export async function timedGet(s: BenchServer, p: string, headers: Record<string, string> = {}): Promise<{ ms: number; status: number; body: Buffer; etag: string | null }> {
  const t0 = performance.now()
  const r = await api(s, p, { headers })
  const body = Buffer.from(await r.arrayBuffer())
  const ms = performance.now() - t0
  if (r.status !== 200 && r.status !== 304) throw new Error(`GET ${p}: ${r.status} ${body.toString().slice(0, 300)}`)
  return { ms, status: r.status, body, etag: r.headers.get('etag') }
}

/** Drains a streamed GET to nowhere; returns seconds and bytes. */
export async function drain(s: BenchServer, p: string): Promise<{ seconds: number; bytes: number }> {
  const t0 = performance.now()
  const r = await api(s, p)
  if (r.status !== 200) throw new Error(`GET ${p}: ${r.status} ${(await r.text()).slice(0, 300)}`)
  let bytes = 0
  for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) bytes += c.byteLength
  return { seconds: (performance.now() - t0) / 1000, bytes }
}

/** The data files of a Delta table Sluice manages (every file is live right after one upload). */
export function tableFiles(dataDir: string, id: string): string[] {
  const dir = path.join(dataDir, 'tables', id)
  const out: string[] = []
  const walk = (d: string) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      if (e.name === '_delta_log') continue
      if (e.isDirectory()) walk(path.join(d, e.name))
      else if (e.name.endsWith('.parquet')) out.push(path.join(d, e.name))
    }
  }
  walk(dir)
  return out.sort()
}

/** A DuckDB list literal of file paths (paths are ours: a temp dir, no quotes). */
export const duckFiles = (files: string[]) => `[${files.map((f) => `'${f.replaceAll("'", "''")}'`).join(', ')}]`

/** Builds a result from medians; `better` says which way the ratio Sluice/baseline improves. */
export function result(r: Omit<ScenarioResult, 'sluice' | 'baseline' | 'ratio' | 'met' | 'reps'> & { reps?: number }): ScenarioResult {
  const sluice = median(r.samples.sluice)
  const baseline = r.samples.baseline.length ? median(r.samples.baseline) : null
  const ratio = baseline !== null && baseline > 0 ? sluice / baseline : null
  return { ...r, sluice, baseline, ratio, met: met(r.target, sluice, ratio), reps: r.reps ?? r.samples.sluice.length }
}
