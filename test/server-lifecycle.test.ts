// Start-up refusal on the uWS fallback, health and readiness, request logs, graceful SIGTERM.
import t from 'tap'
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MAIN, ROOT, startServer, uploadForm } from './helpers/server.js'

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

t.test('first start creates a secret and prints a working admin token; the CLI mints tokens for it', async (t) => {
  const s = await startServer({ JWT_SECRET: '' })
  t.teardown(() => s.stop())
  // printed after the "listening" line (the token is signed asynchronously): wait for it
  for (let i = 0; i < 200 && !/export TOKEN=\S+[\s\S]*curl/.test(s.stderr.join('')); i++) await new Promise((r) => setTimeout(r, 50))
  const printed = s.stderr.join('')
  const m = /export TOKEN=(\S+)/.exec(printed)
  if (!m) return t.fail(`no admin token printed: ${printed}`)
  t.pass('the admin token is printed')
  t.match(printed, /curl -H "Authorization: Bearer \$TOKEN"/, 'with a curl example')
  const admin = await fetch(`${s.url}/api/datasets`, { headers: { authorization: `Bearer ${m[1]}` } })
  t.equal(admin.status, 200, 'the printed token works')
  t.ok(fs.statSync(path.join(s.dataDir, 'jwt-secret')).mode & 0o600, 'the secret file exists')
  t.equal(fs.statSync(path.join(s.dataDir, 'jwt-secret')).mode & 0o077, 0, 'readable by its owner only')

  const cli = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'sluice.js'), 'token', '--org', 'default', '--sub', 'carol', '--roles', 'viewer'], {
    env: { ...process.env, DATA_DIR: s.dataDir, JWT_SECRET: '' }, encoding: 'utf8',
  })
  t.equal(cli.status, 0, cli.stderr)
  const minted = cli.stdout.trim()
  const viewer = await fetch(`${s.url}/api/datasets`, { headers: { authorization: `Bearer ${minted}` } })
  t.equal(viewer.status, 200, 'a CLI-minted token works')
  const denied = await fetch(`${s.url}/api/datasets/file/upload`, { method: 'POST', headers: { authorization: `Bearer ${minted}` }, body: uploadForm({ name: 'x' }, { name: 'x.csv', content: 'a\n1\n' }) })
  t.equal(denied.status, 403, 'with the roles it was given')
  const usage = spawnSync(process.execPath, [path.join(ROOT, 'bin', 'sluice.js'), 'token', '--sub', 'x'], { env: { ...process.env, DATA_DIR: s.dataDir }, encoding: 'utf8' })
  t.equal(usage.status, 2, 'missing --org is a usage error')
  t.match(usage.stderr, /usage: sluice token/)
})
