// Who may do what (API.md), end to end: every dataset endpoint × every kind of caller × both
// AUTHZ_MODEs against a real server. The expected statuses are written by hand from API.md's
// table below — never derived from the code — so a permission slip anywhere shows up here.
import t, { type Test } from 'tap'
import { startServer, uploadForm, type Claims, type TestServer } from './helpers/server.js'

const PRINCIPALS = ['none', 'other', 'viewer', 'editor', 'admin', 'reader', 'writer', 'group', 'owner'] as const
type Key = (typeof PRINCIPALS)[number]

/** Callers. Grantees are viewers so that only their grants can let them write. */
const CLAIMS: Record<Key, Claims | null> = {
  none: null,
  // Same sub as the creator, in another org: neither the sub nor the role may cross orgs.
  other: { sub: 'owner', org: 'globex', roles: ['viewer'] },
  viewer: { sub: 'vic', roles: ['viewer'] },
  editor: { sub: 'eddie', roles: ['editor'] },
  admin: { sub: 'ada', roles: ['admin'] },
  reader: { sub: 'reader', roles: ['viewer'] }, // grant user:reader dataset.read
  writer: { sub: 'writer', roles: ['viewer'] }, // grant user:writer dataset.readwrite
  group: { sub: 'gina', roles: ['viewer'], groups: ['analysts'] }, // grant group:analysts dataset.read
  owner: { sub: 'owner', roles: ['editor'] }, // the creator of every dataset below
}

/**
 * Expected status per caller, in PRINCIPALS order:
 *            none other viewer editor admin reader writer group owner
 * Reads use `shared`; writes use the caller's own throwaway copy `t_<caller>` (same grants),
 * deleted last. Refresh of an upload is 422 unsupported_table once the permission check passed.
 */
const TABLE: { endpoint: string; legacy: string; grants: string }[] = [
  { endpoint: 'get',            legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'preview',        legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'explore GET',    legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'explore POST',   legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'profile',        legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'column-stats',   legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'history',        legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  { endpoint: 'classification', legacy: '401 404 200 200 200 200 200 200 200', grants: '401 404 404 404 200 200 200 200 200' },
  // overrides: admin or the creator (both modes); refresh replaces automatic rows: write access
  { endpoint: 'classification PATCH', legacy: '401 404 403 403 200 403 403 403 200', grants: '401 404 404 404 200 403 403 403 200' },
  { endpoint: 'classification refresh', legacy: '401 404 403 200 200 403 403 403 200', grants: '401 404 404 404 200 403 200 403 200' },
  // per org, counting only what the caller may read: every member may ask
  { endpoint: 'governance summary', legacy: '401 200 200 200 200 200 200 200 200', grants: '401 200 200 200 200 200 200 200 200' },
  { endpoint: 'grants GET',     legacy: '401 404 403 403 200 403 403 403 200', grants: '401 404 404 404 200 403 403 403 200' },
  { endpoint: 'grants POST',    legacy: '401 404 403 403 201 403 403 403 201', grants: '401 404 404 404 201 403 403 403 201' },
  { endpoint: 'grants DELETE',  legacy: '401 404 403 403 204 403 403 403 204', grants: '401 404 404 404 204 403 403 403 204' },
  { endpoint: 'job GET',        legacy: '401 404 404 404 200 404 404 404 200', grants: '401 404 404 404 200 404 404 404 200' },
  { endpoint: 'patch description', legacy: '401 404 403 200 200 403 403 403 200', grants: '401 404 404 404 200 403 200 403 200' },
  { endpoint: 'patch masking',  legacy: '401 404 403 403 200 403 403 403 200', grants: '401 404 404 404 200 403 403 403 200' },
  // other: a viewer of globex appending to a name its org lacks would create it: 403.
  { endpoint: 'upload append',  legacy: '401 403 403 200 200 403 403 403 200', grants: '401 403 404 404 200 403 200 403 200' },
  { endpoint: 'optimize',       legacy: '401 404 403 200 200 403 403 403 200', grants: '401 404 404 404 200 403 200 403 200' },
  { endpoint: 'vacuum',         legacy: '401 404 403 200 200 403 403 403 200', grants: '401 404 404 404 200 403 200 403 200' },
  { endpoint: 'refresh',        legacy: '401 404 403 422 422 403 403 403 422', grants: '401 404 404 404 422 403 422 403 422' },
  { endpoint: 'delete',         legacy: '401 404 403 204 204 403 403 403 204', grants: '401 404 404 404 204 403 204 403 204' },
]

/** Datasets (all created by owner) and their grants. */
const SHARED_GRANTS = [['user:reader', 'dataset.read'], ['user:writer', 'dataset.readwrite'], ['group:analysts', 'dataset.read']]
const DATASETS: Record<string, string[][]> = {
  shared: SHARED_GRANTS,
  private: [],
  for_group: [['group:analysts', 'dataset.read']],
  for_editors: [['role:editor', 'dataset.read']],
  ...Object.fromEntries(PRINCIPALS.map((k) => [`t_${k}`, SHARED_GRANTS])),
}
const ALL = Object.keys(DATASETS).sort()
const THROWAWAY = PRINCIPALS.map((k) => `t_${k}`)
const SHARED_AND_THROWAWAY = ['shared', ...THROWAWAY].sort()

/** The exact names each caller's list shows (null: 401). Lists run before anything is deleted. */
const GRANTED: Record<Key, string[] | null> = {
  none: null, other: [], viewer: [], editor: ['for_editors'], admin: ALL,
  reader: SHARED_AND_THROWAWAY, writer: SHARED_AND_THROWAWAY,
  group: ['for_group', ...SHARED_AND_THROWAWAY].sort(), owner: ALL,
}
const LISTS: { endpoint: string; legacy: Record<Key, string[] | null>; grants: Record<Key, string[] | null> }[] = [
  {
    endpoint: 'GET /api/datasets',
    legacy: { none: null, other: [], viewer: ALL, editor: ALL, admin: ALL, reader: ALL, writer: ALL, group: ALL, owner: ALL },
    grants: GRANTED,
  },
  { endpoint: 'GET /api/datasets/available', legacy: GRANTED, grants: GRANTED },
]

const CSV = 'id,region,amount,day\n1,EU,12.5,2024-03-01\n2,US,7,2024-03-01\n3,EU,3.25,2024-03-02\n'
const CODE: Record<number, string> = { 401: 'unauthorized', 403: 'forbidden', 422: 'unsupported_table' }

interface Request { path: string; method?: string; body?: FormData; json?: unknown }

/** The request each endpoint sends for caller `k`; `ctx` holds ids made during set-up. */
function request(endpoint: string, k: Key, ctx: { grantIds: Record<Key, string>; jobId: string }): Request {
  const own = `/api/datasets/t_${k}`
  switch (endpoint) {
    case 'get': return { path: '/api/datasets/shared' }
    case 'preview': return { path: '/api/datasets/shared/preview?limit=2' }
    case 'explore GET': return { path: '/api/datasets/shared/explore?select=region,n:count()&group=region' }
    case 'explore POST': return { path: '/api/datasets/shared/explore', method: 'POST', json: { select: ['region', 'n:count()'], group: 'region' } }
    case 'profile': return { path: '/api/datasets/shared/profile' }
    case 'column-stats': return { path: '/api/datasets/shared/column-stats?time_column=day' }
    case 'history': return { path: '/api/datasets/shared/history' }
    case 'classification': return { path: '/api/datasets/shared/classification' }
    case 'classification PATCH': return { path: '/api/datasets/shared/classification', method: 'PATCH', json: { columns: [{ name: 'region', semantic_type: 'categorical' }] } }
    case 'classification refresh': return { path: `${own}/classification/refresh`, method: 'POST' }
    case 'governance summary': return { path: '/api/datasets/governance/summary' }
    case 'grants GET': return { path: '/api/datasets/shared/grants' }
    case 'grants POST': return { path: '/api/datasets/shared/grants', method: 'POST', json: { principal: `user:x_${k}`, permission: 'dataset.read' } }
    case 'grants DELETE': return { path: `/api/datasets/shared/grants/${ctx.grantIds[k]}`, method: 'DELETE' }
    case 'job GET': return { path: `/api/jobs/${ctx.jobId}` }
    case 'patch description': return { path: own, method: 'PATCH', json: { description: `by ${k}` } }
    // A different rule per caller, so every call really changes the masking rules.
    case 'patch masking': return { path: own, method: 'PATCH', json: { settings: { masking: [{ column: 'region', strategy: 'redact', unmask_roles: [`r_${k}`] }] } } }
    case 'upload append': return { path: '/api/datasets/file/upload', method: 'POST', body: uploadForm({ name: `t_${k}`, mode: 'append' }, { name: 'more.csv', content: CSV }) }
    case 'optimize': return { path: `${own}/optimize`, method: 'POST' }
    case 'vacuum': return { path: `${own}/vacuum?dry_run=true`, method: 'POST' }
    case 'refresh': return { path: `${own}/refresh`, method: 'POST' }
    case 'delete': return { path: own, method: 'DELETE' }
    default: throw new Error(`no request for ${endpoint}`)
  }
}

async function call(s: TestServer, k: Key, r: Request): Promise<Response> {
  const headers: Record<string, string> = r.json !== undefined ? { 'content-type': 'application/json' } : {}
  const body = r.json !== undefined ? JSON.stringify(r.json) : r.body
  return s.api(r.path, { method: r.method ?? 'GET', headers, claims: CLAIMS[k], ...(body !== undefined ? { body } : {}) })
}

async function ok(s: TestServer, path: string, init: RequestInit & { claims?: Claims | null }, status: number): Promise<any> {
  const r = await s.api(path, init)
  const text = await r.text()
  if (r.status !== status) throw new Error(`${init.method ?? 'GET'} ${path}: ${r.status} ${text}`)
  return text ? JSON.parse(text) : undefined
}

async function setUp(s: TestServer) {
  const owner = CLAIMS.owner!
  for (const [name, grants] of Object.entries(DATASETS)) {
    await ok(s, '/api/datasets/file/upload', { method: 'POST', claims: owner, body: uploadForm({ name }, { name: 'sales.csv', content: CSV }) }, 201)
    for (const [principal, permission] of grants) {
      await ok(s, `/api/datasets/${name}/grants`, { method: 'POST', claims: owner, body: JSON.stringify({ principal, permission }) }, 201)
    }
  }
  // One grant per caller for it to try to revoke.
  const grantIds = {} as Record<Key, string>
  for (const k of PRINCIPALS) {
    grantIds[k] = (await ok(s, '/api/datasets/shared/grants', { method: 'POST', claims: owner, body: JSON.stringify({ principal: `user:tmp_${k}`, permission: 'dataset.read' }) }, 201)).id
  }
  // A job of the owner's (async OPTIMIZE): jobs are for their creator and admins.
  const jobId = (await ok(s, '/api/datasets/shared/optimize?async=true', { method: 'POST', claims: owner }, 202)).job.id as string
  return { grantIds, jobId }
}

async function runMode(t: Test, mode: 'legacy' | 'grants') {
  const s = await startServer({ AUTHZ_MODE: mode })
  t.teardown(() => s.stop())
  const ctx = await setUp(s)

  for (const list of LISTS) {
    const [method, path] = list.endpoint.split(' ') as [string, string]
    for (const k of PRINCIPALS) {
      const want = list[mode][k]
      const r = await s.api(`${path}?limit=200`, { method, claims: CLAIMS[k] })
      const body = await r.json() as { total: number; items: { name: string }[]; error?: string }
      if (want === null) {
        t.same([r.status, body.error], [401, 'unauthorized'], `${mode} ${list.endpoint} ${k}: 401`)
        continue
      }
      t.equal(r.status, 200, `${mode} ${list.endpoint} ${k}: 200`)
      t.same(body.items.map((d) => d.name).sort(), want, `${mode} ${list.endpoint} ${k}: exactly its datasets`)
      t.equal(body.total, want.length, `${mode} ${list.endpoint} ${k}: total`)
    }
  }

  for (const row of TABLE) {
    const want = row[mode].split(/\s+/).map(Number)
    t.equal(want.length, PRINCIPALS.length, `${row.endpoint}: one status per caller`)
    for (const [i, k] of PRINCIPALS.entries()) {
      const r = await call(s, k, request(row.endpoint, k, ctx))
      const text = await r.text()
      const label = `${mode} ${row.endpoint} ${k}: ${want[i]}`
      t.equal(r.status, want[i], label + (r.status === want[i] ? '' : ` (got ${r.status} ${text.slice(0, 200)})`))
      if (r.status !== want[i] || r.status < 400) continue
      const code = r.status === 404 ? (row.endpoint === 'job GET' ? 'job_not_found' : 'dataset_not_found') : CODE[r.status]
      t.equal((JSON.parse(text) as { error: string }).error, code, `${label} is ${code}`)
    }
  }
}

t.test('AUTHZ_MODE=legacy', (t) => runMode(t, 'legacy'))
t.test('AUTHZ_MODE=grants', (t) => runMode(t, 'grants'))
