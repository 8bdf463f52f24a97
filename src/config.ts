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
  logLevel: string
  /** test-only: pause points for crash tests (never set in production) */
  testHooks: boolean
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

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const authz = env.AUTHZ_MODE ?? 'legacy'
  if (authz !== 'legacy' && authz !== 'grants') throw new Error(`AUTHZ_MODE must be legacy or grants, got "${authz}"`)
  // Refuse rather than silently enforce the looser legacy rules an operator did not ask for.
  if (authz === 'grants') throw new Error('AUTHZ_MODE=grants is not implemented yet (per-dataset share grants arrive with the governance work); use AUTHZ_MODE=legacy')
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
    logLevel: env.LOG_LEVEL ?? 'info',
    testHooks: env.SLUICE_TEST_HOOKS === '1',
  }
}
