/**
 * The connectors of every org, one registry per server (`Services.connectors`): catalog
 * records (create, patch, delete, CONNECTORS_FILE, the built-in `lakehouse`) and one
 * `PgRuntime` (postgres-runtime.ts) per PostgreSQL connector in use, rebuilt when the
 * connector is patched and closed when it is deleted. Main thread only.
 */
import { invalidParameter } from '../../proto/errors.js'
import type { Principal } from '../../proto/principal.js'
import {
  RESERVED_CONNECTOR_IDS, SecretsUnreadableError, type ConnectorRecord, type ConnectorSecrets, type ConnectorStore, type SecretBox,
} from '../catalog/index.js'
import { builtinLakehouse, createRecord, deleteRecord, patchRecord } from './connector-records.js'
import { connectorNotFound } from './lakehouse-tables.js'
import type { HealthSnapshot } from './pg-health.js'
import { PgRuntime, type PgRuntimeOptions } from './postgres-runtime.js'
import { BqRuntime } from './bigquery-runtime.js'

/**
 * The connectors of every org: catalog records (create, patch, delete, CONNECTORS_FILE) and
 * the runtime of each PostgreSQL connector in use.
 */
export class ConnectorRegistry {
  readonly #runtimes = new Map<string, PgRuntime | BqRuntime>()

  constructor(
    private readonly store: ConnectorStore,
    private readonly box: SecretBox,
    private readonly opts: PgRuntimeOptions,
  ) {}

  /** The connector (the built-in `lakehouse` too), or 404 connector_not_found. */
  get(org: string, id: string): ConnectorRecord {
    if (RESERVED_CONNECTOR_IDS.has(id)) return builtinLakehouse(org)
    const c = this.store.get(org, id)
    if (!c) throw connectorNotFound(id)
    return c
  }

  /** The built-in `lakehouse` first, then the org's connectors by id. */
  list(org: string): ConnectorRecord[] {
    return [builtinLakehouse(org), ...this.store.list(org)]
  }

  /** Whether a password is stored (never the password itself): a blob is stored only for one. */
  hasPassword(c: ConnectorRecord): boolean {
    return c.secrets !== null
  }

  /** Health of a connector's runtime, or null when it has none yet (never used). */
  health(org: string, id: string): HealthSnapshot | null {
    return this.#runtimes.get(key(org, id))?.health() ?? null
  }

  /** A new connector (201). Validates everything; 409 connector_id_taken. */
  create(p: Principal, input: unknown, source: 'api' | 'file' = 'api'): ConnectorRecord {
    const c = createRecord(this.box, p.org, p.sub, input, source)
    this.store.insert(c)
    return c
  }

  /** Applies a PATCH body to a connector; its runtime is rebuilt on next use. */
  patch(org: string, id: string, body: unknown): ConnectorRecord {
    const current = this.get(org, id)
    const next = patchRecord(this.box, current, body, (c) => this.#secretsOf(c))
    this.store.update(next)
    this.#drop(org, id)
    return next
  }

  /** Deletes a connector no dataset uses (else 422 invalid_parameter listing them). */
  delete(org: string, id: string): void {
    const current = this.get(org, id)
    deleteRecord(current, this.store.usedBy(org, id))
    this.store.delete(org, id)
    this.#drop(org, id, true)
  }

  /** Inserts or replaces the connectors of CONNECTORS_FILE (already validated) in one transaction. */
  upsertFromFile(records: ConnectorRecord[]): void {
    this.store.transaction(() => {
      const declared = new Set(records.map((r) => key(r.org, r.id)))
      for (const r of records) {
        // Unchanged entries keep their updated_at: runtimes (here and in other processes) stay.
        const old = this.store.get(r.org, r.id)
        if (old && old.source === 'file' && old.type === r.type && JSON.stringify(old.config) === JSON.stringify(r.config)
          && JSON.stringify(this.#secretsOf(old) as ConnectorSecrets) === JSON.stringify(this.#secretsOf(r) as ConnectorSecrets)) continue
        this.store.upsert(r)
      }
      // A connector dropped from the file stays (datasets may use it), managed over the API from now on.
      for (const c of this.store.all()) {
        if (c.source === 'file' && !declared.has(key(c.org, c.id))) {
          this.store.update({ ...c, source: 'api', updatedAt: new Date().toISOString() })
          this.opts.log.warn({ org: c.org, connector: c.id }, 'connector no longer in CONNECTORS_FILE: kept, now managed over the API')
        }
      }
    })
    for (const r of records) this.#drop(r.org, r.id)
  }

  /**
   * The runtime of a PostgreSQL connector (cached; rebuilt when the record changed, also by
   * another process on the same DATA_DIR). 404 connector_not_found; 422 for another type.
   */
  runtime(org: string, id: string): PgRuntime {
    const c = this.get(org, id)
    if (c.type !== 'postgres') throw invalidParameter('connector_id', `connector "${id}" is a ${c.type} connector, not PostgreSQL`)
    const k = key(org, id)
    const cached = this.#runtimes.get(k)
    if (cached instanceof PgRuntime && cached.version === c.updatedAt) return cached
    cached?.close()
    const rt = new PgRuntime(c, this.#secretsOf(c), this.opts)
    this.#runtimes.set(k, rt)
    return rt
  }

  /**
   * The runtime of a BigQuery connector (cached; rebuilt when the record changed). 404
   * connector_not_found; 422 for another type.
   */
  bigQueryRuntime(org: string, id: string): BqRuntime {
    const c = this.get(org, id)
    if (c.type !== 'bigquery') throw invalidParameter('connector_id', `connector "${id}" is a ${c.type} connector, not BigQuery`)
    const k = key(org, id)
    const cached = this.#runtimes.get(k)
    if (cached instanceof BqRuntime && cached.version === c.updatedAt) return cached
    cached?.close()
    const rt = new BqRuntime(c, this.#secretsOf(c), this.opts)
    this.#runtimes.set(k, rt)
    return rt
  }

  /** Stops every runtime's background checks (shutdown). */
  close(): void {
    for (const rt of this.#runtimes.values()) rt.close({ failWaiters: true })
    this.#runtimes.clear()
  }

  #secretsOf(c: ConnectorRecord): ConnectorSecrets | SecretsUnreadableError {
    if (!c.secrets) return {}
    try {
      return this.box.open(c.org, c.id, c.secrets)
    } catch (err) {
      if (err instanceof SecretsUnreadableError) return err
      throw err
    }
  }

  #drop(org: string, id: string, failWaiters = false): void {
    const k = key(org, id)
    this.#runtimes.get(k)?.close({ failWaiters })
    this.#runtimes.delete(k)
  }
}

const key = (org: string, id: string) => `${org}\u0000${id}`
