// PostgreSQL connectors as catalog objects: CRUD over HTTP, who may do what, per-org
// isolation, 409/404/422, secrets write-only (never in a response, never in the logs,
// encrypted on disk), SECRETS_KEY validation and CONNECTORS_FILE with ${ENV} references.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import crypto from 'node:crypto'
import Database from 'better-sqlite3'
import { startServer, type TestServer } from './helpers/server.js'
import { pgTestDatabase, type PgTestDatabase } from './helpers/pg.js'
import { closedPort } from './helpers/tcp-proxy.js'
import { schemaValidator } from './helpers/lakehouse.js'

const ADMIN = { roles: ['admin'] }
const EDITOR = { roles: ['editor'] }
const VIEWER = { roles: ['viewer'] }

interface Connector {
  id: string; type: string; source: string; config: Record<string, unknown>
  health: { state: string; checked_at: string | null; error: { error: string; message: string } | null }
  created_by: string | null; created_at: string | null; updated_at: string | null
}

async function call<T = Record<string, unknown>>(s: TestServer, method: string, p: string, body?: unknown, claims: { org?: string; roles: string[] } = ADMIN) {
  const r = await s.api(p, { method, claims, ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body), headers: { 'content-type': 'application/json' } }) })
  const text = await r.text()
  return { status: r.status, text, body: (text ? JSON.parse(text) : undefined) as T }
}

/** Every byte under `dir` (catalog, WAL, key file...) as one buffer per file. */
function filesUnder(dir: string): { file: string; bytes: Buffer }[] {
  return fs.readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => { const file = path.join(e.parentPath, e.name); return { file, bytes: fs.readFileSync(file) } })
}

/** A connector config reaching the test database (its real password, or a made-up one under trust auth). */
function pgConfig(pg: PgTestDatabase, password: string) {
  return { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password }
}

t.test('connectors', async (t) => {
  const pg = await pgTestDatabase(t)
  // Under trust auth (a local server) any password connects; otherwise the real one is needed.
  const livePassword = pg.password || `live-${crypto.randomBytes(8).toString('hex')}`
  const secret = `S3cret-${crypto.randomBytes(12).toString('hex')}`
  const urlSecret = `Url%Pw-${crypto.randomBytes(8).toString('hex')}`
  const s = await startServer()
  t.teardown(() => s.stop())
  const connector = schemaValidator('Connector')
  const list = schemaValidator('ConnectorList')

  t.test('create, get, list: never a password', async (t) => {
    const created = await call<Connector>(s, 'POST', '/api/connectors', { id: 'warehouse', type: 'postgres', config: pgConfig(pg, livePassword) })
    t.equal(created.status, 201, created.text)
    t.ok(connector(created.body), `a Connector: ${connector.text()}`)
    t.match(created.body, {
      id: 'warehouse', type: 'postgres', source: 'api', created_by: 'alice',
      config: { host: pg.host, port: pg.port, database: pg.database, user: pg.user, ssl: false, pool_size: 5, statement_timeout: '30s', queue_timeout: '10s', password_set: true },
      health: { state: 'unknown', checked_at: null, error: null },
    })
    t.notOk('password' in created.body.config, 'no password key')

    const withUrl = await call<Connector>(s, 'POST', '/api/connectors', {
      id: 'by-url', type: 'postgres',
      config: { url: `postgresql://reader:${encodeURIComponent(urlSecret)}@db.example:6543/sales?sslmode=require`, pool_size: 2, statement_timeout: 5000 },
    })
    t.equal(withUrl.status, 201, withUrl.text)
    t.same(withUrl.body.config, { url: 'postgresql://reader@db.example:6543/sales?sslmode=require', pool_size: 2, statement_timeout: 5000, queue_timeout: '10s', password_set: true }, 'the url is stored without its password')

    const noPassword = await call<Connector>(s, 'POST', '/api/connectors', { id: 'nopw', type: 'postgres', config: { host: 'h', database: 'd', user: 'u', ssl: 'verify-full' } })
    t.equal(noPassword.status, 201)
    t.match(noPassword.body.config, { password_set: false, ssl: 'verify-full', port: 5432 })

    const secretOne = await call<Connector>(s, 'POST', '/api/connectors', { id: 'secret.one', type: 'postgres', config: { host: 'h', database: 'd', user: 'u', password: secret } })
    t.equal(secretOne.status, 201)

    const got = await call<Connector>(s, 'GET', '/api/connectors/warehouse', undefined, VIEWER)
    t.equal(got.status, 200, 'any org member may read a connector')
    t.ok(connector(got.body))
    t.same(got.body.config, created.body.config)

    const all = await call<{ total: number; items: Connector[] }>(s, 'GET', '/api/connectors', undefined, VIEWER)
    t.equal(all.status, 200)
    t.ok(list(all.body), `a ConnectorList: ${list.text()}`)
    t.same(all.body.items.map((c) => c.id), ['lakehouse', 'by-url', 'nopw', 'secret.one', 'warehouse'], 'the built-in lakehouse first, then by id')
    t.match(all.body.items[0], { id: 'lakehouse', type: 'lakehouse', source: 'builtin', config: {}, created_at: null })
    t.equal(all.body.total, 5)
    const paged = await call<{ total: number; limit: number; offset: number; items: Connector[] }>(s, 'GET', '/api/connectors?limit=2&offset=1')
    t.same([paged.body.total, paged.body.limit, paged.body.offset, paged.body.items.map((c) => c.id)], [5, 2, 1, ['by-url', 'nopw']])
    t.equal((await call(s, 'GET', '/api/connectors?limit=x')).status, 422)
    t.equal((await call(s, 'GET', '/api/connectors/lakehouse')).status, 200)

    for (const r of [created, withUrl, secretOne, got, all]) {
      t.notOk(r.text.includes(secret) || r.text.includes(urlSecret) || r.text.includes(encodeURIComponent(urlSecret)), 'no secret in a response')
      if (pg.password) t.notOk(r.text.includes(pg.password))
    }
  })

  t.test('test: connect + SELECT, reported as data', async (t) => {
    const ok = await call<{ ok: boolean; latency_ms: number; server_version: string }>(s, 'POST', '/api/connectors/warehouse/test')
    t.equal(ok.status, 200, ok.text)
    t.ok(schemaValidator('ConnectorTestResult')(ok.body))
    t.match(ok.body, { ok: true, latency_ms: Number, server_version: /^\d+/ })
    t.match((await call<Connector>(s, 'GET', '/api/connectors/warehouse')).body.health, { state: 'up', checked_at: String, error: null })

    const port = await closedPort()
    t.equal((await call(s, 'POST', '/api/connectors', { id: 'nowhere', type: 'postgres', config: { host: '127.0.0.1', port, database: 'd', user: 'u', password: secret } })).status, 201)
    const failed = await call<{ ok: boolean; error: { error: string; message: string } }>(s, 'POST', '/api/connectors/nowhere/test')
    t.equal(failed.status, 200)
    t.ok(schemaValidator('ConnectorTestResult')(failed.body))
    t.match(failed.body, { ok: false, error: { error: 'connector_unavailable', message: /nowhere.*connection refused/ } })
    t.notOk(failed.text.includes(secret))
    t.match((await call<Connector>(s, 'GET', '/api/connectors/nowhere')).body.health, { state: 'down', error: { error: 'connector_unavailable' } })
    t.same((await call(s, 'POST', '/api/connectors/lakehouse/test')).body, { ok: true, latency_ms: 0, server_version: null })
  })

  t.test('patch: merge, password kept unless given, url and host replace each other', async (t) => {
    const before = (await call<Connector>(s, 'GET', '/api/connectors/secret.one')).body
    const patched = await call<Connector>(s, 'PATCH', '/api/connectors/secret.one', { config: { pool_size: 9, statement_timeout: '5m' } })
    t.equal(patched.status, 200, patched.text)
    t.ok(connector(patched.body))
    t.match(patched.body.config, { host: 'h', pool_size: 9, statement_timeout: '5m', password_set: true })
    t.not(patched.body.updated_at, before.updated_at)
    t.equal(patched.body.created_at, before.created_at)

    const reset = await call<Connector>(s, 'PATCH', '/api/connectors/secret.one', { config: { pool_size: null } })
    t.equal(reset.body.config.pool_size, 5, 'null resets a key to its default')

    const toUrl = await call<Connector>(s, 'PATCH', '/api/connectors/secret.one', { config: { url: 'postgres://u2@h2/d2' } })
    t.equal(toUrl.status, 200, toUrl.text)
    t.same(toUrl.body.config, { url: 'postgres://u2@h2/d2', pool_size: 5, statement_timeout: '5m', queue_timeout: '10s', password_set: true }, 'url replaces host/port/database/user/ssl; the password stays')
    const back = await call<Connector>(s, 'PATCH', '/api/connectors/secret.one', { config: { host: 'h3', database: 'd3', user: 'u3' } })
    t.match(back.body.config, { host: 'h3', port: 5432, password_set: true })
    t.notOk('url' in back.body.config)

    const cleared = await call<Connector>(s, 'PATCH', '/api/connectors/secret.one', { config: { password: null } })
    t.equal(cleared.body.config.password_set, false, 'password: null removes it')
    const set = await call<Connector>(s, 'PATCH', '/api/connectors/secret.one', { config: { password: secret } })
    t.equal(set.body.config.password_set, true)
    t.notOk(set.text.includes(secret))

    const idChange = await call<{ error: string; message: string }>(s, 'PATCH', '/api/connectors/secret.one', { id: 'other' })
    t.match([idChange.status, idChange.body], [422, { error: 'invalid_parameter', message: /"id"/ }])
    const badPort = await call<{ error: string; message: string }>(s, 'PATCH', '/api/connectors/secret.one', { config: { port: 70000 } })
    t.match([badPort.status, badPort.body], [422, { error: 'invalid_parameter', message: /config\.port/ }])
    t.equal((await call<Connector>(s, 'GET', '/api/connectors/secret.one')).body.config.port, 5432, 'a refused patch changes nothing')
    t.match(await call(s, 'PATCH', '/api/connectors/nope', { config: {} }), { status: 404, body: { error: 'connector_not_found' } })
    t.match(await call(s, 'PATCH', '/api/connectors/secret.one', '{"config":'), { status: 400, body: { error: 'bad_request' } })
    t.match(await call(s, 'PATCH', '/api/connectors/lakehouse', { config: { pool_size: 1 } }), { status: 422, body: { error: 'invalid_parameter', message: /built-in/ } })
  })

  t.test('validation: 409, 404, 422 naming the field', async (t) => {
    t.match(await call(s, 'POST', '/api/connectors', { id: 'warehouse', type: 'postgres', config: pgConfig(pg, 'x') }), { status: 409, body: { error: 'connector_id_taken' } })
    t.match(await call(s, 'GET', '/api/connectors/nope'), { status: 404, body: { error: 'connector_not_found' } })
    t.match(await call(s, 'DELETE', '/api/connectors/nope'), { status: 404, body: { error: 'connector_not_found' } })
    t.match(await call(s, 'POST', '/api/connectors/nope/test'), { status: 404, body: { error: 'connector_not_found' } })
    const base = { host: 'h', database: 'd', user: 'u' }
    const cases: [unknown, RegExp][] = [
      [{ id: 'lakehouse', type: 'postgres', config: base }, /"id".*built-in/],
      [{ id: '-x', type: 'postgres', config: base }, /"id"/],
      [{ id: 'x'.repeat(65), type: 'postgres', config: base }, /"id"/],
      [{ id: 'a/b', type: 'postgres', config: base }, /"id"/],
      [{ id: 'ok', type: 'mysql', config: base }, /"type"/],
      // bigquery is a connector type now: a PostgreSQL config is refused key by key
      [{ id: 'ok', type: 'bigquery', config: base }, /"config\.host": unknown key/],
      [{ id: 'ok', type: 'postgres' }, /"config"/],
      [{ id: 'ok', type: 'postgres', config: base, extra: 1 }, /"extra"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, colour: 'red' } }, /"config\.colour"/],
      [{ id: 'ok', type: 'postgres', config: { database: 'd', user: 'u' } }, /"config\.host"/],
      [{ id: 'ok', type: 'postgres', config: { host: 'h', user: 'u' } }, /"config\.database"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, port: 0 } }, /"config\.port"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, ssl: 'prefer' } }, /"config\.ssl"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, pool_size: 101 } }, /"config\.pool_size"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, statement_timeout: '30 seconds' } }, /"config\.statement_timeout"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, queue_timeout: '2h' } }, /"config\.queue_timeout"/],
      [{ id: 'ok', type: 'postgres', config: { ...base, password: 5 } }, /"config\.password"/],
      [{ id: 'ok', type: 'postgres', config: { url: 'postgres://u@h/d', host: 'h' } }, /"config\.host".*either url/],
      [{ id: 'ok', type: 'postgres', config: { url: `mysql://u:${secret}@h/d` } }, /"config\.url".*scheme/],
      [{ id: 'ok', type: 'postgres', config: { url: `postgres://u:${secret}@h` } }, /"config\.url".*database/],
      [{ id: 'ok', type: 'postgres', config: { url: `postgres://u:${secret}@h/d?sslmode=allow` } }, /"config\.url".*sslmode/],
      [{ id: 'ok', type: 'postgres', config: { url: `postgres://u:${secret}@h/d`, password: secret } }, /"config\.password"/],
      [{ id: 'ok', type: 'postgres', config: { url: `not a url ${secret}` } }, /"config\.url"/],
    ]
    for (const [body, message] of cases) {
      const r = await call<{ error: string; message: string }>(s, 'POST', '/api/connectors', body)
      t.match([r.status, r.body], [422, { error: 'invalid_parameter', message }], JSON.stringify(body).slice(0, 120))
      t.notOk(r.text.includes(secret), 'the message does not echo a secret')
    }
    t.match(await call(s, 'POST', '/api/connectors', '[1]'), { status: 400, body: { error: 'bad_request' } })
    t.match(await call(s, 'POST', '/api/connectors', '{'), { status: 400, body: { error: 'bad_request' } })
    t.equal((await call<{ total: number }>(s, 'GET', '/api/connectors')).body.total, 6, 'nothing was created by the refused requests')
  })

  t.test('permissions: list/get any member, writes admin only', async (t) => {
    for (const claims of [VIEWER, EDITOR]) {
      t.match(await call(s, 'POST', '/api/connectors', { id: 'sneaky', type: 'postgres', config: { host: 'h', database: 'd', user: 'u' } }, claims), { status: 403, body: { error: 'forbidden' } })
      t.match(await call(s, 'PATCH', '/api/connectors/warehouse', { config: { pool_size: 1 } }, claims), { status: 403, body: { error: 'forbidden' } })
      t.match(await call(s, 'DELETE', '/api/connectors/warehouse', undefined, claims), { status: 403, body: { error: 'forbidden' } })
      t.match(await call(s, 'POST', '/api/connectors/warehouse/test', undefined, claims), { status: 403, body: { error: 'forbidden' } })
      t.equal((await call(s, 'GET', '/api/connectors', undefined, claims)).status, 200)
      t.equal((await call(s, 'GET', '/api/connectors/warehouse', undefined, claims)).status, 200)
    }
    t.equal((await call(s, 'GET', '/api/connectors/sneaky')).status, 404)
    t.equal((await s.api('/api/connectors', { claims: null })).status, 401)
  })

  t.test('per org: another org sees none of them, and may use the same ids', async (t) => {
    const globex = { org: 'globex', roles: ['admin'] }
    t.same((await call<{ items: Connector[] }>(s, 'GET', '/api/connectors', undefined, globex)).body.items.map((c) => c.id), ['lakehouse'])
    t.match(await call(s, 'GET', '/api/connectors/warehouse', undefined, globex), { status: 404, body: { error: 'connector_not_found' } })
    t.equal((await call(s, 'PATCH', '/api/connectors/warehouse', { config: { pool_size: 1 } }, globex)).status, 404)
    t.equal((await call(s, 'DELETE', '/api/connectors/warehouse', undefined, globex)).status, 404)
    t.equal((await call(s, 'GET', `/api/datasets/browse/schemas?connector_id=warehouse`, undefined, globex)).status, 404)
    const own = await call<Connector>(s, 'POST', '/api/connectors', { id: 'warehouse', type: 'postgres', config: { host: 'other', database: 'd', user: 'u' } }, globex)
    t.equal(own.status, 201)
    t.equal((await call<Connector>(s, 'GET', '/api/connectors/warehouse')).body.config.host, pg.host, "acme's is unchanged")
  })

  t.test('delete: refused while datasets use it, then 204', async (t) => {
    t.match(await call(s, 'DELETE', '/api/connectors/lakehouse'), { status: 422, body: { error: 'invalid_parameter', message: /built-in/ } })
    // A dataset registered on the connector (written to the catalog directly: this file tests connectors, not registering).
    const db = new Database(path.join(s.dataDir, 'catalog.sqlite'))
    db.pragma('busy_timeout = 5000')
    const now = new Date().toISOString()
    db.prepare(`INSERT INTO datasets (id, org, name, kind, schema_json, provenance_json, created_by, created_at, updated_at)
      VALUES (?, 'acme', 'orders', 'connector', '[]', ?, 'alice', ?, ?)`).run(crypto.randomUUID(), JSON.stringify({ source: 'postgres', connector_id: 'by-url' }), now, now)
    db.close()
    const inUse = await call<{ error: string; message: string; details: { datasets: string[] } }>(s, 'DELETE', '/api/connectors/by-url')
    t.match([inUse.status, inUse.body], [422, { error: 'invalid_parameter', message: /"id".*used by 1 dataset.*"orders"/, details: { datasets: ['orders'] } }])
    t.equal((await call(s, 'GET', '/api/connectors/by-url')).status, 200, 'still there')
    t.equal((await call(s, 'DELETE', '/api/datasets/orders')).status, 204)
    const gone = await s.api('/api/connectors/by-url', { method: 'DELETE', claims: ADMIN })
    t.equal(gone.status, 204)
    t.equal(await gone.text(), '')
    t.equal((await call(s, 'GET', '/api/connectors/by-url')).status, 404)
    t.equal((await call(s, 'POST', '/api/connectors', { id: 'by-url', type: 'postgres', config: { host: 'h', database: 'd', user: 'u' } })).status, 201, 'the id is free again')
  })

  t.test('secrets: encrypted at rest, key file 0600, never in the logs', async (t) => {
    // Something used the live connector (browse), so its password went to PostgreSQL at least once.
    t.equal((await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=warehouse')).status, 200)
    const keyFile = path.join(s.dataDir, 'secrets-key')
    t.ok(fs.existsSync(keyFile), 'the key file was created on first use')
    t.equal(fs.statSync(keyFile).mode & 0o777, 0o600)
    t.equal(Buffer.from(fs.readFileSync(keyFile, 'utf8').trim(), 'base64').length, 32)
    const needles = [secret, urlSecret, encodeURIComponent(urlSecret), ...(pg.password ? [pg.password] : [livePassword])]
    for (const { file, bytes } of filesUnder(s.dataDir)) {
      for (const n of needles) t.equal(bytes.indexOf(Buffer.from(n)), -1, `${path.relative(s.dataDir, file)} does not hold a password in clear`)
    }
    const logs = s.logs.join('\n') + s.stderr.join('')
    t.ok(s.logs.some((l) => l.includes('"connector created"')), 'connector changes are logged')
    for (const n of needles) t.notOk(logs.includes(n), 'no password in the server logs')
  })
})

t.test('SECRETS_KEY: used instead of the key file; a wrong key is refused at start', async (t) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-secrets-'))
  t.teardown(() => fs.rmSync(dataDir, { recursive: true, force: true }))
  const key = crypto.randomBytes(32).toString('base64')
  const pw = `pw-${crypto.randomBytes(8).toString('hex')}`
  const port = await closedPort()

  let s = await startServer({ SECRETS_KEY: key }, { dataDir })
  t.equal((await call(s, 'POST', '/api/connectors', { id: 'k', type: 'postgres', config: { host: '127.0.0.1', port, database: 'd', user: 'u', password: pw } })).status, 201)
  await s.stop()
  t.notOk(fs.existsSync(path.join(dataDir, 'secrets-key')), 'no key file when SECRETS_KEY is set')

  // Another key: the secrets do not open. The connector is reported unavailable, saying why.
  s = await startServer({ SECRETS_KEY: crypto.randomBytes(32).toString('base64url') }, { dataDir })
  const wrong = await call<{ error: string; message: string }>(s, 'GET', '/api/datasets/browse/schemas?connector_id=k')
  t.match([wrong.status, wrong.body], [503, { error: 'connector_unavailable', message: /secrets key/ }])
  t.match((await call<Connector>(s, 'GET', '/api/connectors/k')).body.config, { password_set: true })
  t.match((await call(s, 'POST', '/api/connectors/k/test')).body, { ok: false, error: { error: 'connector_unavailable', message: /secrets key/ } })
  await s.stop()

  s = await startServer({ SECRETS_KEY: key }, { dataDir })
  const right = await call<{ ok: boolean; error: { message: string } }>(s, 'POST', '/api/connectors/k/test')
  t.match(right.body, { ok: false, error: { message: /connection refused/ } }, 'the right key opens them again (the port is closed)')
  await s.stop()

  for (const bad of [crypto.randomBytes(16).toString('base64'), crypto.randomBytes(33).toString('base64'), 'not base64 at all!', key.slice(0, -4)]) {
    const err = await startServer({ SECRETS_KEY: bad }, { dataDir }).then((x) => { void x.stop(); return null }, (e: Error) => e)
    t.ok(err, 'the server refuses to start')
    t.match(err?.message, /SECRETS_KEY must be the base64 encoding of exactly 32 bytes/)
    t.notOk(err?.message.includes(bad), 'without echoing the value')
  }
})

t.test('CONNECTORS_FILE: declared at start, ${ENV} references, managed by the file', async (t) => {
  const pg = await pgTestDatabase(t)
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cfile-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const password = pg.password || `filepw-${crypto.randomBytes(8).toString('hex')}`
  const file = path.join(dir, 'connectors.json')
  fs.writeFileSync(file, JSON.stringify({
    connectors: [
      { org: 'acme', id: 'dw', type: 'postgres', config: { host: pg.host, port: pg.port, database: '${TEST_DW_DB}', user: pg.user, password: '${TEST_DW_PASSWORD}', pool_size: 3 } },
      { org: 'globex', id: 'dw', type: 'postgres', config: { url: `postgres://${pg.user}:\${TEST_DW_PASSWORD}@${pg.host}:${pg.port}/${pg.database}` } },
    ],
  }))
  const dataDir = path.join(dir, 'data')
  const env = { CONNECTORS_FILE: file, TEST_DW_DB: pg.database, TEST_DW_PASSWORD: password }
  let s = await startServer(env, { dataDir })
  const got = await call<Connector>(s, 'GET', '/api/connectors/dw')
  t.match(got.body, { id: 'dw', source: 'file', created_by: 'CONNECTORS_FILE', config: { database: pg.database, pool_size: 3, password_set: true } })
  t.ok(schemaValidator('Connector')(got.body))
  const globex = await call<Connector>(s, 'GET', '/api/connectors/dw', undefined, { org: 'globex', roles: ['viewer'] })
  t.match(globex.body.config, { url: `postgres://${pg.user}@${pg.host}:${pg.port}/${pg.database}`, password_set: true })
  t.equal((await call(s, 'GET', '/api/datasets/browse/schemas?connector_id=dw', undefined, EDITOR)).status, 200, 'the declared connector connects')
  t.match(await call(s, 'PATCH', '/api/connectors/dw', { config: { pool_size: 1 } }), { status: 422, body: { message: /CONNECTORS_FILE/ } })
  t.match(await call(s, 'DELETE', '/api/connectors/dw'), { status: 422, body: { message: /CONNECTORS_FILE/ } })
  const created = got.body.created_at
  await s.stop()
  for (const { bytes } of filesUnder(dataDir)) t.equal(bytes.indexOf(Buffer.from(password)), -1, 'not in clear on disk')
  t.notOk((s.logs.join('\n') + s.stderr.join('')).includes(password), 'not in the logs')

  // Start again with the globex entry removed: acme's is unchanged, globex's stays, now managed over the API.
  fs.writeFileSync(file, JSON.stringify({ connectors: [{ org: 'acme', id: 'dw', type: 'postgres', config: { host: pg.host, port: pg.port, database: '${TEST_DW_DB}', user: pg.user, password: '${TEST_DW_PASSWORD}', pool_size: 3 } }] }))
  s = await startServer(env, { dataDir })
  const again = await call<Connector>(s, 'GET', '/api/connectors/dw')
  t.equal(again.body.created_at, created)
  t.equal(again.body.updated_at, got.body.updated_at, 'an unchanged entry is not rewritten')
  t.match((await call<Connector>(s, 'GET', '/api/connectors/dw', undefined, { org: 'globex', roles: ['admin'] })).body, { source: 'api' })
  t.equal((await call(s, 'DELETE', '/api/connectors/dw', undefined, { org: 'globex', roles: ['admin'] })).status, 204)
  await s.stop()

  const startFails = async (content: string, extraEnv: Record<string, string> = {}) => {
    fs.writeFileSync(file, content)
    return startServer({ ...env, ...extraEnv }, { dataDir }).then((x) => { void x.stop(); return null }, (e: Error) => e)
  }
  const entry = (config: Record<string, unknown>) => JSON.stringify({ connectors: [{ org: 'acme', id: 'dw2', type: 'postgres', config }] })
  const missing = await startFails(entry({ host: 'h', database: 'd', user: 'u', password: '${TEST_NOT_SET_ANYWHERE}' }))
  t.match(missing?.message, /CONNECTORS_FILE .*connectors\[0\] \(acme\/dw2\): config\.password references \$\{TEST_NOT_SET_ANYWHERE\}, which is not set/)
  const badJson = await startFails(`{"connectors": [{"org": "acme", "id": "x", "config": {"password": "${password}"}`)
  t.match(badJson?.message, /CONNECTORS_FILE .*not valid JSON/)
  t.notOk(badJson?.message.includes(password), 'the JSON error does not quote the file')
  const badPort = await startFails(entry({ host: 'h', database: 'd', user: 'u', port: 'x', password: '${TEST_DW_PASSWORD}' }))
  t.match(badPort?.message, /connectors\[0\] \(acme\/dw2\): parameter "config\.port"/)
  t.notOk(badPort?.message.includes(password))
  const badUrl = await startFails(entry({ url: 'mysql://u:${TEST_DW_PASSWORD}@h/d' }))
  t.match(badUrl?.message, /config\.url/)
  t.notOk(badUrl?.message.includes(password))
  t.match((await startFails('{"connectors": {}}'))?.message, /expected \{"connectors": \[/)
  t.match((await startFails('{}', { CONNECTORS_FILE: path.join(dir, 'nope.json') }))?.message, /CONNECTORS_FILE .*nope\.json: cannot read it \(ENOENT\)/)
  t.match((await startFails(JSON.stringify({ connectors: [{ org: 'acme', id: 'lakehouse', type: 'postgres', config: {} }] })))?.message, /"id".*built-in/)
})
