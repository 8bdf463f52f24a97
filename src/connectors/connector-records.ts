/**
 * Building and changing connector records from request bodies (and CONNECTORS_FILE
 * entries): validation, sealing the secrets, the rules of the built-in and file-declared
 * connectors. Pure apart from sealing (which may create the key file on first use).
 */
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import {
  RESERVED_CONNECTOR_IDS, SecretsUnreadableError, validateConnectorId,
  type ConnectorRecord, type ConnectorSecrets, type ConnectorSource, type SecretBox,
} from '../catalog/index.js'
import { mergePgConfig, validatePgConfig } from './postgres-config.js'
import { mergeBqConfig, validateBqConfig, type BqConnectorConfig } from './bigquery-config.js'

/** POST /api/connectors body (and one CONNECTORS_FILE entry without `org`). */
export interface ConnectorInput { id?: unknown; type?: unknown; config?: unknown }

const CREATE_KEYS: ReadonlySet<string> = new Set(['id', 'type', 'config'])

/** The built-in connector of every org (never stored). */
export function builtinLakehouse(org: string): ConnectorRecord {
  return { org, id: 'lakehouse', type: 'lakehouse', config: {}, secrets: null, source: 'builtin', createdBy: '', createdAt: '', updatedAt: '' }
}

function assertObject(v: unknown, what: string): asserts v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new SluiceError(400, 'bad_request', `${what} must be a JSON object`)
}

function connectorType(v: unknown): 'postgres' | 'bigquery' {
  if (v === 'postgres' || v === 'bigquery') return v
  if (v === 'lakehouse') throw invalidParameter('type', 'the lakehouse connector is built in (id "lakehouse" in every org)')
  throw invalidParameter('type', 'required: "postgres" or "bigquery"')
}

/** A new record, secrets sealed; 422 naming the field that does not validate. */
export function createRecord(box: SecretBox, org: string, createdBy: string, input: unknown, source: ConnectorSource): ConnectorRecord {
  assertObject(input, 'the body')
  for (const k of Object.keys(input)) if (!CREATE_KEYS.has(k)) throw invalidParameter(k, 'unknown field; expected id, type, config')
  const id = validateConnectorId(input.id)
  const type = connectorType(input.type)
  const { config, secrets } = type === 'bigquery' ? validateBqConfig(input.config) : validatePgConfig(input.config)
  const now = new Date().toISOString()
  return {
    org, id, type, config: config as unknown as Record<string, unknown>, secrets: sealed(box, org, id, secrets),
    source, createdBy, createdAt: now, updatedAt: now,
  }
}

/**
 * A PATCH body `{"config": {...}}` applied to a record (postgres-config.ts mergePgConfig:
 * the password is kept unless given). The built-in and file-declared connectors cannot be
 * changed over the API (422 invalid_parameter naming `id`).
 */
export function patchRecord(
  box: SecretBox, current: ConnectorRecord, body: unknown,
  secretsOf: (c: ConnectorRecord) => ConnectorSecrets | SecretsUnreadableError,
): ConnectorRecord {
  assertChangeable(current, 'changed')
  assertObject(body, 'the body')
  for (const k of Object.keys(body)) {
    if (k === 'id' || k === 'type') throw invalidParameter(k, "a connector's id and type cannot be changed (create another connector)")
    if (k !== 'config') throw invalidParameter(k, 'unknown field; only config can be changed')
  }
  if (body.config === undefined) return current
  const old = secretsOf(current)
  const bq = current.type === 'bigquery'
  const { config, secrets } = bq
    ? mergeBqConfig(current.config as unknown as BqConnectorConfig, old instanceof Error ? null : old.service_account ?? null, body.config)
    : mergePgConfig(current.config as never, old instanceof Error ? null : old.password ?? null, body.config)
  const secretKey = bq ? 'credentials' : 'password'
  const touched = (typeof body.config === 'object' && body.config !== null && secretKey in body.config)
    || (bq ? secrets.service_account !== undefined && old instanceof Error : secrets.password !== undefined)
  // Secrets that no longer open (the key changed) are kept as they are unless replaced.
  const blob = old instanceof Error && !touched ? current.secrets : sealed(box, current.org, current.id, secrets)
  return { ...current, config: config as unknown as Record<string, unknown>, secrets: blob, updatedAt: new Date().toISOString() }
}

/** Throws unless the connector may be deleted: not built in, not from the file, used by no dataset. */
export function deleteRecord(current: ConnectorRecord, usedBy: string[]): void {
  assertChangeable(current, 'deleted')
  if (usedBy.length > 0) {
    const shown = usedBy.slice(0, 10).map((n) => `"${n}"`).join(', ') + (usedBy.length > 10 ? ', ...' : '')
    throw new SluiceError(422, 'invalid_parameter',
      `parameter "id": connector "${current.id}" is used by ${usedBy.length} dataset${usedBy.length === 1 ? '' : 's'} (${shown}); delete ${usedBy.length === 1 ? 'it' : 'them'} first`,
      { datasets: usedBy })
  }
}

function assertChangeable(c: ConnectorRecord, verb: string): void {
  if (c.source === 'builtin' || RESERVED_CONNECTOR_IDS.has(c.id)) throw invalidParameter('id', `the built-in "${c.id}" connector cannot be ${verb}`)
  if (c.source === 'file') throw invalidParameter('id', `connector "${c.id}" is declared in CONNECTORS_FILE and cannot be ${verb} over the API: edit the file and restart`)
}

function sealed(box: SecretBox, org: string, id: string, secrets: ConnectorSecrets): Buffer | null {
  return secrets.password === undefined && secrets.service_account === undefined ? null : box.seal(org, id, secrets)
}
