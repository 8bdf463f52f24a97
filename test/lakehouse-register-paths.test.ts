// Path safety of the lakehouse connector, as attacks: source_table may only name a table
// folder inside the caller's org folder, and nothing outside it is read, not through `..`,
// absolute paths, backslashes, NUL, percent-encoding, links, or a log that points elsewhere.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Int64 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import { makeDeltaTable, orgDir, register, registered, json, rows, writeCommit, writeParquet, type ErrorBody } from './helpers/lakehouse.js'

t.test('path attacks', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const acme = orgDir(s, 'acme')
  const globex = orgDir(s, 'globex')
  const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-outside-'))
  t.teardown(() => fs.rmSync(outside, { recursive: true, force: true }))

  makeDeltaTable(path.join(acme, 'sales', 'orders'), { 'a.parquet': [1, 2, 3] })
  makeDeltaTable(path.join(globex, 'sales', 'secret'), { 's.parquet': [42] })
  makeDeltaTable(path.join(outside, 'table'), { 'o.parquet': [666] })
  writeParquet(path.join(acme, 'sales', 'loose.parquet'), { x: { type: new Int64(), values: [1n] } })
  fs.mkdirSync(path.join(acme, 'sales', 'empty'))
  fs.mkdirSync(path.join(acme, 'links'))
  fs.symlinkSync(path.join(globex, 'sales', 'secret'), path.join(acme, 'links', 'to-globex'))
  fs.symlinkSync(path.join(outside, 'table'), path.join(acme, 'links', 'to-outside'))
  fs.symlinkSync(path.join(outside, 'missing'), path.join(acme, 'links', 'dangling'))
  fs.symlinkSync('..', path.join(acme, 'links', 'to-root'))
  fs.symlinkSync('../sales/orders', path.join(acme, 'links', 'inside'))

  const attempt = (source_table: unknown, claims?: { org: string; roles: string[] }) =>
    json<ErrorBody>(register(s, { name: 'attempt', connector_id: 'lakehouse', source_table }, claims))

  t.test('malformed paths are 422 invalid_parameter naming source_table', async (t) => {
    const cases: [unknown, RegExp][] = [
      ['../globex/sales/secret', /"\." or "\.\."/],
      ['sales/../../globex/sales/secret', /"\." or "\.\."/],
      ['sales/orders/..', /"\." or "\.\."/],
      ['..', /"\." or "\.\."/],
      ['.', /"\." or "\.\."/],
      ['./sales/orders', /"\." or "\.\."/],
      [path.join(acme, 'sales', 'orders'), /absolute/],
      ['/etc', /absolute/],
      ['C:/Windows', /absolute/],
      ['sales\\orders', /backslash/],
      ['..\\globex\\sales\\secret', /backslash/],
      ['sales/orders\u0000', /NUL/],
      ['sales/\norders', /control/],
      ['%2e%2e/globex/sales/secret', /percent-encoded|"\.\."/],
      ['%252e%252e/globex/sales/secret', /"\.\."/],
      ['sales%2f..%2f..%2fglobex', /percent-encoded/],
      ['sales//orders', /empty segment/],
      ['', /required/],
      [42, /required/],
      [null, /required/],
      ['a/'.repeat(40) + 'b', /segments/],
    ]
    for (const [src, re] of cases) {
      const { status, body } = await attempt(src)
      t.equal(status, 422, `${JSON.stringify(src)} → 422`)
      t.equal(body.error, 'invalid_parameter', `${JSON.stringify(src)} → invalid_parameter`)
      t.match(body.message, /source_table/, 'names the parameter')
      t.match(body.message, re, `${JSON.stringify(src)}: "${body.message}"`)
    }
  })

  t.test('paths that resolve outside the org folder, or to no table folder, are 422 invalid_parameter', async (t) => {
    const outsideMsg = /not a folder inside the org's lakehouse folder/
    const cases: [string, RegExp][] = [
      ['links/to-globex', outsideMsg],
      ['links/to-outside', outsideMsg],
      ['links/dangling', outsideMsg], // same message as outside: links cannot probe the disk
      ['sales/nope', outsideMsg],
      ['links/to-root', /org's lakehouse folder itself/],
      ['links/to-root/links/to-root', /org's lakehouse folder itself/],
      ['sales/loose.parquet', /is a file/],
      ['sales/orders/_delta_log/00000000000000000000.json', /is a file/],
    ]
    for (const [src, re] of cases) {
      const { status, body } = await attempt(src)
      t.same([status, body.error], [422, 'invalid_parameter'], src)
      t.match(body.message, re, `${src}: "${body.message}"`)
      t.notMatch(body.message, outside, 'never names the link target')
    }
    const empty = await attempt('sales/empty')
    t.same([empty.status, empty.body.error], [422, 'not_a_delta_table'], 'a folder without a log or Parquet files')
    t.same([(await attempt('sales/secret', { org: 'acme', roles: ['editor'] })).status], [422], "another org's table is not in this org's folder")
  })

  t.test('a link that stays inside the org folder is fine, and the real path is stored', async (t) => {
    const d = await registered(s, 'via_link', 'links/inside')
    t.match(d, { provenance: { source_table: 'links/inside' }, row_count: 3 })
    t.same(await rows(s, '/api/datasets/via_link/explore?select=n:count()'), [{ n: 3 }])
  })

  t.test('a log or data file leading outside is refused at registration and at query time', async (t) => {
    // a data file that is a link to another org's file
    const sneaky = makeDeltaTable(path.join(acme, 'sales', 'sneaky'), { 'ok.parquet': [1] })
    fs.symlinkSync(path.join(globex, 'sales', 'secret', 's.parquet'), path.join(sneaky, 'stolen.parquet'))
    writeCommit(sneaky, 1, [{ add: { path: 'stolen.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true, stats: '{"numRecords":1}' } }])
    let r = await attempt('sales/sneaky')
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'linked data file')
    t.match(r.body.message, /outside the org's lakehouse folder/)

    // an add path that climbs out of the table folder
    const climbing = makeDeltaTable(path.join(acme, 'sales', 'climbing'), { 'ok.parquet': [1] })
    writeCommit(climbing, 1, [{ add: { path: '../../../globex/sales/secret/s.parquet', partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } }])
    r = await attempt('sales/climbing')
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'add.path with ..')
    const absolute = makeDeltaTable(path.join(acme, 'sales', 'absolute'), { 'ok.parquet': [1] })
    writeCommit(absolute, 1, [{ add: { path: `file://${path.join(globex, 'sales', 'secret', 's.parquet')}`, partitionValues: {}, size: 1, modificationTime: 0, dataChange: true } }])
    r = await attempt('sales/absolute')
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'absolute file:// add.path')

    // a _delta_log that is a link to another org's log
    const borrowed = path.join(acme, 'sales', 'borrowed')
    fs.mkdirSync(borrowed)
    fs.symlinkSync(path.join(globex, 'sales', 'secret', '_delta_log'), path.join(borrowed, '_delta_log'))
    r = await attempt('sales/borrowed')
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'linked _delta_log')
    // a commit file that is a link
    const linkedCommit = makeDeltaTable(path.join(acme, 'sales', 'linked-commit'), { 'ok.parquet': [1] })
    fs.symlinkSync(path.join(outside, 'table', '_delta_log', '00000000000000000000.json'), path.join(linkedCommit, '_delta_log', '00000000000000000001.json'))
    r = await attempt('sales/linked-commit')
    t.same([r.status, r.body.error], [422, 'unsupported_table'], 'linked commit file')

    // registered while clean, made sneaky afterwards: reads refuse
    const later = makeDeltaTable(path.join(acme, 'sales', 'later'), { 'ok.parquet': [7] })
    await registered(s, 'later', 'sales/later')
    t.same(await rows(s, '/api/datasets/later/explore?select=v'), [{ v: 7 }])
    fs.rmSync(path.join(later, 'ok.parquet'))
    fs.symlinkSync(path.join(outside, 'table', 'o.parquet'), path.join(later, 'ok.parquet'))
    const q = await json<ErrorBody>(s.api('/api/datasets/later/explore?select=v'))
    t.same([q.status, q.body.error], [422, 'unsupported_table'], 'a data file replaced by a link after registration')
    t.notMatch(JSON.stringify({ ...q.body, request_id: undefined }), /666/, 'no value from outside')
    // the whole table folder swapped for a link to another org
    fs.rmSync(later, { recursive: true })
    fs.symlinkSync(path.join(globex, 'sales', 'secret'), later)
    const swapped = await json<ErrorBody>(s.api('/api/datasets/later/preview'))
    t.equal(swapped.status, 422, 'a table folder replaced by a link')
    // the other org's value (42) must not leak; the random request id may contain those digits
    t.notMatch(JSON.stringify({ ...swapped.body, request_id: undefined }), /42/)
    const history = await json<ErrorBody>(s.api('/api/datasets/later/history'))
    t.same([history.status, history.body.error], [422, 'unsupported_table'], 'history refuses too')
    t.same([swapped.body.error], ['unsupported_table'])
  })

  t.test('parquet folders: a linked file leading outside is refused', async (t) => {
    const dir = path.join(acme, 'sales', 'pq')
    writeParquet(path.join(dir, 'a.parquet'), { x: { type: new Int64(), values: [1n] } })
    fs.symlinkSync(path.join(outside, 'table', 'o.parquet'), path.join(dir, 'b.parquet'))
    const r = await attempt('sales/pq')
    t.same([r.status, r.body.error], [422, 'unsupported_table'])
  })

  t.test('org ids that are not plain names get their own encoded folder', async (t) => {
    const weird = { org: '../acme', roles: ['editor'] }
    const r = await json<ErrorBody>(register(s, { name: 'w', connector_id: 'lakehouse', source_table: 'sales/orders' }, weird))
    t.same([r.status, r.body.error], [422, 'invalid_parameter'], "an org named ../acme does not see acme's folder")
    t.ok(fs.readdirSync(path.join(s.dataDir, 'lakehouse')).some((n) => n.startsWith('~')), 'its folder is created under an encoded name')
  })
})
