/** What route handlers may use: built once in src/main.ts. */
import type { Config } from '../config.js'
import type { Logger } from '../log.js'
import type { ClassificationStore, DatasetStore, GrantStore, JobStore, SecretBox } from '../catalog/index.js'
import type { WorkerPool } from '../pool.js'
import type { TokenVerifier } from '../auth/verify.js'
import type { JobRunner } from '../jobs/runner.js'
import type { ConnectorRegistry } from '../connectors/connector-registry.js'
import type { RefreshScheduler } from '../jobs/refresh-scheduler.js'

export interface Services {
  config: Config
  log: Logger
  datasets: DatasetStore
  jobStore: JobStore
  jobs: JobRunner
  pool: WorkerPool
  verifier: TokenVerifier
  /** connector records and the runtime (connection slots, health) of each PostgreSQL connector */
  connectors: ConnectorRegistry
  /** starts refresh jobs of imported datasets, on their schedule or on request */
  refresh: RefreshScheduler
  /** share grants (AUTHZ_MODE=grants; /available in both modes) */
  grants: GrantStore
  /** stored column classifications (auto and manual) */
  classifications: ClassificationStore
  /** the secrets key: connector secrets and derived secrets such as the per-org masking salt */
  secrets: SecretBox
  /** flips to true when SIGTERM arrives: new streams are refused, running ones finish */
  draining: { value: boolean }
}
