/**
 * createTableActions / appendActions / overwriteActions round trip through commitActions and
 * loadSnapshot; the schemaString is Spark's; commitInfo looks like Spark's.
 */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import type { Field } from '../proto/types.js'
import {
  appendActions, commitActions, createTableActions, loadSnapshot, overwriteActions, parsePartitionValues,
  parseSchemaString, readHistory,
} from '../src/lakehouse/index.js'
import { SluiceError } from '../proto/errors.js'

function tempTable(t: Test): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-create-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

const schema: Field[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'name', type: 'string', nullable: true },
  { name: 'small', type: 'int16', nullable: true },
  { name: 'i', type: 'int32', nullable: true },
  { name: 'f', type: 'float32', nullable: true },
  { name: 'd', type: 'float64', nullable: true },
  { name: 'amount', type: 'decimal', nullable: true, precision: 12, scale: 2 },
  { name: 'ok', type: 'boolean', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'at', type: 'timestamp', nullable: true },
  { name: 'blob', type: 'binary', nullable: true },
  { name: 'doc', type: 'json', nullable: true },
  { name: 'clock', type: 'time', nullable: true },
  { name: 'region', type: 'string', nullable: true },
]

t.test('create, read back, append, overwrite', async (t) => {
  const dir = tempTable(t)
  const actions = createTableActions({
    schema,
    partitionColumns: ['region'],
    files: [
      { path: 'region=EU/part-0.parquet', size: 1000, stats: '{"numRecords":3}', partitionValues: { region: 'EU' } },
      { path: 'region=A%2FB/part-1.parquet', size: 2000, stats: { numRecords: 4, minValues: { id: 9007199254740993n } }, partitionValues: { region: 'A/B' } },
      { path: 'region=__HIVE_DEFAULT_PARTITION__/part-2.parquet', size: 10, stats: '{"numRecords":1}', partitionValues: { region: null } },
    ],
    operation: 'CREATE TABLE AS SELECT',
    operationParameters: { isManaged: false, description: null, partitionBy: ['region'], properties: {} },
    engineInfo: 'Sluice/0.1.0',
    runId: 'job-42',
    userName: 'alice',
    description: 'sales',
  })
  t.same(actions.map((a) => Object.keys(a)[0]), ['commitInfo', 'protocol', 'metaData', 'add', 'add', 'add'])
  const ci = actions[0]!.commitInfo as Record<string, unknown>
  t.equal(typeof ci.timestamp, 'number')
  t.same(ci.operationParameters, { isManaged: 'false', description: null, partitionBy: '["region"]', properties: '{}' }, 'Spark-style string values')
  t.same(ci.operationMetrics, { numFiles: '3', numOutputBytes: '3010', numOutputRows: '8' }, 'metrics default from the files')
  t.equal(ci.isBlindAppend, true)
  t.equal(ci.engineInfo, 'Sluice/0.1.0')
  t.same(actions[1], { protocol: { minReaderVersion: 1, minWriterVersion: 2 } })
  const md = actions[2]!.metaData as Record<string, unknown>
  t.match(md.id, /^[0-9a-f-]{36}$/)
  t.same(md.format, { provider: 'parquet', options: {} })
  t.same(md.configuration, {})
  t.equal(typeof md.createdTime, 'number')
  t.equal(md.description, 'sales')
  const add1 = actions[4]!.add as Record<string, unknown>
  t.equal(add1.path, 'region=A%252FB/part-1.parquet', 'add.path is URI-encoded once more than the directory')
  t.equal(add1.dataChange, true)
  t.equal(typeof add1.modificationTime, 'number')
  t.equal(add1.stats, '{"numRecords":4,"minValues":{"id":9007199254740993}}', 'object stats serialized exactly')
  t.same((actions[5]!.add as Record<string, unknown>).partitionValues, { region: null })

  const parsed = parseSchemaString(md.schemaString as string)
  t.same(parsed.fields.map((f) => f.type), [
    'long', 'string', 'short', 'integer', 'float', 'double', 'decimal(12,2)', 'boolean', 'date', 'timestamp', 'binary',
    'string', 'long', 'string',
  ], 'Spark type names')
  t.same(parsed.fields[11]!.metadata, { 'sluice.type': 'json' })

  await commitActions(dir, 0, actions)
  const s0 = await loadSnapshot(dir)
  t.equal(s0.version, 0)
  t.same(s0.schema, schema.map((f) => (f.type === 'decimal' ? f : { name: f.name, type: f.type, nullable: f.nullable })), 'schema round trip')
  t.same(s0.partitionColumns, ['region'])
  t.same(s0.files.map((f) => path.relative(dir, f.absolutePath)).sort(), [
    'region=A%2FB/part-1.parquet', 'region=EU/part-0.parquet', 'region=__HIVE_DEFAULT_PARTITION__/part-2.parquet',
  ], 'paths decode back to the directories written')
  t.same(s0.files.map((f) => parsePartitionValues(f.partitionValues, [schema[13]!]).region).sort(), ['A/B', 'EU', null])
  t.equal(s0.commitInfo?.runId, 'job-42')

  const append = appendActions(s0, {
    files: [{ path: 'region=EU/part-3.parquet', size: 5, stats: '{"numRecords":2}', partitionValues: { region: 'EU' } }],
    engineInfo: 'Sluice/0.1.0',
    runId: 'job-43',
  })
  const aci = append[0]!.commitInfo as Record<string, unknown>
  t.equal(aci.readVersion, 0)
  t.equal(aci.isBlindAppend, true)
  t.same(aci.operationParameters, { mode: 'Append', partitionBy: '[]' })
  await commitActions(dir, 1, append)
  const s1 = await loadSnapshot(dir)
  t.equal(s1.files.length, 4)

  const over = overwriteActions(s1, {
    files: [{ path: 'region=US/part-4.parquet', size: 7, stats: '{"numRecords":1}', partitionValues: { region: 'US' } }],
    engineInfo: 'Sluice/0.1.0',
  })
  t.equal(over.filter((a) => 'remove' in a).length, 4)
  await commitActions(dir, 2, over)
  const s2 = await loadSnapshot(dir)
  t.same(s2.files.map((f) => f.path), ['region=US/part-4.parquet'])
  t.equal(s2.tombstones.length, 4)
  const back = await loadSnapshot(dir, { version: 1 })
  t.equal(back.files.length, 4, 'time travel to before the overwrite')

  const h = await readHistory(dir)
  t.same(h.entries.map((e) => [e.version, e.operation, e.runId ?? null]), [
    [2, 'WRITE', null], [1, 'WRITE', 'job-43'], [0, 'CREATE TABLE AS SELECT', 'job-42'],
  ])
  t.equal(h.entries[2]!.userName, 'alice')
  t.equal(h.entries[2]!.engineInfo, 'Sluice/0.1.0')
})

t.test('invalid tables are refused before anything is written', async (t) => {
  const base = { partitionColumns: [] as string[], files: [], engineInfo: 'x' }
  const code = (fn: () => unknown) => {
    try {
      fn()
    } catch (e) {
      return e instanceof SluiceError ? e.code : String(e)
    }
    return 'ok'
  }
  t.equal(code(() => createTableActions({ ...base, schema: [] })), 'schema_mismatch')
  t.equal(code(() => createTableActions({ ...base, schema: [{ name: 'a', type: 'int64', nullable: true }, { name: 'A', type: 'string', nullable: true }] })), 'schema_mismatch', 'names unique ignoring case')
  t.equal(code(() => createTableActions({ ...base, schema: [{ name: 'a', type: 'decimal', nullable: true, precision: 40, scale: 0 }] })), 'schema_mismatch')
  t.equal(code(() => createTableActions({ ...base, schema: [{ name: 'a', type: 'int64', nullable: true }], partitionColumns: ['b'] })), 'schema_mismatch')
  t.match(code(() => createTableActions({ ...base, schema: [{ name: 'a', type: 'int64', nullable: true }], files: [{ path: '../x.parquet', size: 1 }] })), 'relative')
})
