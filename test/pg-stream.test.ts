// Streaming from PostgreSQL: a client that leaves cancels the statement in PostgreSQL within a
// second, the connector's pool limit holds under 100 concurrent explores (the excess waits,
// then 503 after the queue timeout), and a large result streams to a slow reader.
import t from 'tap'
import { startServer } from './helpers/server.js'
import { createPgConnector, pgTestDatabase, sluiceActivity } from './helpers/pg.js'

const json = { 'content-type': 'application/json' }

async function waitFor(what: string, fn: () => Promise<boolean>, timeoutMs: number): Promise<number> {
  const started = Date.now()
  for (;;) {
    if (await fn()) return Date.now() - started
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 25))
  }
}

t.test('streaming from PostgreSQL', async (t) => {
  const db = await pgTestDatabase(t)
  const s = await startServer()
  t.teardown(() => s.stop())
  const register = (name: string, connector: string, source_query: string) => s.api('/api/datasets', {
    method: 'POST', headers: json, body: JSON.stringify({ name, connector_id: connector, source_query }),
  })

  t.test('client disconnect cancels the statement within a second; the connector stays healthy', async (t) => {
    await createPgConnector(s, db, 'cancel_me')
    t.equal((await register('sleepy', 'cancel_me', 'SELECT 1 AS one FROM pg_sleep(30)')).status, 201)
    const ac = new AbortController()
    const pending = s.api('/api/datasets/sleepy/explore?format=ndjson', { signal: ac.signal }).catch((e: Error) => e)
    await waitFor('the statement to run', async () => (await sluiceActivity(db)).some((a) => a.state === 'active' && /pg_sleep/.test(a.query)), 5000)
    ac.abort()
    await pending
    const ms = await waitFor('the statement to stop', async () => !(await sluiceActivity(db)).some((a) => a.state === 'active'), 3000)
    t.ok(ms < 1000, `cancelled in PostgreSQL ${ms} ms after the client left`)
    t.equal((await register('quick', 'cancel_me', 'SELECT 42 AS answer')).status, 201)
    const r = await s.api('/api/datasets/quick/explore')
    t.same((await r.json() as { rows: unknown[] }).rows, [{ answer: 42 }], 'the next query on the connector works')
  })

  t.test('the pool limit holds under 100 concurrent explores', async (t) => {
    // a long queue wait allowed: this is about the cap and nobody refused, not latency on a busy machine
    await createPgConnector(s, db, 'small_pool', { pool_size: 3, queue_timeout: '60s' })
    t.equal((await register('nap', 'small_pool', 'SELECT 1 AS one FROM pg_sleep(0.05)')).status, 201)
    let peak = 0
    let sampling = true
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, (await sluiceActivity(db)).length)
        await new Promise((r) => setTimeout(r, 10))
      }
    })()
    const results = await Promise.all(Array.from({ length: 100 }, () => s.api('/api/datasets/nap/explore').then(async (r) => [r.status, await r.text()] as const)))
    sampling = false
    await sampler
    t.same(results.filter(([st]) => st !== 200), [], 'all 100 succeed (the excess waits for a slot)')
    t.ok(peak <= 3, `at most 3 sessions at once (saw ${peak})`)
    t.ok(peak >= 1, 'the sampler saw the sessions')
  })

  t.test('the queue times out with 503', async (t) => {
    await createPgConnector(s, db, 'tiny_pool', { pool_size: 1, queue_timeout: 300 })
    t.equal((await register('hog', 'tiny_pool', 'SELECT 1 AS one FROM pg_sleep(2)')).status, 201)
    const results = await Promise.all(Array.from({ length: 3 }, () => s.api('/api/datasets/hog/explore').then(async (r) => [r.status, (await r.json() as { error?: string }).error] as const)))
    t.same(results.filter(([st]) => st === 200).length, 1, 'one holds the slot')
    t.same(results.filter(([st, code]) => st === 503 && code === 'overloaded').length, 2, 'the others give up after the queue timeout')
  })

  t.test('a large result streams with bounded memory to a slow reader', async (t) => {
    await createPgConnector(s, db, 'bulk')
    t.equal((await register('big', 'bulk', `SELECT g AS id, md5(g::text) AS h, g * 0.5 AS x FROM generate_series(1, 600000) g`)).status, 201)
    const before = s.rss()
    const r = await s.api('/api/datasets/big/explore?format=ndjson')
    t.equal(r.status, 200)
    const reader = r.body!.getReader()
    let lines = 0
    let peak = before
    let n = 0
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      for (const b of value) if (b === 10) lines++
      // read slowly at first: the server must not buffer the result meanwhile
      if (n++ < 40) await new Promise((res) => setTimeout(res, 20))
      if (n % 20 === 0) peak = Math.max(peak, s.rss())
    }
    t.equal(lines, 600001, 'header line + every row')
    t.ok(peak - before < 150 * 1024 * 1024, `server RSS grew ${Math.round((peak - before) / 1048576)} MB`)
  })
})
