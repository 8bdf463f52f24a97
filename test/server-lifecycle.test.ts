// Start-up refusal on the uWS fallback, health and readiness, request logs, graceful SIGTERM.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MAIN, startServer, uploadForm } from './helpers/server.js'

t.test('refuses to start on the pure-JS uWS fallback', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-fallback-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const r = spawnSync(process.execPath, [MAIN], {
    env: { ...process.env, UWS_USE_FALLBACK: '1', PORT: '0', DATA_DIR: dataDir, JWT_SECRET: 'x' },
    encoding: 'utf8', timeout: 20_000,
  })
  t.equal(r.status, 1, 'exits with status 1')
  t.match(r.stderr, /pure-JS fallback instead of the native binding/, 'says why')
})

t.test('health, readiness, logs, graceful shutdown', async (t) => {
  const s = await startServer()
  const health = await fetch(`${s.url}/healthz`)
  t.same([health.status, await health.json()], [200, { status: 'ok' }])
  const ready = await fetch(`${s.url}/readyz`)
  t.equal(ready.status, 200)
  t.match(await ready.json(), { status: 'ready', checks: { catalog: true, workers: true } })

  const r = await s.api('/api/datasets?limit=1', { headers: { 'x-request-id': 'req-42' } })
  await r.text()
  await new Promise((r) => setTimeout(r, 100))
  const line = s.logs.map((l) => { try { return JSON.parse(l) } catch { return null } })
    .find((l) => l?.msg === 'request' && l.request_id === 'req-42')
  t.match(line, { method: 'GET', route: 'GET /api/datasets', status: 200, request_id: 'req-42' }, 'one structured line per request')
  t.type(line?.bytes, 'number')
  t.type(line?.duration_ms, 'number')

  // SIGTERM while a stream is in flight: the stream finishes, then the process exits 0.
  const rows = ['n']
  for (let i = 0; i < 200_000; i++) rows.push(String(i))
  t.equal((await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'nums' }, { name: 'n.csv', content: rows.join('\n') }) })).status, 201)
  const res = await s.api('/api/datasets/nums/explore?format=ndjson')
  const reader = res.body!.getReader()
  await reader.read() // the stream has started
  s.proc.kill('SIGTERM')
  let text = ''
  const dec = new TextDecoder()
  for (let c = await reader.read(); !c.done; c = await reader.read()) text += dec.decode(c.value, { stream: true })
  const last = text.trim().split('\n').pop()
  t.equal(last, '{"n":199999}', 'the in-flight stream completed')
  const code = await new Promise<number | null>((resolve) => s.proc.exitCode !== null ? resolve(s.proc.exitCode) : s.proc.on('exit', resolve))
  t.equal(code, 0, 'exits cleanly after SIGTERM')
  await s.stop()
})
