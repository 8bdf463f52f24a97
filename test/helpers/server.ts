/**
 * Starts the real server (dist/src/main.js, built by `npm test`) as a child process on a
 * free port with a temp DATA_DIR, and gives tests an HTTP client with tokens.
 */
import { spawn, type ChildProcess, type ChildProcessByStdio } from 'node:child_process'
import type { Readable } from 'node:stream'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import * as jose from 'jose'

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** The build the tests run: `dist/`, or SLUICE_DIST (a build elsewhere inside the checkout, so parallel builds do not collide). */
export const DIST = process.env.SLUICE_DIST ? path.resolve(ROOT, process.env.SLUICE_DIST) : path.join(ROOT, 'dist')
export const MAIN = path.join(DIST, 'src', 'main.js')

export interface Claims { sub?: string; org?: string; roles?: string[]; groups?: string[] }

export interface TestServer {
  url: string
  port: number
  dataDir: string
  secret: string
  proc: ChildProcess
  /** every stdout line so far (JSON logs) */
  logs: string[]
  stderr: string[]
  token(claims?: Claims, opts?: { ttlSeconds?: number }): Promise<string>
  /** fetch with a bearer token for `claims` (default: an editor in org "acme") */
  api(pathAndQuery: string, init?: RequestInit & { claims?: Claims | null }): Promise<Response>
  rss(): number
  stop(signal?: NodeJS.Signals): Promise<number | null>
}

/**
 * Spawns `node args` as a Sluice process runs in production: without the `--import` of tap's
 * coverage tracker (@tapjs/processinfo), which tap adds to NODE_OPTIONS of every child process
 * (re-adding it to any env we pass, hence `env` in between; it execs node, so the pid is
 * node's). Coverage is off in our tap config; the tracker's require hook only changes how
 * modules load, and a server that loads them differently from production once hid the cause of
 * a crash (a worker terminated during require(esm): src/pool.ts). Other NODE_OPTIONS are kept.
 */
export function spawnNode(args: string[], env: NodeJS.ProcessEnv = process.env): ChildProcessByStdio<null, Readable, Readable> {
  const kept = (env.NODE_OPTIONS ?? '').split(/\s+/).filter((o) => o !== '' && !o.includes('@tapjs/processinfo')).join(' ')
  const nodeOptions = kept === '' ? ['-u', 'NODE_OPTIONS'] : [`NODE_OPTIONS=${kept}`]
  return spawn('/usr/bin/env', [...nodeOptions, process.execPath, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] })
}

export async function startServer(env: Record<string, string> = {}, opts: { dataDir?: string } = {}): Promise<TestServer> {
  if (!fs.existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first (npm test does)`)
  const dataDir = opts.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-test-'))
  const secret = env.JWT_SECRET ?? crypto.randomBytes(24).toString('base64url')
  const proc = spawnNode([MAIN], { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, JWT_SECRET: secret, LOG_LEVEL: 'info', WORKER_THREADS: '2', ...env })
  const logs: string[] = []
  const stderr: string[] = []
  let buffered = ''
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`server did not start: ${stderr.join('')}`)), 20_000)
    proc.stdout!.on('data', (c: Buffer) => {
      buffered += c.toString()
      let nl
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl)
        buffered = buffered.slice(nl + 1)
        logs.push(line)
        if (line.startsWith('{"msg":"listening"')) { clearTimeout(timer); resolve(JSON.parse(line).port) }
      }
    })
    proc.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()))
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`server exited with ${code}: ${stderr.join('')}`)) })
  })
  const url = `http://127.0.0.1:${port}`
  const token = async (claims: Claims = {}, o: { ttlSeconds?: number } = {}) =>
    new jose.SignJWT({ org: claims.org ?? 'acme', roles: claims.roles ?? ['editor'], ...(claims.groups ? { groups: claims.groups } : {}) })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.sub ?? 'alice')
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + (o.ttlSeconds ?? 3600))
      .sign(new TextEncoder().encode(secret))
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)))
  return {
    url, port, dataDir, secret, proc, logs, stderr, token,
    async api(p, init = {}) {
      const headers = new Headers(init.headers)
      if (init.claims !== null && !headers.has('authorization')) headers.set('authorization', `Bearer ${await token(init.claims ?? {})}`)
      return fetch(url + p, { ...init, headers })
    },
    rss() {
      const status = fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8')
      return Number(/VmRSS:\s+(\d+)/.exec(status)![1]) * 1024
    },
    async stop(signal = 'SIGTERM') {
      if (proc.exitCode !== null) return proc.exitCode
      proc.kill(signal)
      const t = setTimeout(() => proc.kill('SIGKILL'), 15_000)
      const code = await exited
      clearTimeout(t)
      if (!opts.dataDir) fs.rmSync(dataDir, { recursive: true, force: true })
      return code
    },
  }
}

/** Builds a multipart body for fetch (FormData with a file part). */
export function uploadForm(fields: Record<string, string>, file: { name: string; content: string | Buffer | Blob }): FormData {
  const form = new FormData()
  for (const [k, v] of Object.entries(fields)) form.set(k, v)
  const blob = file.content instanceof Blob ? file.content : new Blob([file.content as Uint8Array<ArrayBuffer> | string])
  form.set('file', blob, file.name)
  return form
}
