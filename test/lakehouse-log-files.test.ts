/**
 * Log listing and checkpoint choice: multi-part checkpoints count only when complete, a
 * damaged checkpoint falls back to an older one or to JSON, unknown files are ignored, a
 * folder without a log is not a Delta table.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { fileURLToPath } from 'node:url'
import { SluiceError } from '../proto/errors.js'
import { clearSnapshotCache, isDeltaTable, loadSnapshot } from '../src/lakehouse/index.js'
import { listLog } from '../src/lakehouse/log-files.js'
import { replayLog } from '../src/lakehouse/replay.js'

const confDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'conformance', 'delta')
const skip = fs.existsSync(confDir) ? false : `no conformance fixtures at ${confDir}`

/** A writable copy of a fixture table's log (data files are not needed for log tests). */
function copyLog(t: Test, table: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-log-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.cpSync(path.join(confDir, table, '_delta_log'), path.join(dir, '_delta_log'), { recursive: true })
  for (const f of fs.readdirSync(path.join(dir, '_delta_log'))) fs.chmodSync(path.join(dir, '_delta_log', f), 0o644)
  return dir
}
const log = (dir: string, name: string) => path.join(dir, '_delta_log', name)
const V10 = '00000000000000000010'

t.test('multi-part checkpoints', { skip }, async (t) => {
  const dir = copyLog(t, 'simple_table_with_checkpoint')
  fs.renameSync(log(dir, `${V10}.checkpoint.parquet`), log(dir, `${V10}.checkpoint.0000000001.0000000002.parquet`))
  fs.copyFileSync(log(dir, `${V10}.checkpoint.0000000001.0000000002.parquet`), log(dir, `${V10}.checkpoint.0000000002.0000000002.parquet`))
  let s = await replayLog(dir)
  t.equal(s.checkpointVersion, 10, 'a complete 2-part checkpoint is used')
  t.equal(s.files.length, 11)
  t.equal((await listLog(dir)).checkpoints[0]!.kind, 'multipart')
  fs.rmSync(log(dir, `${V10}.checkpoint.0000000002.0000000002.parquet`))
  clearSnapshotCache() // otherwise the state replayed above is reused, rightly
  s = await replayLog(dir)
  t.equal(s.checkpointVersion, null, 'an incomplete one is ignored: JSON replay')
  t.equal(s.files.length, 11)
})

t.test('a damaged checkpoint falls back', { skip }, async (t) => {
  const dir = copyLog(t, 'simple_table_with_checkpoint')
  fs.writeFileSync(log(dir, `${V10}.checkpoint.parquet`), 'not parquet')
  const s = await replayLog(dir)
  t.equal(s.checkpointVersion, null, 'to the JSON commits')
  t.equal(s.files.length, 11)

  const vac = copyLog(t, 'checkpoints_vacuumed')
  fs.writeFileSync(log(vac, `${V10}.checkpoint.parquet`), 'PAR1 garbage PAR1')
  const v = await replayLog(vac)
  t.equal(v.checkpointVersion, 5, 'to the older checkpoint')
  t.equal(v.files.length, 12)
})

t.test('cleaned-up commits without a bridging checkpoint', { skip }, async (t) => {
  const dir = copyLog(t, 'checkpoints_vacuumed')
  fs.rmSync(log(dir, '00000000000000000005.checkpoint.parquet'))
  const s = await replayLog(dir)
  t.equal(s.earliestVersion, 10, 'without checkpoint 5 nothing before 10 can be rebuilt')
  const err = await replayLog(dir, { version: 7 }).then(() => null, (e: unknown) => e as SluiceError)
  t.equal(err?.code, 'version_unavailable')
  t.match(err?.message, 'earliest available version is 10')
  fs.rmSync(log(dir, `${V10}.checkpoint.parquet`))
  const broken = await replayLog(dir).then(() => null, (e: unknown) => e as SluiceError)
  t.equal(broken?.code, 'unsupported_table', 'no way to rebuild the latest version')
})

t.test('files that are not commits or checkpoints are ignored', { skip }, async (t) => {
  const dir = copyLog(t, 'delta-0.8.0')
  fs.mkdirSync(log(dir, '.tmp'))
  fs.writeFileSync(log(dir, '.tmp/00000000000000000002.json'), '{"add":{"path":"x","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true}}')
  fs.writeFileSync(log(dir, '00000000000000000002.crc'), '{}')
  fs.writeFileSync(log(dir, '00000000000000000003.json.tmp'), 'garbage')
  fs.writeFileSync(log(dir, '2.json'), 'garbage')
  fs.writeFileSync(log(dir, '00000000000000000000.00000000000000000001.compacted.json'), 'garbage')
  fs.writeFileSync(log(dir, '_last_checkpoint'), '{"version":99}')
  const s = await replayLog(dir)
  t.equal(s.version, 1)
  t.equal(s.files.length, 2)
})

t.test('not a Delta table', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-plain-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.writeFileSync(path.join(dir, 'part-0.parquet'), 'x')
  t.equal(await isDeltaTable(dir), false)
  const err = await loadSnapshot(dir).then(() => null, (e: unknown) => e as SluiceError)
  t.equal(err?.code, 'not_a_delta_table')
  t.equal(err?.status, 422)
  fs.mkdirSync(path.join(dir, '_delta_log'))
  t.equal(await isDeltaTable(dir), false, 'an empty _delta_log')
  t.equal(await isDeltaTable(path.join(dir, 'missing')), false)
})

t.test('files outside the table directory are refused', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-escape-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, '_delta_log'))
  const base = [
    '{"protocol":{"minReaderVersion":1,"minWriterVersion":2}}',
    '{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\\"type\\":\\"struct\\",\\"fields\\":[{\\"name\\":\\"a\\",\\"type\\":\\"long\\",\\"nullable\\":true,\\"metadata\\":{}}]}","partitionColumns":[],"configuration":{}}}',
  ]
  for (const bad of ['../other/part.parquet', '%2E%2E/other/part.parquet', 'file:///etc/passwd', 's3://bucket/part.parquet']) {
    fs.writeFileSync(path.join(dir, '_delta_log', '00000000000000000000.json'), [...base, JSON.stringify({ add: { path: bad, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } })].join('\n'))
    const err = await loadSnapshot(dir).then(() => null, (e: unknown) => e as SluiceError)
    t.equal(err?.code, 'unsupported_table', bad)
  }
  fs.writeFileSync(path.join(dir, '_delta_log', '00000000000000000000.json'), [...base, JSON.stringify({ add: { path: `file://${dir}/sub/p.parquet`, partitionValues: {}, size: 1, modificationTime: 1, dataChange: true } })].join('\n'))
  t.equal((await loadSnapshot(dir)).files[0]!.absolutePath, path.join(dir, 'sub', 'p.parquet'), 'an absolute file URI inside the table is fine')
})

t.test('a commit that is not JSON is an error, unknown actions and fields are not', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-json-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  fs.mkdirSync(path.join(dir, '_delta_log'))
  const lines = [
    '{"protocol":{"minReaderVersion":1,"minWriterVersion":2,"futureField":1}}',
    '{"metaData":{"id":"x","format":{"provider":"parquet","options":{}},"schemaString":"{\\"type\\":\\"struct\\",\\"fields\\":[{\\"name\\":\\"a\\",\\"type\\":\\"long\\",\\"nullable\\":true,\\"metadata\\":{}}]}","partitionColumns":[],"configuration":{}}}',
    '{"someFutureAction":{"x":1}}',
    '',
    '{"add":{"path":"a.parquet","partitionValues":{},"size":1,"modificationTime":1,"dataChange":true,"newThing":{"y":2}}}',
  ]
  fs.writeFileSync(path.join(dir, '_delta_log', '00000000000000000000.json'), lines.join('\n'))
  t.equal((await loadSnapshot(dir)).files.length, 1)
  fs.writeFileSync(path.join(dir, '_delta_log', '00000000000000000001.json'), '{"add":')
  const err = await loadSnapshot(dir).then(() => null, (e: unknown) => e as SluiceError)
  t.equal(err?.code, 'unsupported_table')
  t.match(err?.message, 'commit 1')
})
