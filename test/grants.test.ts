// Share grants over real HTTP: the grant endpoints (validation, create vs change, revoke),
// their effect in AUTHZ_MODE=grants, and list filtering with correct totals and paging.
import t from 'tap'
import { startServer, uploadForm, type Claims, type TestServer } from './helpers/server.js'

const CSV = 'id,region,amount,day\n1,EU,12.5,2024-03-01\n2,US,7,2024-03-01\n'
const OWNER: Claims = { sub: 'owner', roles: ['editor'] }
const ADMIN: Claims = { sub: 'ada', roles: ['admin'] }

interface Res { status: number; body: any }

async function api(s: TestServer, path: string, claims: Claims | null, method = 'GET', json?: unknown): Promise<Res> {
  const r = await s.api(path, { method, claims, ...(json !== undefined ? { body: typeof json === 'string' ? json : JSON.stringify(json), headers: { 'content-type': 'application/json' } } : {}) })
  const text = await r.text()
  return { status: r.status, body: text ? JSON.parse(text) : undefined }
}

async function upload(s: TestServer, name: string, claims: Claims = OWNER, description = ''): Promise<void> {
  const r = await s.api('/api/datasets/file/upload', { method: 'POST', claims, body: uploadForm({ name, description }, { name: 'x.csv', content: CSV }) })
  if (r.status !== 201) throw new Error(`upload ${name}: ${r.status} ${await r.text()}`)
}

const grant = (s: TestServer, name: string, principal: unknown, permission: unknown, claims: Claims = OWNER) =>
  api(s, `/api/datasets/${name}/grants`, claims, 'POST', { principal, permission })

t.test('the grant endpoints', async (t) => {
  const s = await startServer({ AUTHZ_MODE: 'grants' })
  t.teardown(() => s.stop())
  await upload(s, 'sales')

  t.test('create, change, list, revoke', async (t) => {
    const created = await grant(s, 'sales', 'user:bob', 'dataset.read')
    t.equal(created.status, 201, 'a new grant is 201')
    t.same(Object.keys(created.body).sort(), ['created_at', 'created_by', 'id', 'permission', 'principal'])
    t.match(created.body, { principal: 'user:bob', permission: 'dataset.read', created_by: 'owner' })
    t.ok(!Number.isNaN(Date.parse(created.body.created_at)), 'created_at is a timestamp')

    const changed = await grant(s, 'sales', 'user:bob', 'dataset.readwrite', ADMIN)
    t.equal(changed.status, 200, 'granting again changes the permission: 200')
    t.same(changed.body, { ...created.body, permission: 'dataset.readwrite' }, 'same grant, same id and creator')

    const again = await grant(s, 'sales', 'user:bob', 'dataset.readwrite')
    t.equal(again.status, 200, 'granting the same permission again is 200 too')

    await grant(s, 'sales', 'group:analysts', 'dataset.read')
    await grant(s, 'sales', 'role:auditor', 'dataset.read')
    const list = await api(s, '/api/datasets/sales/grants', OWNER)
    t.equal(list.status, 200)
    t.same(list.body.items.map((g: { principal: string }) => g.principal), ['user:bob', 'group:analysts', 'role:auditor'], 'oldest first')
    t.match(list.body, { total: 3, limit: 50, offset: 0 })
    const page = await api(s, '/api/datasets/sales/grants?limit=1&offset=1', OWNER)
    t.same([page.body.total, page.body.items.map((g: { principal: string }) => g.principal)], [3, ['group:analysts']], 'paged')
    t.equal((await api(s, '/api/datasets/sales/grants?limit=x', OWNER)).body.error, 'invalid_parameter')

    const bob: Claims = { sub: 'bob', roles: ['viewer'] }
    t.equal((await api(s, '/api/datasets/sales', bob)).status, 200, 'bob reads through his grant')
    t.equal((await api(s, `/api/datasets/sales/grants/${created.body.id}`, OWNER, 'DELETE')).status, 204)
    t.equal((await api(s, '/api/datasets/sales', bob)).body.error, 'dataset_not_found', 'revoked: the dataset is gone for bob')
    const gone = await api(s, `/api/datasets/sales/grants/${created.body.id}`, OWNER, 'DELETE')
    t.same([gone.status, gone.body.error], [404, 'not_found'], 'an unknown grant id is 404 not_found')
    t.same((await api(s, '/api/datasets/nope/grants', OWNER)).body.error, 'dataset_not_found')
  })

  t.test('validation', async (t) => {
    const bad = async (principal: unknown, permission: unknown, label: string) => {
      const r = await grant(s, 'sales', principal, permission)
      t.same([r.status, r.body.error], [422, 'invalid_parameter'], label)
      return r.body.message as string
    }
    t.match(await bad('bob', 'dataset.read', 'no prefix'), /principal/)
    t.match(await bad('team:x', 'dataset.read', 'unknown prefix'), /principal/)
    await bad('user:', 'dataset.read', 'empty name')
    await bad('user:' + 'a'.repeat(201), 'dataset.read', '201 characters')
    await bad('user:a\nb', 'dataset.read', 'a newline')
    await bad('user:a\u0000', 'dataset.read', 'NUL')
    await bad('group:a\u0085', 'dataset.read', 'a C1 control character')
    await bad(42, 'dataset.read', 'not a string')
    await bad(undefined, 'dataset.read', 'missing principal')
    t.match(await bad('user:bob', 'dataset.write', 'unknown permission'), /permission/)
    await bad('user:bob', undefined, 'missing permission')
    t.equal((await grant(s, 'sales', 'user:' + 'a'.repeat(200), 'dataset.read')).status, 201, '200 characters are fine')
    t.equal((await grant(s, 'sales', 'group:Data Team / EU', 'dataset.read')).status, 201, 'spaces and slashes are fine')

    const extra = await api(s, '/api/datasets/sales/grants', OWNER, 'POST', { principal: 'user:x', permission: 'dataset.read', expires: 1 })
    t.same([extra.status, extra.body.error], [422, 'invalid_parameter'], 'unknown key')
    t.match(extra.body.message, /expires/)
    t.equal((await api(s, '/api/datasets/sales/grants', OWNER, 'POST', '[1]')).body.error, 'bad_request', 'an array body')
    t.equal((await api(s, '/api/datasets/sales/grants', OWNER, 'POST', '{"principal":')).body.error, 'bad_request', 'malformed JSON')
    // Authorization comes first: a reader without rights learns nothing from validation.
    await grant(s, 'sales', 'user:rita', 'dataset.readwrite')
    const rita = await grant(s, 'sales', 'nonsense', 'nonsense', { sub: 'rita', roles: ['editor'] })
    t.same([rita.status, rita.body.error], [403, 'forbidden'], 'a readwrite grantee may not manage grants')
  })

  t.test('a role grant and the creator', async (t) => {
    await upload(s, 'roles')
    const viewer: Claims = { sub: 'vic', roles: ['viewer'] }
    t.equal((await api(s, '/api/datasets/roles', viewer)).status, 404)
    await grant(s, 'roles', 'role:viewer', 'dataset.readwrite')
    t.equal((await api(s, '/api/datasets/roles', viewer, 'PATCH', { description: 'x' })).status, 200, 'role:viewer readwrite lets a viewer write')
    // The creator holds readwrite implicitly; a grant cannot lower it.
    await grant(s, 'roles', 'user:owner', 'dataset.read')
    t.equal((await api(s, '/api/datasets/roles', OWNER, 'PATCH', { description: 'y' })).status, 200, 'the creator still writes')
  })

  t.test('grants go with their dataset', async (t) => {
    await upload(s, 'temp')
    await grant(s, 'temp', 'user:bob', 'dataset.read')
    const bob: Claims = { sub: 'bob', roles: ['viewer'] }
    t.equal((await api(s, '/api/datasets/temp', bob)).status, 200)
    t.equal((await api(s, '/api/datasets/temp', OWNER, 'DELETE')).status, 204)
    await upload(s, 'temp')
    t.equal((await api(s, '/api/datasets/temp', bob)).status, 404, 'a new dataset of the same name does not inherit the grant')
    t.same((await api(s, '/api/datasets/temp/grants', OWNER)).body.items, [])
  })

  t.test('orgs do not mix', async (t) => {
    await upload(s, 'acme_only')
    await grant(s, 'acme_only', 'user:bob', 'dataset.read')
    await grant(s, 'acme_only', 'role:admin', 'dataset.readwrite')
    const otherAdmin: Claims = { sub: 'bob', org: 'globex', roles: ['admin'] }
    t.equal((await api(s, '/api/datasets/acme_only', otherAdmin)).body.error, 'dataset_not_found', 'same sub and role in another org: 404')
    t.equal((await api(s, '/api/datasets/acme_only/grants', otherAdmin)).body.error, 'dataset_not_found')
    const list = await api(s, '/api/datasets/available', otherAdmin)
    t.same([list.body.total, list.body.items], [0, []], 'nothing of acme in its lists')
  })
})

t.test('lists filtered by grants: totals, paging, search', async (t) => {
  for (const mode of ['legacy', 'grants'] as const) {
    t.test(`AUTHZ_MODE=${mode}`, async (t) => {
      const s = await startServer({ AUTHZ_MODE: mode })
      t.teardown(() => s.stop())
      const bob: Claims = { sub: 'bob', roles: ['editor'], groups: ['analysts'] }
      // a1..a6 by the owner, two of them granted to bob (directly, by group); b1 is bob's own.
      for (const n of ['a1', 'a2', 'a3', 'a4', 'a5', 'a6']) await upload(s, n, OWNER, n === 'a5' ? 'the quarterly numbers' : '')
      await upload(s, 'b1', bob)
      await grant(s, 'a2', 'user:bob', 'dataset.read')
      await grant(s, 'a5', 'group:analysts', 'dataset.read')

      const names = (r: Res) => r.body.items.map((d: { name: string }) => d.name)
      const page1 = await api(s, '/api/datasets/available?limit=2', bob)
      t.same([page1.body.total, names(page1)], [3, ['a2', 'a5']], 'available: granted and own, first page')
      const page2 = await api(s, '/api/datasets/available?limit=2&offset=2', bob)
      t.same([page2.body.total, names(page2), page2.body.limit, page2.body.offset], [3, ['b1'], 2, 2], 'second page')
      t.same(names(await api(s, '/api/datasets/available?sort=-name', bob)), ['b1', 'a5', 'a2'], 'sorted')
      const search = await api(s, '/api/datasets/available?q=quarterly', bob)
      t.same([search.body.total, names(search)], [1, ['a5']], 'q searches within the available datasets')
      t.equal((await api(s, '/api/datasets/available?sort=bogus', bob)).body.error, 'invalid_parameter')
      t.equal((await api(s, '/api/datasets/available', null)).status, 401)
      const admin = await api(s, '/api/datasets/available?limit=3', ADMIN)
      t.same([admin.body.total, names(admin)], [7, ['a1', 'a2', 'a3']], 'admins: every dataset')

      const list = await api(s, '/api/datasets?limit=2&offset=1', bob)
      if (mode === 'legacy') t.same([list.body.total, names(list)], [7, ['a2', 'a3']], 'legacy: GET /api/datasets shows the whole org')
      else t.same([list.body.total, names(list)], [3, ['a5', 'b1']], 'grants: GET /api/datasets shows only readable datasets')
      const hidden = await api(s, '/api/datasets?q=a1', bob)
      t.equal(hidden.body.total, mode === 'legacy' ? 1 : 0, 'an unreadable dataset is not found by search either')
    })
  }
})

t.test('AUTHZ_MODE must be legacy or grants', async (t) => {
  await t.rejects(startServer({ AUTHZ_MODE: 'open' }), /AUTHZ_MODE must be legacy or grants/)
})
