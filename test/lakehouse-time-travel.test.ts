/**
 * Time travel: by version and by timestamp. Timestamps come from commitInfo, else from the
 * commit file's mtime (set here with fs.utimes), and are made monotonic.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { rejects } from './helpers/errors.js'
import { commitActions, createTableActions, loadSnapshot, readHistory } from '../src/lakehouse/index.js'

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-tt-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}


const add = (name: string) => ({ add: { path: name, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } })
const commitFile = (dir: string, v: number) => path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`)

/** A table of versions 0..3 whose commits carry no commitInfo (versions 1..3), mtimes set explicitly. */
async function tableWithMtimes(t: Test, mtimesMs: number[]): Promise<string> {
  const dir = tempTable(t)
  const v0 = createTableActions({ schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], files: [], engineInfo: 'test' })
  await commitActions(dir, 0, v0.filter((a) => !('commitInfo' in a))) // no commitInfo at all
  for (let v = 1; v < mtimesMs.length; v++) await commitActions(dir, v, [add(`f${v}.parquet`)])
  mtimesMs.forEach((ms, v) => fs.utimesSync(commitFile(dir, v), new Date(ms), new Date(ms)))
  return dir
}

const T0 = Date.UTC(2024, 0, 1)
const MIN = 60_000

t.test('as_of resolves against commit file mtimes when there is no commitInfo', async (t) => {
  const dir = await tableWithMtimes(t, [T0, T0 + MIN, T0 + 2 * MIN, T0 + 3 * MIN])
  for (const [at, want] of [
    [T0, 0], [T0 + 1, 0], [T0 + MIN - 1, 0], [T0 + MIN, 1], [T0 + 2 * MIN + 30_000, 2], [T0 + 3 * MIN, 3], [T0 + 100 * MIN, 3],
  ] as const) {
    const s = await loadSnapshot(dir, { timestampMs: at })
    t.equal(s.version, want, `as of +${at - T0} ms → v${want}`)
    t.equal(s.files.length, want, 'the files of that version')
  }
  const err = await rejects(loadSnapshot(dir, { timestampMs: T0 - 1 }))
  t.equal(err.code, 'version_unavailable', 'before the first commit')
  t.equal(err.status, 422)
  t.match(err.message, 'earliest available version is 0')
})

t.test('mtimes out of order are made monotonic', async (t) => {
  // v2's file is older than v1's (copied, clock skew): v2 counts as v1 + 1 ms
  const dir = await tableWithMtimes(t, [T0, T0 + 2 * MIN, T0 + MIN, T0 + 3 * MIN])
  t.equal((await loadSnapshot(dir, { timestampMs: T0 + MIN })).version, 0, 'v2 is not before v1')
  t.equal((await loadSnapshot(dir, { timestampMs: T0 + 2 * MIN })).version, 1)
  t.equal((await loadSnapshot(dir, { timestampMs: T0 + 2 * MIN + 1 })).version, 2)
  const h = await readHistory(dir)
  t.same(h.entries.map((e) => e.timestampMs), [T0 + 3 * MIN, T0 + 2 * MIN + 1, T0 + 2 * MIN, T0])
})

t.test('commitInfo timestamps win over mtimes', async (t) => {
  const dir = tempTable(t)
  const ts = [T0, T0 + 10 * MIN, T0 + 20 * MIN]
  await commitActions(dir, 0, createTableActions({ schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], files: [], engineInfo: 'test', timestampMs: ts[0] }))
  await commitActions(dir, 1, [{ commitInfo: { timestamp: ts[1], operation: 'WRITE' } }, add('a.parquet')])
  // inCommitTimestamp, when present, is the commit's time
  await commitActions(dir, 2, [{ commitInfo: { timestamp: 1, inCommitTimestamp: ts[2], operation: 'WRITE' } }, add('b.parquet')])
  for (let v = 0; v < 3; v++) fs.utimesSync(commitFile(dir, v), new Date(T0 + 1000 * MIN), new Date(T0 + 1000 * MIN))
  t.equal((await loadSnapshot(dir, { timestampMs: T0 + 15 * MIN })).version, 1)
  t.equal((await loadSnapshot(dir, { timestampMs: T0 + 20 * MIN })).version, 2)
  t.equal((await loadSnapshot(dir, { version: 2 })).timestampMs, ts[2])
})

t.test('versions outside the log are unavailable; bad parameters are invalid', async (t) => {
  const dir = await tableWithMtimes(t, [T0, T0 + MIN])
  const above = await rejects(loadSnapshot(dir, { version: 2 }))
  t.equal(above.code, 'version_unavailable')
  t.match(above.message, 'latest version is 1')
  t.equal((await rejects(loadSnapshot(dir, { version: -1 }))).code, 'invalid_parameter')
  t.equal((await rejects(loadSnapshot(dir, { version: 1.5 }))).code, 'invalid_parameter')
  t.equal((await rejects(loadSnapshot(dir, { version: 0, timestampMs: T0 }))).code, 'invalid_parameter', 'version and as_of together')
  t.equal((await rejects(loadSnapshot(dir, { timestampMs: NaN }))).code, 'invalid_parameter')
})

t.test('commits cleaned up before a checkpoint: version_unavailable names the earliest version', async (t) => {
  // a real table whose commits 0..4 were cleaned up behind checkpoint 5
  const fixture = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'conformance', 'delta', 'checkpoints_vacuumed')
  t.test('needs the conformance fixtures', { skip: fs.existsSync(fixture) ? false : `no fixtures at ${fixture}` }, async (t) => {
    const err = await rejects(loadSnapshot(fixture, { version: 4 }, { allowUnsupportedColumns: true }))
    t.equal(err.code, 'version_unavailable')
    t.match(err.message, 'earliest available version is 5')
    const early = await rejects(loadSnapshot(fixture, { timestampMs: 0 }, { allowUnsupportedColumns: true }))
    t.equal(early.code, 'version_unavailable')
    t.equal((early.details as { earliestVersion: number }).earliestVersion, 5)
  })
})
