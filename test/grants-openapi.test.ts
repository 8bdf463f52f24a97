// Real responses of the grant endpoints and /api/datasets/available validated against what
// proto/openapi/grants.json documents for their status (the general OpenAPI test does not call them).
import t from 'tap'
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import { loadOpenApi } from '../src/http/openapi.js'
import { startServer, uploadForm, type Claims } from './helpers/server.js'

type AjvCtor = typeof Ajv2020Module.default
const Ajv2020: AjvCtor = (Ajv2020Module as unknown as { default?: AjvCtor }).default ?? (Ajv2020Module as unknown as AjvCtor)
type AddFormats = typeof addFormatsModule.default
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)

type Obj = Record<string, any>
const doc = loadOpenApi() as Obj
const ID = 'https://sluice.invalid/openapi.json'
const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, allErrors: true })
addFormats(ajv)
ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components', 'jsonSchemaDialect', 'webhooks', 'externalDocs'])
ajv.addSchema({ ...doc, $id: ID })
const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')

t.test('grant endpoints answer as documented', async (t) => {
  const s = await startServer({ AUTHZ_MODE: 'grants' })
  t.teardown(() => s.stop())
  const owner: Claims = { sub: 'owner', roles: ['editor'] }
  const reader: Claims = { sub: 'reader', roles: ['viewer'] }
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', claims: owner, body: uploadForm({ name: 'sales' }, { name: 's.csv', content: 'a,b\n1,x\n' }) })
  t.equal(up.status, 201)

  /** Checks status and body against the document; returns the body. */
  const check = async (pathKey: string, method: string, path: string, claims: Claims | null, status: number, json?: unknown) => {
    const r = await s.api(path, { method: method.toUpperCase(), claims, ...(json !== undefined ? { body: JSON.stringify(json) } : {}) })
    const text = await r.text()
    const label = `${method.toUpperCase()} ${path} as ${claims?.sub ?? 'nobody'}`
    t.equal(r.status, status, `${label}: ${status} (${text.slice(0, 200)})`)
    let response = doc.paths[pathKey][method].responses[String(r.status)]
    if (!t.ok(response, `${label}: status ${r.status} is documented`)) return undefined
    let ref = `#/paths/${esc(pathKey)}/${method}/responses/${r.status}`
    if (response.$ref) { ref = response.$ref; response = doc.components.responses[response.$ref.split('/').pop()] }
    if (!response.content) return t.equal(text, '', `${label}: no body`)
    const body = JSON.parse(text)
    const validate = ajv.getSchema(`${ID}${ref}/content/application~1json/schema`) as ValidateFunction
    t.ok(validate(body), `${label}: body matches the schema ${ajv.errorsText(validate.errors)}`)
    return body
  }

  const g = '/api/datasets/{name}/grants'
  const created = await check(g, 'post', '/api/datasets/sales/grants', owner, 201, { principal: 'user:reader', permission: 'dataset.read' })
  await check(g, 'post', '/api/datasets/sales/grants', owner, 200, { principal: 'user:reader', permission: 'dataset.readwrite' })
  await check(g, 'post', '/api/datasets/sales/grants', owner, 422, { principal: 'bob', permission: 'dataset.read' })
  await check(g, 'post', '/api/datasets/sales/grants', reader, 403, { principal: 'user:x', permission: 'dataset.read' })
  await check(g, 'post', '/api/datasets/nope/grants', owner, 404, { principal: 'user:x', permission: 'dataset.read' })
  await check(g, 'post', '/api/datasets/sales/grants', null, 401, {})
  await check(g, 'get', '/api/datasets/sales/grants', owner, 200)
  await check(g, 'get', '/api/datasets/sales/grants', reader, 403)
  await check(g, 'get', '/api/datasets/sales/grants?offset=-1', owner, 422)
  const gi = '/api/datasets/{name}/grants/{id}'
  await check(gi, 'delete', `/api/datasets/sales/grants/${created.id}`, reader, 403)
  await check(gi, 'delete', `/api/datasets/sales/grants/${created.id}`, owner, 204)
  await check(gi, 'delete', `/api/datasets/sales/grants/${created.id}`, owner, 404)
  const a = '/api/datasets/available'
  t.same((await check(a, 'get', '/api/datasets/available', owner, 200)).items.map((d: Obj) => d.name), ['sales'])
  t.same((await check(a, 'get', '/api/datasets/available', reader, 200)).items, [], 'revoked: nothing available')
  await check(a, 'get', '/api/datasets/available?limit=x', owner, 422)
  await check(a, 'get', '/api/datasets/available', null, 401)
})
