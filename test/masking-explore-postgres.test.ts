// Column masking on explore and preview of PostgreSQL connector datasets (the masks run as SQL
// around each column's value expression), attacked by callers without the unmask role in every
// format; the same digests as the lakehouse kernel; hash on floats refused at PATCH; the org's
// salt bound as a parameter ($1), never in SQL text or logs.
import t from 'tap'
import { startServer, uploadForm } from './helpers/server.js'
import { createPgConnector, pgTestDatabase, sluiceActivity } from './helpers/pg.js'
import {
  ADMIN_NO_PII, CREATOR, EVE, PEOPLE, RULES, attack, hashesAs, ids, metadataAttacks, patchMasking, peopleAttacks, peopleCsv, readerSeesRaw,
} from './helpers/masking-attacks.js'

t.test('masking on PostgreSQL datasets', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.people (id int8 PRIMARY KEY, email text NOT NULL, contact text NOT NULL, card text NOT NULL, ssn text,
    phone text NOT NULL, amount int8 NOT NULL, acct int8 NOT NULL, born date NOT NULL, ts timestamptz NOT NULL, region text NOT NULL)`)
  for (const p of PEOPLE) {
    await db.query('INSERT INTO public.people VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11)',
      [p.id, p.email, p.contact, p.card, p.ssn, p.phone, p.amount, p.acct, p.born, p.ts, p.region])
  }
  await db.query('CREATE TABLE public.metrics (id int8 PRIMARY KEY, score float8, ratio float4)')
  await db.query(`INSERT INTO public.metrics VALUES (1, 12.5, 1.5), (2, 15, 2.5), (3, -15, -0.5), (4, 4.9, 0.25), (5, NULL, NULL)`)

  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  const reg = (body: Record<string, unknown>) => s.api('/api/datasets', { method: 'POST', claims: CREATOR, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const r1 = await reg({ name: 'people_pg', connector_id: 'warehouse', source_table: 'public.people' })
  t.equal(r1.status, 201, await r1.clone().text())
  t.equal((await patchMasking(s, 'people_pg', RULES)).status, 200, 'rules set by the creator')

  t.test('metadata', (t) => metadataAttacks(t, s, 'people_pg'))
  t.test('attacks by a viewer', (t) => peopleAttacks(t, s, 'people_pg', EVE))
  t.test('attacks by an admin without the unmask role', (t) => peopleAttacks(t, s, 'people_pg', ADMIN_NO_PII))
  t.test('reader', (t) => readerSeesRaw(t, s, 'people_pg'))

  t.test('PostgreSQL digests equal the lakehouse kernel digests (one salt per org)', async (t) => {
    const up = await s.api('/api/datasets/file/upload', { method: 'POST', claims: CREATOR, body: uploadForm({ name: 'people_lake' }, { name: 'p.csv', content: peopleCsv(PEOPLE) }) })
    t.equal(up.status, 201)
    t.equal((await patchMasking(s, 'people_lake', RULES)).status, 200)
    const pg = await hashesAs(t, s, 'people_pg', EVE)
    const lake = await hashesAs(t, s, 'people_lake', EVE)
    t.same(pg, lake, 'same digests in both engines')
  })

  t.test('a source_query dataset masks too', async (t) => {
    const r = await reg({ name: 'people_q', connector_id: 'warehouse', source_query: 'SELECT id, email, amount, card FROM public.people WHERE id <= 6' })
    t.equal(r.status, 201, await r.clone().text())
    t.equal((await patchMasking(s, 'people_q', RULES.filter((x) => ['email', 'amount', 'card'].includes(x.column)))).status, 200)
    const q = (x: string) => `/api/datasets/people_q/explore?select=id&order=id&${x}`
    await attack(t, s, q('email=like.alice*'), EVE, [])
    await attack(t, s, q('amount=eq.0'), EVE, ids(1, 2, 3, 4))
    await attack(t, s, q('amount=lte.10'), EVE, ids(1, 2, 3, 4))
    await attack(t, s, q('card=like.4*'), EVE, [])
    // no hash rule here, so nothing but the filter is bound: the cursor path (in lists) works
    await attack(t, s, q('amount=in.(0,3000)'), EVE, ids(1, 2, 3, 4))
    await attack(t, s, q(`email=in.(${encodeURIComponent('****@corp-two.example')},${encodeURIComponent('bob.jones@corp-two.example')})`), EVE, ids(2, 4, 6))
    await attack(t, s, q(`card=in.(${encodeURIComponent('4100-7788-9900-1111')})`), EVE, [])
    await attack(t, s, '/api/datasets/people_q/explore?select=amount,n:count()&group=amount&order=amount', EVE, [{ amount: 0, n: 4 }, { amount: 1000, n: 1 }, { amount: 2000, n: 1 }])
    await attack(t, s, '/api/datasets/people_q/preview?limit=1', EVE, null)
  })

  t.test('statements that cannot use COPY (cursor path) still work with a hash rule bound but unused', async (t) => {
    // a quote or a double quote in a value makes inline-params.ts refuse COPY: the statement then
    // binds $1 (the salt) although no hashed column is selected or filtered
    const q = (x: string) => `/api/datasets/people_pg/explore?select=id&order=id&${x}`
    const cases: [string, Record<string, unknown>[]][] = [
      [`email=eq.${encodeURIComponent("o'brien@corp-one.example")}`, []],
      [`email=in.(${encodeURIComponent('"a,b"')},****)`, ids(11, 12)],
      ['amount=in.(1000)', ids(5, 11, 12)],
      ['card=in.(****************2222)', ids(10, 11, 12)],
    ]
    for (const [x, expected] of cases) await attack(t, s, q(x), EVE, expected).catch((err: Error) => t.fail(err.message))
  })

  t.test('hash on a float column is refused for PostgreSQL datasets; round works', async (t) => {
    const r = await reg({ name: 'metrics', connector_id: 'warehouse', source_table: 'public.metrics' })
    t.equal(r.status, 201, await r.clone().text())
    for (const col of ['score', 'ratio']) {
      const bad = await patchMasking(s, 'metrics', [{ column: col, strategy: 'hash', params: {}, unmask_roles: ['pii_reader'] }])
      t.equal(bad.status, 422, `hash on ${col}`)
      t.equal(((await bad.json()) as { error: string }).error, 'invalid_settings')
    }
    const atReg = await reg({ name: 'metrics2', connector_id: 'warehouse', source_table: 'public.metrics', settings: { masking: [{ column: 'score', strategy: 'hash', params: {}, unmask_roles: [] }] } })
    t.equal(atReg.status, 422, 'refused at registration too')
    t.equal(((await atReg.json()) as { error: string }).error, 'invalid_settings')
    t.equal((await s.api('/api/datasets/metrics2')).status, 404, 'nothing registered')
    t.equal((await patchMasking(s, 'metrics', [{ column: 'score', strategy: 'round', params: { step: 10 }, unmask_roles: ['pii_reader'] }])).status, 200)
    const raws = ['12.5', '4.9', '-15', '15']
    const q = (x: string) => `/api/datasets/metrics/explore?select=id,score&order=id&${x}`
    // 12.5/10 = 1.25 → 10; 15 → 1.5 → 20; -15 → -20 (away from zero); 4.9 → 0
    const all = [{ id: 1, score: 10 }, { id: 2, score: 20 }, { id: 3, score: -20 }, { id: 4, score: 0 }, { id: 5, score: null }]
    const r0 = await attack(t, s, q(''), EVE, all, { raws: [] })
    for (const f of [r0.json, r0.ndjson, r0.csv]) t.notOk(raws.some((x) => f.rows.some((row) => row[1] === x)), `${f.format}: no raw score`)
    await attack(t, s, q('score=eq.0'), EVE, [{ id: 4, score: 0 }], { raws: [] })
    await attack(t, s, q('score=lt.12.5&score=gt.12'), EVE, [], { raws: [] })
    await attack(t, s, q('score=gte.20'), EVE, [{ id: 2, score: 20 }], { raws: [] })
    await attack(t, s, '/api/datasets/metrics/explore?select=lo:score.min(),hi:score.max(),s:score.sum()', EVE, [{ lo: -20, hi: 20, s: 10 }], { raws: [] })
  })

  t.test('the salt is never in SQL text or logs (a transaction-local setting set with a bound parameter)', async (t) => {
    const r = await reg({ name: 'people_slow', connector_id: 'warehouse', source_query: 'SELECT p.* FROM public.people p CROSS JOIN generate_series(1, 150000) AS g(n)' })
    t.equal(r.status, 201, await r.clone().text())
    t.equal((await patchMasking(s, 'people_slow', RULES)).status, 200)
    const h = await hashesAs(t, s, 'people_pg', EVE)
    const seen: string[] = []
    let done = false
    const running = (async () => {
      const res = await s.api('/api/datasets/people_slow/explore?select=contact,n:count()&group=contact&order=n.desc&limit=1', { claims: EVE })
      const body = await res.json() as { rows: unknown[] }
      done = true
      return { status: res.status, body }
    })()
    while (!done) {
      for (const a of await sluiceActivity(db)) if (/sha256/.test(a.query)) seen.push(a.query)
      await new Promise((r) => setTimeout(r, 15))
    }
    const out = await running
    t.equal(out.status, 200)
    t.same(out.body.rows, [{ contact: h.contact[1], n: 3 * 150000 }], 'the hashed, grouped answer')
    t.ok(seen.length > 0, 'the hashing statement was seen in pg_stat_activity')
    for (const sql of new Set(seen)) {
      // The salt reaches the statement as a transaction-local setting (set with a bound
      // parameter before it), so COPY may inline the query's own parameters safely.
      t.match(sql, /current_setting\('sluice\.mask_salt'\)/, 'the salt is read from the transaction-local setting')
      t.notOk(/[0-9a-fA-F]{64}/.test(sql), `no 64-hex literal (the salt) in the SQL text: ${sql.replace(/[0-9a-fA-F]{64}/g, (x) => `<64 hex digits ${x.slice(0, 4)}…>`).slice(0, 300)}`)
      t.notOk(PEOPLE.some((p) => sql.includes(p.contact)), 'no raw value in the SQL text')
    }
    // a statement that fails (here: the connector's statement_timeout) must not log its SQL with the salt either
    await createPgConnector(s, db, 'warehouse_short', { statement_timeout: '200ms' })
    const r2 = await reg({ name: 'people_slow_t', connector_id: 'warehouse_short', source_query: 'SELECT p.* FROM public.people p CROSS JOIN generate_series(1, 400000) AS g(n)' })
    t.equal(r2.status, 201, await r2.clone().text())
    t.equal((await patchMasking(s, 'people_slow_t', RULES)).status, 200)
    const timedOut = await s.api('/api/datasets/people_slow_t/explore?select=contact,n:count()&group=contact', { claims: EVE })
    const tbody = await timedOut.text()
    t.equal(timedOut.status, 504, `the statement timed out: ${tbody.slice(0, 200)}`)
    t.notOk(/[0-9a-fA-F]{64}/.test(tbody), 'no 64-hex string in the error body')
    // the salt is 64 hex digits; the only 64-hex strings a log may hold are digests the caller was shown
    const shown = new Set([...Object.values(h.contact), ...Object.values(h.acct)])
    const hex = [...s.logs, ...s.stderr].join('\n').match(/[0-9a-fA-F]{64}/g) ?? []
    t.same(hex.filter((x) => !shown.has(x.toLowerCase())), [], 'no unknown 64-hex string (a salt) in the server log')
  })
})
