// Connector health: a connector whose database cannot be reached answers 503
// connector_unavailable at once (no request waits for its own connect timeout), is re-checked
// in the background and recovers by itself; sessions killed with pg_terminate_backend do not
// leave it down; the connections Sluice opens never exceed pool_size.
import t from 'tap'
import crypto from 'node:crypto'
import { startServer, type TestServer } from './helpers/server.js'
import { pgTestDatabase, type PgTestDatabase } from './helpers/pg.js'
import { closedPort, tcpProxy } from './helpers/tcp-proxy.js'

const ADMIN = { roles: ['admin'] }

interface Timed { status: number; ms: number; body: { error?: string; message?: string } }

async function browse(s: TestServer, id: string, what = 'schemas'): Promise<Timed> {
  const started = performance.now()
  const r = await s.api(`/api/datasets/browse/${what}?connector_id=${id}${what === 'tables' ? '&schema=public' : ''}`)
  const body = await r.json() as Timed['body']
  return { status: r.status, ms: performance.now() - started, body }
}

async function health(s: TestServer, id: string): Promise<{ state: string; error: { message: string } | null }> {
  return ((await (await s.api(`/api/connectors/${id}`)).json()) as { health: { state: string; error: { message: string } | null } }).health
}

async function create(s: TestServer, id: string, config: Record<string, unknown>): Promise<void> {
  const r = await s.api('/api/connectors', { method: 'POST', claims: ADMIN, body: JSON.stringify({ id, type: 'postgres', config }) })
  if (r.status !== 201) throw new Error(`create ${id}: ${r.status} ${await r.text()}`)
}

/** Polls `fn` until it returns true; resolves with the ms it took, rejects after `timeoutMs`. */
async function eventually(fn: () => Promise<boolean>, timeoutMs: number, what: string): Promise<number> {
  const started = Date.now()
  while (Date.now() - started < timeoutMs) {
    if (await fn()) return Date.now() - started
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error(`${what}: not within ${timeoutMs} ms`)
}

const sessions = async (pg: PgTestDatabase, id: string) =>
  Number((await pg.query<{ n: string }>(`SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = $1`, [`sluice:${id}`])).rows[0]!.n)

/**
 * "At once" = without waiting for a connect timeout (2 s and more): the bound is half of it, so
 * a loaded CI machine does not fail what is a question of waiting or not, not of speed.
 */
const AT_ONCE_MS = 1000

t.test('connector health', async (t) => {
  const pg = await pgTestDatabase(t)
  const password = pg.password || `pw-${crypto.randomBytes(8).toString('hex')}`
  const s = await startServer()
  t.teardown(() => s.stop())

  t.test('a closed port: 503 connector_unavailable at once, every time', async (t) => {
    await create(s, 'closed', { host: '127.0.0.1', port: await closedPort(), database: pg.database, user: pg.user, password })
    const first = await browse(s, 'closed')
    t.match(first, { status: 503, body: { error: 'connector_unavailable', message: /connector "closed" is unavailable: connection refused/ } })
    t.ok(first.ms < 1000, `first answer in ${first.ms.toFixed(0)} ms`)
    for (let i = 0; i < 10; i++) {
      const r = await browse(s, 'closed', i % 2 ? 'tables' : 'schemas')
      t.equal(r.status, 503)
      t.equal(r.body.error, 'connector_unavailable')
      t.ok(r.ms < AT_ONCE_MS, `answered in ${r.ms.toFixed(0)} ms`)
      t.notOk(JSON.stringify(r.body).includes(password), 'no password in the message')
    }
    t.match(await health(s, 'closed'), { state: 'down', error: { message: /connection refused/ } })
  })

  t.test('a hung server: one request waits for the connect timeout, the next ones do not', async (t) => {
    const proxy = await tcpProxy({ host: pg.host, port: pg.port })
    t.teardown(() => proxy.close())
    await create(s, 'hung', { host: '127.0.0.1', port: proxy.port, database: pg.database, user: pg.user, password })
    t.equal((await browse(s, 'hung')).status, 200)
    proxy.hang = true
    const first = await browse(s, 'hung')
    t.match(first, { status: 503, body: { error: 'connector_unavailable', message: /timed out/ } })
    t.ok(first.ms > 2000 && first.ms < 8000, `the first request gave up after the connect timeout (${first.ms.toFixed(0)} ms)`)
    for (let i = 0; i < 5; i++) {
      const r = await browse(s, 'hung')
      t.match(r, { status: 503, body: { error: 'connector_unavailable' } })
      t.ok(r.ms < AT_ONCE_MS, `then at once (${r.ms.toFixed(0)} ms)`)
    }
    proxy.hang = false
    const ms = await eventually(async () => (await health(s, 'hung')).state === 'up', 10_000, 'recovers')
    t.pass(`recovered by itself ${ms} ms after the server answered again`)
    t.equal((await browse(s, 'hung')).status, 200)
  })

  t.test('the server goes away and comes back: refused at once, recovers by itself', async (t) => {
    const proxy = await tcpProxy({ host: pg.host, port: pg.port })
    t.teardown(() => proxy.close())
    await create(s, 'flaky', { host: '127.0.0.1', port: proxy.port, database: pg.database, user: pg.user, password })
    t.equal((await browse(s, 'flaky', 'tables')).status, 200)
    t.match(await health(s, 'flaky'), { state: 'up' })

    await proxy.stop()
    const first = await browse(s, 'flaky')
    t.match(first, { status: 503, body: { error: 'connector_unavailable' } })
    t.ok(first.ms < 1000, `first failure in ${first.ms.toFixed(0)} ms`)
    for (let i = 0; i < 5; i++) {
      const r = await browse(s, 'flaky')
      t.equal(r.status, 503)
      t.ok(r.ms < AT_ONCE_MS, `answered in ${r.ms.toFixed(0)} ms`)
    }
    t.match(await health(s, 'flaky'), { state: 'down' })

    await proxy.start()
    // Nothing but GET /api/connectors/{id} (which checks nothing) until it is back: the background re-check finds it.
    const ms = await eventually(async () => (await health(s, 'flaky')).state === 'up', 8000, 'recovers')
    t.ok(ms < 5000, `recovered by itself within ${ms} ms`)
    t.equal((await browse(s, 'flaky', 'tables')).status, 200)
    t.ok(s.logs.some((l) => l.includes('"connector available again"') && l.includes('"flaky"')), 'the recovery is logged')
  })

  t.test('sessions killed with pg_terminate_backend: requests fail for a moment, then recover', async (t) => {
    await create(s, 'killed', { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password })
    t.equal((await browse(s, 'killed', 'tables')).status, 200)
    // Kill every session of the connector as soon as it shows up (the health checks' too).
    let killing = true
    let kills = 0
    const killer = (async () => {
      const admin = pg.client
      while (killing) {
        const r = await admin.query<{ n: string }>(`SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) AS n FROM pg_stat_activity WHERE application_name = 'sluice:killed'`)
        kills += Number(r.rows[0]!.n)
      }
    })()
    const failures: Timed[] = []
    const deadline = Date.now() + 4000
    while (Date.now() < deadline && (failures.length < 3 || kills < 3)) {
      const r = await browse(s, 'killed', 'tables')
      if (r.status !== 200) failures.push(r)
    }
    killing = false
    await killer
    t.ok(kills > 0, `sessions were killed (${kills})`)
    t.ok(failures.length > 0, `requests failed while they were (${failures.length})`)
    for (const f of failures) t.match(f, { status: 503, body: { error: 'connector_unavailable' } })
    const ms = await eventually(async () => (await browse(s, 'killed', 'tables')).status === 200, 8000, 'requests succeed again')
    t.pass(`requests succeed again ${ms} ms after the killing stopped`)
    t.match(await health(s, 'killed'), { state: 'up' })
    await eventually(async () => (await sessions(pg, 'killed')) === 0, 3000, 'no session left open')
  })

  t.test('never more connections than pool_size; a full pool answers 503 overloaded', async (t) => {
    await create(s, 'small', { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password, pool_size: 2 })
    let most = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) most = Math.max(most, await sessions(pg, 'small'))
    })()
    const results = await Promise.all(Array.from({ length: 30 }, () => browse(s, 'small', 'tables')))
    sampling = false
    await sampler
    t.same([...new Set(results.map((r) => r.status))], [200], 'every request was served (queued, not refused)')
    t.ok(most >= 1 && most <= 2, `at most pool_size sessions at once (saw ${most})`)

    await create(s, 'tiny', { host: pg.host, port: pg.port, database: pg.database, user: pg.user, password, pool_size: 1, queue_timeout: 0 })
    const burst = await Promise.all(Array.from({ length: 20 }, () => browse(s, 'tiny', 'tables')))
    const refused = burst.filter((r) => r.status !== 200)
    t.ok(refused.length > 0, `some requests found the pool full (${refused.length} of 20)`)
    t.ok(burst.some((r) => r.status === 200), 'and some were served')
    for (const r of refused) t.match(r, { status: 503, body: { error: 'overloaded', message: /connector "tiny".*pool/ } })
    t.match(await health(s, 'tiny'), { state: 'up' }, 'a full pool is not a connector that is down')
  })

  t.test('no password in the server logs', async (t) => {
    t.notOk((s.logs.join('\n') + s.stderr.join('')).includes(password))
  })
})
