/** The protocol gate: what Sluice reads and writes, and how it refuses the rest. */
import t, { type Test } from 'tap'
import * as fs from 'node:fs'
import * as os from 'node:os'
import * as path from 'node:path'
import { SluiceError } from '../proto/errors.js'
import { checkReadable, checkWritable, commitActions, createTableActions, loadSnapshot, appendActions, overwriteActions } from '../src/lakehouse/index.js'
import type { MetadataAction, ProtocolAction } from '../src/lakehouse/index.js'
import { parseSchemaString } from '../src/lakehouse/schema.js'

function refusal(fn: () => unknown): SluiceError | null {
  try {
    fn()
  } catch (e) {
    if (e instanceof SluiceError) return e
    throw e
  }
  return null
}

t.test('reader versions and features', async (t) => {
  t.equal(refusal(() => checkReadable({ minReaderVersion: 1, minWriterVersion: 2 })), null)
  t.equal(refusal(() => checkReadable({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly'] })), null)
  t.equal(refusal(() => checkReadable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [], writerFeatures: [] })), null, 'reader 3 without reader features')
  const v2 = refusal(() => checkReadable({ minReaderVersion: 2, minWriterVersion: 5 }))!
  t.equal(v2.code, 'unsupported_table')
  t.equal(v2.status, 422)
  t.match(v2.message, 'columnMapping')
  for (const feature of ['deletionVectors', 'timestampNtz', 'v2Checkpoint', 'columnMapping', 'typeWidening', 'vacuumProtocolCheck', 'variantType']) {
    const e = refusal(() => checkReadable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: [feature], writerFeatures: [feature] }))!
    t.equal(e.code, 'unsupported_table', feature)
    t.match(e.message, feature)
    t.same((e.details as { features: string[] }).features, [feature])
  }
  const both = refusal(() => checkReadable({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors', 'timestampNtz'] }))!
  t.match(both.message, 'deletionVectors, timestampNtz')
  t.equal(refusal(() => checkReadable({ minReaderVersion: 4, minWriterVersion: 7 }))!.code, 'unsupported_table')
})

const md = (configuration: Record<string, string> = {}, fieldMetadata: Record<string, unknown> = {}): [MetadataAction, ReturnType<typeof parseSchemaString>] => {
  const schemaString = JSON.stringify({ type: 'struct', fields: [{ name: 'x', type: 'long', nullable: true, metadata: fieldMetadata }] })
  return [{ id: 'i', format: { provider: 'parquet', options: {} }, schemaString, partitionColumns: [], configuration }, parseSchemaString(schemaString)]
}

t.test('writer checks', async (t) => {
  const p12: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 }
  const ok = (p: ProtocolAction, m: ReturnType<typeof md>, removesData = false) => refusal(() => checkWritable(p, m[0], m[1], { removesData }))
  t.equal(ok(p12, md()), null)
  t.equal(ok(p12, md({ 'delta.appendOnly': 'true' })), null, 'appending to an append-only table')
  t.match(ok(p12, md({ 'delta.appendOnly': 'true' }), true)!.message, 'append-only')
  t.match(ok(p12, md({}, { 'delta.invariants': '{"expression":{"expression":"x > 3"}}' }))!.message, 'invariants')
  t.match(ok({ minReaderVersion: 1, minWriterVersion: 3 }, md({ 'delta.constraints.positive': 'x > 0' }))!.message, 'CHECK')
  t.equal(ok(p12, md({ 'delta.constraints.positive': 'x > 0' })), null, 'constraints do not bind writer version 2')
  t.match(ok({ minReaderVersion: 1, minWriterVersion: 4 }, md({}, { 'delta.generationExpression': 'x + 1' }))!.message, 'generated')
  t.match(ok({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['rowTracking', 'domainMetadata'] }, md())!.message, 'rowTracking')
  t.equal(ok({ minReaderVersion: 1, minWriterVersion: 7, writerFeatures: ['appendOnly', 'invariants'] }, md()), null)
  t.match(ok({ minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] }, md())!.message, 'deletionVectors')
})

t.test('every reader path refuses gated tables, including time travel', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-gate-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  await commitActions(dir, 0, createTableActions({ schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], files: [], engineInfo: 't' }))
  await commitActions(dir, 1, [{ protocol: { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['deletionVectors'], writerFeatures: ['deletionVectors'] } }])
  const err = await loadSnapshot(dir).then(() => null, (e: unknown) => e as SluiceError)
  t.equal(err?.code, 'unsupported_table')
  t.equal((await loadSnapshot(dir, { version: 0 })).version, 0, 'the version before the upgrade is still readable')
})

t.test('appends and overwrites check the writer protocol', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-append-only-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  await commitActions(dir, 0, createTableActions({
    schema: [{ name: 'x', type: 'int64', nullable: true }], partitionColumns: [], files: [], engineInfo: 't',
    configuration: { 'delta.appendOnly': 'true' },
  }))
  const s = await loadSnapshot(dir)
  t.equal(refusal(() => appendActions(s, { files: [{ path: 'a.parquet', size: 1 }], engineInfo: 't' })), null, 'appending is fine')
  t.match(refusal(() => overwriteActions(s, { files: [], engineInfo: 't' }))!.message, 'append-only')
})

t.test('unsupported column types name the column', async (t: Test) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-types-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const schemaString = JSON.stringify({ type: 'struct', fields: [
    { name: 'ok', type: 'long', nullable: true, metadata: {} },
    { name: 'tags', type: { type: 'array', elementType: 'string', containsNull: true }, nullable: true, metadata: {} },
    { name: 'props', type: { type: 'map', keyType: 'string', valueType: 'string', valueContainsNull: true }, nullable: true, metadata: {} },
  ] })
  await commitActions(dir, 0, [
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    { metaData: { id: 'x', format: { provider: 'parquet', options: {} }, schemaString, partitionColumns: [], configuration: {} } },
  ])
  const err = await loadSnapshot(dir).then(() => null, (e: unknown) => e as SluiceError)
  t.equal(err?.code, 'unsupported_table')
  t.match(err?.message, '"tags" (array<string>)')
  t.match(err?.message, '"props" (map<string,string>)')
  const s = await loadSnapshot(dir, {}, { allowUnsupportedColumns: true })
  t.same(s.schema, [{ name: 'ok', type: 'int64', nullable: true }])
})

t.test('void columns are dropped, not refused', async (t) => {
  const { toFields, parseSchemaString: parse } = await import('../src/lakehouse/schema.js')
  const r = toFields(parse(JSON.stringify({ type: 'struct', fields: [
    { name: 'a', type: 'void', nullable: true, metadata: {} },
    { name: 'b', type: 'decimal(10, 4)', nullable: false, metadata: {} },
    { name: 'c', type: 'timestamp_ntz', nullable: true, metadata: {} },
  ] })))
  t.same(r.fields, [{ name: 'b', type: 'decimal', nullable: false, precision: 10, scale: 4 }])
  t.same(r.unsupported, [{ name: 'c', type: 'timestamp_ntz' }])
})
