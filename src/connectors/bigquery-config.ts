/**
 * The config of a BigQuery connector: validating what a caller (or CONNECTORS_FILE) sends,
 * merging a PATCH, and turning the stored form into a BigQueryConnection. Pure: no I/O.
 *
 *   {"project_id": "my-project", "location": "EU", "datasets": ["sales"],
 *    "credentials": {<service-account JSON key>}, "api_endpoint": "http://emulator:9050",
 *    "maximum_bytes_billed": "10000000000", "job_timeout": "5m", "pool_size": 10, "queue_timeout": "10s"}
 *
 * `pool_size` caps the query jobs Sluice runs on the connector at once (explore streams and
 * imports each hold a slot while their job runs), as a PostgreSQL connector's pool_size caps
 * its connections: further jobs wait in a FIFO queue for up to `queue_timeout`, then 503
 * overloaded (src/connectors/slot-limiter.ts).
 *
 * `credentials` (the key object, or its JSON text) is a secret: split off here, sealed with
 * the SecretBox, never stored in the config, logged or returned (`has_credentials` instead).
 */
import { invalidParameter } from '../../proto/errors.js'
import type { BigQueryConnection, ServiceAccountKey } from '../../proto/bigquery.js'
import type { ConnectorSecrets } from '../catalog/index.js'
import { durationMs } from './postgres-config.js'

/** The stored (secret-free) config, defaults filled in. */
export interface BqConnectorConfig {
  project_id: string
  /** BigQuery location of jobs (`US`, `EU`, `europe-west1`...), null: BigQuery decides */
  location: string | null
  /** dataset allow-list, null: every dataset of the project */
  datasets: string[] | null
  api_endpoint: string | null
  /** decimal integer text; null: no limit */
  maximum_bytes_billed: string | null
  /** ms number or a duration like "5m" */
  job_timeout: number | string
  /** query jobs running at once (absent in configs stored before it existed: the default) */
  pool_size?: number
  /** how long a job waits for a free slot before 503 overloaded (ms number or duration) */
  queue_timeout?: number | string
}

export const BQ_DEFAULTS = { job_timeout: '5m', pool_size: 10, queue_timeout: '10s' } as const
const MAX_POOL_SIZE = 100
const MAX_QUEUE_TIMEOUT_MS = 10 * 60_000
const MAX_JOB_TIMEOUT_MS = 6 * 3600_000
const MAX_DATASETS = 1000

const KEYS: ReadonlySet<string> = new Set(['project_id', 'location', 'datasets', 'credentials', 'api_endpoint', 'maximum_bytes_billed', 'job_timeout', 'pool_size', 'queue_timeout'])
const bad = (key: string, msg: string) => invalidParameter(`config.${key}`, msg)

/** BigQuery project ids: 6-30 of [a-z0-9-], or domain-scoped `example.com:project`; emulators are laxer. */
const PROJECT_ID = /^(?:[a-z0-9][a-z0-9.-]{0,62}:)?[A-Za-z0-9][A-Za-z0-9_-]{0,62}$/
/** Dataset ids: letters, digits, underscores, at most 1024. */
export const DATASET_ID = /^[A-Za-z0-9_]{1,1024}$/

/**
 * Validates a config object. `keep`: the stored key, used when the input gives no
 * `credentials` (PATCH keeps it; `"credentials": null` clears it). Throws 422
 * invalid_parameter naming `config.<key>`; messages never contain a secret.
 */
export function validateBqConfig(input: unknown, keep: ServiceAccountKey | null = null): { config: BqConnectorConfig; secrets: ConnectorSecrets } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidParameter('config', 'required: an object with project_id (and location, datasets, credentials, api_endpoint, maximum_bytes_billed, job_timeout, pool_size, queue_timeout)')
  }
  const o = input as Record<string, unknown>
  for (const k of Object.keys(o)) if (!KEYS.has(k)) throw bad(k, `unknown key; expected one of ${[...KEYS].join(', ')}`)

  let key = keep
  if (o.credentials === null) key = null
  else if (o.credentials !== undefined) key = serviceAccount(o.credentials)

  if (typeof o.project_id !== 'string' || !PROJECT_ID.test(o.project_id)) throw bad('project_id', 'required: a BigQuery project id like "my-project-123"')
  const config: BqConnectorConfig = {
    project_id: o.project_id,
    location: location(o.location),
    datasets: datasets(o.datasets),
    api_endpoint: endpoint(o.api_endpoint),
    maximum_bytes_billed: maxBytes(o.maximum_bytes_billed),
    job_timeout: duration(o.job_timeout),
    // stored only when given (the defaults apply at run time: bqSlots)
    ...(o.pool_size !== undefined && o.pool_size !== null ? { pool_size: poolSize(o.pool_size) } : {}),
    ...(o.queue_timeout !== undefined && o.queue_timeout !== null ? { queue_timeout: queueTimeout(o.queue_timeout) } : {}),
  }
  if (!key && !config.api_endpoint) throw bad('credentials', 'required: a service-account JSON key (only an api_endpoint, e.g. an emulator, may go without)')
  return { config, secrets: key ? { service_account: key } : {} }
}

/** A PATCH: keys given replace stored ones (null resets one to its default); the key is kept unless given. */
export function mergeBqConfig(stored: BqConnectorConfig, currentKey: ServiceAccountKey | null, patch: unknown) {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalidParameter('config', 'must be an object')
  const p = patch as Record<string, unknown>
  const base: Record<string, unknown> = { ...stored }
  for (const [k, v] of Object.entries(p)) {
    if (v === null && k !== 'credentials') delete base[k]
    else base[k] = v
  }
  if (p.credentials === null) base.credentials = null
  return validateBqConfig(base, currentKey)
}

/** Everything a client needs (holds the key: never log it). */
export function bqConnection(c: BqConnectorConfig, secrets: ConnectorSecrets | null): BigQueryConnection {
  return {
    projectId: c.project_id,
    location: c.location,
    apiEndpoint: c.api_endpoint,
    credentials: secrets?.service_account ?? null,
    jobTimeoutMs: durationMs(c.job_timeout),
    maximumBytesBilled: c.maximum_bytes_billed,
  }
}

/** The job slots of a connector: how many at once, and how long a job waits for one (ms). */
export function bqSlots(c: BqConnectorConfig): { size: number; queueTimeoutMs: number } {
  return { size: c.pool_size ?? BQ_DEFAULTS.pool_size, queueTimeoutMs: durationMs(c.queue_timeout ?? BQ_DEFAULTS.queue_timeout) }
}

/** Whether the allow-list (if any) lets `dataset` through. */
export function datasetAllowed(c: BqConnectorConfig, dataset: string): boolean {
  return c.datasets === null || c.datasets.includes(dataset)
}

function serviceAccount(v: unknown): ServiceAccountKey {
  let o: unknown = v
  if (typeof v === 'string') {
    if (v.length > 64 * 1024) throw bad('credentials', 'a service-account JSON key (at most 64 KiB)')
    try {
      o = JSON.parse(v)
    } catch {
      // never echo the text: it is a private key
      throw bad('credentials', 'not valid JSON; expected the service-account JSON key Google issues')
    }
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw bad('credentials', 'a service-account JSON key: an object with client_email and private_key')
  const k = o as Record<string, unknown>
  if (k.type !== undefined && k.type !== 'service_account') throw bad('credentials', 'must be a service-account key ("type": "service_account")')
  if (typeof k.client_email !== 'string' || !/^[^\s@]+@[^\s@]+$/.test(k.client_email) || k.client_email.length > 320) throw bad('credentials', 'client_email: required, an e-mail address')
  if (typeof k.private_key !== 'string' || !/-----BEGIN (RSA )?PRIVATE KEY-----/.test(k.private_key) || k.private_key.length > 16 * 1024) {
    throw bad('credentials', 'private_key: required, a PEM private key ("-----BEGIN PRIVATE KEY-----...")')
  }
  if (JSON.stringify(k).length > 64 * 1024) throw bad('credentials', 'at most 64 KiB')
  return k as ServiceAccountKey
}

function location(v: unknown): string | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string' || !/^[A-Za-z][A-Za-z0-9-]{1,62}$/.test(v)) throw bad('location', 'a BigQuery location like "US", "EU" or "europe-west1"')
  return v
}

function datasets(v: unknown): string[] | null {
  if (v === undefined || v === null) return null
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_DATASETS) throw bad('datasets', `a non-empty array of at most ${MAX_DATASETS} dataset ids, or null for all`)
  const out = new Set<string>()
  for (const d of v) {
    if (typeof d !== 'string' || !DATASET_ID.test(d)) throw bad('datasets', 'dataset ids are letters, digits and underscores')
    out.add(d)
  }
  return [...out].sort()
}

function endpoint(v: unknown): string | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'string' || v.length > 2048) throw bad('api_endpoint', 'an http(s) URL like "http://localhost:9050"')
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw bad('api_endpoint', 'not a valid URL; expected http(s)://host[:port]')
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw bad('api_endpoint', 'the scheme must be http:// or https://')
  if (u.username || u.password) throw bad('api_endpoint', 'must not hold a user or password')
  if (u.search || u.hash) throw bad('api_endpoint', 'must not hold a query or fragment')
  return v.replace(/\/+$/, '')
}

function maxBytes(v: unknown): string | null {
  if (v === undefined || v === null) return null
  const s = typeof v === 'number' && Number.isSafeInteger(v) ? String(v) : v
  if (typeof s !== 'string' || !/^[1-9]\d{0,18}$/.test(s) || BigInt(s) > 9223372036854775807n) throw bad('maximum_bytes_billed', 'a positive integer number of bytes (a number or decimal text)')
  return s
}

function duration(v: unknown): number | string {
  if (v === undefined || v === null) return BQ_DEFAULTS.job_timeout
  const ok = (typeof v === 'number' && Number.isInteger(v) && v > 0) || (typeof v === 'string' && /^[1-9]\d{0,8}(ms|s|m|h)$/.test(v))
  if (!ok) throw bad('job_timeout', 'a positive number of milliseconds or a duration like "30s", "5m", "1h"')
  if (durationMs(v as number | string) > MAX_JOB_TIMEOUT_MS) throw bad('job_timeout', `at most ${MAX_JOB_TIMEOUT_MS / 1000} s`)
  return v as number | string
}

function poolSize(v: unknown): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_POOL_SIZE) throw bad('pool_size', `an integer from 1 to ${MAX_POOL_SIZE} (query jobs at once)`)
  return v
}

function queueTimeout(v: unknown): number | string {
  const ok = (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^\d{1,9}(ms|s|m|h)$/.test(v))
  if (!ok) throw bad('queue_timeout', 'a number of milliseconds or a duration like "30s", "5m", "500ms"')
  if (durationMs(v as number | string) > MAX_QUEUE_TIMEOUT_MS) throw bad('queue_timeout', `at most ${MAX_QUEUE_TIMEOUT_MS / 1000} s`)
  return v as number | string
}
