/**
 * Schema evolution for appends: compareSchemas lists what stops an append, mergeSchemas
 * (schema_mode=merge) adds new nullable columns at the end and refuses everything else with
 * 422 schema_mismatch listing every difference; evolvedMetadata keeps existing column entries.
 */
import t, { type Test } from 'tap'
import type { Field } from '../proto/types.js'
import { SluiceError } from '../proto/errors.js'
import {
  compareSchemas, evolvedMetadata, mergeSchemas, resolveAppendSchema, schemaStringToFields,
} from '../src/lakehouse/index.js'

const table: Field[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'region', type: 'string', nullable: true },
  { name: 'amount', type: 'decimal', precision: 12, scale: 2, nullable: true },
  { name: 'day', type: 'date', nullable: true },
]

function rejects422(t: Test, fn: () => unknown): SluiceError {
  try {
    fn()
  } catch (err) {
    t.ok(err instanceof SluiceError, 'a SluiceError')
    t.equal((err as SluiceError).status, 422)
    t.equal((err as SluiceError).code, 'schema_mismatch')
    return err as SluiceError
  }
  throw new Error('expected a 422')
}

t.test('identical schemas, any column order: no differences', async (t) => {
  t.same(compareSchemas(table, table), [])
  t.same(compareSchemas(table, [...table].reverse()), [], 'order does not matter')
  t.equal(mergeSchemas(table, table), table, 'merge returns the table schema itself')
  t.same(resolveAppendSchema(table, table, 'strict'), { schema: table, changed: false })
})

t.test('harmless differences are not listed', async (t) => {
  const incoming = table.filter((f) => f.name !== 'region' && f.name !== 'day')
  t.same(compareSchemas(table, incoming), [], 'missing nullable columns read as null')
  const stricter = table.map((f) => ({ ...f, nullable: false }))
  t.same(compareSchemas(table, stricter), [], 'NOT NULL data fits a nullable column')
})

t.test('every kind of difference is listed with a message', async (t) => {
  const incoming: Field[] = [
    { name: 'region', type: 'int32', nullable: true }, // type change
    { name: 'amount', type: 'decimal', precision: 12, scale: 3, nullable: true }, // decimal scale change
    { name: 'Day', type: 'date', nullable: true }, // case-only clash
    { name: 'extra', type: 'boolean', nullable: false }, // new column
  ] // id (NOT NULL) missing
  const diffs = compareSchemas(table, incoming)
  t.same(diffs.map((d) => [d.kind, d.column, d.mergeable]), [
    ['name_case', 'Day', false],
    ['missing_column', 'id', false],
    ['type_change', 'region', false],
    ['type_change', 'amount', false],
    ['extra_column', 'extra', true],
  ])
  t.match(diffs[3]!, { tableType: 'decimal(12,2)', incomingType: 'decimal(12,3)' })
  for (const d of diffs) t.type(d.message, 'string')
  t.notOk(diffs.some((d) => d.kind === 'missing_column' && d.column === 'day'), 'the case clash is not also a missing column')

  const strict = rejects422(t, () => resolveAppendSchema(table, incoming, 'strict'))
  const merge = rejects422(t, () => mergeSchemas(table, incoming))
  for (const err of [strict, merge]) {
    t.same((err.details as { differences: unknown[] }).differences, diffs, 'details list every difference')
    for (const d of diffs) t.match(err.message, d.message, `message names: ${d.message}`)
  }
  t.match(strict.message, 'schema_mode=merge')
})

t.test('merge adds new columns as nullable at the end, in file order', async (t) => {
  const incoming: Field[] = [
    { name: 'z_new', type: 'string', nullable: false },
    ...table,
    { name: 'a_new', type: 'timestamp', nullable: true },
  ]
  t.same(compareSchemas(table, incoming).map((d) => d.kind), ['extra_column', 'extra_column'])
  rejects422(t, () => resolveAppendSchema(table, incoming, 'strict'))
  const merged = mergeSchemas(table, incoming)
  t.same(merged, [...table, { name: 'z_new', type: 'string', nullable: true }, { name: 'a_new', type: 'timestamp', nullable: true }])
  t.same(resolveAppendSchema(table, incoming, 'merge'), { schema: merged, changed: true })
})

t.test('merge relaxes NOT NULL when the file is nullable (as Spark does); strict refuses', async (t) => {
  const incoming = table.map((f) => ({ ...f, nullable: true }))
  const diffs = compareSchemas(table, incoming)
  t.same(diffs.map((d) => [d.kind, d.column]), [['nullability', 'id']])
  rejects422(t, () => resolveAppendSchema(table, incoming, 'strict'))
  t.same(mergeSchemas(table, incoming)[0], { name: 'id', type: 'int64', nullable: true })
})

t.test('a missing NOT NULL column cannot be merged', async (t) => {
  const err = rejects422(t, () => mergeSchemas(table, table.slice(1)))
  t.match(err.message, 'column "id" (int64 NOT NULL) is missing from the file')
})

t.test('evolvedMetadata keeps existing column entries verbatim and appends new ones', async (t) => {
  const schemaString = JSON.stringify({
    type: 'struct',
    fields: [
      { name: 'id', type: 'long', nullable: false, metadata: { comment: 'primary key' } },
      { name: 'label', type: 'string', nullable: true, metadata: {} },
    ],
  })
  const current = {
    id: 'table-id', format: { provider: 'parquet', options: {} }, schemaString, partitionColumns: [],
    configuration: { 'delta.appendOnly': 'false' }, createdTime: 1,
  }
  const fields = schemaStringToFields(schemaString)
  const merged = mergeSchemas(fields, [{ name: 'id', type: 'int64', nullable: true }, { name: 'n', type: 'int32', nullable: true }])
  const { metaData } = evolvedMetadata(current, merged)
  t.equal(metaData.id, 'table-id')
  t.same(metaData.configuration, current.configuration)
  const parsed = JSON.parse(metaData.schemaString) as { fields: Record<string, unknown>[] }
  t.same(parsed.fields, [
    { name: 'id', type: 'long', nullable: true, metadata: { comment: 'primary key' } },
    { name: 'label', type: 'string', nullable: true, metadata: {} },
    { name: 'n', type: 'integer', nullable: true, metadata: {} },
  ])
  t.throws(() => evolvedMetadata(current, [fields[0]!]), { code: 'schema_mismatch' }, 'dropping a column is not an evolution')
})
