// JSON / NDJSON explores of PostgreSQL datasets over HTTP take the COPY transcoder
// (workers/pg/copy-json.ts): a client that leaves mid-stream stops the statement and leaves no
// session behind (pg_stat_activity); rows and masked values are those of the Batch path (a
// float32 column in the projection sends the same query through it).
import t from 'tap'
import { startServer } from './helpers/server.js'
import { createPgConnector, pgTestDatabase, sluiceActivity } from './helpers/pg.js'

const json = { 'content-type': 'application/json' }

async function waitFor(fn: () => Promise<boolean>, timeoutMs: number): Promise<number | null> {
  const started = Date.now()
  for (;;) {
    if (await fn()) return Date.now() - started
    if (Date.now() - started > timeoutMs) return null
    await new Promise((r) => setTimeout(r, 25))
  }
}

t.test('transcoded PostgreSQL streams over HTTP', async (t) => {
  const db = await pgTestDatabase(t)
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'pg')
  const register = async (body: object) => {
    const r = await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ connector_id: 'pg', ...body }) })
    t.equal(r.status, 201, `registered ${JSON.stringify(body)}`)
  }

  t.test('a client that leaves mid-stream: the statement stops, no session is left', async (t) => {
    await register({ name: 'big', source_query: "SELECT g AS id, md5(g::text) AS s, now() AS at FROM generate_series(1, 20000000) g" })
    for (const format of ['ndjson', 'json']) {
      const ac = new AbortController()
      const res = await s.api(`/api/datasets/big/explore?format=${format}`, { signal: ac.signal })
      t.equal(res.status, 200, `${format}: streaming`)
      const reader = res.body!.getReader()
      let bytes = 0
      while (bytes < 4 << 20) bytes += (await reader.read()).value?.byteLength ?? 0
      t.ok((await sluiceActivity(db)).some((a) => a.state === 'active' && /COPY/.test(a.query)), `${format}: COPY running while the client reads`)
      ac.abort()
      await reader.cancel().catch(() => {})
      const ms = await waitFor(async () => (await sluiceActivity(db)).length === 0, 5000)
      t.ok(ms !== null, `${format}: no Sluice session left in PostgreSQL ${ms} ms after the client left`)
    }
    const r = await s.api('/api/datasets/big/explore?limit=2&select=id&order=id')
    t.same((await r.json() as { rows: unknown[] }).rows, [{ id: 1 }, { id: 2 }], 'the connector still answers')
  })

  t.test('masked values and every row: the same as through the Batch path', async (t) => {
    await db.query(`CREATE TABLE people (id int4, email text, amount float8, born date, seen timestamptz, note text, w float4)`)
    await db.query(`INSERT INTO people SELECT g, 'user' || g || '@example.com', g * 1.25 - 300, date '1990-01-01' + g,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '1.5 second', CASE WHEN g % 4 = 0 THEN NULL ELSE E'say "hi"\\n\\t' || g END, g / 8.0
      FROM generate_series(1, 3000) g`)
    await register({ name: 'people', source_table: 'public.people' })
    const masking = [
      { column: 'email', strategy: 'hash', unmask_roles: ['pii'] },
      { column: 'amount', strategy: 'round', params: { step: 10 }, unmask_roles: ['pii'] },
    ]
    const patch = await s.api('/api/datasets/people', { method: 'PATCH', headers: json, body: JSON.stringify({ settings: { masking } }) })
    t.equal(patch.status, 200, 'masking rules set')
    const cols = 'id,email,amount,born,seen,note'
    for (const claims of [{ org: 'acme', roles: ['viewer'], sub: 'eve' }, { org: 'acme', roles: ['viewer', 'pii'], sub: 'pat' }]) {
      for (const format of ['ndjson', 'json']) {
        const fast = await (await s.api(`/api/datasets/people/explore?format=${format}&select=${cols}&order=id`, { claims })).text()
        // float32 is not transcoded: with w in the projection the same rows go through the Batch path
        const slow = await (await s.api(`/api/datasets/people/explore?format=${format}&select=${cols},w&order=id`, { claims })).text()
        const rowsOf = (text: string) => format === 'ndjson'
          ? text.trim().split('\n').slice(1).map((l) => l.replace(/,"w":[^,}]*\}$/, '}'))
          : (JSON.parse(text) as { rows: Record<string, unknown>[] }).rows.map((r) => { delete r.w; return JSON.stringify(r) })
        const [a, b] = [rowsOf(fast), rowsOf(slow)]
        t.equal(a.length, 3000, `${claims.sub} ${format}: every row`)
        t.same(a, b, `${claims.sub} ${format}: rows identical to the Batch path`)
        const first = JSON.parse(a[0]!) as { email: string; amount: number }
        if (claims.sub === 'eve') t.not(first.email, 'user1@example.com', 'eve sees the hash')
        else t.equal(first.email, 'user1@example.com', 'pat may unmask')
      }
    }
  })
})
