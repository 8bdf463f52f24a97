// GET /api/datasets/governance/summary over real HTTP with AUTHZ_MODE=grants: a small org of
// three datasets (one with card numbers, IBANs and masking rules, one all public, one of
// tickets), shared by grants; every count checked against a hand-computed expectation, per
// caller (admin, a user with a direct grant, a group member, a creator without grants). Only
// admins get the list of sensitive columns without masking; no answer holds a value.
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'
import { customersCsv } from './helpers/governance-data.js'
import { documentedSchema } from './helpers/openapi-schema.js'

const documented = documentedSchema('GovernanceSummary')

const json = { 'content-type': 'application/json' }
const ORG = 'gov'
const ALICE = { sub: 'alice', org: ORG, roles: ['editor'] }
const BOB = { sub: 'bob', org: ORG, roles: ['editor'] }
const ADMIN = { sub: 'root', org: ORG, roles: ['admin'] }
const VIC = { sub: 'vic', org: ORG, roles: ['viewer'] }
const ANN = { sub: 'ann', org: ORG, roles: ['viewer'], groups: ['analysts'] }

const salesCsv = 'region,day,amount\n' + Array.from({ length: 30 }, (_, i) => `${['EU', 'US', 'APAC'][i % 3]},2024-03-${String(1 + (i % 28)).padStart(2, '0')},${(i * 3.7).toFixed(2)}`).join('\n') + '\n'
const ticketsCsv = 'ticket_id,comment\n' + Array.from({ length: 30 }, (_, i) => `T-${1000 + i},the delivery number ${i} arrived late and the box was damaged but support replaced it`).join('\n') + '\n'

async function upload(s: TestServer, claims: object, name: string, content: string): Promise<void> {
  const r = await s.api('/api/datasets/file/upload', { method: 'POST', claims, body: uploadForm({ name }, { name: `${name}.csv`, content }) })
  if (r.status !== 201) throw new Error(`upload ${name}: ${r.status} ${await r.text()}`)
}

async function grant(s: TestServer, claims: object, name: string, principal: string, permission: string): Promise<void> {
  const r = await s.api(`/api/datasets/${name}/grants`, { method: 'POST', claims, headers: json, body: JSON.stringify({ principal, permission }) })
  if (r.status !== 201) throw new Error(`grant on ${name}: ${r.status} ${await r.text()}`)
}

const levels = (public_: number, internal: number, confidential: number, restricted: number, unclassified = 0) =>
  ({ public: public_, internal, confidential, restricted, unclassified })

t.test('governance summary', async (t) => {
  const s = await startServer({ AUTHZ_MODE: 'grants' })
  t.teardown(() => s.stop())
  const customers = customersCsv(100)
  await upload(s, ALICE, 'customers', customers)
  await upload(s, ALICE, 'sales', salesCsv)
  await upload(s, BOB, 'tickets', ticketsCsv)
  await upload(s, { sub: 'eve', org: 'other', roles: ['admin'] }, 'elsewhere', customersCsv(30, 3))
  const masking = { masking: [{ column: 'contact', strategy: 'email', params: {}, unmask_roles: [] }, { column: 'pay_token', strategy: 'redact', params: {}, unmask_roles: [] }] }
  const m = await s.api('/api/datasets/customers', { method: 'PATCH', claims: ALICE, headers: json, body: JSON.stringify({ settings: masking }) })
  t.equal(m.status, 200, await m.clone().text())
  await grant(s, ALICE, 'customers', 'user:vic', 'dataset.read')
  await grant(s, ALICE, 'customers', 'group:analysts', 'dataset.readwrite')
  await grant(s, ALICE, 'sales', 'group:analysts', 'dataset.read')

  const summary = async (claims: object) => {
    const r = await s.api('/api/datasets/governance/summary', { claims })
    const text = await r.text()
    t.equal(r.status, 200, text)
    // no value of any dataset: names, emails, card numbers, IBANs, IPs, ticket texts
    for (const line of [...customers.split('\n').slice(1, 30), ...ticketsCsv.split('\n').slice(1, 5)]) {
      for (const cell of line.split(',')) if (cell.length > 5) t.notOk(text.includes(cell), `no value ${cell.slice(0, 3)}…`)
    }
    const body = JSON.parse(text) as Record<string, unknown>
    t.equal(documented(body), null, 'matches the OpenAPI schema')
    return body
  }

  t.test('an admin: every dataset of the org, and the unmasked sensitive columns', async (t) => {
    t.same(await summary(ADMIN), {
      datasets: 3,
      // customers: 2 restricted (card, IBAN), 4 confidential (name, email, phone, IP), 1 internal (order number), 2 public
      // sales: 3 public; tickets: 2 internal (id, free text)
      columns: { total: 14, by_sensitivity: levels(5, 3, 4, 2) },
      datasets_by_sensitivity: levels(1, 1, 0, 1),
      masking: { sensitive_columns: 6, masked_columns: 2, coverage: 2 / 6 },
      sharing: { grants: 3, grants_by_permission: { 'dataset.read': 2, 'dataset.readwrite': 1 }, datasets_shared: 2, principals_with_access: 2 },
      unmasked_sensitive_columns: [
        { dataset: 'customers', column: 'customer', semantic_type: 'person_name', sensitivity: 'confidential' },
        { dataset: 'customers', column: 'tel', semantic_type: 'phone', sensitivity: 'confidential' },
        { dataset: 'customers', column: 'iban', semantic_type: 'iban', sensitivity: 'restricted' },
        { dataset: 'customers', column: 'client_ip', semantic_type: 'ip_address', sensitivity: 'confidential' },
      ],
    })
  })

  t.test('a viewer with one direct grant counts that dataset only, and gets no column list', async (t) => {
    t.same(await summary(VIC), {
      datasets: 1,
      columns: { total: 9, by_sensitivity: levels(2, 1, 4, 2) },
      datasets_by_sensitivity: levels(0, 0, 0, 1),
      masking: { sensitive_columns: 6, masked_columns: 2, coverage: 2 / 6 },
      // the grants of what vic can read: both grants of customers
      sharing: { grants: 2, grants_by_permission: { 'dataset.read': 1, 'dataset.readwrite': 1 }, datasets_shared: 1, principals_with_access: 2 },
    })
  })

  t.test('a group member sees the datasets granted to the group', async (t) => {
    t.same(await summary(ANN), {
      datasets: 2,
      columns: { total: 12, by_sensitivity: levels(5, 1, 4, 2) },
      datasets_by_sensitivity: levels(1, 0, 0, 1),
      masking: { sensitive_columns: 6, masked_columns: 2, coverage: 2 / 6 },
      sharing: { grants: 3, grants_by_permission: { 'dataset.read': 2, 'dataset.readwrite': 1 }, datasets_shared: 2, principals_with_access: 2 },
    })
  })

  t.test('a creator without grants sees their own dataset', async (t) => {
    t.same(await summary(BOB), {
      datasets: 1,
      columns: { total: 2, by_sensitivity: levels(0, 2, 0, 0) },
      datasets_by_sensitivity: levels(0, 1, 0, 0),
      masking: { sensitive_columns: 0, masked_columns: 0, coverage: null },
      sharing: { grants: 0, grants_by_permission: { 'dataset.read': 0, 'dataset.readwrite': 0 }, datasets_shared: 0, principals_with_access: 0 },
    })
  })

  t.test('overrides and masking changes show at once', async (t) => {
    // bob marks the ticket text restricted and masks it: coverage for bob becomes 1
    const p = await s.api('/api/datasets/tickets/classification', { method: 'PATCH', claims: BOB, headers: json, body: JSON.stringify({ columns: [{ name: 'comment', semantic_type: 'free_text', sensitivity: 'restricted' }] }) })
    t.equal(p.status, 200)
    let b = await summary(BOB) as { masking: unknown; datasets_by_sensitivity: unknown }
    t.same(b.masking, { sensitive_columns: 1, masked_columns: 0, coverage: 0 })
    t.same(b.datasets_by_sensitivity, levels(0, 0, 0, 1))
    const m = await s.api('/api/datasets/tickets', { method: 'PATCH', claims: BOB, headers: json, body: JSON.stringify({ settings: { masking: [{ column: 'comment', strategy: 'redact', params: {}, unmask_roles: [] }] } }) })
    t.equal(m.status, 200, await m.clone().text())
    b = await summary(BOB) as { masking: unknown; datasets_by_sensitivity: unknown }
    t.same(b.masking, { sensitive_columns: 1, masked_columns: 1, coverage: 1 })
  })

  t.test('classification follows the same read rules', async (t) => {
    t.equal((await s.api('/api/datasets/tickets/classification', { claims: VIC })).status, 404, 'not granted: not found')
    t.equal((await s.api('/api/datasets/customers/classification', { claims: VIC })).status, 200, 'granted: readable')
    const p = await s.api('/api/datasets/customers/classification', { method: 'PATCH', claims: ANN, headers: json, body: JSON.stringify({ columns: [{ name: 'tel', semantic_type: 'other' }] }) })
    t.equal(p.status, 403, 'a readwrite grant does not allow overrides')
  })

  t.test('needs a token; the route word is not a dataset', async (t) => {
    t.equal((await s.api('/api/datasets/governance/summary', { claims: null })).status, 401)
    const r = await s.api('/api/datasets/governance', { claims: ADMIN })
    t.equal(r.status, 404)
  })
})
