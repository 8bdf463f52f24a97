// Registering Delta tables of the org's lakehouse folder (the conformance fixtures): the
// dataset's metadata, rows equal to EXPECTED.json, pruning by partitions and stats, rejected
// tables, permissions, names, settings, deleting leaves the files, GET refreshes the version.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Int32 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import {
  conformancePresent, NO_CONFORMANCE, copyConformance, expected, register, registered, json, rows, schemaValidator,
  writeParquet, writeCommit, type ErrorBody,
} from './helpers/lakehouse.js'

/** `order=` that sorts like EXPECTED's rowsSorted: column by column in schema order, nulls first. */
const orderAll = (cols: string[]) => cols.map((c) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(c) ? c : `"${c}"`}.asc.nullsfirst`).join(',')

t.test('registered Delta tables', { skip: conformancePresent ? false : NO_CONFORMANCE }, async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const tables = ['delta-0.8.0-partitioned', 'delta-0.8.0-special-partition', 'delta-0.8.0-null-partition', 'simple_table', 'data-skipping-basic-stats-all-types', 'delta-0.8.0']
  for (const name of tables) copyConformance(s, name, `conf/${name}`)

  t.test('each registers with its schema, version and row count, and reads back exactly', async (t) => {
    const dataset = schemaValidator('Dataset')
    for (const table of tables) {
      const e = expected(table)
      const dsName = table.replace(/[^A-Za-z0-9_.-]/g, '_')
      const d = await registered(s, dsName, `conf/${table}`)
      t.ok(dataset(d), `${table}: a Dataset (${dataset.text()})`)
      const last = e.versions[e.versions.length - 1]!
      t.match(d, {
        name: dsName, kind: 'lakehouse', version: e.latestVersion,
        provenance: { source: 'lakehouse', connector_id: 'lakehouse', source_table: `conf/${table}`, format: 'delta', registered_version: e.latestVersion, partition_columns: e.partitionColumns },
      }, `${table}: metadata`)
      t.equal(d.row_count, last.logicalRowCount, `${table}: row count (from stats, else footers)`)
      t.same((d.schema as { name: string }[]).map((f) => f.name), e.schema.map((f) => f.name), `${table}: columns`)
      const got = await rows(s, `/api/datasets/${dsName}/explore?order=${orderAll(e.schema.map((f) => f.name))}`)
      t.same(got, last.rowsSorted, `${table}: rows equal EXPECTED rowsSorted`)
      const head = await rows(s, `/api/datasets/${dsName}/preview?limit=2`)
      t.equal(head.length, Math.min(2, last.logicalRowCount ?? 0), `${table}: preview`)
    }
    const types = (await json<{ schema: { name: string; type: string }[] }>(s.api('/api/datasets/data-skipping-basic-stats-all-types'))).body.schema
    t.same(Object.fromEntries(types.map((f) => [f.name, f.type])), {
      as_int: 'int32', as_long: 'int64', as_byte: 'int16', as_short: 'int16', as_float: 'float32', as_double: 'float64',
      as_string: 'string', as_date: 'date', as_timestamp: 'timestamp', as_big_decimal: 'decimal(1,0)',
    }, 'our type names for every Delta primitive')
  })

  t.test('filters prune by partition values and stats and still give the right rows', async (t) => {
    t.same(await rows(s, '/api/datasets/delta-0.8.0-partitioned/explore?select=value&year=eq.2021&month=eq.12&order=value'), [{ value: '5' }, { value: '6' }, { value: '7' }])
    t.same(await rows(s, '/api/datasets/delta-0.8.0-partitioned/explore?select=n:count()&year=eq.2019'), [{ n: 0 }], 'no partition matches')
    t.same(await rows(s, '/api/datasets/delta-0.8.0-null-partition/explore?select=v&k=is.null'), [{ v: 2 }], 'null partition')
    t.same(await rows(s, '/api/datasets/delta-0.8.0-special-partition/explore?select=y&x=eq.A%2FA'), [{ y: 1 }], 'special characters in a partition value')
    t.same(await rows(s, '/api/datasets/delta-0.8.0/explore?select=value&value=gte.3&order=value'), [{ value: 4 }], 'stats')
    t.same(await rows(s, '/api/datasets/data-skipping-basic-stats-all-types/explore?select=as_int&as_timestamp=gt.2000-01-01T08:00:00Z'), [], 'timestamp stats')
    t.same(await rows(s, '/api/datasets/data-skipping-basic-stats-all-types/explore?select=as_int&as_big_decimal=eq.0&as_date=eq.2000-01-01'), [{ as_int: 0 }])
  })

  t.test('tables Sluice cannot read are refused at registration, naming the feature', async (t) => {
    copyConformance(s, 'table-with-dv-small', 'conf/table-with-dv-small')
    copyConformance(s, 'table_with_column_mapping', 'conf/table_with_column_mapping')
    for (const [table, feature] of [['table-with-dv-small', /deletionVectors/], ['table_with_column_mapping', /columnMapping/]] as const) {
      const { status, body } = await json<ErrorBody>(register(s, { name: `rejected_${table.length}`, connector_id: 'lakehouse', source_table: `conf/${table}` }))
      t.equal(status, 422, table)
      t.equal(body.error, 'unsupported_table', table)
      t.match(body.message, feature, `${table}: "${body.message}"`)
    }
    t.equal((await json<{ total: number }>(s.api('/api/datasets?q=rejected'))).body.total, 0, 'nothing was registered')
  })

  t.test('request validation', async (t) => {
    const cases: [Record<string, unknown>, number, string, RegExp?][] = [
      [{ name: 'simple_table', connector_id: 'lakehouse', source_table: 'conf/simple_table' }, 409, 'dataset_name_taken'],
      [{ name: 'browse', connector_id: 'lakehouse', source_table: 'conf/simple_table' }, 422, 'invalid_name'],
      [{ name: 'bad name', connector_id: 'lakehouse', source_table: 'conf/simple_table' }, 422, 'invalid_name'],
      [{ connector_id: 'lakehouse', source_table: 'conf/simple_table' }, 422, 'invalid_name'],
      [{ name: 'x1', source_table: 'conf/simple_table' }, 422, 'invalid_parameter', /connector_id/],
      [{ name: 'x1', connector_id: 'pg_main', source_table: 'public.orders' }, 404, 'connector_not_found', /pg_main/],
      [{ name: 'x1', connector_id: 'lakehouse' }, 422, 'invalid_parameter', /source_table/],
      [{ name: 'x1', connector_id: 'lakehouse', source_table: 'conf/simple_table', extra: 1 }, 422, 'invalid_parameter', /extra/],
      [{ name: 'x1', connector_id: 'lakehouse', source_table: 'conf/simple_table', description: 5 }, 422, 'invalid_parameter', /description/],
      [{ name: 'x1', connector_id: 'lakehouse', source_table: 'conf/simple_table', settings: { masking: [{ column: 'nope', strategy: 'hash' }] } }, 422, 'invalid_settings', /nope/],
      [{ name: 'x1', connector_id: 'lakehouse', source_table: 'conf/simple_table', settings: { masking: [{ column: 'id', strategy: 'email' }] } }, 422, 'invalid_settings', /email/],
    ]
    for (const [body, status, code, re] of cases) {
      const r = await json<ErrorBody>(register(s, body))
      t.equal(r.status, status, `${JSON.stringify(body)} → ${status}`)
      t.equal(r.body.error, code, `${JSON.stringify(body)} → ${code}`)
      if (re) t.match(r.body.message, re)
    }
    const viewer = await json<ErrorBody>(register(s, { name: 'x1', connector_id: 'lakehouse', source_table: 'conf/simple_table' }, { roles: ['viewer'] }))
    t.same([viewer.status, viewer.body.error], [403, 'forbidden'], 'viewers cannot register')
    const notObject = await s.api('/api/datasets', { method: 'POST', body: '[1]' })
    t.same([notObject.status, ((await notObject.json()) as ErrorBody).error], [400, 'bad_request'])
    const malformed = await s.api('/api/datasets', { method: 'POST', body: '{"name":' })
    t.same([malformed.status, ((await malformed.json()) as ErrorBody).error], [400, 'bad_request'])

    const ok = await json<{ settings: unknown; description: string }>(register(s, {
      name: 'with_settings', connector_id: 'lakehouse', source_table: 'conf/delta-0.8.0-null-partition', description: 'nulls',
      settings: { masking: [{ column: 'k', strategy: 'hash' }], refresh: 'manual' },
    }))
    t.equal(ok.status, 201)
    t.match(ok.body, { description: 'nulls', settings: { masking: [{ column: 'k', strategy: 'hash', params: {}, unmask_roles: [] }], refresh: 'manual' } })
  })

  t.test('another org neither sees the dataset nor can register it by the same path', async (t) => {
    const other = { org: 'globex', roles: ['admin'] }
    t.equal((await s.api('/api/datasets/simple_table', { claims: other })).status, 404)
    const r = await json<ErrorBody>(register(s, { name: 'simple_table', connector_id: 'lakehouse', source_table: 'conf/simple_table' }, other))
    t.same([r.status, r.body.error], [422, 'invalid_parameter'], 'globex has its own, empty, folder')
  })

  t.test('deleting a registered dataset leaves its files', async (t) => {
    const dir = copyConformance(s, 'delta-0.8.0', 'conf/doomed')
    const before = fs.readdirSync(dir).sort()
    await registered(s, 'doomed', 'conf/doomed')
    t.equal((await s.api('/api/datasets/doomed', { method: 'DELETE' })).status, 204)
    t.equal((await s.api('/api/datasets/doomed')).status, 404)
    t.same(fs.readdirSync(dir).sort(), before, 'the table folder is untouched')
    t.ok(fs.existsSync(path.join(dir, '_delta_log', '00000000000000000001.json')))
  })

  t.test('GET metadata follows commits other tools make', async (t) => {
    const dir = copyConformance(s, 'delta-0.8.0', 'conf/growing')
    const d = await registered(s, 'growing', 'conf/growing')
    t.match(d, { version: 1, row_count: 4 })
    const size = writeParquet(path.join(dir, 'part-new.parquet'), { value: { type: new Int32(), values: [10, 11, 12] } })
    writeCommit(dir, 2, [
      { commitInfo: { timestamp: 1615043790000, operation: 'WRITE', operationParameters: { mode: 'Append' }, userName: 'spark-job' } },
      { add: { path: 'part-new.parquet', partitionValues: {}, size, modificationTime: 0, dataChange: true, stats: '{"numRecords":3,"minValues":{"value":10},"maxValues":{"value":12},"nullCount":{"value":0}}' } },
    ])
    const { body } = await json<{ version: number; row_count: number; updated_at: string }>(s.api('/api/datasets/growing'))
    t.match(body, { version: 2, row_count: 7 }, 'version and row count refreshed')
    t.match((await json<{ items: { name: string; version: number }[] }>(s.api('/api/datasets?q=growing'))).body.items[0], { version: 2 }, 'and stored')
    t.same(await rows(s, '/api/datasets/growing/explore?select=n:count(),hi:value.max()'), [{ n: 7, hi: 12 }], 'reads see the new commit')
  })
})
