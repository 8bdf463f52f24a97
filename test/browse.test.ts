// Browsing the built-in lakehouse connector: schemas are the org folder's sub-folders, tables
// the Delta tables and Parquet folders in one of them (with kind, schema, version, row count),
// paginated; editors and admins only; unknown connectors 404; bad parameters 422.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Int32, Utf8 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import {
  conformancePresent, copyConformance, json, makeDeltaTable, orgDir, registered, schemaValidator, writeParquet, type ErrorBody,
} from './helpers/lakehouse.js'

interface Page<T> { total: number; limit: number; offset: number; items: T[] }
interface BrowseTable { name: string; source_table: string; kind: string; schema: { name: string; type: string; nullable: boolean }[]; partition_columns: string[]; version: number | null; row_count: number | null; error: ErrorBody | null }

t.test('browse', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const acme = orgDir(s)
  makeDeltaTable(path.join(acme, 'sales', 'orders'), { 'a.parquet': [1, 2, 3], 'b.parquet': [4] })
  writeParquet(path.join(acme, 'sales', 'events', 'k=a', 'p.parquet'), { v: { type: new Int32(), values: [1, 2] }, s: { type: new Utf8(), values: ['x', null] } })
  writeParquet(path.join(acme, 'sales', 'events', 'k=b', 'p.parquet'), { v: { type: new Int32(), values: [3] }, s: { type: new Utf8(), values: ['y'] } })
  fs.mkdirSync(path.join(acme, 'sales', 'not-a-table', 'sub'), { recursive: true })
  fs.writeFileSync(path.join(acme, 'sales', 'readme.txt'), 'hi')
  fs.mkdirSync(path.join(acme, 'sales', '_tmp', '_delta_log'), { recursive: true })
  for (const f of ['marketing', 'zeta', '.hidden', '_scratch']) fs.mkdirSync(path.join(acme, f), { recursive: true })
  fs.writeFileSync(path.join(acme, 'loose-file'), 'x')
  fs.symlinkSync(path.join(s.dataDir, 'lakehouse'), path.join(acme, 'escape'))
  fs.symlinkSync('sales', path.join(acme, 'sales-link'))
  makeDeltaTable(path.join(orgDir(s, 'globex'), 'secret', 'payroll'), { 'p.parquet': [1] })

  const schemas = (q = '', claims?: { org?: string; roles: string[] }) => json<Page<{ name: string }>>(s.api(`/api/datasets/browse/schemas?connector_id=lakehouse${q}`, claims ? { claims } : {}))
  const tables = (schema: string, q = '') => json<Page<BrowseTable>>(s.api(`/api/datasets/browse/tables?connector_id=lakehouse&schema=${encodeURIComponent(schema)}${q}`))

  t.test('schemas: visible sub-folders, links only inside, paginated', async (t) => {
    const { status, body } = await schemas()
    t.equal(status, 200)
    t.ok(schemaValidator('BrowseSchemaList')(body), 'a BrowseSchemaList')
    t.same(body, { total: 4, limit: 50, offset: 0, items: [{ name: 'marketing' }, { name: 'sales' }, { name: 'sales-link' }, { name: 'zeta' }] })
    t.same((await schemas('&limit=2&offset=1')).body, { total: 4, limit: 2, offset: 1, items: [{ name: 'sales' }, { name: 'sales-link' }] })
    t.equal((await schemas('&limit=1000')).body.limit, 200, 'limit is clamped to 200')
    const globex = await schemas('', { org: 'globex', roles: ['admin'] })
    t.same(globex.body.items, [{ name: 'secret' }], 'each org sees its own folder')
    const fresh = await schemas('', { org: 'initech', roles: ['editor'] })
    t.same([fresh.status, fresh.body.total], [200, 0], 'an org without a folder gets an empty list')
    t.ok(fs.existsSync(path.join(s.dataDir, 'lakehouse', 'initech')), 'and its folder is created on demand')
  })

  t.test('tables: Delta tables and Parquet folders with schema, version and row count', async (t) => {
    const { status, body } = await tables('sales')
    t.equal(status, 200)
    t.ok(schemaValidator('BrowseTableList')(body), `a BrowseTableList: ${schemaValidator('BrowseTableList').text()}`)
    t.same(body, {
      total: 2, limit: 50, offset: 0,
      items: [
        {
          name: 'events', source_table: 'sales/events', kind: 'parquet',
          schema: [{ name: 'v', type: 'int32', nullable: true }, { name: 's', type: 'string', nullable: true }, { name: 'k', type: 'string', nullable: true }],
          partition_columns: ['k'], version: null, row_count: 3, error: null,
        },
        { name: 'orders', source_table: 'sales/orders', kind: 'delta', schema: [{ name: 'v', type: 'int32', nullable: true }], partition_columns: [], version: 0, row_count: 4, error: null },
      ],
    })
    t.same((await tables('sales', '&offset=1&limit=1')).body.items.map((i) => i.name), ['orders'], 'paginated')
    t.same((await tables('sales', '&offset=5')).body, { total: 2, limit: 50, offset: 5, items: [] })
    t.same((await tables('sales-link')).body.items.map((i) => i.source_table), ['sales-link/events', 'sales-link/orders'], 'through a link inside the org')
    t.same((await tables('marketing')).body, { total: 0, limit: 50, offset: 0, items: [] })
    // a browsed source_table registers as is
    const d = await registered(s, 'orders', (await tables('sales')).body.items[1]!.source_table)
    t.match(d, { version: 0, row_count: 4 })
  })

  t.test('tables Sluice cannot read are listed with the reason', { skip: conformancePresent ? false : 'needs the conformance fixtures' }, async (t) => {
    copyConformance(s, 'table-with-dv-small', 'zeta/dv')
    copyConformance(s, 'simple_table', 'zeta/simple')
    const { body } = await tables('zeta')
    t.ok(schemaValidator('BrowseTableList')(body))
    t.match(body.items, [
      { name: 'dv', kind: 'delta', schema: [], version: null, row_count: null, error: { error: 'unsupported_table', message: /deletionVectors/ } },
      { name: 'simple', kind: 'delta', schema: [{ name: 'id', type: 'int64' }], version: 4, row_count: null, error: null },
    ], 'no stats in simple_table: row_count null (not cheap)')
  })

  t.test('errors', async (t) => {
    const cases: [string, number, string, RegExp?][] = [
      ['/api/datasets/browse/schemas', 422, 'invalid_parameter', /connector_id/],
      ['/api/datasets/browse/schemas?connector_id=', 422, 'invalid_parameter', /connector_id/],
      ['/api/datasets/browse/schemas?connector_id=pg', 404, 'connector_not_found', /pg/],
      ['/api/datasets/browse/tables?connector_id=nope&schema=sales', 404, 'connector_not_found'],
      ['/api/datasets/browse/tables?connector_id=lakehouse', 422, 'invalid_parameter', /schema/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=nope', 422, 'invalid_parameter', /schema/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=loose-file', 422, 'invalid_parameter', /schema/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=..', 422, 'invalid_parameter', /schema/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=../globex/secret', 422, 'invalid_parameter', /schema/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=%252e%252e%252fglobex', 422, 'invalid_parameter', /schema/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=%2Fetc', 422, 'invalid_parameter', /absolute/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=escape', 422, 'invalid_parameter', /not a folder inside/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=escape%2Fglobex%2Fsecret', 422, 'invalid_parameter', /not a folder inside/],
      ['/api/datasets/browse/tables?connector_id=lakehouse&schema=sales&limit=x', 422, 'invalid_parameter', /limit/],
      ['/api/datasets/browse/schemas?connector_id=lakehouse&offset=-1', 422, 'invalid_parameter', /offset/],
    ]
    for (const [url, status, code, re] of cases) {
      const r = await json<ErrorBody>(s.api(url))
      t.same([r.status, r.body.error], [status, code], url)
      if (re) t.match(r.body.message, re, `${url}: "${r.body.message}"`)
      t.notMatch(JSON.stringify(r.body), /payroll/, 'nothing of globex leaks')
    }
    for (const roles of [['viewer'], []]) {
      const r = await json<ErrorBody>(s.api('/api/datasets/browse/schemas?connector_id=lakehouse', { claims: { roles } }))
      t.same([r.status, r.body.error], [403, 'forbidden'], `roles ${JSON.stringify(roles)}: browse needs editor or admin`)
      const unknown = await json<ErrorBody>(s.api('/api/datasets/browse/schemas?connector_id=pg', { claims: { roles } }))
      t.equal(unknown.status, 403, 'permission is checked before the connector')
    }
    t.equal((await s.api('/api/datasets/browse/schemas?connector_id=lakehouse', { claims: { roles: ['admin'] } })).status, 200, 'admins may browse')
    t.equal((await s.api('/api/datasets/browse/schemas?connector_id=lakehouse', { claims: null })).status, 401)
  })
})
