// Time travel on the HTTP surface: `version=N` and `as_of=<ISO>` on preview and explore (GET
// and POST) of registered Delta tables and uploads; versions that cannot be read answer
// 422 version_unavailable naming the earliest available version.
import t from 'tap'
import path from 'node:path'
import { Int32, Utf8 } from 'apache-arrow'
import { startServer, uploadForm } from './helpers/server.js'
import {
  conformancePresent, NO_CONFORMANCE, HOUR_MS, LEDGER_T0, expected, copyConformance, json, makeLedgerTable, makeTruncatedTable,
  makeDeltaTable, orgDir, registered, rows, writeCommit, writeParquet, type ErrorBody,
} from './helpers/lakehouse.js'

const iso = (ms: number) => new Date(ms).toISOString()

t.test('time travel', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const { rowsAt } = makeLedgerTable(path.join(orgDir(s), 'fin', 'ledger'))
  await registered(s, 'ledger', 'fin/ledger')
  const values = async (q: string) => (await rows(s, `/api/datasets/ledger/explore?select=v&order=v&${q}`)).map((r) => r.v)
  const fails = async (url: string, init?: RequestInit) => json<ErrorBody>(s.api(url, init))

  t.test('version=N reads that version', async (t) => {
    for (let v = 0; v < rowsAt.length; v++) t.same(await values(`version=${v}`), rowsAt[v], `version ${v}`)
    t.same(await values(''), rowsAt[3], 'no version: the latest')
    const preview = await rows(s, '/api/datasets/ledger/preview?version=1&limit=10')
    t.same(preview.map((r) => r.v).sort(), rowsAt[1], 'preview takes version too')
    const post = await json<{ rows: { v: number }[] }>(s.api('/api/datasets/ledger/explore', { method: 'POST', body: JSON.stringify({ select: 'v', order: 'v', version: 2 }) }))
    t.same(post.body.rows.map((r) => r.v), rowsAt[2], 'POST body version')
    t.same(await rows(s, '/api/datasets/ledger/explore?select=n:count(),s:v.sum()&version=1&v=gt.1'), [{ n: 4, s: 14 }], 'filters and aggregates at a version')
  })

  t.test('as_of picks the last commit at or before the time', async (t) => {
    const cases: [number, number][] = [
      [LEDGER_T0, 0], [LEDGER_T0 + 1, 0], [LEDGER_T0 + HOUR_MS - 1, 0], [LEDGER_T0 + HOUR_MS, 1],
      [LEDGER_T0 + 90 * 60_000, 1], [LEDGER_T0 + 2 * HOUR_MS + 1000, 2], [LEDGER_T0 + 1000 * HOUR_MS, 3],
    ]
    for (const [at, v] of cases) t.same(await values(`as_of=${encodeURIComponent(iso(at))}`), rowsAt[v], `as_of ${iso(at)} → version ${v}`)
    t.same(await values(`as_of=${encodeURIComponent('2024-03-01T12:30:00+02:00')}`), rowsAt[0], 'an offset is honoured (10:30Z → v0)')
    t.same(await values('as_of=2024-03-01%2011:30:00'), rowsAt[1], 'no zone means UTC')
    const post = await json<{ rows: { v: number }[] }>(s.api('/api/datasets/ledger/explore', { method: 'POST', body: JSON.stringify({ select: 'v', order: 'v', as_of: iso(LEDGER_T0 + 2 * HOUR_MS) }) }))
    t.same(post.body.rows.map((r) => r.v), rowsAt[2], 'POST body as_of')
  })

  t.test('versions that cannot be read', async (t) => {
    let r = await fails('/api/datasets/ledger/explore?version=4')
    t.same([r.status, r.body.error], [422, 'version_unavailable'], 'above the latest')
    t.match(r.body.message, /latest version is 3/)
    t.match(r.body.message, /earliest available version is 0/, `names the earliest: "${r.body.message}"`)
    r = await fails(`/api/datasets/ledger/preview?as_of=${encodeURIComponent(iso(LEDGER_T0 - 1))}`)
    t.same([r.status, r.body.error], [422, 'version_unavailable'], 'as_of before the first commit')
    t.match(r.body.message, /earliest available version is 0/)
    r = await fails('/api/datasets/ledger/explore?as_of=1999-01-01')
    t.same([r.status, r.body.error], [422, 'version_unavailable'])
    for (const q of ['version=1&as_of=2024-03-01T10:00:00Z', 'version=-1', 'version=x', 'as_of=yesterday', 'as_of=2024-13-01']) {
      r = await fails(`/api/datasets/ledger/explore?${q}`)
      t.same([r.status, r.body.error], [422, 'invalid_parameter'], q)
    }
    r = await fails('/api/datasets/ledger/explore', { method: 'POST', body: JSON.stringify({ version: 1, as_of: iso(LEDGER_T0) }) })
    t.same([r.status, r.body.error], [422, 'invalid_parameter'], 'POST with both')
  })

  t.test('a column added later reads as null at older versions', async (t) => {
    const dir = makeDeltaTable(path.join(orgDir(s), 'fin', 'evolving'), { 'a.parquet': [1, 2] })
    const size = writeParquet(path.join(dir, 'b.parquet'), { v: { type: new Int32(), values: [3] }, w: { type: new Utf8(), values: ['x'] } })
    writeCommit(dir, 1, [
      { commitInfo: { timestamp: Date.UTC(2024, 0, 2), operation: 'WRITE', operationParameters: { mode: 'Append' } } },
      {
        metaData: {
          id: 'test-evolving', format: { provider: 'parquet', options: {} }, partitionColumns: [], configuration: {}, createdTime: 0,
          schemaString: JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }, { name: 'w', type: 'string', nullable: true, metadata: {} }] }),
        },
      },
      { add: { path: 'b.parquet', partitionValues: {}, size, modificationTime: 0, dataChange: true } },
    ])
    const d = await registered(s, 'evolving', 'fin/evolving')
    t.same((d.schema as { name: string }[]).map((f) => f.name), ['v', 'w'])
    t.same(await rows(s, '/api/datasets/evolving/explore?select=v,w&order=v'), [{ v: 1, w: null }, { v: 2, w: null }, { v: 3, w: 'x' }])
    t.same(await rows(s, '/api/datasets/evolving/explore?select=v,w&order=v&version=0'), [{ v: 1, w: null }, { v: 2, w: null }])
    t.same(await rows(s, '/api/datasets/evolving/explore?select=n:count()&version=0&w=is.null'), [{ n: 2 }])
  })

  t.test('uploads travel too', async (t) => {
    t.equal((await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'up' }, { name: 'x.csv', content: 'a\n1\n2\n' }) })).status, 201)
    t.same(await rows(s, '/api/datasets/up/explore?select=n:count()&version=0'), [{ n: 2 }])
    const r = await fails('/api/datasets/up/explore?version=1')
    t.same([r.status, r.body.error], [422, 'version_unavailable'])
    t.match(r.body.message, /earliest available version is 0/)
  })

  t.test('conformance: simple_table v0..v4 and a table that begins at v10', { skip: conformancePresent ? false : NO_CONFORMANCE }, async (t) => {
    copyConformance(s, 'simple_table', 'conf/simple_table')
    await registered(s, 'simple', 'conf/simple_table')
    const e = expected('simple_table')
    for (const v of e.versions) {
      t.same(await rows(s, `/api/datasets/simple/explore?order=id&version=${v.version}`), v.rowsSorted, `v${v.version}: ${v.logicalRowCount} rows as in EXPECTED`)
      t.same(await rows(s, `/api/datasets/simple/explore?select=n:count()&version=${v.version}`), [{ n: v.logicalRowCount }])
    }
    // commitInfo timestamps: between v1 and v2 → v1; at v2 exactly → v2
    const v1 = e.versions[1]!.commitInfoTimestamp
    const v2 = e.versions[2]!.commitInfoTimestamp
    t.same(await rows(s, `/api/datasets/simple/explore?select=n:count()&as_of=${encodeURIComponent(iso(Math.floor((v1 + v2) / 2)))}`), [{ n: 20 }], 'between v1 and v2')
    t.same(await rows(s, `/api/datasets/simple/explore?select=n:count()&as_of=${encodeURIComponent(iso(v2))}`), [{ n: 5 }], 'at v2')
    let r = await fails(`/api/datasets/simple/explore?as_of=${encodeURIComponent(iso(e.versions[0]!.commitInfoTimestamp - 1))}`)
    t.same([r.status, r.body.error], [422, 'version_unavailable'], 'before v0')
    r = await fails('/api/datasets/simple/explore?version=5')
    t.same([r.status, r.body.error], [422, 'version_unavailable'], 'the leftover .tmp/…5.json is not a version')
    t.match(r.body.message, /earliest available version is 0/)

    makeTruncatedTable(s, 'conf/truncated')
    await registered(s, 'truncated', 'conf/truncated')
    r = await fails('/api/datasets/truncated/explore?version=9')
    t.same([r.status, r.body.error], [422, 'version_unavailable'], 'below the earliest reconstructable version')
    t.match(r.body.message, /earliest available version is 10/, `"${r.body.message}"`)
    r = await fails('/api/datasets/truncated/explore?version=0')
    t.match(r.body.message, /earliest available version is 10/)
    r = await fails('/api/datasets/truncated/explore?as_of=2021-03-14T00:00:00Z')
    t.same([r.status, r.body.error], [422, 'version_unavailable'], 'as_of before the earliest available commit')
    t.match(r.body.message, /earliest available version is 10/)
    t.same(await rows(s, '/api/datasets/truncated/explore?select=n:count()&version=10'), [{ n: 11 }], 'v10 from the checkpoint')
    t.same(await rows(s, '/api/datasets/truncated/explore?select=n:count()'), [{ n: 13 }], 'latest')
    t.same(await rows(s, '/api/datasets/truncated/explore?select=n:count()&as_of=2021-03-14T23:59:59Z'), [{ n: 11 }], 'as_of between v10 and v11')
  })
})
