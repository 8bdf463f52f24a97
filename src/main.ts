/**
 * Starts Sluice: config → logger → catalog → worker pool → HTTP. On SIGTERM/SIGINT it stops
 * accepting, lets in-flight requests finish (cancelling streams after a grace period),
 * cancels jobs, then closes the pool and the catalog.
 */
import fs from 'node:fs'
import path from 'node:path'
import { loadConfig } from './config.js'
import { createLogger } from './log.js'
import { assertNativeUws } from './uws-check.js'
import { openCatalogDb, DatasetStore, JobStore, ConnectorStore, SecretBox, GrantStore, ClassificationStore } from './catalog/index.js'
import { WorkerPool, WORKERS } from './pool.js'
import {
  CheckpointReadError, configureCheckpointReader, configureCheckpoints,
  type CheckpointContents, type CheckpointResult, type CheckpointTask,
} from './lakehouse/index.js'
import { SluiceError } from '../proto/errors.js'
import { TokenVerifier, mintToken } from './auth/verify.js'
import { loadOrCreateSecret } from './auth/secret.js'
import { JobRunner } from './jobs/runner.js'
import { RefreshScheduler } from './jobs/refresh-scheduler.js'
import { ENGINE_INFO } from './engine.js'
import { ConnectorRegistry } from './connectors/connector-registry.js'
import { loadConnectorsFile } from './connectors/connectors-file.js'
import { startHttp } from './http/app.js'
import { buildRouter } from './http/routes/index.js'
import type { Services } from './http/services.js'

const SHUTDOWN_GRACE_MS = 10_000

async function main(): Promise<void> {
  const config = loadConfig()
  const log = createLogger(config.logLevel)
  try {
    assertNativeUws()
  } catch (err) {
    log.fatal((err as Error).message)
    console.error((err as Error).message)
    process.exit(1)
  }

  fs.mkdirSync(config.dataDir, { recursive: true })
  // Temp files of a previous process (killed mid-upload) are never resumed: clear them.
  fs.rmSync(path.join(config.dataDir, 'tmp'), { recursive: true, force: true })

  let secret = config.jwtSecret
  let printToken = false
  if (!secret && !config.jwtJwksFile) {
    const s = loadOrCreateSecret(config.dataDir)
    secret = s.secret
    printToken = s.created || process.env.SLUICE_PRINT_TOKEN === '1'
  }

  const db = openCatalogDb(config.dataDir)
  const jobStore = new JobStore(db)
  const orphans = jobStore.failOrphans(new Date().toISOString())
  if (orphans > 0) log.warn({ jobs: orphans }, 'marked jobs of a previous process as failed')

  const removed = sweepOrphanTables(config.dataDir, new DatasetStore(db).allIds())
  if (removed > 0) log.warn({ tables: removed }, 'removed managed tables that no dataset references (left by a crash)')

  const secretBox = new SecretBox(config.secretsKey, config.dataDir)
  const connectors = new ConnectorRegistry(new ConnectorStore(db), secretBox, { log })
  if (config.connectorsFile) {
    try {
      const records = loadConnectorsFile(config.connectorsFile, process.env, secretBox)
      connectors.upsertFromFile(records)
      log.info({ file: config.connectorsFile, connectors: records.length }, 'connectors declared in CONNECTORS_FILE')
    } catch (err) {
      // The message names the file, the entry and the problem, never a value.
      log.fatal((err as Error).message)
      console.error((err as Error).message)
      process.exit(1)
    }
  }

  const pool = new WorkerPool(config.workerThreads, config.workerQueue)
  // Delta checkpoints are Parquet: written and read in workers, not on the serving thread.
  configureCheckpoints((tablePath, version) =>
    pool.run<CheckpointResult>(WORKERS.checkpoint, { kind: 'delta-checkpoint', tablePath, version } satisfies CheckpointTask))
  configureCheckpointReader((set) =>
    pool.run<CheckpointContents>(WORKERS.checkpoint, { kind: 'delta-checkpoint-read', set }).catch((err) => {
      // Classes do not cross threads: an unreadable checkpoint comes back as a plain 422.
      if (err instanceof SluiceError && err.code === 'unsupported_table') throw new CheckpointReadError(set.version, err)
      throw err
    }))
  const datasets = new DatasetStore(db)
  const classifications = new ClassificationStore(db)
  const jobs = new JobRunner(jobStore, log)
  const refresh = new RefreshScheduler(
    { dataDir: config.dataDir, pool, datasets, connectors, engineInfo: ENGINE_INFO, rowsPerFile: config.rowsPerFile, classifications, log },
    jobs, log, config.refreshTickMs)
  const services: Services = {
    config, log, pool, jobStore, datasets, jobs, connectors, refresh,
    grants: new GrantStore(db), classifications, secrets: secretBox,
    verifier: new TokenVerifier({ secret, jwksFile: config.jwtJwksFile, issuer: config.jwtIssuer, audience: config.jwtAudience }),
    draining: { value: false },
  }
  const server = await startHttp(buildRouter(), services)
  refresh.start()
  log.info({ port: server.port, data_dir: config.dataDir, workers: config.workerThreads }, 'sluice listening')
  // A machine-readable line for tests and scripts that start the server on port 0.
  process.stdout.write(JSON.stringify({ msg: 'listening', port: server.port }) + '\n')

  if (printToken && secret) {
    const token = await mintToken(secret, { sub: 'admin', org: 'default', roles: ['admin', 'editor'] }, 30 * 24 * 3600)
    process.stderr.write(`\nSluice is up on http://localhost:${server.port}\n`
      + `A signing secret was created at ${path.join(config.dataDir, 'jwt-secret')}. Admin token (org "default", 30 days):\n\n`
      + `  export TOKEN=${token}\n\n`
      + `  curl -H "Authorization: Bearer $TOKEN" http://localhost:${server.port}/api/datasets\n\n`
      + `Mint more with: npx sluice token --org default --sub alice --roles editor\n\n`)
  }

  let stopping = false
  const shutdown = async (signal: string) => {
    if (stopping) return
    stopping = true
    log.info({ signal }, 'shutting down')
    services.draining.value = true
    server.stopListening()
    const deadline = Date.now() + SHUTDOWN_GRACE_MS
    while (server.inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
    refresh.stop()
    await services.jobs.cancelAll()
    connectors.close()
    await pool.close()
    db.close()
    log.info('stopped')
    process.exit(0)
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
}

/**
 * A crash between an upload's commit and its catalog insert leaves a managed table that no
 * dataset references. Remove those, but only when older than ORPHAN_GRACE_MS: another
 * server process on the same DATA_DIR may be between those two steps right now.
 */
const ORPHAN_GRACE_MS = 10 * 60_000

function sweepOrphanTables(dataDir: string, ids: Set<string>): number {
  const root = path.join(dataDir, 'tables')
  if (!fs.existsSync(root)) return 0
  let removed = 0
  for (const id of fs.readdirSync(root)) {
    if (ids.has(id)) continue
    const dir = path.join(root, id)
    if (Date.now() - fs.statSync(dir).mtimeMs < ORPHAN_GRACE_MS) continue
    fs.rmSync(dir, { recursive: true, force: true })
    removed++
  }
  return removed
}

main().catch((err) => {
  console.error(err)
  process.exit(1)
})
