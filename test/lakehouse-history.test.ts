/**
 * readHistory: newest first, paged with limit/offset, total for paging, fields from commitInfo
 * (Spark's, delta-rs's and ours).
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { SluiceError } from '../proto/errors.js'
import { commitActions, createTableActions, readHistory } from '../src/lakehouse/index.js'

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-history-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

const T0 = Date.UTC(2024, 5, 1)

async function tableWithVersions(t: Test, n: number): Promise<string> {
  const dir = tempTable(t)
  await commitActions(dir, 0, createTableActions({
    schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], files: [], engineInfo: 'Sluice/test', timestampMs: T0, userName: 'u0',
  }))
  for (let v = 1; v < n; v++) {
    await commitActions(dir, v, [
      { add: { path: `f${v}.parquet`, partitionValues: {}, size: v, modificationTime: 0, dataChange: true } },
      // delta-rs writes commitInfo last, with numeric metrics
      { commitInfo: { timestamp: T0 + v * 1000, operation: 'WRITE', operationParameters: { mode: 'Append' }, operationMetrics: { num_added_files: 1 }, clientVersion: 'delta-rs.py-1.1.0', readVersion: v - 1, isBlindAppend: true, job: { runId: `run-${v}` } } },
    ])
  }
  return dir
}

t.test('pages newest first', async (t) => {
  const dir = await tableWithVersions(t, 12)
  const all = await readHistory(dir, { limit: 100 })
  t.equal(all.total, 12)
  t.same(all.entries.map((e) => e.version), [11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0])
  const p1 = await readHistory(dir, { limit: 5 })
  const p2 = await readHistory(dir, { limit: 5, offset: 5 })
  const p3 = await readHistory(dir, { limit: 5, offset: 10 })
  const p4 = await readHistory(dir, { limit: 5, offset: 15 })
  t.same([p1, p2, p3, p4].map((p) => p.entries.map((e) => e.version)), [[11, 10, 9, 8, 7], [6, 5, 4, 3, 2], [1, 0], []])
  t.same([p1, p2, p3, p4].map((p) => p.total), [12, 12, 12, 12])
  t.same((await readHistory(dir, { limit: 0 })).entries, [])
})

t.test('entries carry commitInfo fields', async (t) => {
  const dir = await tableWithVersions(t, 3)
  const { entries } = await readHistory(dir)
  const v0 = entries[2]!
  t.equal(v0.operation, 'WRITE')
  t.same(v0.operationParameters, { mode: 'ErrorIfExists', partitionBy: '[]' })
  t.same(v0.operationMetrics, { numFiles: '0', numOutputBytes: '0', numOutputRows: '0' })
  t.equal(v0.userName, 'u0')
  t.equal(v0.engineInfo, 'Sluice/test')
  t.equal(v0.isBlindAppend, true)
  t.equal(v0.timestampMs, T0)
  const v2 = entries[0]!
  t.same(v2.operationMetrics, { num_added_files: 1 })
  t.equal(v2.engineInfo, 'delta-rs.py-1.1.0', 'clientVersion when there is no engineInfo')
  t.equal(v2.runId, 'run-2', 'job.runId')
  t.equal(v2.readVersion, 1)
  t.equal(v2.timestampMs, T0 + 2000)
})

t.test('bad paging parameters and non-Delta folders', async (t) => {
  const dir = await tableWithVersions(t, 1)
  for (const bad of [{ limit: -1 }, { offset: -1 }, { limit: 1.5 }]) {
    const err = await readHistory(dir, bad).then(() => null, (e: unknown) => e)
    t.ok(err instanceof SluiceError && err.code === 'invalid_parameter', JSON.stringify(bad))
  }
  const plain = tempTable(t)
  const err = await readHistory(plain).then(() => null, (e: unknown) => e)
  t.ok(err instanceof SluiceError && err.code === 'not_a_delta_table' && err.status === 422)
})
