// The result cache under the cross-view masking attack (AUTHZ_MODE=grants): a caller holding
// the unmask role fills the cache, then a masked caller asks the very same query (and the
// reverse), in every format, with and without an If-None-Match carrying the other caller's
// ETag: the masked caller never gets a raw byte nor a 304 for another view. Callers with the
// same view share entries. A revoked grant is 404 even when the answer is cached; a changed
// rule gives a fresh masked answer at once.
import t from 'tap'
import { startServer, uploadForm, type Claims, type TestServer } from './helpers/server.js'
import {
  ADMIN_NO_PII, CREATOR, EVE, M_AMOUNT, M_CARD, M_EMAIL, PEOPLE, READER, RULES, allFormats, assertNoRaw, attack,
  objects, patchMasking, peopleCsv, rawRow, rawStrings, textRows,
} from './helpers/masking-attacks.js'

const FORMATS = ['json', 'ndjson', 'csv', 'arrow'] as const
const Q = '/api/datasets/people/explore?select=id,email,card,amount&order=id&limit=6'
const Q2 = '/api/datasets/people/explore?select=region,n:count(),lo:email.min(),top:amount.max()&group=region&order=region'
const FIRST6 = PEOPLE.slice(0, 6)
const maskedRows = FIRST6.map((p) => ({ id: p.id, email: M_EMAIL[p.id], card: M_CARD[p.id], amount: M_AMOUNT[p.id] }))
const rawRows = FIRST6.map((p) => { const r = rawRow(p); return { id: r.id, email: r.email, card: r.card, amount: r.amount } })

async function get(s: TestServer, p: string, claims: Claims, headers: Record<string, string> = {}) {
  const r = await s.api(p, { claims, headers })
  return { status: r.status, etag: r.headers.get('etag'), cache: r.headers.get('x-cache'), text: Buffer.from(await r.arrayBuffer()).toString('latin1') }
}

const withFormat = (p: string, f: string) => `${p}&format=${f}`
const raws = rawStrings()
const leaks = (text: string) => raws.filter((x) => text.includes(x))

t.test('masking and the result cache', async (t) => {
  const s = await startServer({ AUTHZ_MODE: 'grants' })
  t.teardown(() => s.stop())
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', claims: CREATOR, body: uploadForm({ name: 'people' }, { name: 'p.csv', content: peopleCsv(PEOPLE) }) })
  t.equal(up.status, 201, 'upload by the creator')
  t.equal((await patchMasking(s, 'people', RULES)).status, 200, 'rules set')
  const grantIds: Record<string, string> = {}
  for (const who of [EVE, READER]) {
    const r = await s.api('/api/datasets/people/grants', {
      method: 'POST', claims: CREATOR, headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ principal: `user:${who.sub}`, permission: 'dataset.read' }),
    })
    t.equal(r.status, 201, `grant to ${who.sub}`)
    grantIds[who.sub!] = (await r.json() as { id: string }).id
  }

  t.test('the unmasking caller fills the cache, then the masked caller asks the same', async (t) => {
    const reader = await allFormats(s, Q, READER)
    t.same(objects(reader.json), textRows(rawRows), 'the reader sees raw values')
    const readerTags: Record<string, string> = {}
    for (const f of FORMATS) {
      const again = await get(s, withFormat(Q, f), READER)
      t.equal(again.cache, 'hit', `${f}: the reader's answer is cached`)
      readerTags[f] = again.etag!
    }
    for (const f of FORMATS) {
      const r = await get(s, withFormat(Q, f), EVE, { 'if-none-match': readerTags[f]! })
      t.equal(r.status, 200, `${f}: the reader's ETag is no 304 for the viewer`)
      t.not(r.etag, readerTags[f], `${f}: another view, another ETag`)
      t.equal(r.cache, 'miss', `${f}: not the reader's entry`)
      t.same(leaks(r.text), [], `${f}: no raw value`)
    }
    await attack(t, s, Q, EVE, maskedRows, { label: 'every format, now cached for the viewer' })
    for (const f of FORMATS) t.equal((await get(s, withFormat(Q, f), EVE)).cache, 'hit', `${f}: the viewer's own entry`)
    // and the reader still gets raw values, from the reader's entry
    const back = await allFormats(s, Q, READER)
    t.same(objects(back.json), textRows(rawRows), 'the reader still sees raw values')
  })

  t.test('the reverse: the masked caller fills the cache first', async (t) => {
    const eve = await attack(t, s, Q2, EVE, null, { label: 'viewer first' })
    const eveTags: Record<string, string> = {}
    for (const f of FORMATS) eveTags[f] = (await get(s, withFormat(Q2, f), EVE)).etag!
    for (const f of FORMATS) {
      const r = await get(s, withFormat(Q2, f), READER, { 'if-none-match': eveTags[f]! })
      t.equal(r.status, 200, `${f}: the viewer's ETag is no 304 for the reader`)
      t.equal(r.cache, 'miss', `${f}: not the viewer's entry`)
    }
    const reader = await allFormats(s, Q2, READER)
    t.same(objects(reader.json).map((r) => r.lo), ['alice.smith@corp-one.example', 'carol.white@corp-one.example'], 'raw minimum emails for the reader')
    t.same(objects(eve.json).map((r) => r.lo), ['****', '****'], 'masked minimum emails for the viewer (ids 11 and 12 mask to "****")')
  })

  t.test('callers with the same view share entries and ETags', async (t) => {
    const eve = await get(s, Q, EVE)
    const admin = await get(s, Q, ADMIN_NO_PII)
    t.equal(admin.etag, eve.etag, 'an admin without the unmask role has the viewer\'s view')
    t.equal(admin.cache, 'hit')
    t.equal(admin.text, eve.text)
    t.equal((await get(s, Q, ADMIN_NO_PII, { 'if-none-match': eve.etag! })).status, 304)
  })

  t.test('a revoked grant is 404 even when the answer is cached', async (t) => {
    const cached = await get(s, Q, EVE)
    t.equal(cached.cache, 'hit', 'premise: cached')
    const del = await s.api(`/api/datasets/people/grants/${grantIds.eve}`, { method: 'DELETE', claims: CREATOR })
    t.equal(del.status, 204)
    for (const headers of [{}, { 'if-none-match': cached.etag! }, { 'if-none-match': '*' }] as Record<string, string>[]) {
      const r = await get(s, Q, EVE, headers)
      t.equal(r.status, 404, `404 with ${JSON.stringify(headers)}`)
      t.match(JSON.parse(r.text), { error: 'dataset_not_found' })
      t.equal(r.etag, null)
    }
    t.equal((await get(s, Q, ADMIN_NO_PII)).cache, 'hit', 'the entry itself is fine for callers who may still read')
  })

  t.test('a changed rule gives a fresh masked answer at once', async (t) => {
    const before = await get(s, Q, ADMIN_NO_PII)
    const readerBefore = await get(s, Q, READER)
    const changed = RULES.map((r) => (r.column === 'email' ? { ...r, strategy: 'null' } : r))
    t.equal((await patchMasking(s, 'people', changed)).status, 200)
    const r = await get(s, Q, ADMIN_NO_PII, { 'if-none-match': before.etag! })
    t.equal(r.status, 200, 'the old ETag does not match the new view')
    t.not(r.etag, before.etag)
    t.same(JSON.parse(r.text).rows.map((x: { email: unknown }) => x.email), FIRST6.map(() => null), 'email is now nulled')
    const all = await allFormats(s, Q, ADMIN_NO_PII)
    assertNoRaw(t, all, 'after the rule change')
    t.same(objects(all.json).map((x) => x.card), FIRST6.map((p) => M_CARD[p.id]), 'the other rules still apply')
    // the reader's view does not depend on the rules: the raw answer stays valid
    t.equal((await get(s, Q, READER, { 'if-none-match': readerBefore.etag! })).status, 304, 'the reader revalidates')
    // dropping the email rule: the admin now sees raw emails, never the old masked entry
    t.equal((await patchMasking(s, 'people', RULES.filter((x) => x.column !== 'email'))).status, 200)
    const raw = await get(s, Q, ADMIN_NO_PII)
    t.equal(raw.cache, 'miss')
    t.same(JSON.parse(raw.text).rows.map((x: { email: unknown }) => x.email), FIRST6.map((p) => p.email), 'raw emails after the rule is gone')
  })
})
