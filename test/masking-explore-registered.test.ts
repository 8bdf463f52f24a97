// Column masking on registered lakehouse tables, attacked by callers without the unmask role:
// a Delta table partitioned by masked columns (an int64 under round, a string under hash) with
// stats on a masked data column, across time travel; and a plain Parquet folder whose Hive
// partition column is masked. Partition values and stats hold raw values: pruning on them
// would answer differently, and error messages must not carry them either.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { Int64, Utf8 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import { orgDir, registered, writeCommit, writeParquet } from './helpers/lakehouse.js'
import {
  ADMIN_NO_PII, EVE, PEOPLE, READER, M_EMAIL, M_AMOUNT, allFormats, arrowMasked, attack, ids, objects, patchMasking, rawStrings, textRows,
} from './helpers/masking-attacks.js'

/** Every byte a response delivered, also when the server aborted it (CSV and Arrow errors after the first byte). */
async function readAborted(res: Response): Promise<Buffer> {
  const chunks: Buffer[] = []
  const reader = res.body!.getReader()
  try {
    for (;;) {
      const { done, value } = await reader.read()
      if (done) break
      chunks.push(Buffer.from(value))
    }
  } catch { /* aborted: keep what arrived */ }
  return Buffer.concat(chunks)
}

const people = (idList: number[]) => PEOPLE.filter((p) => idList.includes(p.id))

/** One data file of the Delta table (id, email, amount; band and tier in the partition path) and its add action. */
function deltaFile(dir: string, band: number, tier: string, idList: number[]) {
  const rows = people(idList)
  const rel = `band=${band}/tier=${tier}/part-${idList[0]}.parquet`
  const size = writeParquet(path.join(dir, rel), {
    id: { type: new Int64(), values: rows.map((r) => BigInt(r.id)) },
    email: { type: new Utf8(), values: rows.map((r) => r.email) },
    amount: { type: new Int64(), values: rows.map((r) => BigInt(r.amount)) },
  })
  const amounts = rows.map((r) => r.amount)
  const emails = rows.map((r) => r.email).sort()
  const stats = {
    numRecords: rows.length,
    minValues: { id: Math.min(...idList), email: emails[0], amount: Math.min(...amounts) },
    maxValues: { id: Math.max(...idList), email: emails.at(-1), amount: Math.max(...amounts) },
    nullCount: { id: 0, email: 0, amount: 0 },
  }
  return { add: { path: rel, partitionValues: { band: String(band), tier }, size, modificationTime: 0, dataChange: true, stats: JSON.stringify(stats) } }
}

function makeDelta(dir: string): void {
  fs.mkdirSync(path.join(dir, '_delta_log'), { recursive: true })
  const T0 = Date.UTC(2024, 0, 1)
  const field = (name: string, type: string) => ({ name, type, nullable: true, metadata: {} })
  writeCommit(dir, 0, [
    { commitInfo: { timestamp: T0, operation: 'WRITE', operationParameters: { mode: 'ErrorIfExists' } } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: 'people-delta', format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify({ type: 'struct', fields: [field('id', 'long'), field('email', 'string'), field('amount', 'long'), field('band', 'long'), field('tier', 'string')] }),
        partitionColumns: ['band', 'tier'], configuration: {}, createdTime: T0,
      },
    },
    deltaFile(dir, 1, 'gold', [1, 2, 3, 4]),
    deltaFile(dir, 150, 'silver', [5, 6, 7, 8]),
  ])
  writeCommit(dir, 1, [
    { commitInfo: { timestamp: T0 + 3_600_000, operation: 'WRITE', operationParameters: { mode: 'Append' } } },
    deltaFile(dir, 449, 'gold', [9, 10, 11, 12]),
  ])
}

const DELTA_RULES = [
  { column: 'band', strategy: 'round', params: { step: 100 }, unmask_roles: ['pii_reader'] },
  { column: 'tier', strategy: 'hash', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'email', strategy: 'email', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'amount', strategy: 'round', params: { step: 1000 }, unmask_roles: ['pii_reader'] },
]
// band: 1 → 0, 150 → 200 (1.5 away from zero), 449 → 400
const BAND: Record<number, number> = { 1: 0, 2: 0, 3: 0, 4: 0, 5: 200, 6: 200, 7: 200, 8: 200, 9: 400, 10: 400, 11: 400, 12: 400 }
const RAW_TIERS = ['gold', 'silver', 'tier=']

t.test('registered lakehouse tables', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const raws = [...rawStrings(), ...RAW_TIERS, 'band=1/', 'band=150', 'band=449']

  t.test('a Delta table partitioned by masked columns', async (t) => {
    makeDelta(path.join(orgDir(s), 'crm', 'people_delta'))
    await registered(s, 'people_delta', 'crm/people_delta')
    const p = await patchMasking(s, 'people_delta', DELTA_RULES)
    t.equal(p.status, 200, await p.clone().text())
    const q = (x: string) => `/api/datasets/people_delta/explore?${x}`
    const A = (who: typeof EVE, query: string, expected: Record<string, unknown>[] | null) => attack(t, s, q(query), who, expected, { raws })

    // the digests of the two raw tiers, read from a masked query; checked to be 64 hex digits
    const tiers = ((await (await s.api(q('select=id,tier&order=id'), { claims: EVE })).json()) as { rows: { id: number; tier: string }[] }).rows
    const gold = tiers[0]!.tier, silver = tiers[4]!.tier
    t.match(gold, /^[0-9a-f]{64}$/)
    t.same(tiers.map((r) => r.tier), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12].map((id) => (id >= 5 && id <= 8 ? silver : gold)), 'equal digests exactly for equal raw tiers')
    t.not(gold, silver)

    for (const who of [EVE, ADMIN_NO_PII]) {
      await A(who, 'order=id', PEOPLE.map((r) => ({ id: r.id, email: M_EMAIL[r.id], amount: M_AMOUNT[r.id], band: BAND[r.id], tier: r.id >= 5 && r.id <= 8 ? silver : gold })))
      // partition pruning on raw values would drop these files
      await A(who, 'select=id&order=id&band=eq.0', ids(1, 2, 3, 4))
      await A(who, 'select=id&order=id&band=eq.200', ids(5, 6, 7, 8))
      await A(who, 'select=id&order=id&band=lt.100', ids(1, 2, 3, 4))
      await A(who, 'select=id&order=id&band=in.(0,400)', ids(1, 2, 3, 4, 9, 10, 11, 12))
      await A(who, 'select=id&order=id&band=not.in.(1,150,449)', ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
      await A(who, `select=id&order=id&tier=eq.${gold}`, ids(1, 2, 3, 4, 9, 10, 11, 12))
      await A(who, `select=id&order=id&or=(tier.eq.${silver},band.eq.0)`, ids(1, 2, 3, 4, 5, 6, 7, 8))
      await A(who, `select=id&order=id&tier=neq.gold`, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12))
      // raw values never match
      await A(who, 'select=id&order=id&band=eq.1', [])
      await A(who, 'select=id&order=id&band=in.(150,449)', [])
      await A(who, 'select=id&order=id&tier=eq.gold', [])
      await A(who, 'select=id&order=id&tier=like.g*', [])
      await A(who, 'select=id&order=id&tier=in.(gold,silver)', [])
      // stats pruning on a masked data column
      await A(who, 'select=id&order=id&amount=eq.0', ids(1, 2, 3, 4, 9, 10))
      await A(who, 'select=id&order=id&amount=eq.1000&band=eq.400', ids(11, 12))
      await A(who, 'select=id&order=id&email=like.alice*', [])
      await A(who, 'select=id&order=id&email=like.*corp-two.example', ids(2, 4, 6, 8, 10))
      // order, group, min/max
      await A(who, 'select=id&order=band.desc,id', ids(9, 10, 11, 12, 5, 6, 7, 8, 1, 2, 3, 4))
      await A(who, 'select=band,n:count()&group=band&order=band', [{ band: 0, n: 4 }, { band: 200, n: 4 }, { band: 400, n: 4 }])
      await A(who, 'select=tier,n:count()&group=tier&order=n', [{ tier: silver, n: 4 }, { tier: gold, n: 8 }])
      await A(who, 'select=lo:band.min(),hi:band.max(),s:band.sum(),d:tier.count_distinct()', [{ lo: 0, hi: 400, s: 2400, d: 2 }])
      await A(who, 'select=lo:tier.min(),hi:tier.max()', [{ lo: gold < silver ? gold : silver, hi: gold < silver ? silver : gold }])
      // time travel: v0 has only the band 1 and band 150 files
      await A(who, 'select=id&order=id&band=eq.0&version=0', ids(1, 2, 3, 4))
      await A(who, 'select=id&order=id&band=eq.400&version=0', [])
      await A(who, `select=id&order=id&tier=eq.${gold}&version=0`, ids(1, 2, 3, 4))
      await A(who, 'select=id&order=id&amount=eq.1000&version=0', ids(5))
      await A(who, 'select=band,n:count()&group=band&order=band&version=0', [{ band: 0, n: 4 }, { band: 200, n: 4 }])
      await attack(t, s, '/api/datasets/people_delta/explore', who, ids(1, 2, 3, 4), { body: { select: 'id', order: 'id', filter: 'band.eq.0', version: 0 }, raws })
      const prev = await attack(t, s, '/api/datasets/people_delta/preview?version=0&limit=100', who, null, { raws })
      t.same(objects(prev.json).map((r) => r.band).sort(), ['0', '0', '0', '0', '200', '200', '200', '200'], 'preview v0: masked bands')
      t.same(arrowMasked(prev), { id: 'false', email: 'true', amount: 'true', band: 'true', tier: 'true' })
    }

    const meta = await (await s.api('/api/datasets/people_delta', { claims: EVE })).json() as { schema: { name: string; type: string; masked: boolean }[] }
    t.same(meta.schema.map((f) => [f.name, f.type, f.masked]), [['id', 'int64', false], ['email', 'string', true], ['amount', 'int64', true], ['band', 'int64', true], ['tier', 'string', true]])
    const rmeta = await (await s.api('/api/datasets/people_delta', { claims: READER })).json() as { schema: { name: string; masked: boolean }[] }
    t.same(rmeta.schema.map((f) => f.masked), [false, false, false, false, false], 'reader: nothing masked')

    // the reader sees raw partition values and raw filters work for them
    const r = await allFormats(s, q('select=id,band,tier&order=id&band=eq.150&version=0'), READER)
    t.same(objects(r.json), textRows(people([5, 6, 7, 8]).map((x) => ({ id: x.id, band: 150, tier: 'silver' }))))
    t.same(objects((await allFormats(s, q('select=id&order=id&tier=eq.gold&amount=lte.10'), READER)).json), textRows(ids(1, 2, 3, 4)))
  })

  t.test('a plain Parquet folder with a masked Hive partition column', async (t) => {
    const dir = path.join(orgDir(s), 'crm', 'people_pq')
    const put = (who: string, idList: number[]) => {
      const rows = people(idList)
      writeParquet(path.join(dir, `who=${who}`, `p-${idList[0]}.parquet`), {
        id: { type: new Int64(), values: rows.map((r) => BigInt(r.id)) },
        ssn: { type: new Utf8(), values: rows.map((r) => r.ssn) },
        amount: { type: new Int64(), values: rows.map((r) => BigInt(r.amount)) },
      })
    }
    put('alice.smith', [1, 2, 3, 4])
    put('bob.jones', [5, 6, 7, 8])
    put('carol.white', [9, 10])
    put('__HIVE_DEFAULT_PARTITION__', [11, 12])
    await registered(s, 'people_pq', 'crm/people_pq')
    const p = await patchMasking(s, 'people_pq', [
      { column: 'who', strategy: 'hash', params: {}, unmask_roles: ['pii_reader'] },
      { column: 'ssn', strategy: 'redact', params: {}, unmask_roles: ['pii_reader'] },
      { column: 'amount', strategy: 'round', params: { step: 1000 }, unmask_roles: ['pii_reader'] },
    ])
    t.equal(p.status, 200, await p.clone().text())
    const q = (x: string) => `/api/datasets/people_pq/explore?${x}`
    const praws = [...raws, 'who=']
    const A = (who: typeof EVE, query: string, expected: Record<string, unknown>[] | null) => attack(t, s, q(query), who, expected, { raws: praws })
    const whoRows = ((await (await s.api(q('select=id,who&order=id'), { claims: EVE })).json()) as { rows: { id: number; who: string | null }[] }).rows
    const hA = whoRows[0]!.who!, hB = whoRows[4]!.who!, hC = whoRows[8]!.who!
    t.same(whoRows.map((r) => r.who), [hA, hA, hA, hA, hB, hB, hB, hB, hC, hC, null, null], 'digest per raw partition value; the Hive null stays null')
    t.ok([hA, hB, hC].every((h) => /^[0-9a-f]{64}$/.test(h)) && new Set([hA, hB, hC]).size === 3)

    for (const who of [EVE, ADMIN_NO_PII]) {
      await A(who, 'order=id', PEOPLE.map((r) => ({ id: r.id, ssn: r.ssn === null ? null : '****', amount: M_AMOUNT[r.id], who: whoRows[r.id - 1]!.who })))
      await A(who, `select=id&order=id&who=eq.${hA}`, ids(1, 2, 3, 4))
      await A(who, `select=id&order=id&who=in.(${hA},${hC})`, ids(1, 2, 3, 4, 9, 10))
      await A(who, 'select=id&order=id&who=eq.alice.smith', [])
      await A(who, 'select=id&order=id&who=like.alice*', [])
      await A(who, 'select=id&order=id&who=in.(alice.smith,bob.jones)', [])
      await A(who, 'select=id&order=id&who=neq.alice.smith', ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10))
      // raw "alice.smith" lies in this range; no hex digest can ("l" is not a hex digit)
      await A(who, 'select=id&order=id&who=gt.alice&who=lt.alicf', [])
      await A(who, 'select=id&order=id&who=is.null', ids(11, 12))
      await A(who, `select=id&order=id&not.or=(who.eq.${hB},who.is.null)`, ids(1, 2, 3, 4, 9, 10))
      await A(who, 'select=id&order=id&amount=eq.0', ids(1, 2, 3, 4, 9, 10))
      await A(who, 'select=id&order=id&ssn=eq.****', ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11))
      await A(who, 'select=who,n:count()&group=who&order=n.desc,who', [...[[hA, 4], [hB, 4]].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)), ...[[hC, 2], [null, 2]]].map(([w, n]) => ({ who: w, n })))
      await A(who, 'select=lo:who.min(),hi:who.max(),d:who.count_distinct()', [{ lo: [hA, hB, hC].sort()[0], hi: [hA, hB, hC].sort()[2], d: 3 }])
      await A(who, 'select=id&order=who.nullsfirst,id&limit=3', ids(11, 12, ...[[hA, 1], [hB, 5], [hC, 9]].sort((x, y) => (x[0]! < y[0]! ? -1 : 1)).map((x) => x[1] as number).slice(0, 1)))
      const prev = await attack(t, s, '/api/datasets/people_pq/preview?limit=100', who, null, { raws: praws })
      t.equal(prev.json.rows.length, 12)
      t.same(arrowMasked(prev), { id: 'false', ssn: 'true', amount: 'true', who: 'true' })
    }
    const r = await allFormats(s, q('select=id&order=id&who=eq.alice.smith'), READER)
    t.same(objects(r.json), textRows(ids(1, 2, 3, 4)), 'the reader filters raw partition values')
  })

  t.test('null and redact on partition columns: raw partition values never decide', async (t) => {
    const rule = (column: string, strategy: string) => ({ column, strategy, params: {}, unmask_roles: ['pii_reader'] })
    t.equal((await patchMasking(s, 'people_pq', [rule('who', 'null')])).status, 200)
    const pq = (x: string) => `/api/datasets/people_pq/explore?select=id&order=id&${x}`
    // raw partition pruning would keep only the Hive default partition (ids 11, 12)
    await attack(t, s, pq('who=is.null'), EVE, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), { raws })
    await attack(t, s, pq('who=not.is.null'), EVE, [], { raws })
    await attack(t, s, '/api/datasets/people_pq/explore?select=who,n:count()&group=who', EVE, [{ who: null, n: 12 }], { raws })
    t.equal((await patchMasking(s, 'people_delta', [rule('tier', 'redact'), rule('band', 'null')])).status, 200)
    const dq = (x: string) => `/api/datasets/people_delta/explore?select=id&order=id&${x}`
    await attack(t, s, dq('tier=eq.****'), EVE, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), { raws })
    await attack(t, s, dq('tier=eq.gold'), EVE, [], { raws })
    await attack(t, s, dq('band=is.null&tier=eq.****'), EVE, ids(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12), { raws })
    await attack(t, s, dq('band=eq.150'), EVE, [], { raws })
    await attack(t, s, dq('band=is.null&version=0'), EVE, ids(1, 2, 3, 4, 5, 6, 7, 8), { raws })
    await attack(t, s, '/api/datasets/people_delta/explore?select=tier,band,n:count()&group=tier,band', EVE, [{ tier: '****', band: null, n: 12 }], { raws })
  })

  t.test('error messages never carry raw partition values', async (t) => {
    // a live file of a registered Delta table removed by another tool
    const dir = path.join(orgDir(s), 'crm', 'people_delta')
    const victim = path.join(dir, 'band=150', 'tier=silver', 'part-5.parquet')
    fs.renameSync(victim, victim + '.gone')
    t.teardown(() => fs.renameSync(victim + '.gone', victim))
    for (const fmt of ['json', 'ndjson', 'csv', 'arrow']) {
      const res = await s.api(`/api/datasets/people_delta/explore?select=id&format=${fmt}`, { claims: EVE })
      const text = (await readAborted(res)).toString('latin1')
      if (fmt === 'json') t.match(text, /"error":/, 'the scan failed (the premise)')
      const found = ['silver', 'band=150', 'tier='].filter((x) => text.includes(x))
      t.same(found, [], `${fmt} (status ${res.status}) names no raw partition value`)
    }
    // a live file that is not Parquet any more
    fs.writeFileSync(victim, 'not parquet at all')
    t.teardown(() => fs.rmSync(victim, { force: true }))
    for (const fmt of ['json', 'ndjson', 'csv', 'arrow']) {
      const res = await s.api(`/api/datasets/people_delta/explore?select=id&format=${fmt}`, { claims: EVE })
      const text = (await readAborted(res)).toString('latin1')
      const found = ['silver', 'band=150', 'tier='].filter((x) => text.includes(x))
      t.same(found, [], `corrupt file, ${fmt} (status ${res.status}) names no raw partition value`)
    }
    fs.rmSync(victim)
    // a Parquet folder file that is not Parquet
    const pq = path.join(orgDir(s), 'crm', 'people_pq')
    const bad = path.join(pq, 'who=carol.white', 'p-zz.parquet')
    fs.writeFileSync(bad, 'PAR1 garbage')
    for (const fmt of ['json', 'csv']) {
      const res = await s.api(`/api/datasets/people_pq/explore?select=id&format=${fmt}`, { claims: EVE })
      const text = (await readAborted(res)).toString('utf8')
      t.same(['bob.jones', 'alice.smith', 'carol.white', 'who='].filter((x) => text.includes(x)), [], `corrupt folder file, ${fmt} (status ${res.status}): ${text.slice(-300)}`)
    }
    fs.rmSync(bad)
    // a Parquet folder that gained a file in another layout
    writeParquet(path.join(pq, 'who=bob.jones', 'extra=1', 'x.parquet'), { id: { type: new Int64(), values: [99n] } })
    const res = await s.api('/api/datasets/people_pq/explore?select=id', { claims: EVE })
    const text = (await readAborted(res)).toString('utf8')
    t.same(['bob.jones', 'alice.smith', 'carol.white'].filter((x) => text.includes(x)), [], `status ${res.status}: the error names no raw partition value: ${text.slice(0, 300)}`)
  })
})
