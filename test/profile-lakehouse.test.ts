// GET /api/datasets/{name}/profile on registered lakehouse tables: a Delta table of several files
// (split over the worker groups, partials merged) and a plain Parquet folder with Hive
// partitions (partition columns profiled from the folder names; no versions). Bodies validate
// against the documented DatasetProfile schema.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Int64, Utf8 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import { json, makeDeltaTable, orgDir, registered, schemaValidator, writeCommit, writeParquet, type ErrorBody } from './helpers/lakehouse.js'

interface Col { name: string; type: string; count: number; null_count: number; distinct_count: number; min: unknown; max: unknown; mean?: number | null; top_values?: { value: unknown; count: number }[] }
interface Profile { row_count: number; version: number | null; columns: Col[]; sample: unknown; cached: boolean }

t.test('registered lakehouse tables', async (t) => {
  const s = await startServer({ WORKER_THREADS: '3' })
  t.teardown(() => s.stop())
  const valid = schemaValidator('DatasetProfile')

  t.test('a Delta table of several files', async (t) => {
    const files: Record<string, number[]> = {}
    const all: number[] = []
    for (let f = 0; f < 7; f++) {
      const values = Array.from({ length: 50 + f * 10 }, (_, i) => (i * 7 + f) % 90 - 20)
      files[`part-${f}.parquet`] = values
      all.push(...values)
    }
    makeDeltaTable(path.join(orgDir(s), 'sales', 'numbers'), files)
    await registered(s, 'numbers', 'sales/numbers')
    const { status, body } = await json<Profile>(s.api('/api/datasets/numbers/profile'))
    t.equal(status, 200, JSON.stringify(body))
    t.ok(valid(body), `DatasetProfile: ${valid.text()}`)
    t.equal(body.row_count, all.length)
    t.equal(body.version, 0)
    const v = body.columns[0]!
    t.match(v, { name: 'v', type: 'int32', count: all.length, null_count: 0, distinct_count: new Set(all).size, min: Math.min(...all), max: Math.max(...all) })
    t.ok(Math.abs(v.mean! - all.reduce((a, b) => a + b, 0) / all.length) < 1e-9, 'mean over every file')
    const counts = new Map<number, number>()
    for (const x of all) counts.set(x, (counts.get(x) ?? 0) + 1)
    const top = [...counts].map(([value, count]) => ({ value, count })).sort((a, b) => b.count - a.count || a.value - b.value).slice(0, 10)
    t.same(v.top_values, top, 'top values merged across the partials')
    t.equal((await json<Profile>(s.api('/api/datasets/numbers/profile'))).body.cached, true)
  })

  t.test('stats say the table is empty: no file is read', async (t) => {
    // The only file is not Parquet at all: reading it would fail the profile.
    const dir = path.join(orgDir(s), 'sales', 'empty')
    fs.mkdirSync(path.join(dir, '_delta_log'), { recursive: true })
    fs.writeFileSync(path.join(dir, 'empty.parquet'), 'not a parquet file')
    writeCommit(dir, 0, [
      { commitInfo: { timestamp: Date.UTC(2024, 0, 1), operation: 'WRITE', operationParameters: { mode: 'ErrorIfExists' } } },
      { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
      { metaData: { id: 'empty-table', format: { provider: 'parquet', options: {} }, schemaString: JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }] }), partitionColumns: [], configuration: {}, createdTime: 0 } },
      { add: { path: 'empty.parquet', partitionValues: {}, size: 18, modificationTime: 0, dataChange: true, stats: JSON.stringify({ numRecords: 0 }) } },
    ])
    await registered(s, 'empty', 'sales/empty')
    const { status, body } = await json<Profile>(s.api('/api/datasets/empty/profile'))
    t.equal(status, 200, JSON.stringify(body))
    t.equal(body.row_count, 0)
    t.match(body.columns, [{ name: 'v', count: 0, null_count: 0, distinct_count: 0, min: null, max: null }])
  })

  t.test('a plain Parquet folder with Hive partitions', async (t) => {
    const dir = path.join(orgDir(s), 'files', 'events')
    const write = (regionDir: string, ids: number[]) => writeParquet(path.join(dir, `region=${regionDir}`, `part-${ids[0]}.parquet`), {
      id: { type: new Int64(), values: ids.map(BigInt) },
      name: { type: new Utf8(), values: ids.map((i) => (i % 3 === 0 ? null : `n${i % 4}`)) },
    })
    write('EU', [1, 2, 3, 4])
    write('US', [5, 6, 7])
    write('__HIVE_DEFAULT_PARTITION__', [8])
    await registered(s, 'events', 'files/events')
    const { status, body } = await json<Profile>(s.api('/api/datasets/events/profile'))
    t.equal(status, 200, JSON.stringify(body))
    t.ok(valid(body), `DatasetProfile: ${valid.text()}`)
    t.equal(body.row_count, 8)
    t.equal(body.version, null, 'no versions')
    const col = (n: string) => body.columns.find((c) => c.name === n)!
    t.match(col('id'), { count: 8, null_count: 0, distinct_count: 8, min: 1, max: 8 })
    t.match(col('name'), { null_count: 2, min: 'n0', max: 'n3' })
    t.match(col('region'), { type: 'string', null_count: 1, distinct_count: 2, min: 'EU', max: 'US' })
    t.same(col('region').top_values, [{ value: 'EU', count: 4 }, { value: 'US', count: 3 }], 'partition values counted per row')
    t.equal((await json<Profile>(s.api('/api/datasets/events/profile'))).body.cached, true, 'cached (profile_cache_ttl)')
    const tt = await json<ErrorBody>(s.api('/api/datasets/events/profile?version=0'))
    t.match(tt, { status: 422, body: { error: 'not_a_delta_table' } })
  })
})
