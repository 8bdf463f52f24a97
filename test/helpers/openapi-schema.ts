/**
 * Validates bodies against a named schema of the served OpenAPI document (proto/openapi.json
 * plus fragments), the way test/openapi.test.ts does, for tests of one feature area.
 */
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import { loadOpenApi } from '../../src/http/openapi.js'

type AjvCtor = typeof Ajv2020Module.default
const Ajv2020: AjvCtor = (Ajv2020Module as unknown as { default?: AjvCtor }).default ?? (Ajv2020Module as unknown as AjvCtor)
type AddFormats = typeof addFormatsModule.default
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)

const DOC_ID = 'https://sluice.invalid/openapi.json'
let ajv: InstanceType<AjvCtor> | null = null

/** A checker for `#/components/schemas/<name>`: null when `body` validates, else the errors. */
export function documentedSchema(name: string): (body: unknown) => string | null {
  if (!ajv) {
    ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, allErrors: true })
    addFormats(ajv)
    ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components', 'jsonSchemaDialect', 'webhooks', 'externalDocs'])
    ajv.addSchema({ ...loadOpenApi(), $id: DOC_ID })
  }
  const validate = ajv.getSchema(`${DOC_ID}#/components/schemas/${name}`) as ValidateFunction | undefined
  if (!validate) throw new Error(`no schema ${name} in the OpenAPI document`)
  return (body) => (validate(body) ? null : ajv!.errorsText(validate.errors))
}
