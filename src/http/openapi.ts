/**
 * The served OpenAPI document: proto/openapi.json (the core endpoints) plus one fragment per
 * feature area in proto/openapi/*.json (`{"paths": {...}, "components": {"schemas": {...}}}`),
 * merged in file-name order. A path or schema defined twice is a start-up error, so two
 * areas cannot silently overwrite each other.
 */
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

type Obj = Record<string, unknown>

/** The repo's proto/ folder, from src/http (TS, under tests) or dist/src/http (built). */
function protoDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 5; i++) {
    const candidate = path.join(dir, 'proto', 'openapi.json')
    if (fs.existsSync(candidate)) return path.dirname(candidate)
    dir = path.dirname(dir)
  }
  throw new Error('proto/openapi.json not found')
}

export function loadOpenApi(): Obj {
  const dir = protoDir()
  const doc = JSON.parse(fs.readFileSync(path.join(dir, 'openapi.json'), 'utf8')) as Obj
  const fragmentsDir = path.join(dir, 'openapi')
  const fragments = fs.existsSync(fragmentsDir) ? fs.readdirSync(fragmentsDir).filter((f) => f.endsWith('.json')).sort() : []
  const paths = doc.paths as Obj
  const components = ((doc.components ??= {}) as Obj)
  const schemas = ((components.schemas ??= {}) as Obj)
  for (const file of fragments) {
    const frag = JSON.parse(fs.readFileSync(path.join(fragmentsDir, file), 'utf8')) as { paths?: Obj; components?: { schemas?: Obj } }
    for (const [p, item] of Object.entries(frag.paths ?? {})) {
      const existing = paths[p] as Obj | undefined
      if (existing) {
        for (const [method, op] of Object.entries(item as Obj)) {
          if (method in existing) throw new Error(`openapi: ${method.toUpperCase()} ${p} is defined twice (${file})`)
          existing[method] = op
        }
      } else paths[p] = item
    }
    for (const [name, schema] of Object.entries(frag.components?.schemas ?? {})) {
      if (name in schemas) throw new Error(`openapi: schema ${name} is defined twice (${file})`)
      schemas[name] = schema
    }
  }
  return doc
}
