// Plain Parquet folders (no _delta_log) registered read-only: files listed recursively through
// Hive partition folders, partition values as strings (typed by the schema, null for the Hive
// default partition, escapes undone), explore and preview like any dataset, and every
// versioned operation answering 422 not_a_delta_table.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Bool, DateDay, Field as ArrowField, Float64, Int32, Int64, Struct, TimestampMicrosecond, Utf8 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import { orgDir, register, registered, json, rows, schemaValidator, writeParquet, type ErrorBody } from './helpers/lakehouse.js'

interface Ev { id: number; name: string | null; amount: number | null; ok: boolean; d: string; ts: string; region: string | null; day: string }

const DAY_MS = 86_400_000
const T0 = Date.UTC(2024, 0, 1)

/** Writes one partition file of events and returns the rows as the API shows them. */
function writeEvents(dir: string, region: string | null, regionDir: string, day: string, ids: number[]): Ev[] {
  const evs: Ev[] = ids.map((id) => ({
    id, name: id % 4 === 0 ? null : `n${id}`, amount: id % 5 === 0 ? null : id * 1.5, ok: id % 2 === 0,
    d: new Date(T0 + id * DAY_MS).toISOString().slice(0, 10),
    ts: new Date(T0 + id * 3_600_000).toISOString().replace('Z', '000Z'),
    region, day,
  }))
  writeParquet(path.join(dir, `region=${regionDir}`, `day=${day}`, `part-${ids[0]}.parquet`), {
    id: { type: new Int64(), values: evs.map((e) => BigInt(e.id)) },
    name: { type: new Utf8(), values: evs.map((e) => e.name) },
    amount: { type: new Float64(), values: evs.map((e) => e.amount) },
    ok: { type: new Bool(), values: evs.map((e) => e.ok) },
    d: { type: new DateDay(), values: evs.map((e) => new Date(Date.parse(e.d))) },
    ts: { type: new TimestampMicrosecond('UTC'), values: evs.map((e) => Date.parse(e.ts)) },
  })
  return evs
}

t.test('plain Parquet folders', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const dir = path.join(orgDir(s), 'files', 'events')
  const all: Ev[] = [
    ...writeEvents(dir, 'EU', 'EU', '2024-01-01', [1, 2, 3]),
    ...writeEvents(dir, 'EU', 'EU', '2024-01-02', [4, 5]),
    ...writeEvents(dir, 'US', 'US', '2024-01-01', [6, 7, 8, 9]),
    ...writeEvents(dir, null, '__HIVE_DEFAULT_PARTITION__', '2024-01-03', [10]),
    ...writeEvents(dir, 'A/B', 'A%2FB', '2024-01-03', [11, 12]),
  ]
  fs.writeFileSync(path.join(dir, '_SUCCESS'), '')
  fs.mkdirSync(path.join(dir, '.staging', 'region=XX'), { recursive: true })
  writeParquet(path.join(dir, '.staging', 'region=XX', 'ignored.parquet'), { id: { type: new Int64(), values: [999n] } })
  fs.mkdirSync(path.join(dir, 'notes'))
  writeParquet(path.join(dir, 'notes', 'ignored.parquet'), { id: { type: new Int64(), values: [998n] } })

  t.test('registers read-only with the footer schema plus partition columns', async (t) => {
    const d = await registered(s, 'events', 'files/events')
    t.ok(schemaValidator('Dataset')(d), 'a Dataset')
    t.match(d, {
      kind: 'lakehouse', version: null, row_count: all.length,
      provenance: { source: 'lakehouse', connector_id: 'lakehouse', source_table: 'files/events', format: 'parquet', partition_columns: ['region', 'day'] },
    })
    t.notOk('registered_version' in (d.provenance as object), 'no version for a Parquet folder')
    t.same(d.schema, [
      { name: 'id', type: 'int64', nullable: true, masked: false }, { name: 'name', type: 'string', nullable: true, masked: false },
      { name: 'amount', type: 'float64', nullable: true, masked: false }, { name: 'ok', type: 'boolean', nullable: true, masked: false },
      { name: 'd', type: 'date', nullable: true, masked: false }, { name: 'ts', type: 'timestamp', nullable: true, masked: false },
      { name: 'region', type: 'string', nullable: true, masked: false }, { name: 'day', type: 'string', nullable: true, masked: false },
    ])
    t.match((await json(s.api('/api/datasets/events'))).body, { version: null, row_count: all.length }, 'GET leaves it as it is')
  })

  t.test('explore and preview read every file, with partition values', async (t) => {
    t.same(await rows(s, '/api/datasets/events/explore?order=id'), all, 'all rows, hidden and non-partition folders ignored')
    t.equal((await rows(s, '/api/datasets/events/preview?limit=5')).length, 5)
    const ids = async (q: string) => (await rows(s, `/api/datasets/events/explore?select=id&order=id&${q}`)).map((r) => r.id)
    t.same(await ids('region=eq.EU'), [1, 2, 3, 4, 5], 'partition filter')
    t.same(await ids('region=is.null'), [10], 'Hive default partition is null')
    t.same(await ids('region=eq.A%2FB'), [11, 12], 'escaped partition value')
    t.same(await ids('day=eq.2024-01-01&ok=is.true'), [2, 6, 8], 'partition and data filters together')
    t.same(await ids('region=in.(US,A/B)&id=gt.8'), [9, 11, 12])
    t.same(await rows(s, '/api/datasets/events/explore?select=region,n:count(),total:amount.sum()&group=region&order=region'), [
      { region: 'A/B', n: 2, total: 34.5 }, { region: 'EU', n: 5, total: 15 }, { region: 'US', n: 4, total: 45 }, { region: null, n: 1, total: null },
    ])
    const csv = await (await s.api('/api/datasets/events/explore?select=id,region&order=id&limit=2&format=csv')).text()
    t.equal(csv.replace(/\r/g, ''), 'id,region\n1,EU\n2,EU\n')
  })

  t.test('files added later are read; the schema stays', async (t) => {
    writeEvents(dir, 'US', 'US', '2024-01-04', [13])
    t.same(await rows(s, '/api/datasets/events/explore?select=n:count()'), [{ n: all.length + 1 }])
    fs.rmSync(path.join(dir, 'region=US', 'day=2024-01-04'), { recursive: true })
  })

  t.test('partitions a filter excludes are not read at all', async (t) => {
    const bad = path.join(dir, 'region=ZZ', 'day=2024-01-09')
    fs.mkdirSync(bad, { recursive: true })
    fs.writeFileSync(path.join(bad, 'corrupt.parquet'), 'not parquet')
    t.teardown(() => fs.rmSync(path.join(dir, 'region=ZZ'), { recursive: true, force: true }))
    t.same(await rows(s, '/api/datasets/events/explore?select=n:count()&region=eq.EU'), [{ n: 5 }], 'the corrupt partition is pruned')
    const r = await s.api('/api/datasets/events/explore?select=n:count()')
    t.not(r.status, 200, 'without the filter the corrupt file is read and fails')
    await r.text()
  })

  t.test('history, time travel and versions answer 422 not_a_delta_table', async (t) => {
    for (const q of ['/api/datasets/events/explore?version=0', '/api/datasets/events/explore?as_of=2024-01-01T00:00:00Z', '/api/datasets/events/preview?version=0', '/api/datasets/events/history']) {
      const r = await json<ErrorBody>(s.api(q))
      t.same([r.status, r.body.error], [422, 'not_a_delta_table'], q)
      t.match(r.body.message, /Parquet folder/, `${q}: "${r.body.message}"`)
    }
    const post = await json<ErrorBody>(s.api('/api/datasets/events/explore', { method: 'POST', body: JSON.stringify({ select: 'id', version: 1 }) }))
    t.same([post.status, post.body.error], [422, 'not_a_delta_table'], 'POST explore with version')
  })

  t.test('an unpartitioned folder of several files; rows counted from every footer', async (t) => {
    const flat = path.join(orgDir(s), 'files', 'flat')
    writeParquet(path.join(flat, 'a.parquet'), { x: { type: new Int32(), values: [1, 2] } })
    writeParquet(path.join(flat, 'b.parquet'), { x: { type: new Int32(), values: [3, 4, 5] } })
    const d = await registered(s, 'flat', 'files/flat')
    t.match(d, { row_count: 5, schema: [{ name: 'x', type: 'int32', nullable: true }], provenance: { partition_columns: [] } })
    t.same(await rows(s, '/api/datasets/flat/explore?select=s:x.sum()'), [{ s: 15 }])
  })

  t.test('folders Sluice cannot read as one table are refused', async (t) => {
    const mixed = path.join(orgDir(s), 'files', 'mixed')
    writeParquet(path.join(mixed, 'top.parquet'), { x: { type: new Int32(), values: [1] } })
    writeParquet(path.join(mixed, 'k=1', 'deep.parquet'), { x: { type: new Int32(), values: [2] } })
    let r = await json<ErrorBody>(register(s, { name: 'mixed', connector_id: 'lakehouse', source_table: 'files/mixed' }))
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'mixed partition layouts')
    t.match(r.body.message, /partition layouts/)

    const nested = path.join(orgDir(s), 'files', 'nested')
    writeParquet(path.join(nested, 'n.parquet'), {
      id: { type: new Int32(), values: [1] },
      point: { type: new Struct([new ArrowField('x', new Int32(), true)]), values: [{ x: 1 }] },
    })
    r = await json<ErrorBody>(register(s, { name: 'nested', connector_id: 'lakehouse', source_table: 'files/nested' }))
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'nested column')
    t.match(r.body.message, /"point"/)

    const broken = path.join(orgDir(s), 'files', 'broken')
    fs.mkdirSync(broken)
    fs.writeFileSync(path.join(broken, 'bad.parquet'), 'not parquet at all')
    r = await json<ErrorBody>(register(s, { name: 'broken', connector_id: 'lakehouse', source_table: 'files/broken' }))
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'not a Parquet file')
    t.match(r.body.message, /bad\.parquet/)
    t.notMatch(r.body.message, new RegExp(s.dataDir), 'no absolute paths in messages')
  })
})
