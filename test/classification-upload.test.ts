// Classification of uploaded datasets over real HTTP: automatic types from names and values
// after an upload (Luhn and mod-97 validators decide, not the look of the digits), manual
// overrides (admin or creator only) that survive a refresh and a later append, the masked flag
// following settings.masking, and no sample value in any answer.
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'
import { CUSTOMER_COLUMNS, CUSTOMER_TYPES, customersCsv } from './helpers/governance-data.js'
import { documentedSchema } from './helpers/openapi-schema.js'

const documented = documentedSchema('DatasetClassification')

const json = { 'content-type': 'application/json' }
const ALICE = { sub: 'alice', org: 'acme', roles: ['editor'] } // the creator
const CAROL = { sub: 'carol', org: 'acme', roles: ['editor'] } // may write, may not govern
const VIEWER = { sub: 'vic', org: 'acme', roles: ['viewer'] }
const ADMIN = { sub: 'root', org: 'acme', roles: ['admin'] }
const OUTSIDER = { sub: 'eve', org: 'other', roles: ['admin'] }

const SENSITIVITY: Record<string, string> = {
  person_name: 'confidential', email: 'confidential', phone: 'confidential', credit_card: 'restricted', identifier: 'internal',
  iban: 'restricted', ip_address: 'confidential', categorical: 'public', measure: 'public', free_text: 'internal',
}

interface Col { name: string; semantic_type: string | null; sensitivity: string | null; confidence: number | null; source: string | null; masked: boolean }

async function classification(s: TestServer, name: string, claims: object = ALICE): Promise<{ status: number; text: string; columns: Col[] }> {
  const r = await s.api(`/api/datasets/${name}/classification`, { claims })
  const text = await r.text()
  if (r.status === 200) {
    const problems = documented(JSON.parse(text))
    if (problems) throw new Error(`the answer does not match the OpenAPI schema: ${problems}`)
  }
  return { status: r.status, text, columns: r.status === 200 ? (JSON.parse(text) as { columns: Col[] }).columns : [] }
}

const byName = (cols: Col[]) => Object.fromEntries(cols.map((c) => [c.name, c]))

t.test('classification of an upload', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const csv = customersCsv(300)
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', claims: ALICE, body: uploadForm({ name: 'customers' }, { name: 'customers.csv', content: csv }) })
  t.equal(up.status, 201, await up.clone().text())

  t.test('automatic types after the upload, in schema order, without values', async (t) => {
    const logged = s.logs.map((l) => JSON.parse(l) as { msg?: string; dataset?: string; ms?: number }).find((l) => l.msg === 'dataset classified' && l.dataset === 'customers')
    t.ok(logged, 'the upload classified the dataset before answering')
    t.comment(`classification of a 300-row upload took ${logged?.ms} ms`)
    const { status, text, columns } = await classification(s, 'customers', VIEWER)
    t.equal(status, 200, 'any reader may read it')
    t.same(columns.map((c) => c.name), CUSTOMER_COLUMNS, 'schema order')
    for (const c of columns) {
      t.equal(c.semantic_type, CUSTOMER_TYPES[c.name], `${c.name} is ${CUSTOMER_TYPES[c.name]}`)
      t.equal(c.sensitivity, SENSITIVITY[c.semantic_type!], `${c.name} sensitivity`)
      t.equal(c.source, 'auto')
      t.equal(c.masked, false)
      t.ok(c.confidence! > 0 && c.confidence! <= 1, `${c.name} confidence in (0, 1]`)
    }
    t.ok(byName(columns).pay_token!.confidence! >= 0.9, 'Luhn-valid cards: high confidence')
    // no value of the sample leaks: check every cell of the first rows
    for (const line of csv.split('\n').slice(1, 40)) for (const cell of line.split(',')) {
      if (cell.length > 4) t.notOk(text.includes(cell), `value ${cell.slice(0, 3)}… is not in the answer`)
    }
  })

  t.test('who may read it', async (t) => {
    t.equal((await classification(s, 'customers', OUTSIDER)).status, 404, 'another org: not found')
    t.equal((await classification(s, 'nope')).status, 404)
  })

  t.test('manual overrides', async (t) => {
    const patch = (claims: object, body: unknown) => s.api('/api/datasets/customers/classification', { method: 'PATCH', claims, headers: json, body: JSON.stringify(body) })
    const body = { columns: [{ name: 'region', semantic_type: 'free_text', sensitivity: 'confidential' }, { name: 'order_number', semantic_type: 'credit_card' }] }
    t.equal((await patch(VIEWER, body)).status, 403, 'a viewer may not')
    t.equal((await patch(CAROL, body)).status, 403, 'an editor who is not the creator may not')
    t.equal((await patch(OUTSIDER, body)).status, 404, 'another org: not found')
    for (const [bad, param] of [
      [{ columns: [{ name: 'ghost', semantic_type: 'email' }] }, 'columns[0].name'],
      [{ columns: [{ name: 'region', semantic_type: 'zodiac_sign' }] }, 'columns[0].semantic_type'],
      [{ columns: [{ name: 'region', semantic_type: 'email', sensitivity: 'secret' }] }, 'columns[0].sensitivity'],
      [{ columns: [] }, 'columns'],
      [{ columns: [{ name: 'region', semantic_type: 'email', color: 'red' }] }, 'columns[0].color'],
    ] as const) {
      const r = await patch(ALICE, bad)
      const b = await r.json() as { error: string; message: string; details?: unknown }
      t.equal(r.status, 422, JSON.stringify(bad))
      t.equal(b.error, 'invalid_parameter')
      t.match(b.message, param, `names ${param}`)
    }
    t.equal(byName((await classification(s, 'customers')).columns).region!.source, 'auto', 'a refused PATCH stored nothing')

    const ok = await patch(ALICE, body)
    t.equal(ok.status, 200)
    const cols = byName((await ok.json() as { columns: Col[] }).columns)
    t.same([cols.region!.semantic_type, cols.region!.sensitivity, cols.region!.source, cols.region!.confidence], ['free_text', 'confidential', 'manual', 1], 'explicit sensitivity kept')
    t.same([cols.order_number!.semantic_type, cols.order_number!.sensitivity, cols.order_number!.source], ['credit_card', 'restricted', 'manual'], 'sensitivity follows the type')
    t.equal(cols.contact!.source, 'auto', 'other columns untouched')
    t.equal((await patch(ADMIN, { columns: [{ name: 'amount', semantic_type: 'measure' }] })).status, 200, 'an admin may')
  })

  t.test('overrides survive a refresh and an append that adds a column', async (t) => {
    t.equal((await s.api('/api/datasets/customers/classification/refresh', { method: 'POST', claims: VIEWER })).status, 403, 'a viewer may not refresh')
    const r = await s.api('/api/datasets/customers/classification/refresh', { method: 'POST', claims: CAROL })
    t.equal(r.status, 200, 'writers may refresh')
    let cols = byName((await r.json() as { columns: Col[] }).columns)
    t.equal(cols.region!.semantic_type, 'free_text')
    t.equal(cols.order_number!.source, 'manual')
    t.equal(cols.contact!.semantic_type, 'email')

    const more = customersCsv(50, 99).split('\n')
    const withColumn = [more[0] + ',backup_email', ...more.slice(1, -1).map((l, i) => `${l},backup${i}@example.net`)].join('\n') + '\n'
    const app = await s.api('/api/datasets/file/upload', { method: 'POST', claims: ALICE, body: uploadForm({ name: 'customers', mode: 'append', schema_mode: 'merge' }, { name: 'more.csv', content: withColumn }) })
    t.equal(app.status, 200, await app.clone().text())
    const after = await classification(s, 'customers')
    cols = byName(after.columns)
    t.same(after.columns.map((c) => c.name), [...CUSTOMER_COLUMNS, 'backup_email'])
    t.equal(cols.backup_email!.semantic_type, 'email', 'the new column was classified by the append (its rows sit in the newest file)')
    t.equal(cols.backup_email!.source, 'auto')
    t.same([cols.region!.semantic_type, cols.region!.source], ['free_text', 'manual'], 'override kept')
    t.same([cols.order_number!.semantic_type, cols.order_number!.source], ['credit_card', 'manual'], 'override kept')
    const times = s.logs.map((l) => JSON.parse(l) as { msg?: string; ms?: number }).filter((l) => l.msg === 'dataset classified').map((l) => l.ms)
    t.comment(`classification times (ms) of the upload, then the append: ${times.join(', ')}`)
  })

  t.test('masked follows settings.masking', async (t) => {
    const settings = { masking: [{ column: 'contact', strategy: 'email', params: {}, unmask_roles: [] }, { column: 'pay_token', strategy: 'redact', params: {}, unmask_roles: [] }] }
    const change = (claims: object) => s.api('/api/datasets/customers', { method: 'PATCH', claims, headers: json, body: JSON.stringify({ settings }) })
    t.equal((await change(CAROL)).status, 403, 'an editor who is not the creator may not change masking')
    t.same((await classification(s, 'customers')).columns.filter((c) => c.masked), [], 'nothing masked yet')
    const r = await change(ALICE)
    t.equal(r.status, 200, await r.clone().text())
    const cols = (await classification(s, 'customers', VIEWER)).columns
    t.same(cols.filter((c) => c.masked).map((c) => c.name), ['contact', 'pay_token'])
  })
})
