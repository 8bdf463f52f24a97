/**
 * The checkpoint task module (dist/workers/checkpoint.js) on a real piscina pool, wired the
 * way the server wires it: configureCheckpoints routes commitWithRetry's checkpoints to the
 * pool. Failures come back as data (TaskResult), never as a thrown class.
 *
 * Needs `npm run build` first.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { Piscina } from 'piscina'
import type { TaskResult } from '../proto/errors.js'
import {
  appendActions, clearSnapshotCache, commitActions, commitWithRetry, configureCheckpoints, createTableActions, loadSnapshot,
  type CheckpointResult, type CheckpointTask,
} from '../src/lakehouse/index.js'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const WORKER = path.join(process.env.SLUICE_DIST ? path.resolve(ROOT, process.env.SLUICE_DIST) : path.join(ROOT, 'dist'), 'workers', 'checkpoint.js')
const built = fs.existsSync(WORKER)

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-ckworker-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

t.test('checkpoints written on a worker after every 10th commit', { skip: built ? false : 'run `npm run build` first' }, async (t) => {
  const pool = new Piscina({ filename: WORKER, maxThreads: 1 })
  t.teardown(() => pool.close({ force: true }))
  const tasks: CheckpointTask[] = []
  configureCheckpoints(async (tablePath, version) => {
    const task: CheckpointTask = { kind: 'delta-checkpoint', tablePath, version }
    tasks.push(task)
    const r = (await pool.run(task)) as TaskResult<CheckpointResult>
    if (!r.ok) throw new Error(`${r.code}: ${r.message}`)
    return r.value
  })
  t.teardown(() => configureCheckpoints(null))

  const dir = tempTable(t)
  await commitActions(dir, 0, createTableActions({ schema: [{ name: 'id', type: 'int64', nullable: true }], partitionColumns: [], files: [], engineInfo: 'test' }))
  let last = null
  for (let v = 1; v <= 10; v++) {
    const snap = await loadSnapshot(dir)
    last = await commitWithRetry(dir, {
      actions: appendActions(snap, { files: [{ path: `f${v}.parquet`, size: 1, stats: { numRecords: 1 } }], engineInfo: 'test' }),
      readVersion: snap.version, readPaths: [], blindAppend: true, changesMetadata: false,
    })
  }
  t.same(last, { version: 10, attempts: 1, checkpoint: { status: 'written' } })
  t.same(tasks, [{ kind: 'delta-checkpoint', tablePath: dir, version: 10 }], 'one task, for version 10')
  clearSnapshotCache()
  t.equal((await loadSnapshot(dir)).checkpointVersion, 10)

  t.same(await pool.run({ kind: 'delta-checkpoint', tablePath: dir, version: 10 }), { ok: true, value: { status: 'exists', version: 10 } })
  const missing = (await pool.run({ kind: 'delta-checkpoint', tablePath: path.join(dir, 'nope'), version: 1 })) as TaskResult<CheckpointResult>
  t.match(missing, { ok: false, status: 422, code: 'not_a_delta_table' }, 'a SluiceError comes back as data')
})
