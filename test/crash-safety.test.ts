// SIGKILL at every pause point of an upload (new dataset and append): after a restart every
// table opens at its last committed version with exactly that version's rows.
import t, { type Test } from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

const csv = (from: number, n: number) => ['id,v', ...Array.from({ length: n }, (_, i) => `${from + i},x${from + i}`)].join('\n') + '\n'

async function waitForHook(s: TestServer, point: string): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (s.logs.some((l) => l.includes('"msg":"test-hook"') && l.includes(`"point":"${point}"`))) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`the server never reached ${point}`)
}

async function count(s: TestServer, name: string): Promise<number | null> {
  const r = await s.api(`/api/datasets/${name}/explore?select=n:count()`)
  if (r.status === 404) return null
  const body = (await r.json()) as { rows: { n: number }[] }
  return body.rows[0].n
}

/** Every commit file in every table parses as JSON lines (no partial commit is visible). */
function assertLogsWhole(t: Test, dataDir: string): void {
  const tables = path.join(dataDir, 'tables')
  if (!fs.existsSync(tables)) return
  for (const id of fs.readdirSync(tables)) {
    const log = path.join(tables, id, '_delta_log')
    if (!fs.existsSync(log)) continue
    for (const f of fs.readdirSync(log).filter((n) => /^\d{20}\.json$/.test(n))) {
      const text = fs.readFileSync(path.join(log, f), 'utf8')
      t.doesNotThrow(() => text.trim().split('\n').forEach((l) => JSON.parse(l)), `${id}/${f} is complete`)
    }
  }
}

const POINTS = ['upload.before-data', 'upload.after-data', 'commit.after-temp', 'commit.after-link'] as const

t.test('crash safety of uploads', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-crash-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const env = { JWT_SECRET: 'crash-test-secret' }
  const seed = await startServer(env, { dataDir })
  t.equal((await seed.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'base' }, { name: 'b.csv', content: csv(0, 10) }) })).status, 201)
  await seed.stop()
  let expectedBase = 10
  let next = 10

  for (const point of POINTS) {
    for (const kind of ['new', 'append'] as const) {
      const s = await startServer({ ...env, SLUICE_TEST_HOOKS: '1', SLUICE_PAUSE_AT: point }, { dataDir })
      const name = kind === 'new' ? `fresh_${point.replace(/\W/g, '_')}` : 'base'
      const fields: Record<string, string> = kind === 'new' ? { name } : { name, mode: 'append' }
      const pending = s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm(fields, { name: 'u.csv', content: csv(next, 5) }) }).catch(() => null)
      await waitForHook(s, point)
      s.proc.kill('SIGKILL')
      await pending
      await s.stop()
      const committed = point === 'commit.after-link'

      const after = await startServer(env, { dataDir })
      if (kind === 'append') {
        if (committed) expectedBase += 5
        t.equal(await count(after, 'base'), expectedBase, `append killed at ${point}: base has ${expectedBase} rows`)
        const sum = (await (await after.api('/api/datasets/base/explore?select=s:id.sum()')).json()) as { rows: { s: number }[] }
        t.ok(sum.rows[0].s >= 45, 'and its rows read back')
      } else {
        // A new dataset is registered only after its commit: killed before that, it does not exist.
        // (killed after its commit, the unregistered table is swept at a later start; see main.ts)
        t.equal(await count(after, name), null, `new dataset killed at ${point} is not half-visible`)
      }
      t.same(fs.existsSync(path.join(dataDir, 'tmp')) ? fs.readdirSync(path.join(dataDir, 'tmp')) : [], [], 'temp files are cleared at start')
      assertLogsWhole(t, dataDir)
      await after.stop()
      next += 5
    }
  }

  // Appends killed after their files moved in (upload.after-data, commit.after-temp) left
  // untracked data files: VACUUM full removes them, and the table reads the same.
  const s = await startServer({ ...env, VACUUM_ALLOW_SHORT_RETENTION: '1' }, { dataDir })
  t.teardown(() => s.stop())
  const vac = await s.api('/api/datasets/base/vacuum', { method: 'POST', body: JSON.stringify({ mode: 'full', retention_hours: 0 }), headers: { 'content-type': 'application/json' } })
  t.equal(vac.status, 200)
  const result = (await vac.json()) as { files_deleted: number }
  t.equal(result.files_deleted, 2, 'the two orphaned data files are vacuumed')
  t.equal(await count(s, 'base'), expectedBase, 'and the table still has its committed rows')
})
