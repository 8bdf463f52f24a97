/**
 * CONNECTORS_FILE: connectors declared by the operator, read once at start-up and upserted
 * into the catalog with source `file`.
 *
 *   {"connectors": [{"org": "acme", "id": "warehouse", "type": "postgres",
 *                    "config": {"host": "db", "database": "dw", "user": "sluice", "password": "${DW_PASSWORD}"}}]}
 *
 * Any string value may reference environment variables as `${NAME}` (so passwords need not
 * sit in the file); an unset variable is an error. A file that does not validate stops the
 * start with a message naming the entry and the problem, never a value.
 */
import fs from 'node:fs'
import { SluiceError } from '../../proto/errors.js'
import type { ConnectorRecord, SecretBox } from '../catalog/index.js'
import { createRecord } from './connector-records.js'

const ENTRY_KEYS: ReadonlySet<string> = new Set(['org', 'id', 'type', 'config'])
const ENV_REF = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g

/** Who created file-declared connectors (their `created_by`). */
export const FILE_CREATOR = 'CONNECTORS_FILE'

/**
 * Reads and validates the file. Returns the records to upsert (secrets sealed). Throws an
 * Error whose message starts with `CONNECTORS_FILE <path>:` and contains no secret.
 */
export function loadConnectorsFile(file: string, env: NodeJS.ProcessEnv, box: SecretBox): ConnectorRecord[] {
  const fail = (msg: string) => new Error(`CONNECTORS_FILE ${file}: ${msg}`)
  let text: string
  try {
    text = fs.readFileSync(file, 'utf8')
  } catch (err) {
    throw fail(`cannot read it (${(err as NodeJS.ErrnoException).code ?? 'error'})`)
  }
  let doc: unknown
  try {
    doc = JSON.parse(text)
  } catch {
    // The parser's message quotes the text around the error, which may be a password.
    throw fail('not valid JSON')
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc) || !Array.isArray((doc as { connectors?: unknown }).connectors)) {
    throw fail('expected {"connectors": [{"org", "id", "type", "config"}, ...]}')
  }
  const extra = Object.keys(doc).find((k) => k !== 'connectors')
  if (extra) throw fail(`unknown top-level key "${extra.slice(0, 60)}"`)

  const seen = new Set<string>()
  return ((doc as { connectors: unknown[] }).connectors).map((raw, i) => {
    let where = `connectors[${i}]`
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw fail(`${where}: must be an object`)
    const entry = raw as Record<string, unknown>
    const badKey = Object.keys(entry).find((k) => !ENTRY_KEYS.has(k))
    if (badKey) throw fail(`${where}: unknown key "${badKey.slice(0, 60)}"; expected org, id, type, config`)
    const { org } = entry
    if (typeof org !== 'string' || org === '' || org.length > 128) throw fail(`${where}: "org" must be a non-empty string of at most 128 characters`)
    if (typeof entry.id === 'string') where += ` (${org}/${entry.id.slice(0, 64)})`
    const expanded = expandEnv(entry, env, (name, path) => fail(`${where}: ${path} references \${${name}}, which is not set`))
    const k = `${org}\u0000${String(entry.id)}`
    if (seen.has(k)) throw fail(`${where}: declared twice`)
    seen.add(k)
    try {
      const { org: _, ...input } = expanded as Record<string, unknown>
      return createRecord(box, org, FILE_CREATOR, input, 'file')
    } catch (err) {
      // SluiceError messages name the field and the rule, never the value.
      if (err instanceof SluiceError) throw fail(`${where}: ${err.message}`)
      throw err
    }
  })
}

/** `${NAME}` references replaced in every string inside `v`. */
function expandEnv(v: unknown, env: NodeJS.ProcessEnv, missing: (name: string, path: string) => Error, path = ''): unknown {
  if (typeof v === 'string') {
    return v.replace(ENV_REF, (_, name: string) => {
      const value = env[name]
      if (value === undefined) throw missing(name, path || 'a value')
      return value
    })
  }
  if (Array.isArray(v)) return v.map((x, i) => expandEnv(x, env, missing, `${path}[${i}]`))
  if (typeof v === 'object' && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, expandEnv(x, env, missing, path ? `${path}.${k}` : k)]))
  }
  return v
}
