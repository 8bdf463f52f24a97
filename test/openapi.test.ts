// proto/openapi.json against the code: the route table in both directions, the document's
// own consistency (refs, responses, error codes per status), and real responses of a
// running server validated against the documented schemas.
import t, { type Test } from 'tap'
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import { buildRouter } from '../src/http/routes/index.js'
import { RESERVED_PARAMS } from '../src/query/index.js'
import { loadOpenApi } from '../src/http/openapi.js'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

// Both packages are CommonJS with a `default` export; under NodeNext the default import is
// the module object, so take `.default` when it is there.
type AjvCtor = typeof Ajv2020Module.default
const Ajv2020: AjvCtor = (Ajv2020Module as unknown as { default?: AjvCtor }).default ?? (Ajv2020Module as unknown as AjvCtor)
type AddFormats = typeof addFormatsModule.default
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)

type Json = null | boolean | number | string | Json[] | { [key: string]: Json }
type Obj = { [key: string]: Json }

const doc = loadOpenApi() as Obj
const DOC_ID = 'https://sluice.invalid/openapi.json'

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const

/** API.md, Errors: the status of every code (405 with `not_found` is the router's "wrong method"). */
const CODE_STATUS: Record<string, number> = {
  bad_request: 400, unauthorized: 401, forbidden: 403,
  dataset_not_found: 404, connector_not_found: 404, job_not_found: 404, not_found: 404,
  dataset_name_taken: 409, connector_id_taken: 409, concurrent_modification: 409,
  payload_too_large: 413,
  invalid_query: 422, invalid_parameter: 422, invalid_name: 422, invalid_file: 422, invalid_settings: 422,
  schema_mismatch: 422, unsupported_table: 422, not_a_delta_table: 422, version_unavailable: 422, query_too_expensive: 422,
  rate_limited: 429, connector_unavailable: 503, overloaded: 503, query_timeout: 504, internal: 500,
}

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)
const escapePointer = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1')
const pointer = (...segments: string[]) => segments.map((s) => '/' + escapePointer(s)).join('')

/** The value at a local `#/...` ref, or undefined. */
function resolvePointer(ref: string): Json | undefined {
  if (!ref.startsWith('#/')) return undefined
  let node: Json | undefined = doc
  for (const raw of ref.slice(2).split('/')) {
    const seg = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~')
    if (Array.isArray(node)) node = node[Number(seg)]
    else if (isObj(node)) node = Object.hasOwn(node, seg) ? node[seg] : undefined
    else return undefined
  }
  return node
}

/** Follows `$ref`s (responses, parameters) to the object they name. */
function deref(v: Json | undefined): Json | undefined {
  let seen = 0
  while (isObj(v) && typeof v.$ref === 'string' && seen++ < 10) v = resolvePointer(v.$ref)
  return v
}

interface Operation { path: string; method: (typeof HTTP_METHODS)[number]; op: Obj }

function operations(): Operation[] {
  const out: Operation[] = []
  for (const [p, item] of Object.entries(doc.paths as Obj)) {
    if (!isObj(item)) continue
    for (const method of HTTP_METHODS) if (isObj(item[method])) out.push({ path: p, method, op: item[method] as Obj })
  }
  return out
}

/** The error codes an error response of an operation allows (its `error` enum). */
function documentedCodes(response: Json | undefined): string[] {
  const r = deref(response)
  if (!isObj(r) || !isObj(r.content)) return []
  const schema = (r.content['application/json'] as Obj | undefined)?.schema
  const codes = new Set<string>()
  const walk = (s: Json | undefined) => {
    if (!isObj(s)) return
    if (typeof s.$ref === 'string') {
      if (s.$ref === '#/components/schemas/Error') return // the plain Error allows every code; narrowed below
      walk(resolvePointer(s.$ref))
    }
    for (const sub of (s.allOf as Json[] | undefined) ?? []) walk(sub)
    const err = isObj(s.properties) ? s.properties.error : undefined
    if (isObj(err) && Array.isArray(err.enum)) for (const c of err.enum) codes.add(String(c))
  }
  walk(schema)
  return [...codes]
}

function newAjv() {
  const ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, allErrors: true })
  addFormats(ajv)
  // The document's top-level OpenAPI keys are not JSON Schema: let ajv hold the whole
  // document so that schemas can be addressed by JSON pointer and their refs resolve.
  ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components', 'jsonSchemaDialect', 'webhooks', 'externalDocs'])
  ajv.addSchema({ ...doc, $id: DOC_ID })
  return ajv
}

t.test('the route table and the document list the same operations', async (t) => {
  const router = buildRouter()
  const registered = new Set(router.routes.map((r) => `${r.method} ${r.path}`))
  const documented = new Set(operations().map((o) => `${o.method.toUpperCase()} ${o.path}`))
  t.ok(registered.size > 0, 'routes are registered')
  for (const r of registered) t.ok(documented.has(r), `registered route ${r} is documented`)
  for (const d of documented) t.ok(registered.has(d), `documented operation ${d} is registered`)

  // Auth as documented: public routes say `security: []`, every other one inherits bearer.
  t.same(doc.security, [{ bearerAuth: [] }], 'bearer JWT is the default')
  for (const r of router.routes) {
    const op = (doc.paths as Obj)[r.path] as Obj | undefined
    const o = op?.[r.method.toLowerCase()] as Obj | undefined
    if (!o) continue
    if (r.auth) {
      t.notOk('security' in o, `${r.method} ${r.path} uses the default bearer security`)
      t.ok(o.responses && '401' in (o.responses as Obj), `${r.method} ${r.path} documents 401`)
    } else t.same(o.security, [], `${r.method} ${r.path} has security: []`)
  }
})

t.test('the document is consistent', async (t) => {
  t.match(doc.openapi, /^3\.1\.\d+$/, 'OpenAPI 3.1')

  // A loose schema of an OpenAPI 3.1 document: enough to catch a misplaced key.
  const parameter = { type: 'object', anyOf: [{ required: ['name', 'in'] }, { required: ['$ref'] }] }
  const operation = {
    type: 'object',
    required: ['responses', 'operationId'],
    properties: {
      responses: {
        type: 'object', minProperties: 1,
        propertyNames: { pattern: '^([1-5][0-9]{2}|[1-5]XX|default)$' },
        additionalProperties: { type: 'object', anyOf: [{ required: ['description'] }, { required: ['$ref'] }] },
      },
      parameters: { type: 'array', items: parameter },
      requestBody: { type: 'object', required: ['content'] },
      security: { type: 'array' },
    },
  }
  const shape = {
    type: 'object',
    required: ['openapi', 'info', 'paths', 'components'],
    properties: {
      info: { type: 'object', required: ['title', 'version'] },
      paths: {
        type: 'object',
        propertyNames: { pattern: '^/' },
        additionalProperties: {
          type: 'object',
          additionalProperties: false,
          properties: {
            summary: { type: 'string' }, description: { type: 'string' }, $ref: { type: 'string' },
            parameters: { type: 'array', items: parameter },
            ...Object.fromEntries(HTTP_METHODS.map((m) => [m, operation])),
          },
        },
      },
      components: { type: 'object', required: ['schemas', 'securitySchemes'] },
    },
  }
  const plain = new Ajv2020({ strict: true, strictRequired: false, allErrors: true })
  const validShape = plain.compile(shape)
  t.ok(validShape(doc), `document shape: ${plain.errorsText(validShape.errors)}`)

  // Every $ref resolves.
  const refs: string[] = []
  const walk = (v: Json) => {
    if (Array.isArray(v)) v.forEach(walk)
    else if (isObj(v)) for (const [k, x] of Object.entries(v)) k === '$ref' && typeof x === 'string' ? refs.push(x) : walk(x)
  }
  walk(doc)
  t.ok(refs.length > 20, 'the document uses refs')
  for (const ref of new Set(refs)) t.not(resolvePointer(ref), undefined, `${ref} resolves`)

  // Every operation: unique id, responses, path template parameters declared, error codes
  // that belong to the status they are listed under.
  const ids = new Set<string>()
  for (const { path: p, method, op } of operations()) {
    const name = `${method.toUpperCase()} ${p}`
    t.notOk(ids.has(op.operationId as string), `${name}: operationId is unique`)
    ids.add(op.operationId as string)
    const responses = op.responses as Obj
    t.ok(Object.keys(responses).some((s) => s.startsWith('2')), `${name}: documents a success`)
    const item = (doc.paths as Obj)[p] as Obj
    const params = [...((item.parameters as Json[]) ?? []), ...((op.parameters as Json[]) ?? [])].map(deref) as Obj[]
    for (const m of p.matchAll(/\{([^}]+)\}/g)) {
      t.ok(params.some((x) => x.in === 'path' && x.name === m[1] && x.required === true), `${name}: path parameter ${m[1]} is declared`)
    }
    for (const [status, response] of Object.entries(responses)) {
      if (!/^[45]/.test(status)) continue
      const codes = documentedCodes(response)
      // /readyz answers 503 with its own body (the checks), not an Error
      if (p.startsWith('/api/')) t.ok(codes.length > 0, `${name} ${status}: lists its error codes`)
      for (const c of codes) t.equal(CODE_STATUS[c], Number(status), `${name} ${status}: ${c} is a ${CODE_STATUS[c]} code`)
    }
    if (p.startsWith('/api/')) t.ok('500' in responses, `${name}: documents 500`)
    // A grant id that does not exist on a readable dataset is the one other 404 under a dataset.
    const want404 = p === '/api/datasets/{name}/grants/{id}' ? ['dataset_not_found', 'not_found'] : ['dataset_not_found']
    if (p.startsWith('/api/datasets/{name}')) t.same(documentedCodes(responses['404']), want404, `${name}: 404 ${want404.join(' or ')}`)
    if (['post', 'patch', 'put'].includes(method) && p.startsWith('/api/')) t.ok(op.requestBody, `${name}: documents its body`)
  }

  // The Error schema knows every code of API.md, and nothing else.
  const errorCodes = ((doc.components as Obj).schemas as Obj).Error as Obj
  t.same([...((errorCodes.properties as Obj).error as Obj).enum as string[]].sort(), Object.keys(CODE_STATUS).sort(), 'Error.error enumerates API.md codes')

  // Streamed results document the four formats.
  for (const { path: p, method, op } of operations()) {
    if (!/\/(explore|preview)$/.test(p) || !p.includes('{name}')) continue
    const content = (deref((op.responses as Obj)['200']) as Obj).content as Obj
    t.same(Object.keys(content).sort(), ['application/json', 'application/vnd.apache.arrow.stream', 'application/x-ndjson', 'text/csv'], `${method.toUpperCase()} ${p}: four content types`)
  }

  // The explore grammar's reserved parameters are exactly the named parameters of GET explore.
  const explore = ((doc.paths as Obj)['/api/datasets/{name}/explore'] as Obj).get as Obj
  const named = (explore.parameters as Json[]).map(deref).filter((p): p is Obj => isObj(p) && p.in === 'query' && p.name !== 'filters').map((p) => p.name as string)
  t.same(named.sort(), [...RESERVED_PARAMS].sort(), 'GET explore documents every reserved parameter of src/query')

  // Every schema compiles (strict: unknown keywords and formats are errors).
  const ajv = newAjv()
  for (const name of Object.keys((doc.components as Obj).schemas as Obj)) {
    t.doesNotThrow(() => ajv.getSchema(`${DOC_ID}#${pointer('components', 'schemas', name)}`), `schema ${name} compiles`)
  }
})

t.test('real responses match the documented schemas', async (t) => {
  const ajv = newAjv()
  const s: TestServer = await startServer()
  t.teardown(() => s.stop())

  /**
   * Validates a response against the document: its status is documented for the operation,
   * its content type is one of the documented ones, and the body validates against the
   * schema given there. Returns the parsed body (JSON content), or the text.
   */
  async function check(t: Test, r: Response, pathKey: string, method: string, label: string): Promise<unknown> {
    const op = ((doc.paths as Obj)[pathKey] as Obj)[method] as Obj
    const responses = op.responses as Obj
    const status = String(r.status)
    const raw = await r.text()
    if (!t.ok(status in responses, `${label}: status ${status} is documented for ${method.toUpperCase()} ${pathKey} (body: ${raw.slice(0, 300)})`)) return undefined
    t.ok(r.headers.get('x-request-id'), `${label}: X-Request-Id`)
    const responseRef = typeof (responses[status] as Obj).$ref === 'string'
      ? ((responses[status] as Obj).$ref as string).slice(1)
      : pointer('paths', pathKey, method, 'responses', status)
    const response = deref(responses[status]) as Obj
    if (!response.content) {
      t.equal(raw, '', `${label}: no body`)
      return undefined
    }
    const mediaType = (r.headers.get('content-type') ?? '').split(';')[0]!.trim()
    if (!t.ok(mediaType in (response.content as Obj), `${label}: content type ${mediaType} is documented`)) return raw
    let body: unknown = raw
    if (mediaType === 'application/json') {
      try {
        body = JSON.parse(raw)
      } catch (err) {
        t.fail(`${label}: the body is not JSON (${(err as Error).message}): ${raw.slice(0, 300)}`)
        return undefined
      }
    }
    const validate = ajv.getSchema(`${DOC_ID}#${responseRef}${pointer('content', mediaType, 'schema')}`) as ValidateFunction
    t.ok(validate(body), `${label}: body matches the schema${validate.errors ? ': ' + ajv.errorsText(validate.errors) + ' in ' + raw.slice(0, 500) : ''}`)
    return body
  }

  const schemaValidator = (name: string) => ajv.getSchema(`${DOC_ID}#${pointer('components', 'schemas', name)}`) as ValidateFunction
  const csv = 'id,region,amount,day\n1,EU,12.5,2024-03-01\n2,US,7,2024-03-01\n3,EU,3.25,2024-03-02\n'
  const upload = (fields: Record<string, string>, claims?: { roles: string[] }) =>
    s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm(fields, { name: 'sales.csv', content: csv }), ...(claims ? { claims } : {}) })

  t.test('health, readiness and the document itself (no token)', async (t) => {
    const health = await check(t, await s.api('/healthz', { claims: null }), '/healthz', 'get', 'healthz')
    t.same(health, { status: 'ok' })
    await check(t, await s.api('/readyz', { claims: null }), '/readyz', 'get', 'readyz')
    const served = await check(t, await s.api('/openapi.json', { claims: null }), '/openapi.json', 'get', 'openapi.json')
    t.same(served, doc, 'the served document is proto/openapi.json plus proto/openapi/*.json')
  })

  t.test('errors before any dataset exists', async (t) => {
    const empty = await check(t, await s.api('/api/datasets'), '/api/datasets', 'get', 'empty list') as { total: number; items: unknown[] }
    t.equal(empty.total, 0)
    t.same(empty.items, [])

    const noToken = await s.api('/api/datasets', { claims: null })
    t.equal(noToken.headers.get('www-authenticate'), 'Bearer')
    t.match(await check(t, noToken, '/api/datasets', 'get', '401'), { error: 'unauthorized' })
    const badToken = await s.api('/api/datasets/x', { headers: { authorization: 'Bearer not.a.token' } })
    t.match(await check(t, badToken, '/api/datasets/{name}', 'get', '401 bad token'), { error: 'unauthorized' })

    t.match(await check(t, await s.api('/api/datasets/nope'), '/api/datasets/{name}', 'get', '404'), { error: 'dataset_not_found' })
    const bogus = await check(t, await s.api('/api/datasets?sort=bogus'), '/api/datasets', 'get', '422 sort') as { error: string; message: string }
    t.equal(bogus.error, 'invalid_parameter')
    t.match(bogus.message, /sort/)
    t.match(await check(t, await s.api('/api/datasets?limit=x'), '/api/datasets', 'get', '422 limit'), { error: 'invalid_parameter' })
    t.match(await check(t, await s.api('/api/jobs/nope'), '/api/jobs/{id}', 'get', '404 job'), { error: 'job_not_found' })
    t.match(await check(t, await s.api('/api/jobs/nope', { method: 'DELETE' }), '/api/jobs/{id}', 'delete', '404 job cancel'), { error: 'job_not_found' })
  })

  t.test('upload, metadata, list, explore, preview', async (t) => {
    const created = await check(t, await upload({ name: 'sales', description: 'daily sales' }), '/api/datasets/file/upload', 'post', 'upload 201') as { name: string; kind: string }
    t.match(created, { name: 'sales', kind: 'upload', description: 'daily sales', version: 0, row_count: 3 })

    t.match(await check(t, await upload({ name: 'sales' }), '/api/datasets/file/upload', 'post', 'upload 409'), { error: 'dataset_name_taken' })
    t.match(await check(t, await upload({ name: 'file' }), '/api/datasets/file/upload', 'post', 'upload 422 name'), { error: 'invalid_name' })
    t.match(await check(t, await upload({ name: 'x' }, { roles: ['viewer'] }), '/api/datasets/file/upload', 'post', 'upload 403'), { error: 'forbidden' })
    const notMultipart = await s.api('/api/datasets/file/upload', { method: 'POST', body: '{"a":1}', headers: { 'content-type': 'application/json' } })
    t.match(await check(t, notMultipart, '/api/datasets/file/upload', 'post', 'upload 400'), { error: 'bad_request' })

    const list = await check(t, await s.api('/api/datasets'), '/api/datasets', 'get', 'list') as { total: number; items: { name: string }[] }
    t.equal(list.total, 1)
    t.same(list.items.map((d) => d.name), ['sales'])
    t.match(await check(t, await s.api('/api/datasets/sales'), '/api/datasets/{name}', 'get', 'get'), { name: 'sales' })

    const explored = await check(t, await s.api('/api/datasets/sales/explore?format=json'), '/api/datasets/{name}/explore', 'get', 'explore json') as { columns: { name: string }[]; row_count: number }
    t.same(explored.columns.map((c) => c.name), ['id', 'region', 'amount', 'day'])
    t.equal(explored.row_count, 3)
    const grouped = await check(t, 
      await s.api('/api/datasets/sales/explore?select=region,n:count(),total:amount.sum()&group=region&order=region&region=in.(EU,US)'),
      '/api/datasets/{name}/explore', 'get', 'explore grouped',
    ) as { rows: unknown[] }
    t.same(grouped.rows, [{ region: 'EU', n: 2, total: 15.75 }, { region: 'US', n: 1, total: 7 }])

    const ndjson = await check(t, await s.api('/api/datasets/sales/explore?format=ndjson&limit=2'), '/api/datasets/{name}/explore', 'get', 'explore ndjson') as string
    const lines = ndjson.trimEnd().split('\n').map((l) => JSON.parse(l) as unknown)
    t.equal(lines.length, 3, 'header line and two rows')
    const header = schemaValidator('NdjsonHeader')
    t.ok(header(lines[0]), `NDJSON first line is an NdjsonHeader: ${ajv.errorsText(header.errors)}`)
    const row = schemaValidator('Row')
    for (const l of lines.slice(1)) t.ok(row(l), `NDJSON row: ${ajv.errorsText(row.errors)}`)
    const csvOut = await check(t, await s.api('/api/datasets/sales/explore?format=csv'), '/api/datasets/{name}/explore', 'get', 'explore csv') as string
    t.match(csvOut, /^id,region,amount,day\r?\n/)
    const arrow = await s.api('/api/datasets/sales/explore', { headers: { accept: 'application/vnd.apache.arrow.stream' } })
    t.equal(arrow.status, 200)
    t.equal(arrow.headers.get('content-type'), 'application/vnd.apache.arrow.stream')
    await arrow.arrayBuffer()

    const posted = await check(t, 
      await s.api('/api/datasets/sales/explore', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ select: ['region', 'n:count()'], group: 'region', order: 'region', filter: 'and(amount.gte.5)' }) }),
      '/api/datasets/{name}/explore', 'post', 'explore POST',
    ) as { rows: unknown[] }
    t.same(posted.rows, [{ region: 'EU', n: 1 }, { region: 'US', n: 1 }])
    t.match(await check(t, await s.api('/api/datasets/sales/explore?select=nope'), '/api/datasets/{name}/explore', 'get', 'explore 422 query'), { error: 'invalid_query' })
    t.match(await check(t, await s.api('/api/datasets/sales/explore?format=xml'), '/api/datasets/{name}/explore', 'get', 'explore 422 format'), { error: 'invalid_parameter' })
    t.match(await check(t, await s.api('/api/datasets/nope/explore'), '/api/datasets/{name}/explore', 'get', 'explore 404'), { error: 'dataset_not_found' })
    // the `format` query parameter of POST is documented as an enum: a bad one is 422, not 500
    t.match(await check(t, await s.api('/api/datasets/sales/explore?format=xml', { method: 'POST', body: '{}' }), '/api/datasets/{name}/explore', 'post', 'explore POST 422 format'), { error: 'invalid_parameter' })
    const badJson = await s.api('/api/datasets/sales/explore', { method: 'POST', body: '{"select":' })
    t.match(await check(t, badJson, '/api/datasets/{name}/explore', 'post', 'explore POST 400'), { error: 'bad_request' })

    const head = await check(t, await s.api('/api/datasets/sales/preview?limit=2'), '/api/datasets/{name}/preview', 'get', 'preview') as { rows: unknown[] }
    t.equal(head.rows.length, 2)
    t.match(await check(t, await s.api('/api/datasets/sales/preview?limit=0'), '/api/datasets/{name}/preview', 'get', 'preview 422'), { error: 'invalid_parameter' })

    const filePreview = await check(t, 
      await s.api('/api/datasets/file/preview', { method: 'POST', body: uploadForm({ limit: '2' }, { name: 'sales.csv', content: csv }) }),
      '/api/datasets/file/preview', 'post', 'file preview',
    ) as { row_count: number; rows: unknown[]; columns: { name: string; type: string }[] } | undefined
    t.equal(filePreview?.row_count, 3)
    t.equal(filePreview?.rows.length, 2)
    t.same(filePreview?.columns.map((c) => c.type), ['int64', 'string', 'float64', 'date'])
  })

  t.test('patch and delete', async (t) => {
    const patch = (body: unknown, claims?: { roles: string[] }) =>
      s.api('/api/datasets/sales', { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(claims ? { claims } : {}) })
    const settings = { masking: [{ column: 'region', strategy: 'partial', params: { keep_first: 1 }, unmask_roles: ['pii_reader'] }], refresh: 'manual', profile_cache_ttl: '10m' }
    t.match(await check(t, await patch({ description: 'changed', settings }), '/api/datasets/{name}', 'patch', 'patch'), { description: 'changed', settings })
    t.match(await check(t, await patch({ settings: { masking: [{ column: 'nope', strategy: 'hash' }] } }), '/api/datasets/{name}', 'patch', 'patch 422 settings'), { error: 'invalid_settings' })
    t.match(await check(t, await patch({ name: 'other' }), '/api/datasets/{name}', 'patch', 'patch 422 key'), { error: 'invalid_parameter' })
    t.match(await check(t, await patch({ description: 'x' }, { roles: ['viewer'] }), '/api/datasets/{name}', 'patch', 'patch 403'), { error: 'forbidden' })
    const malformed = await s.api('/api/datasets/sales', { method: 'PATCH', body: '{' })
    t.match(await check(t, malformed, '/api/datasets/{name}', 'patch', 'patch 400'), { error: 'bad_request' })

    await check(t, await upload({ name: 'doomed' }), '/api/datasets/file/upload', 'post', 'upload doomed')
    await check(t, await s.api('/api/datasets/doomed', { method: 'DELETE' }), '/api/datasets/{name}', 'delete', 'delete 204')
    t.match(await check(t, await s.api('/api/datasets/doomed', { method: 'DELETE' }), '/api/datasets/{name}', 'delete', 'delete 404'), { error: 'dataset_not_found' })
  })

  t.test('async upload: 202, then the job', async (t) => {
    type JobBody = { id: string; kind: string; state: string; result: unknown }
    const accepted = await check(t, await upload({ name: 'sales_async', async: 'true' }), '/api/datasets/file/upload', 'post', 'upload 202') as { job: JobBody }
    t.equal(accepted.job.kind, 'upload')
    let job = accepted.job
    const deadline = Date.now() + 30_000
    while ((job.state === 'queued' || job.state === 'running') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50))
      job = ((await check(t, await s.api(`/api/jobs/${accepted.job.id}`), '/api/jobs/{id}', 'get', 'job')) as { job: typeof job }).job
    }
    t.equal(job.state, 'succeeded')
    const dataset = schemaValidator('Dataset')
    t.ok(dataset(job.result), `the job's result is a Dataset: ${ajv.errorsText(dataset.errors)}`)
    const cancelled = await check(t, await s.api(`/api/jobs/${job.id}`, { method: 'DELETE' }), '/api/jobs/{id}', 'delete', 'cancel a finished job') as { job: { state: string } }
    t.equal(cancelled.job.state, 'succeeded', 'a finished job stays as it was')
    t.match(await check(t, await s.api(`/api/jobs/${job.id}`, { claims: { roles: ['editor'], sub: 'mallory' } }), '/api/jobs/{id}', 'get', 'another user\'s job'), { error: 'job_not_found' })
  })
})
