/** Starts dist/src/main.js for a benchmark run and reads its RSS. */
import { spawn, type ChildProcess } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import crypto from 'node:crypto'
import { fileURLToPath } from 'node:url'
import * as jose from 'jose'

const MAIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'src', 'main.js')

export interface BenchServer {
  url: string; token: string; proc: ChildProcess; dataDir: string; rss(): number; stop(): Promise<void>
  /** a token for org "bench" with these roles (the default token has admin and editor) */
  tokenFor(roles: string[]): Promise<string>
}

/** `nodeArgs`: flags for node itself (e.g. `--cpu-prof`, which NODE_OPTIONS refuses). */
export async function startBenchServer(dataDir: string, env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<BenchServer> {
  const secret = crypto.randomBytes(24).toString('base64url')
  const proc = spawn(process.execPath, [...nodeArgs, MAIN], {
    env: { ...process.env, PORT: '0', HOST: '127.0.0.1', DATA_DIR: dataDir, JWT_SECRET: secret, LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const port = await new Promise<number>((resolve, reject) => {
    let buf = ''
    proc.stdout!.on('data', (c: Buffer) => {
      buf += c.toString()
      const m = /\{"msg":"listening","port":(\d+)\}/.exec(buf)
      if (m) resolve(Number(m[1]))
    })
    proc.on('exit', (code) => reject(new Error(`server exited with ${code}`)))
  })
  const tokenFor = (roles: string[]) => new jose.SignJWT({ org: 'bench', roles }).setProtectedHeader({ alg: 'HS256' })
    .setSubject('bench').setExpirationTime('2h').sign(new TextEncoder().encode(secret))
  const token = await tokenFor(['admin', 'editor'])
  return {
    url: `http://127.0.0.1:${port}`, token, proc, dataDir, tokenFor,
    rss: () => Number(/VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${proc.pid}/status`, 'utf8'))![1]) * 1024,
    stop: async () => {
      proc.kill('SIGTERM')
      await new Promise((r) => proc.on('exit', r))
    },
  }
}
