/**
 * The config of a PostgreSQL connector: validating what a caller (or CONNECTORS_FILE) sends,
 * merging a PATCH, and turning the stored form into connection settings. Pure: no I/O.
 *
 * Two shapes, never mixed: `{host, port?, database, user, password?, ssl?}` or
 * `{url, password?}` (`postgres://user[:password]@host[:port]/database[?sslmode=...]`); both
 * take `pool_size`, `statement_timeout` and `queue_timeout`. The password (also one inside
 * the url) is a secret: it is split off here, and the stored url has none.
 */
import { invalidParameter } from '../../proto/errors.js'
import type { ConnectorSecrets } from '../catalog/index.js'

export type PgSsl = false | 'require' | 'verify-full'

/** The stored (secret-free) config, defaults filled in. */
export interface PgConnectorConfig {
  url?: string
  host?: string
  port?: number
  database?: string
  user?: string
  ssl?: PgSsl
  pool_size: number
  /** ms number or a duration like "30s", "5m"; 0 = no timeout */
  statement_timeout: number | string
  /** how long a statement waits for a free pool slot before 503 overloaded */
  queue_timeout: number | string
}

/** Where to connect, from either shape. */
export interface PgTarget { host: string; port: number; database: string; user: string; ssl: PgSsl }

export const PG_DEFAULTS = { pool_size: 5, statement_timeout: '30s', queue_timeout: '10s', port: 5432 } as const
export const MAX_POOL_SIZE = 100
const MAX_STATEMENT_TIMEOUT_MS = 24 * 3600_000
const MAX_QUEUE_TIMEOUT_MS = 10 * 60_000

const URL_KEYS = ['url'] as const
const HOST_KEYS = ['host', 'port', 'database', 'user', 'ssl'] as const
const COMMON_KEYS = ['password', 'pool_size', 'statement_timeout', 'queue_timeout'] as const
const ALL_KEYS: ReadonlySet<string> = new Set([...URL_KEYS, ...HOST_KEYS, ...COMMON_KEYS])

const bad = (key: string, msg: string) => invalidParameter(`config.${key}`, msg)

/**
 * Validates a config object (a POST body's `config`, or a PATCH merged onto the stored one).
 * Returns the stored form and the secrets. `keepPassword`: the current password, used when
 * the input gives none (PATCH keeps it; `"password": null` clears it). Throws 422
 * invalid_parameter naming `config.<key>`; messages never contain a secret.
 */
export function validatePgConfig(input: unknown, keepPassword: string | null = null): { config: PgConnectorConfig; secrets: ConnectorSecrets } {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw invalidParameter('config', 'required: an object with host, database, user (and port, password, ssl) or url')
  }
  const o = input as Record<string, unknown>
  for (const k of Object.keys(o)) if (!ALL_KEYS.has(k)) throw bad(k, `unknown key; expected one of ${[...ALL_KEYS].join(', ')}`)
  const given = (k: string) => o[k] !== undefined && o[k] !== null

  let password: string | null = keepPassword
  if (o.password === null) password = null
  else if (o.password !== undefined) {
    if (typeof o.password !== 'string' || o.password.length > 1024) throw bad('password', 'must be a string of at most 1024 characters, or null')
    password = o.password
  }

  const common = {
    pool_size: poolSize(o.pool_size),
    statement_timeout: durationValue(o.statement_timeout, 'statement_timeout', PG_DEFAULTS.statement_timeout, MAX_STATEMENT_TIMEOUT_MS),
    queue_timeout: durationValue(o.queue_timeout, 'queue_timeout', PG_DEFAULTS.queue_timeout, MAX_QUEUE_TIMEOUT_MS),
  }

  if (given('url')) {
    const mixed = HOST_KEYS.find(given)
    if (mixed) throw bad(mixed, 'give either url or host/port/database/user/ssl, not both')
    const parsed = parseUrl(o.url)
    if (parsed.password !== null) {
      if (o.password !== undefined) throw bad('password', 'the url already holds a password; give it once')
      password = parsed.password
    }
    return { config: { url: parsed.url, ...common }, secrets: password === null ? {} : { password } }
  }

  const host = text(o.host, 'host', 255)
  if (/[\s/]/.test(host)) throw bad('host', 'a host name or IP address')
  const config: PgConnectorConfig = {
    host,
    port: port(o.port, 'port'),
    database: text(o.database, 'database', 63),
    user: text(o.user, 'user', 63),
    ssl: ssl(o.ssl, 'ssl'),
    ...common,
  }
  return { config, secrets: password === null ? {} : { password } }
}

/**
 * A PATCH: keys given replace stored ones (null resets one to its default or removes it);
 * giving `url` replaces host/port/database/user/ssl and giving any of those replaces `url`.
 * The password is kept unless the patch gives one (or a url with one) or `"password": null`.
 */
export function mergePgConfig(stored: PgConnectorConfig, currentPassword: string | null, patch: unknown) {
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch)) throw invalidParameter('config', 'must be an object')
  const p = patch as Record<string, unknown>
  const base: Record<string, unknown> = { ...stored }
  if ('url' in p && p.url !== null) for (const k of HOST_KEYS) delete base[k]
  if (HOST_KEYS.some((k) => k in p && p[k] !== null)) delete base.url
  return validatePgConfig({ ...base, ...p }, currentPassword)
}

/** Where a stored config connects to. */
export function pgTarget(c: PgConnectorConfig): PgTarget {
  if (c.url) {
    const { url: _, password: __, ...target } = parseUrl(c.url)
    return target
  }
  return { host: c.host!, port: c.port ?? PG_DEFAULTS.port, database: c.database!, user: c.user!, ssl: c.ssl ?? false }
}

/** "30s", "5m", "1h", "250ms" or a number of ms → ms. Assumes a validated value. */
export function durationMs(v: number | string): number {
  if (typeof v === 'number') return v
  const m = /^(\d+)(ms|s|m|h)$/.exec(v)!
  return Number(m[1]) * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h']
}

function text(v: unknown, key: string, max: number): string {
  if (typeof v !== 'string' || v === '') throw bad(key, 'required: a non-empty string')
  if (v.length > max || /[\u0000-\u001f]/.test(v)) throw bad(key, `at most ${max} characters, no control characters`)
  return v
}

function port(v: unknown, key: string): number {
  if (v === undefined || v === null) return PG_DEFAULTS.port
  const n = typeof v === 'string' && /^\d{1,5}$/.test(v) ? Number(v) : v
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > 65535) throw bad(key, 'an integer from 1 to 65535')
  return n
}

function ssl(v: unknown, key: string): PgSsl {
  if (v === undefined || v === null || v === false || v === 'disable') return false
  if (v === true || v === 'require') return 'require'
  if (v === 'verify-full') return 'verify-full'
  throw bad(key, 'true, false, "disable", "require" (TLS, certificate not verified) or "verify-full"')
}

function poolSize(v: unknown): number {
  if (v === undefined || v === null) return PG_DEFAULTS.pool_size
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > MAX_POOL_SIZE) throw bad('pool_size', `an integer from 1 to ${MAX_POOL_SIZE}`)
  return v
}

function durationValue(v: unknown, key: string, def: string, maxMs: number): number | string {
  if (v === undefined || v === null) return def
  const ok = (typeof v === 'number' && Number.isInteger(v) && v >= 0) || (typeof v === 'string' && /^\d{1,9}(ms|s|m|h)$/.test(v))
  if (!ok) throw bad(key, 'a number of milliseconds or a duration like "30s", "5m", "1h", "500ms"')
  if (durationMs(v as number | string) > maxMs) throw bad(key, `at most ${maxMs / 1000} s`)
  return v as number | string
}

/** Parses a connection URL; the returned `url` has no password. Errors never echo the URL. */
function parseUrl(v: unknown): PgTarget & { url: string; password: string | null } {
  if (typeof v !== 'string' || v.length > 2048) throw bad('url', 'a string like postgres://user@host:5432/database')
  let u: URL
  try {
    u = new URL(v)
  } catch {
    throw bad('url', 'not a valid URL; expected postgres://user[:password]@host[:port]/database[?sslmode=require]')
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') throw bad('url', 'the scheme must be postgres:// or postgresql://')
  const decode = (s: string, part: string) => {
    try {
      return decodeURIComponent(s)
    } catch {
      throw bad('url', `the ${part} is not valid percent-encoding`)
    }
  }
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1')
  if (!host) throw bad('url', 'needs a host')
  const user = decode(u.username, 'user')
  if (!user) throw bad('url', 'needs a user (postgres://user@host/database)')
  const database = decode(u.pathname.replace(/^\//, ''), 'database')
  if (!database || database.includes('/')) throw bad('url', 'needs a database (postgres://user@host/database)')
  let sslValue: PgSsl = false
  for (const [k, val] of u.searchParams) {
    if (k !== 'sslmode') throw bad('url', `unsupported URL parameter "${k.slice(0, 40)}" (only sslmode is)`)
    if (val === 'disable') sslValue = false
    else if (val === 'require' || val === 'verify-full') sslValue = val
    else throw bad('url', 'sslmode must be disable, require or verify-full')
  }
  const password = u.password === '' ? null : decode(u.password, 'password')
  u.password = ''
  return { url: u.toString(), host, port: port(u.port || undefined, 'url'), database, user, ssl: sslValue, password }
}
