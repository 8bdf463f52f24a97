/**
 * commitActions: put-if-absent commits. Two writers racing for one version: exactly one wins,
 * the other gets a recognisable conflict, and no temp file is left behind.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { commitActions, createTableActions, isCommitConflict, loadSnapshot } from '../src/lakehouse/index.js'
import { SluiceError } from '../proto/errors.js'

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-commit-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

const create = (n: number) =>
  createTableActions({
    schema: [{ name: 'id', type: 'int64', nullable: true }],
    partitionColumns: [],
    files: [{ path: `part-${n}.parquet`, size: 100 + n, stats: `{"numRecords":${n}}` }],
    engineInfo: 'Sluice-test',
  })

t.test('two concurrent commits of the same version: exactly one wins', async (t) => {
  for (let round = 0; round < 20; round++) {
    const dir = tempTable(t)
    const results = await Promise.allSettled([commitActions(dir, 0, create(1)), commitActions(dir, 0, create(2))])
    const won = results.filter((r) => r.status === 'fulfilled')
    const lost = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
    t.equal(won.length, 1, 'one writer wins')
    t.equal(lost.length, 1, 'one writer loses')
    const err = lost[0]!.reason
    t.ok(isCommitConflict(err), 'the loser can tell it lost a race')
    t.ok(err instanceof SluiceError)
    t.equal((err as SluiceError).status, 409)
    t.equal((err as SluiceError).code, 'concurrent_modification')
    t.same(fs.readdirSync(path.join(dir, '_delta_log', '.tmp')), [], 'temp files cleaned up')
    const snap = await loadSnapshot(dir)
    t.equal(snap.version, 0)
    t.equal(snap.files.length, 1)
    const winner = results[0]!.status === 'fulfilled' ? 'part-1.parquet' : 'part-2.parquet'
    t.equal(snap.files[0]!.path, winner, 'the committed content is the winner\'s, whole')
  }
})

t.test('the next version commits; a gap is refused; an existing version conflicts', async (t) => {
  const dir = tempTable(t)
  await commitActions(dir, 0, create(1))
  await commitActions(dir, 1, [{ commitInfo: { timestamp: Date.now(), operation: 'WRITE' } }, { add: { path: 'b.parquet', partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } }])
  const gap = await commitActions(dir, 3, create(3)).then(() => null, (e: unknown) => e)
  t.ok(gap instanceof SluiceError && gap.code === 'version_unavailable', 'version 3 without version 2 is refused')
  t.notOk(fs.existsSync(path.join(dir, '_delta_log', '00000000000000000003.json')))
  const again = await commitActions(dir, 1, create(9)).then(() => null, (e: unknown) => e)
  t.ok(isCommitConflict(again), 'committing an existing version is a conflict')
  t.notOk(isCommitConflict(new SluiceError(409, 'concurrent_modification', 'other')), 'only commit conflicts are tagged')
  const snap = await loadSnapshot(dir)
  t.equal(snap.version, 1)
  t.same(snap.files.map((f) => f.path).sort(), ['b.parquet', 'part-1.parquet'])
  t.same(fs.readdirSync(path.join(dir, '_delta_log', '.tmp')), [])
  const text = fs.readFileSync(path.join(dir, '_delta_log', '00000000000000000001.json'), 'utf8')
  t.equal(text.split('\n').filter(Boolean).length, 2, 'one action per line')
})

t.test('bigint values are written as exact JSON numbers', async (t) => {
  const dir = tempTable(t)
  const actions = create(1)
  ;(actions[0]!.commitInfo as Record<string, unknown>).big = 9007199254740993n
  await commitActions(dir, 0, actions)
  const text = fs.readFileSync(path.join(dir, '_delta_log', '00000000000000000000.json'), 'utf8')
  t.match(text, '"big":9007199254740993')
})
