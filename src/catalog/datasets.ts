/**
 * Datasets in the catalog: one row per dataset, unique by (org, name). Every lookup takes
 * the caller's org, so a dataset of another org is simply not found.
 */
import crypto from 'node:crypto'
import type { Field } from '../../proto/types.js'
import { nameTaken } from '../../proto/errors.js'
import type { Statement } from 'better-sqlite3'
import type { CatalogDb } from './db.js'
import { catalogChanges, type CatalogChanges } from './changes.js'
import type { DatasetSettings } from './settings.js'

export type DatasetKind = 'connector' | 'lakehouse' | 'upload'

export interface Provenance {
  source?: string
  file?: { name: string; bytes: number }
  job?: string
  [key: string]: unknown
}

export interface Dataset {
  id: string
  org: string
  name: string
  kind: DatasetKind
  description: string
  schema: Field[]
  settings: DatasetSettings
  provenance: Provenance
  /** absolute path of the Delta table (or Parquet folder), for lakehouse and upload datasets */
  tablePath: string | null
  currentVersion: number | null
  rowCount: number | null
  createdBy: string
  createdAt: string
  updatedAt: string
}

interface Row {
  id: string; org: string; name: string; kind: DatasetKind; description: string
  schema_json: string; settings_json: string; provenance_json: string
  table_path: string | null; current_version: number | null; row_count: number | null
  created_by: string; created_at: string; updated_at: string
}

function fromRow(r: Row): Dataset {
  return {
    id: r.id, org: r.org, name: r.name, kind: r.kind, description: r.description,
    schema: JSON.parse(r.schema_json), settings: JSON.parse(r.settings_json),
    provenance: JSON.parse(r.provenance_json), tablePath: r.table_path,
    currentVersion: r.current_version, rowCount: r.row_count,
    createdBy: r.created_by, createdAt: r.created_at, updatedAt: r.updated_at,
  }
}

export const SORTS = {
  name: 'name ASC',
  '-name': 'name DESC',
  created_at: 'created_at ASC, name ASC',
  '-created_at': 'created_at DESC, name ASC',
  updated_at: 'updated_at ASC, name ASC',
  '-updated_at': 'updated_at DESC, name ASC',
} as const
export type DatasetSort = keyof typeof SORTS

export interface ListOptions {
  limit: number; offset: number; q: string | null; sort: DatasetSort
  /** only datasets created by `sub` or granted to one of `principals` (share grants); absent or null: every dataset of the org */
  visibleTo?: { sub: string; principals: string[] } | null
}

export class DatasetStore {
  constructor(private readonly db: CatalogDb) {
    this.#changes = catalogChanges(db)
  }

  /** true when the catalog answers a trivial query */
  ping(): boolean {
    try {
      return this.db.prepare('SELECT 1 AS one').get() !== undefined
    } catch {
      return false
    }
  }

  newId(): string {
    return crypto.randomUUID()
  }

  // Every request looks a dataset up: the statement is prepared once, and a parsed row is
  // reused while the catalog has not changed (changes.ts: writes through any store of this
  // process, and other connections' writes seen within 100 ms). Callers of get() get a
  // shallow copy (they assign fields before update(); nested values are replaced, never
  // changed in place).
  #getStmt: Statement<[string, string]> | null = null
  readonly #changes: CatalogChanges
  readonly #memo = new Map<string, { stamp: number; d: Dataset }>()

  /** The dataset, a copy the caller may change and then pass to update(). */
  get(org: string, name: string): Dataset | undefined {
    const d = this.peek(org, name)
    return d && { ...d }
  }

  /**
   * The dataset as the memo holds it: shared, never to be changed (for paths that only read,
   * like the cached explore answer). Any catalog write makes the next call return a new
   * object, so memos keyed by this object's identity (masking views) follow every change.
   */
  peek(org: string, name: string): Readonly<Dataset> | undefined {
    const stamp = this.#changes.stamp()
    const key = `${org}\u0000${name}`
    const m = this.#memo.get(key)
    if (m && m.stamp === stamp) return m.d
    this.#getStmt ??= this.db.prepare<[string, string]>('SELECT * FROM datasets WHERE org = ? AND name = ?')
    const row = this.#getStmt.get(org, name) as Row | undefined
    if (!row) return undefined
    const d = Object.freeze(fromRow(row)) // shared: peek() callers must not change it
    if (this.#memo.size >= 1024) this.#memo.clear()
    this.#memo.set(key, { stamp, d })
    return d
  }

  list(org: string, opts: ListOptions): { total: number; items: Dataset[] } {
    let where = 'org = ?'
    const params: unknown[] = [org]
    if (opts.q) {
      // LIKE with an escape character: the user's text is matched literally.
      const pattern = '%' + opts.q.replace(/[\\%_]/g, (c) => '\\' + c) + '%'
      where += " AND (name LIKE ? ESCAPE '\\' OR description LIKE ? ESCAPE '\\')"
      params.push(pattern, pattern)
    }
    if (opts.visibleTo) {
      // In SQL, so that `total` and the page both count only what the caller may see.
      const { sub, principals } = opts.visibleTo
      const marks = principals.map(() => '?').join(', ')
      where += ' AND (created_by = ?' + (principals.length > 0
        ? ` OR id IN (SELECT dataset_id FROM grants WHERE org = ? AND principal IN (${marks})))`
        : ')')
      params.push(sub, ...(principals.length > 0 ? [org, ...principals] : []))
    }
    const total = (this.db.prepare(`SELECT count(*) AS n FROM datasets WHERE ${where}`).get(...params) as { n: number }).n
    const rows = this.db
      .prepare(`SELECT * FROM datasets WHERE ${where} ORDER BY ${SORTS[opts.sort]} LIMIT ? OFFSET ?`)
      .all(...params, opts.limit, opts.offset) as Row[]
    return { total, items: rows.map(fromRow) }
  }

  /** Inserts a dataset; throws 409 dataset_name_taken when (org, name) exists. */
  insert(d: Dataset): void {
    this.#changes.bump()
    try {
      this.db.prepare(`INSERT INTO datasets (id, org, name, kind, description, schema_json, settings_json,
          provenance_json, table_path, current_version, row_count, created_by, created_at, updated_at)
        VALUES (@id, @org, @name, @kind, @description, @schema_json, @settings_json, @provenance_json,
          @table_path, @current_version, @row_count, @created_by, @created_at, @updated_at)`).run(toRow(d))
    } catch (err) {
      if ((err as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE') throw nameTaken(d.name)
      throw err
    }
  }

  /** ids of every dataset, in every org (start-up housekeeping) */
  allIds(): Set<string> {
    return new Set((this.db.prepare('SELECT id FROM datasets').all() as { id: string }[]).map((r) => r.id))
  }

  /** Datasets of every org whose settings carry a refresh policy (the refresh scheduler's work list). */
  withRefreshPolicy(): Dataset[] {
    const rows = this.db.prepare(`SELECT * FROM datasets WHERE json_extract(settings_json, '$.refresh.every') IS NOT NULL`).all() as Row[]
    return rows.map(fromRow)
  }

  isNameTaken(org: string, name: string): boolean {
    return this.db.prepare('SELECT 1 FROM datasets WHERE org = ? AND name = ?').get(org, name) !== undefined
  }

  update(d: Dataset): void {
    this.#changes.bump()
    this.db.prepare(`UPDATE datasets SET description = @description, schema_json = @schema_json,
        settings_json = @settings_json, provenance_json = @provenance_json, current_version = @current_version,
        row_count = @row_count, updated_at = @updated_at WHERE id = @id`).run(toRow(d))
  }

  delete(id: string): void {
    this.#changes.bump()
    this.db.prepare('DELETE FROM datasets WHERE id = ?').run(id)
  }
}

function toRow(d: Dataset): Row {
  return {
    id: d.id, org: d.org, name: d.name, kind: d.kind, description: d.description,
    schema_json: JSON.stringify(d.schema), settings_json: JSON.stringify(d.settings),
    provenance_json: JSON.stringify(d.provenance), table_path: d.tablePath,
    current_version: d.currentVersion, row_count: d.rowCount,
    created_by: d.createdBy, created_at: d.createdAt, updated_at: d.updatedAt,
  }
}
