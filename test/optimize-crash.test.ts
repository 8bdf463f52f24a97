// SIGKILL at the maintenance pause points: OPTIMIZE killed after writing its files but before
// committing leaves the table at its last version with every row once (the new files are
// untracked orphans that VACUUM full removes); VACUUM killed after VACUUM START leaves a
// readable table, and the next VACUUM finishes the job.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { generateRows } from './helpers/data.js'
import { dataFiles, post, readCommit, tableDirOf, uploadRows } from './helpers/maintenance.js'
import { startServer, type TestServer } from './helpers/server.js'

async function waitForHook(s: TestServer, point: string): Promise<void> {
  for (let i = 0; i < 800; i++) {
    if (s.logs.some((l) => l.includes('"msg":"test-hook"') && l.includes(`"point":"${point}"`))) return
    await new Promise((r) => setTimeout(r, 25))
  }
  throw new Error(`the server never reached ${point}`)
}

const count = async (s: TestServer) =>
  ((await (await s.api('/api/datasets/events/explore?select=n:count(),s:id.sum()')).json()) as { rows: unknown[] }).rows[0]

t.test('crash safety of OPTIMIZE and VACUUM', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-maint-crash-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const env = { JWT_SECRET: 'maintenance-crash', PARQUET_ROWS_PER_FILE: '500', VACUUM_ALLOW_SHORT_RETENTION: '1' }
  const seed = await startServer(env, { dataDir })
  const { id } = await uploadRows(seed, 'events', generateRows(4_000, 8))
  const expected = await count(seed)
  await seed.stop()
  const dir = tableDirOf({ dataDir } as TestServer, id)
  const inputs = dataFiles(dir)
  t.equal(inputs.length, 8)

  await t.test('killed at optimize.after-data', async (t) => {
    const s = await startServer({ ...env, SLUICE_TEST_HOOKS: '1', SLUICE_PAUSE_AT: 'optimize.after-data' }, { dataDir })
    const pending = post(s, '/api/datasets/events/optimize').catch(() => null)
    await waitForHook(s, 'optimize.after-data')
    const orphans = dataFiles(dir).filter((f) => !inputs.includes(f))
    t.equal(orphans.length, 1, 'the compacted file was written')
    s.proc.kill('SIGKILL')
    await pending
    await s.stop()

    const after = await startServer(env, { dataDir })
    t.teardown(() => after.stop())
    t.same(await count(after), expected, 'the table reads its last committed version, every row once')
    t.notOk(fs.existsSync(path.join(dir, '_delta_log', `${'1'.padStart(20, '0')}.json`)), 'nothing was committed')
    t.match((await post(after, '/api/datasets/events/vacuum', { retention_hours: 0, dry_run: true })).body, { num_files: 0 }, 'lite does not see the orphan (no tombstone)')
    const full = await post(after, '/api/datasets/events/vacuum', { mode: 'full', retention_hours: 0 })
    t.match(full, { status: 200, body: { files: orphans, files_deleted: 1 } }, 'full removes it')
    t.same(dataFiles(dir), inputs)
    t.same(await count(after), expected)
    t.match(await post(after, '/api/datasets/events/optimize'), { status: 200, body: { committed: true, files_removed: 8 } }, 'OPTIMIZE then works')
    t.same(await count(after), expected)
  })

  await t.test('killed at vacuum.after-start', async (t) => {
    const s = await startServer({ ...env, SLUICE_TEST_HOOKS: '1', SLUICE_PAUSE_AT: 'vacuum.after-start' }, { dataDir })
    const logDir = path.join(dir, '_delta_log')
    const before = fs.readdirSync(logDir).filter((n) => n.endsWith('.json')).length
    const pending = post(s, '/api/datasets/events/vacuum', { retention_hours: 0 }).catch(() => null)
    await waitForHook(s, 'vacuum.after-start')
    s.proc.kill('SIGKILL')
    await pending
    await s.stop()
    const commits = fs.readdirSync(logDir).filter((n) => n.endsWith('.json')).sort()
    t.equal(commits.length, before + 1, 'VACUUM START was committed')
    const startVersion = Number(commits[commits.length - 1]!.slice(0, 20))
    t.match(readCommit(dir, startVersion)[0].commitInfo, { operation: 'VACUUM START', operationMetrics: { numFilesToDelete: '8' } })
    t.equal(dataFiles(dir).length, 9, 'nothing deleted yet')

    const after = await startServer(env, { dataDir })
    t.teardown(() => after.stop())
    t.same(await count(after), expected, 'the table reads')
    const again = await post(after, '/api/datasets/events/vacuum', { retention_hours: 0 })
    t.match(again, { status: 200, body: { files_deleted: 8, start_version: startVersion + 1, end_version: startVersion + 2 } }, 'the next VACUUM finishes the job')
    t.equal(dataFiles(dir).length, 1)
    t.same(await count(after), expected)
  })
})
