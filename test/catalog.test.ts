// Listing, search, pagination, names, settings validation, and deletion of managed files.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

const upload = (s: TestServer, name: string, description = '') =>
  s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name, description }, { name: 'd.csv', content: 'id,email,amount\n1,a@x.io,1.5\n2,b@y.io,2.5\n' }) })

t.test('catalog', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())

  // Three datasets created in a known order, with descriptions to search.
  for (const [name, desc] of [['sales_2024', 'revenue by day'], ['Customers', 'people who buy'], ['audit.log-v1', 'who did what']]) {
    const r = await upload(s, name, desc)
    t.equal(r.status, 201, `upload ${name}`)
    await new Promise((r) => setTimeout(r, 5)) // distinct created_at
  }
  const list = async (q: string) => (await (await s.api(`/api/datasets${q}`)).json()) as { total: number; limit: number; offset: number; items: { name: string }[] }

  const all = await list('')
  t.equal(all.total, 3)
  t.same(all.items.map((d) => d.name), ['Customers', 'audit.log-v1', 'sales_2024'], 'default sort is by name (code point order)')
  t.same((await list('?sort=-name')).items.map((d) => d.name), ['sales_2024', 'audit.log-v1', 'Customers'])
  t.same((await list('?sort=created_at')).items.map((d) => d.name), ['sales_2024', 'Customers', 'audit.log-v1'])
  t.same((await list('?sort=-created_at')).items.map((d) => d.name), ['audit.log-v1', 'Customers', 'sales_2024'])
  const page = await list('?limit=1&offset=1')
  t.same([page.total, page.limit, page.offset, page.items.map((d) => d.name)], [3, 1, 1, ['audit.log-v1']], 'limit/offset page, total counts all')
  t.equal((await list('?limit=5000')).limit, 200, 'limit above 200 is clamped')
  t.same((await list('?q=revenue')).items.map((d) => d.name), ['sales_2024'], 'q searches descriptions')
  t.same((await list('?q=CUST')).items.map((d) => d.name), ['Customers'], 'q is case-insensitive on names')
  t.same((await list('?q=%25')).total, 0, 'q treats % literally')
  for (const bad of ['?limit=abc', '?offset=-1', '?sort=size', '?limit=1.5']) {
    const r = await s.api(`/api/datasets${bad}`)
    const body = (await r.json()) as { error: string; message: string }
    t.equal(r.status, 422, `${bad} is 422`)
    t.equal(body.error, 'invalid_parameter')
    t.match(body.message, bad.slice(1, bad.indexOf('=')), 'message names the parameter')
  }

  const taken = await upload(s, 'sales_2024')
  t.equal(taken.status, 409)
  t.equal(((await taken.json()) as { error: string }).error, 'dataset_name_taken')
  for (const name of ['file', 'browse', 'available', 'import', 'import-batch', 'governance', '-lead', 'has space', 'x'.repeat(129), '']) {
    const r = await upload(s, name)
    t.equal(r.status, 422, `name ${JSON.stringify(name.slice(0, 20))} is refused`)
    t.equal(((await r.json()) as { error: string }).error, 'invalid_name')
  }
  t.equal((await upload(s, 'x'.repeat(128))).status, 201, '128 characters is fine')

  const one = (await (await s.api('/api/datasets/sales_2024')).json()) as Record<string, unknown>
  t.equal(one.kind, 'upload')
  t.equal(one.version, 0)
  t.equal(one.row_count, 2)
  t.same(one.schema, [{ name: 'id', type: 'int64', nullable: true, masked: false }, { name: 'email', type: 'string', nullable: true, masked: false }, { name: 'amount', type: 'float64', nullable: true, masked: false }])
  t.match(one.provenance, { source: 'upload', file: { name: 'd.csv' } })
  t.equal(one.created_by, 'alice')

  const patch = (body: unknown) => s.api('/api/datasets/sales_2024', { method: 'PATCH', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } })
  const good = { masking: [{ column: 'email', strategy: 'email', unmask_roles: ['pii_reader'] }], refresh: 'manual', profile_cache_ttl: '10m' }
  const ok = await patch({ description: 'new text', settings: good })
  t.equal(ok.status, 200)
  t.match(await ok.json(), { description: 'new text', settings: { masking: [{ column: 'email', strategy: 'email' }] } })
  const badSettings: unknown[] = [
    { nope: 1 },
    { masking: [{ column: 'missing', strategy: 'hash' }] },
    { masking: [{ column: 'email', strategy: 'scramble' }] },
    { masking: [{ column: 'amount', strategy: 'email' }] },
    { masking: [{ column: 'amount', strategy: 'round' }] },
    { masking: [{ column: 'amount', strategy: 'round', params: { step: -1 } }] },
    { masking: [{ column: 'email', strategy: 'hash', params: { salt: 'x' } }] },
    { refresh: { every: 'often' } },
    { profile_cache_ttl: 10 },
    [],
  ]
  for (const settings of badSettings) {
    const r = await patch({ settings })
    t.equal(r.status, 422, `settings ${JSON.stringify(settings)} refused`)
    t.equal(((await r.json()) as { error: string }).error, 'invalid_settings')
  }
  t.equal((await patch({ name: 'renamed' })).status, 422, 'unknown patch keys are refused')
  const asBob = (body: unknown, roles = ['editor']) => s.api('/api/datasets/sales_2024', { method: 'PATCH', body: JSON.stringify(body), claims: { sub: 'bob', roles } })
  t.equal((await asBob({ description: 'bob was here' })).status, 200, 'another editor may change the description')
  t.equal((await asBob({ settings: { ...good, masking: [] } })).status, 403, 'but not the masking rules (admin or creator only)')
  t.equal((await asBob({ settings: { ...good, profile_cache_ttl: '5m' } })).status, 200, 'other settings are fine when masking is unchanged')
  t.equal((await asBob({ settings: { masking: [] } }, ['admin'])).status, 200, 'an admin may change masking')
  const malformed = await s.api('/api/datasets/sales_2024', { method: 'PATCH', body: '{"description":' })
  t.equal(malformed.status, 400)
  t.equal(((await malformed.json()) as { error: string }).error, 'bad_request')

  const tables = path.join(s.dataDir, 'tables')
  const before = fs.readdirSync(tables).length
  const d = (await (await s.api('/api/datasets/Customers')).json()) as { id: string }
  t.ok(fs.existsSync(path.join(tables, d.id, '_delta_log', '00000000000000000000.json')), 'the managed table is on disk')
  t.equal((await s.api('/api/datasets/Customers', { method: 'DELETE' })).status, 204)
  t.notOk(fs.existsSync(path.join(tables, d.id)), 'delete removes the managed table')
  t.equal(fs.readdirSync(tables).length, before - 1)
  t.equal((await s.api('/api/datasets/Customers')).status, 404)
  t.equal((await s.api('/api/nothing-here')).status, 404, 'unknown routes are 404')
})
