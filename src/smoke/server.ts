/**
 * A Sluice server process for smoke commands (as loadtest/server.ts, but under src: the
 * compiled dist/src/main.js next to this file's folder), on a fresh data folder, with a JWT
 * secret of its own and a token maker. Stopped (and its folder removed) by `stop()`.
 */
import { spawn, type ChildProcess } from 'node:child_process'
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import * as jose from 'jose'

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'main.js')

export interface SmokeServer {
  url: string
  proc: ChildProcess
  /** fetch with a bearer token for org `smoke` and `roles` (default admin) */
  api(p: string, init?: RequestInit & { roles?: string[] }): Promise<Response>
  stop(): Promise<void>
}

export async function startSmokeServer(env: Record<string, string> = {}): Promise<SmokeServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-smoke-'))
  const secret = crypto.randomBytes(24).toString('base64url')
  const proc = spawn(process.execPath, [MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, JWT_SECRET: secret, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const stderr: string[] = []
  proc.stderr!.on('data', (c: Buffer) => stderr.push(c.toString()))
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    const timer = setTimeout(() => reject(new Error(`the server did not start: ${stderr.join('')}`)), 20_000)
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /\{"msg":"listening","port":(\d+)\}/.exec(buf)
      if (m) { clearTimeout(timer); resolve(Number(m[1])) }
    })
    proc.on('exit', (code) => { clearTimeout(timer); reject(new Error(`the server exited with ${code}: ${stderr.join('')}`)) })
  })
  const url = `http://127.0.0.1:${port}`
  const token = (roles: string[]) => new jose.SignJWT({ org: 'smoke', roles }).setProtectedHeader({ alg: 'HS256' })
    .setSubject('smoke').setIssuedAt().setExpirationTime('2h').sign(new TextEncoder().encode(secret))
  const exited = new Promise<void>((r) => proc.on('exit', () => r()))
  return {
    url, proc,
    async api(p, init = {}) {
      const headers = new Headers(init.headers)
      headers.set('authorization', `Bearer ${await token(init.roles ?? ['admin'])}`)
      return fetch(url + p, { ...init, headers })
    },
    async stop() {
      if (proc.exitCode === null) {
        proc.kill('SIGTERM')
        const t = setTimeout(() => proc.kill('SIGKILL'), 15_000)
        await exited
        clearTimeout(t)
      }
      fs.rmSync(dataDir, { recursive: true, force: true })
    },
  }
}
