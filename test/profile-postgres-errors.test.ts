// Error paths of PostgreSQL profiles over real HTTP: a connector that goes down answers 503
// quickly, the connector's statement timeout is 504, and a client that leaves cancels the
// profile's statement in PostgreSQL.
import t from 'tap'
import { startServer } from './helpers/server.js'
import { createPgConnector, pgTestDatabase, sluiceActivity } from './helpers/pg.js'

const json = { 'content-type': 'application/json' }

t.test('PostgreSQL profile errors', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.t AS SELECT g AS id, 'v' || g AS label FROM generate_series(1, 100) g`)
  const s = await startServer()
  t.teardown(() => s.stop())
  const register = (name: string, connector: string, b: object) =>
    s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name, connector_id: connector, ...b }) })

  t.test('statement timeout → 504 query_timeout', async (t) => {
    await createPgConnector(s, db, 'impatient', { statement_timeout: 200 })
    t.equal((await register('slow', 'impatient', { source_query: 'SELECT id, pg_sleep(0.05) AS z FROM public.t' })).status, 201)
    const started = Date.now()
    const r = await s.api('/api/datasets/slow/profile')
    t.equal(r.status, 504)
    t.equal((await r.json() as { error: string }).error, 'query_timeout')
    t.ok(Date.now() - started < 3000, 'answered once the timeout fired')
  })

  t.test('client disconnect cancels the profile statement', async (t) => {
    await createPgConnector(s, db, 'leaving')
    t.equal((await register('sleepy', 'leaving', { source_query: 'SELECT id, pg_sleep(0.3) AS z FROM public.t' })).status, 201)
    const ac = new AbortController()
    const pending = s.api('/api/datasets/sleepy/profile', { signal: ac.signal }).catch((e: Error) => e)
    const waitStarted = Date.now()
    while (!(await sluiceActivity(db)).some((a) => a.state === 'active' && /pg_sleep/.test(a.query))) {
      if (Date.now() - waitStarted > 5000) throw new Error('the profile statement did not start')
      await new Promise((r) => setTimeout(r, 25))
    }
    ac.abort()
    await pending
    const left = Date.now()
    while ((await sluiceActivity(db)).some((a) => a.state === 'active' && /pg_sleep/.test(a.query))) {
      if (Date.now() - left > 3000) break
      await new Promise((r) => setTimeout(r, 25))
    }
    const ms = Date.now() - left
    t.ok(ms < 1000, `statement gone ${ms} ms after the client left`)
  })

  t.test('a connector that goes down → 503 connector_unavailable, fast', async (t) => {
    await createPgConnector(s, db, 'flaky')
    t.equal((await register('plain', 'flaky', { source_table: 'public.t' })).status, 201)
    t.equal((await s.api('/api/datasets/plain/profile')).status, 200, 'profiles while up')
    const patch = await s.api('/api/connectors/flaky', { method: 'PATCH', claims: { roles: ['admin'] }, headers: json, body: JSON.stringify({ config: { port: 1 } }) })
    t.equal(patch.status, 200)
    const cached = await s.api('/api/datasets/plain/profile')
    t.match([cached.status, await cached.json()], [200, { cached: true }], 'the answer cached before the outage is still served for its TTL')
    for (let i = 0; i < 3; i++) {
      const started = Date.now()
      // top=N differs per attempt: a cached answer (valid for profile_cache_ttl) is not what this tests
      const r = await s.api(`/api/datasets/plain/profile?top=${i + 2}`)
      const b = await r.json() as { error: string; message: string }
      t.equal(r.status, 503, `attempt ${i + 1}: ${JSON.stringify(b).slice(0, 200)}`)
      t.equal(b.error, 'connector_unavailable')
      t.notMatch(b.message, new RegExp(db.password || 'no-password-to-leak'), 'no password in the message')
      t.ok(Date.now() - started < 3500, `answered in ${Date.now() - started} ms`)
    }
  })
})
