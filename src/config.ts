/**
 * Server configuration, read once from the environment at start-up. Every variable is
 * listed in the README's configuration table; keep the two in step.
 */
import path from 'node:path'
import os from 'node:os'

export interface Config {
  port: number
  host: string
  dataDir: string
  maxUploadBytes: number
  /** rows per Parquet data file written by uploads */
  rowsPerFile: number
  jwtSecret: string | null
  jwtJwksFile: string | null
  jwtIssuer: string | null
  jwtAudience: string | null
  authzMode: 'legacy' | 'grants'
  workerThreads: number
  /** WORKER_QUEUE: tasks that may wait for a worker slot before requests get 503 overloaded */
  workerQueue: number
  logLevel: string
  /** test-only: pause points for crash tests (never set in production) */
  testHooks: boolean
  /** SECRETS_KEY decoded (32 bytes), or null: connector secrets use the key file under DATA_DIR */
  secretsKey: Buffer | null
  /** CONNECTORS_FILE: connectors declared at start-up (src/connectors/connectors-file.ts) */
  connectorsFile: string | null
  /** how often the refresh scheduler looks for imported datasets due for a refresh, ms */
  refreshTickMs: number
  /** PROFILE_SAMPLE_ROWS: connector datasets estimated above this many rows are profiled on a sample of about this many */
  profileSampleRows: number
  /** RESULT_CACHE_BYTES: byte budget of the explore result cache (src/http/result-cache.ts); 0 turns it off */
  resultCacheBytes: number
  /** RESULT_CACHE_MAX_ENTRY_BYTES: larger results are streamed but never cached */
  resultCacheMaxEntryBytes: number
  /** SNAPSHOT_FRESHNESS_MS: how long a table's latest version is trusted without looking at its log (src/lakehouse/snapshot-cache.ts) */
  snapshotFreshnessMs: number
}

function intVar(env: NodeJS.ProcessEnv, name: string, fallback: number, min = 0): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (!/^\d+$/.test(raw) || Number(raw) < min) throw new Error(`${name} must be an integer >= ${min}, got "${raw}"`)
  return Number(raw)
}

function strVar(env: NodeJS.ProcessEnv, name: string): string | null {
  const raw = env[name]
  return raw === undefined || raw === '' ? null : raw
}

/**
 * SECRETS_KEY: base64 (or base64url) of exactly 32 random bytes, the AES-256-GCM key of
 * connector secrets. Anything else is refused at start: a short key or a typo must not
 * silently become the key that every stored password is sealed with. The value is never
 * echoed in the error.
 */
function secretsKeyVar(env: NodeJS.ProcessEnv): Buffer | null {
  const raw = strVar(env, 'SECRETS_KEY')?.trim()
  if (!raw) return null
  const bad = new Error('SECRETS_KEY must be the base64 encoding of exactly 32 bytes (e.g. `openssl rand -base64 32`)')
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(raw)) throw bad
  const key = Buffer.from(raw.replace(/-/g, '+').replace(/_/g, '/'), 'base64')
  if (key.length !== 32) throw bad
  return key
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const authz = env.AUTHZ_MODE ?? 'legacy'
  if (authz !== 'legacy' && authz !== 'grants') throw new Error(`AUTHZ_MODE must be legacy or grants, got "${authz}"`)
  return {
    port: intVar(env, 'PORT', 8080),
    host: env.HOST ?? '0.0.0.0',
    dataDir: path.resolve(env.DATA_DIR ?? './data'),
    maxUploadBytes: intVar(env, 'MAX_UPLOAD_BYTES', 209715200, 1),
    rowsPerFile: intVar(env, 'PARQUET_ROWS_PER_FILE', 1_000_000, 1),
    jwtSecret: strVar(env, 'JWT_SECRET'),
    jwtJwksFile: strVar(env, 'JWT_JWKS_FILE'),
    jwtIssuer: strVar(env, 'JWT_ISSUER'),
    jwtAudience: strVar(env, 'JWT_AUDIENCE'),
    authzMode: authz,
    workerThreads: intVar(env, 'WORKER_THREADS', Math.max(2, os.availableParallelism()), 1),
    workerQueue: intVar(env, 'WORKER_QUEUE', 512, 0),
    logLevel: env.LOG_LEVEL ?? 'info',
    testHooks: env.SLUICE_TEST_HOOKS === '1',
    secretsKey: secretsKeyVar(env),
    connectorsFile: strVar(env, 'CONNECTORS_FILE') && path.resolve(env.CONNECTORS_FILE!),
    refreshTickMs: intVar(env, 'REFRESH_TICK_MS', 30_000, 50),
    profileSampleRows: intVar(env, 'PROFILE_SAMPLE_ROWS', 1_000_000, 1),
    resultCacheBytes: intVar(env, 'RESULT_CACHE_BYTES', 64 * 1024 * 1024),
    resultCacheMaxEntryBytes: intVar(env, 'RESULT_CACHE_MAX_ENTRY_BYTES', 1024 * 1024),
    snapshotFreshnessMs: intVar(env, 'SNAPSHOT_FRESHNESS_MS', 1000),
  }
}
