/**
 * commitWithRetry conflict rules, made deterministic by committing from a stale readVersion
 * (what a writer that lost the race sees). The contract for an overwrite racing an append:
 * both land, and the table ends up as if they ran in commit order — an append committed
 * before the overwrite is removed by it (the overwrite is rebased), one committed after it
 * stays. An overwrite that changes the schema conflicts (409) with any earlier winner; an
 * append after it lands only when its files fit the new schema.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { SluiceError } from '../proto/errors.js'
import type { Field } from '../proto/types.js'
import {
  appendActions, commitActions, commitWithRetry, createTableActions, loadSnapshot, overwriteActions, removeAction,
  type CommitIntent,
} from '../src/lakehouse/index.js'

const schema: Field[] = [
  { name: 'id', type: 'int64', nullable: true },
  { name: 'label', type: 'string', nullable: true },
]
const ENGINE = 'Sluice-test'

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-conflict-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

const file = (name: string, rows = 10) => ({ path: name, size: 100, stats: { numRecords: rows } })

async function newTable(t: Test, files: string[] = ['f1.parquet', 'f2.parquet']): Promise<string> {
  const dir = tempTable(t)
  await commitActions(dir, 0, createTableActions({ schema, partitionColumns: [], files: files.map((f) => file(f)), engineInfo: ENGINE }))
  return dir
}

async function appendIntent(dir: string, readVersion: number, name: string): Promise<CommitIntent> {
  const snap = await loadSnapshot(dir, { version: readVersion })
  return { actions: appendActions(snap, { files: [file(name)], engineInfo: ENGINE }), readVersion, readPaths: [], blindAppend: true, changesMetadata: false }
}

async function overwriteIntent(dir: string, readVersion: number, names: string[], newSchema?: Field[]): Promise<CommitIntent> {
  const snap = await loadSnapshot(dir, { version: readVersion })
  return {
    actions: overwriteActions(snap, { files: names.map((n) => file(n)), engineInfo: ENGINE, ...(newSchema ? { schema: newSchema } : {}) }),
    readVersion, readPaths: snap.files.map((f) => f.path), blindAppend: false, changesMetadata: newSchema !== undefined,
  }
}

/** OPTIMIZE-like: rewrite `inputs` into `output` (dataChange false). */
async function compactIntent(dir: string, readVersion: number, inputs: string[], output: string): Promise<CommitIntent> {
  const snap = await loadSnapshot(dir, { version: readVersion })
  const now = Date.now()
  const actions: object[] = [
    { commitInfo: { timestamp: now, operation: 'OPTIMIZE', operationParameters: { predicate: '[]' } } },
    ...snap.files.filter((f) => inputs.includes(f.path)).map((f) => { const { absolutePath: _a, ...add } = f; return removeAction(add, { dataChange: false, timestampMs: now }) }),
    { add: { path: output, partitionValues: {}, size: 200, modificationTime: now, dataChange: false } },
  ]
  return { actions, readVersion, readPaths: inputs, blindAppend: false, changesMetadata: false }
}

async function conflict(t: Test, p: Promise<unknown>): Promise<SluiceError> {
  const err = await p.then(() => null, (e: unknown) => e)
  t.ok(err instanceof SluiceError, 'rejects with a SluiceError')
  t.equal((err as SluiceError).status, 409)
  t.equal((err as SluiceError).code, 'concurrent_modification')
  return err as SluiceError
}

const paths = async (dir: string, version?: number) => (await loadSnapshot(dir, version === undefined ? {} : { version })).files.map((f) => f.path).sort()
const commitLines = (dir: string, v: number) =>
  fs.readFileSync(path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, Record<string, unknown>>)

t.test('a blind append that lost the race lands at the next free version', async (t) => {
  const dir = await newTable(t)
  const a = await commitWithRetry(dir, await appendIntent(dir, 0, 'a.parquet'))
  t.same(a, { version: 1, attempts: 1, checkpoint: null })
  const b = await commitWithRetry(dir, await appendIntent(dir, 0, 'b.parquet')) // read v0: stale
  t.equal(b.version, 2)
  t.equal(b.attempts, 2, 'the first attempt hit the existing version 1')
  const ci = commitLines(dir, 2)[0]!.commitInfo!
  t.equal(ci.readVersion, 0, 'commitInfo.readVersion is the version the writer read')
  t.equal(ci.isBlindAppend, true)
  t.same(await paths(dir), ['a.parquet', 'b.parquet', 'f1.parquet', 'f2.parquet'])
})

t.test('overwrite, then a stale append: both land; the append stays (commit order)', async (t) => {
  const dir = await newTable(t)
  const append = await appendIntent(dir, 0, 'a.parquet')
  t.equal((await commitWithRetry(dir, await overwriteIntent(dir, 0, ['o.parquet']))).version, 1)
  const r = await commitWithRetry(dir, append)
  t.same([r.version, r.attempts], [2, 2])
  t.same(await paths(dir), ['a.parquet', 'o.parquet'])
})

t.test('append, then a stale overwrite: the overwrite is rebased and removes the appended file too', async (t) => {
  const dir = await newTable(t)
  const overwrite = await overwriteIntent(dir, 0, ['o.parquet'])
  await commitWithRetry(dir, await appendIntent(dir, 0, 'a.parquet'))
  const r = await commitWithRetry(dir, overwrite)
  t.same([r.version, r.attempts], [2, 2])
  t.same(await paths(dir), ['o.parquet'], 'the table holds exactly what the overwrite wrote')
  const removed = commitLines(dir, 2).filter((l) => l.remove).map((l) => l.remove!.path).sort()
  t.same(removed, ['a.parquet', 'f1.parquet', 'f2.parquet'])
  t.same(await paths(dir, 1), ['a.parquet', 'f1.parquet', 'f2.parquet'], 'version 1 still reads the append')
  t.same(overwrite.actions.filter((a) => 'remove' in a).length, 2, "the caller's actions are not changed")
})

t.test('an overwrite rebased over OPTIMIZE removes the compacted file, not the inputs twice', async (t) => {
  const dir = await newTable(t)
  const overwrite = await overwriteIntent(dir, 0, ['o.parquet'])
  await commitWithRetry(dir, await compactIntent(dir, 0, ['f1.parquet', 'f2.parquet'], 'c.parquet'))
  await commitWithRetry(dir, overwrite)
  t.same(await paths(dir), ['o.parquet'])
  t.same(commitLines(dir, 2).filter((l) => l.remove).map((l) => l.remove!.path), ['c.parquet'])
})

t.test('OPTIMIZE loses to a writer that removed one of its inputs, not to an append', async (t) => {
  const dir = await newTable(t)
  const compact = await compactIntent(dir, 0, ['f1.parquet', 'f2.parquet'], 'c.parquet')
  await commitWithRetry(dir, await appendIntent(dir, 0, 'a.parquet'))
  t.equal((await commitWithRetry(dir, compact)).version, 2, 'an append does not touch its inputs')
  t.same(await paths(dir), ['a.parquet', 'c.parquet'])

  const dir2 = await newTable(t)
  const compact2 = await compactIntent(dir2, 0, ['f1.parquet', 'f2.parquet'], 'c.parquet')
  await commitWithRetry(dir2, await overwriteIntent(dir2, 0, ['o.parquet']))
  const err = await conflict(t, commitWithRetry(dir2, compact2))
  t.match(err.message, /version 1 removed "f[12]\.parquet", which this operation read/)
  t.same(await paths(dir2), ['o.parquet'], 'nothing was committed')
})

t.test('an overwrite that changes the schema conflicts with any earlier winner', async (t) => {
  const dir = await newTable(t)
  const overwrite = await overwriteIntent(dir, 0, ['o.parquet'], [...schema, { name: 'extra', type: 'boolean', nullable: true }])
  await commitWithRetry(dir, await appendIntent(dir, 0, 'a.parquet'))
  const err = await conflict(t, commitWithRetry(dir, overwrite))
  t.match(err.message, 'version 1 was committed after version 0, which this metadata change read')
})

t.test('an append after a schema change lands when its files fit the new schema, else 409', async (t) => {
  const dir = await newTable(t)
  const append = await appendIntent(dir, 0, 'a.parquet')
  await commitWithRetry(dir, await overwriteIntent(dir, 0, ['o.parquet'], [...schema, { name: 'extra', type: 'boolean', nullable: true }]))
  t.equal((await commitWithRetry(dir, append)).version, 2, 'a new nullable column reads as null in the appended file')

  const dir2 = await newTable(t)
  const append2 = await appendIntent(dir2, 0, 'a.parquet')
  await commitWithRetry(dir2, await overwriteIntent(dir2, 0, ['o.parquet'], [{ name: 'id', type: 'string', nullable: true }, schema[1]!]))
  const err = await conflict(t, commitWithRetry(dir2, append2))
  t.match(err.message, 'version 1 changed the table')
  t.match(err.message, 'column "id" is int64 in the file but string in the table')
  t.same(await paths(dir2), ['o.parquet'])
})

t.test('a winner that changes the protocol: a blind append checks it can still write', async (t) => {
  const dir = await newTable(t)
  const ok = await appendIntent(dir, 0, 'a.parquet')
  const refused = await appendIntent(dir, 0, 'b.parquet')
  await commitActions(dir, 1, [{ protocol: { minReaderVersion: 1, minWriterVersion: 2 } }])
  t.equal((await commitWithRetry(dir, ok)).version, 2, 'a protocol Sluice can write')
  await commitActions(dir, 3, [{ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: ['rowTracking'] } }])
  const err = await conflict(t, commitWithRetry(dir, refused))
  t.match(err.message, "version 3 changed the table's protocol")
  t.match(err.message, 'rowTracking')
})

t.test('txn for the same application conflicts', async (t) => {
  const dir = await newTable(t)
  const intent = await appendIntent(dir, 0, 'a.parquet')
  intent.actions.push({ txn: { appId: 'stream-1', version: 5, lastUpdated: Date.now() } })
  await commitActions(dir, 1, [{ txn: { appId: 'stream-1', version: 5, lastUpdated: Date.now() } }])
  const err = await conflict(t, commitWithRetry(dir, intent))
  t.match(err.message, 'application "stream-1"')
})

t.test('gives up after maxAttempts; an aborted signal commits nothing', async (t) => {
  const dir = await newTable(t)
  const stale = await appendIntent(dir, 0, 'b.parquet')
  await commitWithRetry(dir, await appendIntent(dir, 0, 'a.parquet'))
  const err = await conflict(t, commitWithRetry(dir, stale, { maxAttempts: 1 }))
  t.match(err.message, 'gave up after 1 attempts')
  const ac = new AbortController()
  ac.abort(new Error('client went away'))
  await t.rejects(commitWithRetry(dir, await appendIntent(dir, 1, 'c.parquet'), { signal: ac.signal }), { message: 'client went away' })
  t.equal((await loadSnapshot(dir)).version, 1, 'no version was committed')
})

t.test('a readVersion that does not exist is refused', async (t) => {
  const dir = await newTable(t)
  const intent = await appendIntent(dir, 0, 'a.parquet')
  await t.rejects(commitWithRetry(dir, { ...intent, readVersion: 5 }), { code: 'version_unavailable' })
})

t.test('every 10th version is checkpointed; a failing checkpoint never fails the commit', async (t) => {
  const dir = await newTable(t)
  for (let v = 1; v <= 9; v++) t.equal((await commitWithRetry(dir, await appendIntent(dir, v - 1, `a${v}.parquet`))).checkpoint, null)
  const failing = await commitWithRetry(dir, await appendIntent(dir, 9, 'a10.parquet'), {
    checkpointWriter: async () => { throw new Error('disk full') },
  })
  t.same(failing, { version: 10, attempts: 1, checkpoint: { status: 'failed', reason: 'disk full' } })
  t.notOk(fs.existsSync(path.join(dir, '_delta_log', '00000000000000000010.checkpoint.parquet')))
  for (let v = 11; v <= 19; v++) await commitWithRetry(dir, await appendIntent(dir, v - 1, `a${v}.parquet`))
  const ok = await commitWithRetry(dir, await appendIntent(dir, 19, 'a20.parquet'))
  t.same(ok.checkpoint, { status: 'written' })
  t.ok(fs.existsSync(path.join(dir, '_delta_log', '00000000000000000020.checkpoint.parquet')))
  const off = await commitWithRetry(dir, await appendIntent(dir, 20, 'a21.parquet'), { checkpointInterval: 0 })
  t.equal(off.checkpoint, null)
})
