// Column masking on explore and preview of an uploaded (managed Delta) dataset, attacked by
// callers without the unmask role: filters, trees, ordering, grouping, aggregates, previews and
// POST bodies in all four formats; stats-based file pruning across appended files whose raw
// ranges are disjoint (raw min/max pruning would give different answers); time travel to
// versions before an append and an overwrite; per-caller views without a cache mixing them.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startServer, uploadForm } from './helpers/server.js'
import {
  ADMIN_NO_PII, APRIL, EVE, GROUPS, MARCH, READER, RULES, attack, hashesAs, ids, maskedRow, metadataAttacks,
  objects, patchMasking, peopleAttacks, peopleCsv, rawRow, readerSeesRaw, textRows,
} from './helpers/masking-attacks.js'

t.test('masking on an uploaded dataset', async (t) => {
  const s = await startServer({ PARQUET_ROWS_PER_FILE: '4' })
  t.teardown(() => s.stop())
  const send = (fields: Record<string, string>, content: string) =>
    s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm(fields, { name: 'people.csv', content }) })

  // v0 = A (raw amounts 1..10), v1 = + B (1499..2501), v2 = + C (400..600): one file each
  t.equal((await send({ name: 'people' }, peopleCsv(GROUPS.A))).status, 201, 'upload A')
  t.equal((await send({ name: 'people', mode: 'append' }, peopleCsv(GROUPS.B))).status, 200, 'append B')
  t.equal((await send({ name: 'people', mode: 'append' }, peopleCsv(GROUPS.C))).status, 200, 'append C')
  const meta = await (await s.api('/api/datasets/people')).json() as { id: string; schema: { name: string; type: string }[] }
  t.same(meta.schema.map((f) => f.type), ['int64', 'string', 'string', 'string', 'string', 'string', 'int64', 'int64', 'date', 'timestamp', 'string'], 'inferred types')

  t.test('premise: three files with raw stats that raw pruning would use', async (t) => {
    const log = path.join(s.dataDir, 'tables', meta.id, '_delta_log')
    const adds = fs.readdirSync(log).filter((f) => f.endsWith('.json')).sort()
      .flatMap((f) => fs.readFileSync(path.join(log, f), 'utf8').trim().split('\n').map((l) => JSON.parse(l)))
      .filter((a) => a.add).map((a) => JSON.parse(a.add.stats) as { minValues: Record<string, unknown>; maxValues: Record<string, unknown>; nullCount: Record<string, number> })
    t.equal(adds.length, 3, 'one file per upload')
    t.same(adds.map((st) => [st.minValues.amount, st.maxValues.amount]), [[1, 10], [1499, 2501], [400, 600]], 'raw amount ranges are disjoint')
    t.same(adds.map((st) => st.nullCount.phone), [0, 0, 0], 'no null phones in the stats')
  })

  t.test('rules are set by the creator', async (t) => {
    const r = await patchMasking(s, 'people', RULES)
    t.equal(r.status, 200, await r.clone().text())
    t.equal((await patchMasking(s, 'people', [], EVE)).status, 403, 'a viewer cannot drop the rules')
  })

  t.test('metadata', (t) => metadataAttacks(t, s, 'people'))
  t.test('attacks by a viewer', (t) => peopleAttacks(t, s, 'people', EVE))
  t.test('attacks by an admin without the unmask role', (t) => peopleAttacks(t, s, 'people', ADMIN_NO_PII))
  t.test('reader', (t) => readerSeesRaw(t, s, 'people'))

  t.test('pruning never uses raw stats of a masked column', async (t) => {
    const q = (x: string) => `/api/datasets/people/explore?select=id&order=id&${x}`
    // each of these answers nothing if files are skipped by raw min/max (or raw nullCount)
    await attack(t, s, q('amount=eq.0'), EVE, ids(1, 2, 3, 4, 9, 10), { label: 'A and C: raw ranges [1,10], [400,600] exclude 0' })
    await attack(t, s, q('amount=eq.1000'), EVE, ids(5, 11, 12), { label: 'B and C: raw ranges exclude 1000' })
    await attack(t, s, q('amount=in.(0)'), EVE, ids(1, 2, 3, 4, 9, 10), { label: 'in' })
    await attack(t, s, q('amount=not.neq.0'), EVE, ids(1, 2, 3, 4, 9, 10), { label: 'not.neq' })
    await attack(t, s, q('and=(amount.gte.0,amount.lte.0)'), EVE, ids(1, 2, 3, 4, 9, 10), { label: 'range in a tree' })
    await attack(t, s, q('born=lt.1985-02-01'), EVE, ids(1, 2, 3, 4, 5, 6), { label: 'dates: raw min 1985-02-14' })
    await attack(t, s, q('ts=lte.2024-03-01'), EVE, ids(1, 3, 5, 7, 9, 11), { label: 'timestamps: raw min 2024-03-11' })
    await attack(t, s, q('phone=is.null'), EVE, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), { label: 'null strategy: raw nullCount 0' })
    await attack(t, s, q('ssn=lt.5'), EVE, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11), { label: 'redact: raw min "910-…" > "5"' })
    // and the other way round: a raw value inside a file's raw range never keeps a row
    await attack(t, s, q('amount=eq.5'), EVE, [], { label: 'raw 5 inside [1,10]' })
    await attack(t, s, '/api/datasets/people/explore?select=n:count()&amount=eq.0', EVE, [{ n: 6 }], { label: 'count over pruned files' })
  })

  t.test('explore has no cache mixing views', async (t) => {
    const q = '/api/datasets/people/explore?select=id,email,amount&order=id&limit=2'
    const raw = [{ id: 1, email: 'alice.smith@corp-one.example', amount: 1 }, { id: 2, email: 'bob.jones@corp-two.example', amount: 2 }]
    const masked = [{ id: 1, email: '****@corp-one.example', amount: 0 }, { id: 2, email: '****@corp-two.example', amount: 0 }]
    const rowsAs = async (claims: typeof EVE) => ((await (await s.api(q, { claims })).json()) as { rows: unknown[] }).rows
    for (let i = 0; i < 2; i++) {
      t.same(await rowsAs(READER), raw, 'reader first')
      t.same(await rowsAs(EVE), masked, 'then viewer')
      t.same(await rowsAs(ADMIN_NO_PII), masked, 'then admin')
      t.same(await rowsAs(READER), raw, 'reader again')
    }
    await attack(t, s, q, EVE, masked, { label: 'every format after the reader' })
  })

  t.test('time travel: older versions are masked the same way', async (t) => {
    const h = await hashesAs(t, s, 'people', EVE, '&version=0')
    const q = (x: string) => `/api/datasets/people/explore?${x}`
    await attack(t, s, q('order=id&version=0'), EVE, GROUPS.A.map((p) => maskedRow(p, h)), { label: 'v0 rows' })
    await attack(t, s, q('select=id&order=id&amount=eq.0&version=0'), EVE, ids(1, 2, 3, 4), { label: 'v0 pruning' })
    await attack(t, s, q('select=id&order=id&amount=lte.10&version=1'), EVE, ids(1, 2, 3, 4), { label: 'v1 range' })
    await attack(t, s, q('select=id&order=id&amount=eq.1000&version=1'), EVE, ids(5), { label: 'v1 rounded' })
    await attack(t, s, q('select=amount,n:count()&group=amount&order=amount&version=1'), EVE,
      [{ amount: 0, n: 4 }, { amount: 1000, n: 1 }, { amount: 2000, n: 2 }, { amount: 3000, n: 1 }], { label: 'v1 group' })
    await attack(t, s, q('select=lo:email.min(),hi:email.max(),lo2:born.min(),hi2:ts.max()&version=0'), EVE,
      [{ lo: '****@corp-one.example', hi: '****@corp-two.example', lo2: '1985-01-01', hi2: APRIL }], { label: 'v0 min/max' })
    await attack(t, s, q('select=id&order=id&email=like.alice*&version=0'), EVE, [], { label: 'v0 raw like' })
    const prev = await attack(t, s, '/api/datasets/people/preview?version=1&limit=50', EVE, null, { label: 'preview v1' })
    const hAll = await hashesAs(t, s, 'people', EVE)
    t.same(objects(prev.json).sort((a, b) => Number(a.id) - Number(b.id)), textRows([...GROUPS.A, ...GROUPS.B].map((p) => maskedRow(p, hAll))), 'preview v1 rows masked')
    await attack(t, s, '/api/datasets/people/explore', EVE, ids(1, 2, 3, 4), { body: { select: 'id', order: 'id', filter: 'amount.eq.0', version: 1 }, label: 'POST version 1' })

    await attack(t, s, q('select=id&order=id&amount=eq.0&as_of=2100-01-01T00:00:00Z'), EVE, ids(1, 2, 3, 4, 9, 10), { label: 'as_of' })

    // overwrite with C only (v3): the old versions still mask
    const over = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'people', mode: 'overwrite' }, { name: 'c.csv', content: peopleCsv(GROUPS.C) }) })
    t.equal(over.status, 200)
    await attack(t, s, q('select=id&order=id&amount=eq.0'), EVE, ids(9, 10), { label: 'latest after overwrite' })
    await attack(t, s, q('select=id&order=id&amount=eq.0&version=2'), EVE, ids(1, 2, 3, 4, 9, 10), { label: 'v2 after overwrite' })
    await attack(t, s, q('select=id,ts&order=id&ts=lt.2024-03-02&version=0'), EVE, [{ id: 1, ts: MARCH }, { id: 3, ts: MARCH }], { label: 'v0 after overwrite' })
    const readerV0 = await (await s.api('/api/datasets/people/explore?order=id&version=0', { claims: READER })).json() as { rows: unknown[] }
    t.same(readerV0.rows, GROUPS.A.map(rawRow), 'the reader sees raw v0')
  })
})
