/**
 * Connectors in the catalog: one row per (org, id). `config_json` never holds a secret;
 * secrets live in `secrets_blob`, sealed by SecretBox (secret-box.ts). Validating a config
 * is the connector's business (src/connectors/postgres-config.ts); this store keeps rows.
 */
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { CatalogDb } from './db.js'

/**
 * `api`: created over HTTP; `file`: declared in CONNECTORS_FILE (changed by editing the
 * file); `builtin`: the `lakehouse` connector of every org (never stored).
 */
export type ConnectorSource = 'api' | 'file' | 'builtin'

export interface ConnectorRecord {
  org: string
  id: string
  /** `postgres` (stored); the built-in `lakehouse` is never stored */
  type: string
  /** the validated config without secrets */
  config: Record<string, unknown>
  /** sealed secrets, or null when the connector has none */
  secrets: Buffer | null
  source: ConnectorSource
  createdBy: string
  createdAt: string
  updatedAt: string
}

interface Row {
  org: string; id: string; type: string; config_json: string; secrets_blob: Buffer | null
  source: ConnectorSource; created_by: string; created_at: string; updated_at: string
}

const fromRow = (r: Row): ConnectorRecord => ({
  org: r.org, id: r.id, type: r.type, config: JSON.parse(r.config_json), secrets: r.secrets_blob,
  source: r.source, createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
})

const toRow = (c: ConnectorRecord): Row => ({
  org: c.org, id: c.id, type: c.type, config_json: JSON.stringify(c.config), secrets_blob: c.secrets,
  source: c.source, created_by: c.createdBy, created_at: c.createdAt, updated_at: c.updatedAt,
})

export const CONNECTOR_ID = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/
/** ids of built-in connectors, present in every org */
export const RESERVED_CONNECTOR_IDS: ReadonlySet<string> = new Set(['lakehouse'])

/** A valid id for a new connector, or 422 invalid_parameter naming `field`. */
export function validateConnectorId(v: unknown, field = 'id'): string {
  if (typeof v !== 'string' || !CONNECTOR_ID.test(v)) {
    throw invalidParameter(field, 'a connector id is 1-64 characters of letters, digits, "_", "." and "-", not starting with "." or "-"')
  }
  if (RESERVED_CONNECTOR_IDS.has(v)) throw invalidParameter(field, `"${v}" is the built-in connector's id`)
  return v
}

export const connectorIdTaken = (id: string) => new SluiceError(409, 'connector_id_taken', `a connector with id "${id}" already exists`)

export class ConnectorStore {
  constructor(private readonly db: CatalogDb) {}

  get(org: string, id: string): ConnectorRecord | undefined {
    const row = this.db.prepare('SELECT * FROM connectors WHERE org = ? AND id = ?').get(org, id) as Row | undefined
    return row && fromRow(row)
  }

  /** Every connector of an org, by id (an org has few). */
  list(org: string): ConnectorRecord[] {
    return (this.db.prepare('SELECT * FROM connectors WHERE org = ? ORDER BY id').all(org) as Row[]).map(fromRow)
  }

  /** Every connector of every org (start-up checks). */
  all(): ConnectorRecord[] {
    return (this.db.prepare('SELECT * FROM connectors ORDER BY org, id').all() as Row[]).map(fromRow)
  }

  /** Inserts a connector; 409 connector_id_taken when (org, id) exists. */
  insert(c: ConnectorRecord): void {
    try {
      this.db.prepare(`INSERT INTO connectors (org, id, type, config_json, secrets_blob, source, created_by, created_at, updated_at)
        VALUES (@org, @id, @type, @config_json, @secrets_blob, @source, @created_by, @created_at, @updated_at)`).run(toRow(c))
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_PRIMARYKEY') throw connectorIdTaken(c.id)
      throw err
    }
  }

  /** Replaces type, config, secrets, source and updated_at of an existing connector. */
  update(c: ConnectorRecord): void {
    this.db.prepare(`UPDATE connectors SET type = @type, config_json = @config_json, secrets_blob = @secrets_blob,
        source = @source, updated_at = @updated_at WHERE org = @org AND id = @id`).run(toRow(c))
  }

  /** Inserts or replaces (keeping created_by/created_at of an existing row): CONNECTORS_FILE. */
  upsert(c: ConnectorRecord): void {
    this.db.prepare(`INSERT INTO connectors (org, id, type, config_json, secrets_blob, source, created_by, created_at, updated_at)
        VALUES (@org, @id, @type, @config_json, @secrets_blob, @source, @created_by, @created_at, @updated_at)
        ON CONFLICT (org, id) DO UPDATE SET type = excluded.type, config_json = excluded.config_json,
          secrets_blob = excluded.secrets_blob, source = excluded.source, updated_at = excluded.updated_at`).run(toRow(c))
  }

  delete(org: string, id: string): void {
    this.db.prepare('DELETE FROM connectors WHERE org = ? AND id = ?').run(org, id)
  }

  /** Names of the org's datasets whose provenance names this connector. */
  usedBy(org: string, id: string): string[] {
    const rows = this.db.prepare(`SELECT name FROM datasets WHERE org = ? AND json_extract(provenance_json, '$.connector_id') = ?
      ORDER BY name`).all(org, id) as { name: string }[]
    return rows.map((r) => r.name)
  }

  /** Runs fn in one write transaction (CONNECTORS_FILE: all or nothing). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate()
  }
}
