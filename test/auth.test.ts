// Every way a bearer token can be wrong is a 401; roles gate writes (403); other orgs are invisible (404).
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as jose from 'jose'
import { startServer, uploadForm } from './helpers/server.js'

const b64 = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
const now = () => Math.floor(Date.now() / 1000)

t.test('HS256 server', async (t) => {
  const s = await startServer({ JWT_ISSUER: 'https://issuer.test', JWT_AUDIENCE: 'sluice' })
  t.teardown(() => s.stop())
  const key = new TextEncoder().encode(s.secret)
  const sign = (claims: jose.JWTPayload, k: Uint8Array = key) =>
    new jose.SignJWT({ org: 'acme', roles: ['editor'], iss: 'https://issuer.test', aud: 'sluice', ...claims })
      .setProtectedHeader({ alg: 'HS256' }).setSubject('alice').sign(k)
  const status = async (authorization?: string) => {
    const r = await fetch(`${s.url}/api/datasets`, { headers: authorization ? { authorization } : {} })
    const body = await r.json() as { error?: string; request_id?: string }
    return { status: r.status, error: body.error, requestId: body.request_id }
  }

  t.same(await status(`Bearer ${await sign({ exp: now() + 60 })}`), { status: 200, error: undefined, requestId: undefined }, 'a valid token passes')
  const missing = await status()
  t.equal(missing.status, 401, 'missing header')
  t.equal(missing.error, 'unauthorized')
  t.ok(missing.requestId, 'errors carry a request id')
  t.equal((await status('Bearer not-a-jwt')).status, 401, 'malformed token')
  t.equal((await status('Basic dXNlcjpwYXNz')).status, 401, 'wrong scheme')
  t.equal((await status(`Bearer ${await sign({ exp: now() - 10 })}`)).status, 401, 'expired')
  t.equal((await status(`Bearer ${await sign({ exp: now() + 60, nbf: now() + 600 })}`)).status, 401, 'not yet valid')
  t.equal((await status(`Bearer ${await sign({ exp: now() + 60 }, new TextEncoder().encode('another secret'))}`)).status, 401, 'wrong signature')
  const none = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub: 'alice', org: 'acme', roles: ['admin'], exp: now() + 60 })}.`
  t.equal((await status(`Bearer ${none}`)).status, 401, 'alg none')
  t.equal((await status(`Bearer ${await sign({ exp: now() + 60, iss: 'https://evil.test' })}`)).status, 401, 'wrong issuer')
  t.equal((await status(`Bearer ${await sign({ exp: now() + 60, aud: 'other' })}`)).status, 401, 'wrong audience')
  t.equal((await status(`Bearer ${await sign({ exp: now() + 60, org: undefined })}`)).status, 401, 'no org claim')
  t.equal((await status(`Bearer ${await sign({ exp: now() + 60, roles: 'admin' })}`)).status, 401, 'roles not an array')

  // A cached token must still stop working at its exp.
  const short = `Bearer ${await sign({ exp: now() + 2 })}`
  t.equal((await status(short)).status, 200, 'short-lived token works at first')
  await new Promise((r) => setTimeout(r, 3100))
  t.equal((await status(short)).status, 401, 'and is refused after exp, cache or not')

  for (const p of ['/healthz', '/openapi.json']) t.equal((await fetch(s.url + p)).status, 200, `${p} needs no token`)
  const r = await fetch(`${s.url}/api/datasets`, { headers: { 'x-request-id': 'trace-123' } })
  t.equal(r.headers.get('x-request-id'), 'trace-123', 'X-Request-Id is echoed')
  t.equal(((await r.json()) as { request_id: string }).request_id, 'trace-123')
})

t.test('asymmetric keys (JWKS file) refuse HS tokens', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-jwks-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const { publicKey, privateKey } = await jose.generateKeyPair('RS256', { extractable: true })
  const jwk = { ...(await jose.exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' }
  const jwksFile = path.join(dir, 'jwks.json')
  fs.writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }))
  const s = await startServer({ JWT_SECRET: '', JWT_JWKS_FILE: jwksFile })
  t.teardown(() => s.stop())
  const call = async (token: string) => (await fetch(`${s.url}/api/datasets`, { headers: { authorization: `Bearer ${token}` } })).status

  const rs = await new jose.SignJWT({ org: 'acme', roles: ['viewer'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('bob').setExpirationTime(now() + 60).sign(privateKey)
  t.equal(await call(rs), 200, 'RS256 token from the JWKS key passes')
  // Algorithm confusion: an HS256 token "signed" with the public key material as the secret.
  const pem = await jose.exportSPKI(publicKey)
  const hs = await new jose.SignJWT({ org: 'acme', roles: ['admin'] }).setProtectedHeader({ alg: 'HS256', kid: 'k1' })
    .setSubject('mallory').setExpirationTime(now() + 60).sign(new TextEncoder().encode(pem))
  t.equal(await call(hs), 401, 'HS256 token refused when an asymmetric key is configured')
  const other = await jose.generateKeyPair('RS256')
  const forged = await new jose.SignJWT({ org: 'acme', roles: ['admin'] }).setProtectedHeader({ alg: 'RS256', kid: 'k1' })
    .setSubject('mallory').setExpirationTime(now() + 60).sign(other.privateKey)
  t.equal(await call(forged), 401, 'RS256 token signed by another key refused')
})

t.test('roles and org isolation', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const csv = 'id,city\n1,Oslo\n2,Lima\n'
  const viewerUpload = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'cities' }, { name: 'c.csv', content: csv }), claims: { roles: ['viewer'] } })
  t.equal(viewerUpload.status, 403, 'a viewer cannot upload')
  t.equal(((await viewerUpload.json()) as { error: string }).error, 'forbidden')
  t.equal((await s.api('/api/datasets')).status, 200)
  t.equal(((await s.api('/api/datasets')).status), 200)
  const created = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'cities' }, { name: 'c.csv', content: csv }) })
  t.equal(created.status, 201, 'an editor can upload')

  const viewer = { roles: ['viewer'] }
  t.equal((await s.api('/api/datasets/cities', { claims: viewer })).status, 200, 'a viewer in the org can read')
  t.equal((await s.api('/api/datasets/cities/explore', { claims: viewer })).status, 200, 'and explore')
  t.equal((await s.api('/api/datasets/cities', { method: 'PATCH', body: '{"description":"x"}', claims: viewer })).status, 403, 'but not patch')
  t.equal((await s.api('/api/datasets/cities', { method: 'DELETE', claims: viewer })).status, 403, 'or delete')

  const other = { org: 'globex', roles: ['admin'] }
  for (const [method, p] of [['GET', '/api/datasets/cities'], ['GET', '/api/datasets/cities/explore'], ['GET', '/api/datasets/cities/preview'],
    ['PATCH', '/api/datasets/cities'], ['DELETE', '/api/datasets/cities'], ['POST', '/api/datasets/cities/explore']] as const) {
    const r = await s.api(p, { method, claims: other, ...(method !== 'GET' && method !== 'DELETE' ? { body: '{}' } : {}) })
    t.equal(r.status, 404, `${method} ${p} from another org is 404`)
    t.equal(((await r.json()) as { error: string }).error, 'dataset_not_found')
  }
  const list = (await (await s.api('/api/datasets', { claims: other })).json()) as { total: number; items: unknown[] }
  t.same([list.total, list.items.length], [0, 0], 'another org lists nothing')
  t.equal((await s.api('/api/datasets/cities')).status, 200, 'the dataset is still there for its org')
})
