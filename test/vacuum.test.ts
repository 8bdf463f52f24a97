// VACUUM over HTTP: the retention floor (table property, VACUUM_ALLOW_SHORT_RETENTION), dry
// runs, lite (tombstoned files) and full (also old untracked files, never _delta_log or hidden
// entries), the VACUUM START / VACUUM END commits with Spark's parameters and metrics, async
// jobs, time travel to a vacuumed version, errors.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Int32 } from 'apache-arrow'
import { commitActions } from '../src/lakehouse/index.js'
import { generateRows } from './helpers/data.js'
import { orgDir, registered, schemaValidator, writeParquet } from './helpers/lakehouse.js'
import { dataFiles, post, readCommit, tableDirOf, uploadRows, waitForJob } from './helpers/maintenance.js'
import { startServer, type TestServer } from './helpers/server.js'

const vacuumResult = schemaValidator('VacuumResult')
const jobEnvelope = schemaValidator('JobEnvelope')
const WEEK_MS = 7 * 24 * 3600 * 1000
const latestVersion = (dir: string) => Math.max(...fs.readdirSync(path.join(dir, '_delta_log')).filter((n) => /^\d{20}\.json$/.test(n)).map((n) => Number(n.slice(0, 20))))
const count = async (s: TestServer, name: string, q = '') => {
  const r = await s.api(`/api/datasets/${name}/explore?select=n:count(),s:id.sum()${q}`)
  return { status: r.status, body: (await r.json()) as any }
}

t.test('VACUUM with the retention check on', async (t) => {
  const s = await startServer({ PARQUET_ROWS_PER_FILE: '500' })
  t.teardown(() => s.stop())
  const { id } = await uploadRows(s, 'events', generateRows(3_000, 1))
  const dir = tableDirOf(s, id)
  t.match(await post(s, '/api/datasets/events/optimize'), { status: 200, body: { committed: true, version: 1 } })

  await t.test('a retention below the table minimum is refused', async (t) => {
    for (const hours of ['0', '1', '167.5']) {
      const r = await post(s, `/api/datasets/events/vacuum?retention_hours=${hours}`)
      t.match(r, { status: 422, body: { error: 'invalid_parameter', message: /retention_hours.*at least 168.*VACUUM_ALLOW_SHORT_RETENTION/ } }, `${hours} hours`)
    }
    t.match(await post(s, '/api/datasets/events/vacuum', { retention_hours: -1 }), { status: 422, body: { error: 'invalid_parameter' } })
    t.match(await post(s, '/api/datasets/events/vacuum', { retention_hours: 'soon' }), { status: 422, body: { error: 'invalid_parameter' } })
    t.match(await post(s, '/api/datasets/events/vacuum', { mode: 'deep' }), { status: 422, body: { error: 'invalid_parameter', message: /mode/ } })
    t.match(await post(s, '/api/datasets/events/vacuum', { dry_run: 'perhaps' }), { status: 422, body: { error: 'invalid_parameter', message: /dry_run/ } })
    t.match(await post(s, '/api/datasets/events/vacuum', { inventory: 'x' }), { status: 422, body: { error: 'invalid_parameter', message: /inventory/ } })
    t.equal(latestVersion(dir), 1, 'nothing committed')
  })

  await t.test('the default retention (168 hours) keeps fresh tombstones; START and END are still recorded', async (t) => {
    const dry = await post(s, '/api/datasets/events/vacuum', { dry_run: true })
    t.match(dry, { status: 200, body: { dry_run: true, mode: 'lite', retention_hours: 168, num_files: 0, bytes: 0, files: [], start_version: null, end_version: null } })
    t.equal(latestVersion(dir), 1, 'a dry run commits nothing')
    const r = await post(s, '/api/datasets/events/vacuum', { retention_hours: 200 })
    t.match(r, { status: 200, body: { dry_run: false, num_files: 0, files_deleted: 0, start_version: 2, end_version: 3, retention_hours: 200 } })
    const start = readCommit(dir, 2)
    t.equal(start.length, 1, 'VACUUM START holds only commitInfo')
    t.match(start[0].commitInfo, {
      operation: 'VACUUM START', readVersion: 1,
      operationParameters: { retentionCheckEnabled: 'true', specifiedRetentionMillis: String(200 * 3_600_000), defaultRetentionMillis: String(WEEK_MS), vacuumType: 'LITE' },
      operationMetrics: { numFilesToDelete: '0', sizeOfDataToDelete: '0' },
    })
    t.match(readCommit(dir, 3)[0].commitInfo, {
      operation: 'VACUUM END', operationParameters: { status: 'COMPLETED' }, operationMetrics: { numDeletedFiles: '0', numVacuumedDirectories: '0' },
    })
    t.equal(dataFiles(dir).length, 7, 'every file is still there')
    t.match((await (await s.api('/api/datasets/events')).json()) as object, { version: 3 })
  })

  await t.test("the table's delta.deletedFileRetentionDuration sets the floor", async (t) => {
    const v = latestVersion(dir)
    const meta = readCommit(dir, 0).find((a) => a.metaData)!.metaData
    await commitActions(dir, v + 1, [
      { commitInfo: { timestamp: Date.now(), operation: 'SET TBLPROPERTIES', operationParameters: {} } },
      { metaData: { ...meta, configuration: { ...meta.configuration, 'delta.deletedFileRetentionDuration': 'interval 2 hours' } } },
    ])
    t.match(await post(s, '/api/datasets/events/vacuum?retention_hours=1.5'), { status: 422, body: { message: /at least 2 / } })
    const ok = await post(s, '/api/datasets/events/vacuum?retention_hours=2&dry_run=true')
    t.match(ok, { status: 200, body: { retention_hours: 2, num_files: 0 } })
    const dflt = await post(s, '/api/datasets/events/vacuum?dry_run=1')
    t.match(dflt, { status: 200, body: { retention_hours: 2 } }, 'and is the default')
  })

  await t.test('errors: permissions, other orgs, not Delta', async (t) => {
    t.match(await post(s, '/api/datasets/events/vacuum', undefined, { roles: ['viewer'] }), { status: 403, body: { error: 'forbidden' } })
    t.match(await post(s, '/api/datasets/events/vacuum', undefined, { roles: ['admin'], org: 'elsewhere' }), { status: 404, body: { error: 'dataset_not_found' } })
    const folder = path.join(orgDir(s), 'plain')
    writeParquet(path.join(folder, 'a.parquet'), { v: { type: new Int32(), values: [1] } })
    await registered(s, 'plain', 'plain')
    t.match(await post(s, '/api/datasets/plain/vacuum?dry_run=true'), { status: 422, body: { error: 'not_a_delta_table' } })
  })
})

t.test('VACUUM with VACUUM_ALLOW_SHORT_RETENTION=1', async (t) => {
  const s = await startServer({ PARQUET_ROWS_PER_FILE: '500', VACUUM_ALLOW_SHORT_RETENTION: '1' })
  t.teardown(() => s.stop())
  const { id } = await uploadRows(s, 'events', generateRows(3_000, 2))
  const dir = tableDirOf(s, id)
  const original = readCommit(dir, 0).filter((a) => a.add).map((a) => a.add)
  t.match(await post(s, '/api/datasets/events/optimize'), { status: 200, body: { committed: true, version: 1 } })
  const total = await count(s, 'events')

  // things full mode must never touch, all old enough to go if they were data
  const old = new Date(Date.now() - 30 * 24 * 3600 * 1000)
  const plant = (rel: string, content = 'x') => {
    const p = path.join(dir, rel)
    fs.mkdirSync(path.dirname(p), { recursive: true })
    fs.writeFileSync(p, content)
    fs.utimesSync(p, old, old)
    return p
  }
  const orphan = plant('part-99999-orphan.c000.zstd.parquet', 'orphan bytes')
  const keep = [plant('_delta_log/notes.txt'), plant('.hidden.parquet'), plant('_staging/part-1.parquet'), plant('.spark/part-2.parquet')]
  const fresh = path.join(dir, 'part-99998-fresh.c000.zstd.parquet')
  fs.writeFileSync(fresh, 'new')

  await t.test('a dry run lists the tombstoned files and deletes nothing', async (t) => {
    const r = await post(s, '/api/datasets/events/vacuum', { retention_hours: 0, dry_run: true })
    t.equal(r.status, 200)
    t.ok(vacuumResult(r.body), `a VacuumResult: ${vacuumResult.text()}`)
    t.match(r.body, { dry_run: true, mode: 'lite', retention_hours: 0, num_files: 6, files_deleted: 0, bytes_freed: 0, files_truncated: false, start_version: null })
    t.same(r.body.files, original.map((a) => a.path).sort(), 'exactly the files OPTIMIZE removed')
    t.equal(r.body.bytes, original.reduce((n, a) => n + a.size, 0))
    for (const a of original) t.ok(fs.existsSync(path.join(dir, a.path)), `${a.path} still there`)
    t.equal(latestVersion(dir), 1)
  })

  await t.test('lite deletes them between VACUUM START and VACUUM END', async (t) => {
    const r = await post(s, '/api/datasets/events/vacuum?retention_hours=0')
    t.equal(r.status, 200)
    t.ok(vacuumResult(r.body), `a VacuumResult: ${vacuumResult.text()}`)
    const bytes = original.reduce((n, a) => n + a.size, 0)
    t.match(r.body, { num_files: 6, files_deleted: 6, bytes, bytes_freed: bytes, start_version: 2, end_version: 3 })
    for (const a of original) t.notOk(fs.existsSync(path.join(dir, a.path)), `${a.path} deleted`)
    t.ok(fs.existsSync(orphan), 'lite leaves untracked files alone')
    t.match(readCommit(dir, 2)[0].commitInfo, {
      operation: 'VACUUM START', isBlindAppend: true,
      operationParameters: { retentionCheckEnabled: 'false', specifiedRetentionMillis: '0', defaultRetentionMillis: String(WEEK_MS), vacuumType: 'LITE' },
      operationMetrics: { numFilesToDelete: '6', sizeOfDataToDelete: String(bytes) },
    })
    t.match(readCommit(dir, 3)[0].commitInfo, { operation: 'VACUUM END', operationParameters: { status: 'COMPLETED' }, operationMetrics: { numDeletedFiles: '6', numVacuumedDirectories: '1' } })
    t.same(await count(s, 'events'), total, 'the latest version reads as before')
    t.same(await count(s, 'events', '&version=1'), total, 'so does the OPTIMIZE version')
    const again = await post(s, '/api/datasets/events/vacuum?retention_hours=0&dry_run=true')
    t.match(again.body, { num_files: 0 }, 'nothing left to delete')
  })

  await t.test('time travel to a version whose files are gone is 422 version_unavailable', async (t) => {
    const r = await count(s, 'events', '&version=0')
    t.match(r, { status: 422, body: { error: 'version_unavailable', message: /version 0 .*removed by VACUUM/ } })
  })

  await t.test('full also deletes old untracked files, never _delta_log, hidden entries or new files', async (t) => {
    const dry = await post(s, '/api/datasets/events/vacuum', { mode: 'full', retention_hours: 1, dry_run: true })
    t.match(dry, { status: 200, body: { mode: 'full', num_files: 1, files: ['part-99999-orphan.c000.zstd.parquet'], bytes: 'orphan bytes'.length } })
    const r = await post(s, '/api/datasets/events/vacuum', { mode: 'full', retention_hours: 1 })
    t.match(r, { status: 200, body: { files_deleted: 1, start_version: 4, end_version: 5 } })
    t.notOk(fs.existsSync(orphan), 'the orphan is gone')
    for (const p of keep) t.ok(fs.existsSync(p), `${path.relative(dir, p)} kept`)
    t.ok(fs.existsSync(fresh), 'a file newer than the retention is kept (a writer may be about to commit it)')
    t.match(readCommit(dir, 4)[0].commitInfo.operationParameters, { vacuumType: 'FULL', specifiedRetentionMillis: '3600000' })
    t.match(readCommit(dir, 5)[0].commitInfo.operationMetrics, { numDeletedFiles: '1', numVacuumedDirectories: '1' })
    t.same(await count(s, 'events'), total)
  })

  await t.test('async: a job with progress whose result is the VACUUM result', async (t) => {
    await uploadRows(s, 'other', generateRows(2_000, 9))
    t.match(await post(s, '/api/datasets/other/optimize'), { status: 200, body: { files_removed: 4 } })
    const r = await post(s, '/api/datasets/other/vacuum', { retention_hours: 0, async: true })
    t.equal(r.status, 202)
    t.ok(jobEnvelope(r.body), `a JobEnvelope: ${jobEnvelope.text()}`)
    t.match(r.body.job, { kind: 'vacuum', dataset: 'other' })
    const { job } = await waitForJob(s, r.body.job.id)
    t.equal(job.state, 'succeeded')
    t.ok(vacuumResult(job.result), `the job's result is a VacuumResult: ${vacuumResult.text()}`)
    t.match(job.result, { operation: 'VACUUM', files_deleted: 4, start_version: 2, end_version: 3 })
    t.match(job.progress, { percent: 100, phase: 'done', files_done: 4, files_total: 4 })
  })

  await t.test('full mode on a partitioned registered table removes emptied partition folders', async (t) => {
    const tdir = path.join(orgDir(s), 'parts')
    fs.mkdirSync(path.join(tdir, '_delta_log'), { recursive: true })
    const size = writeParquet(path.join(tdir, 'k=1', 'a.parquet'), { v: { type: new Int32(), values: [1, 2] } })
    const schemaString = JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }, { name: 'k', type: 'integer', nullable: true, metadata: {} }] })
    await commitActions(tdir, 0, [
      { commitInfo: { timestamp: Date.now(), operation: 'WRITE' } },
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { metaData: { id: 'parts', format: { provider: 'parquet', options: {} }, schemaString, partitionColumns: ['k'], configuration: {}, createdTime: Date.now() } },
      { add: { path: 'k=1/a.parquet', partitionValues: { k: '1' }, size, modificationTime: Date.now(), dataChange: true } },
    ])
    // an orphaned partition folder left by a crashed writer
    const stale = path.join(tdir, 'k=2')
    fs.mkdirSync(stale)
    fs.writeFileSync(path.join(stale, 'b.parquet'), 'x')
    fs.utimesSync(path.join(stale, 'b.parquet'), old, old)
    fs.utimesSync(stale, old, old)
    await registered(s, 'parts', 'parts')
    const r = await post(s, '/api/datasets/parts/vacuum', { mode: 'full', retention_hours: 0 })
    t.match(r, { status: 200, body: { files: ['k=2/b.parquet'], files_deleted: 1 } })
    t.notOk(fs.existsSync(stale), 'the emptied folder is removed')
    t.ok(fs.existsSync(path.join(tdir, 'k=1', 'a.parquet')))
    t.same(((await (await s.api('/api/datasets/parts/explore?select=v,k&order=v')).json()) as any).rows, [{ v: 1, k: 1 }, { v: 2, k: 1 }])
  })
})
