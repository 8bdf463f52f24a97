/**
 * The snapshot cache never serves stale state: new commits are seen, a table recreated at the
 * same path is re-read, time travel is unaffected, and cached snapshots cannot be mutated.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { commitActions, createTableActions, loadSnapshot, clearSnapshotCache } from '../src/lakehouse/index.js'

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cache-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}
const create = (files: string[]) => createTableActions({
  schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], engineInfo: 't',
  files: files.map((p) => ({ path: p, size: 1 })),
})
const add = (p: string) => ({ add: { path: p, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } })
const remove = (p: string) => ({ remove: { path: p, deletionTimestamp: 0, dataChange: true } })
const paths = async (dir: string, version?: number) => (await loadSnapshot(dir, version === undefined ? {} : { version })).files.map((f) => f.path).sort()

t.test('new commits are applied on top of the cached state', async (t) => {
  clearSnapshotCache()
  const dir = tempTable(t)
  await commitActions(dir, 0, create(['a']))
  t.same(await paths(dir), ['a'])
  await commitActions(dir, 1, [add('b')])
  t.same(await paths(dir), ['a', 'b'])
  await commitActions(dir, 2, [remove('a'), add('c')])
  t.same(await paths(dir), ['b', 'c'])
  t.same(await paths(dir, 1), ['a', 'b'], 'older versions still replay correctly')
  t.same(await paths(dir, 0), ['a'])
  t.same(await paths(dir), ['b', 'c'])
})

t.test('a table recreated at the same path is re-read', async (t) => {
  const dir = tempTable(t)
  await commitActions(dir, 0, create(['old-1', 'old-2']))
  t.same(await paths(dir), ['old-1', 'old-2'])
  fs.rmSync(path.join(dir, '_delta_log'), { recursive: true })
  await commitActions(dir, 0, create(['new']))
  t.same(await paths(dir), ['new'])
})

t.test('cached snapshots are read-only', async (t) => {
  const dir = tempTable(t)
  await commitActions(dir, 0, create(['a']))
  const s1 = await loadSnapshot(dir)
  t.throws(() => { (s1.files[0] as { size: number }).size = 99 })
  s1.files.push({ ...s1.files[0]!, path: 'intruder' })
  t.same(await paths(dir), ['a'], 'changing a returned array does not change the cache')
})
