/**
 * Share grants (API.md "Who may do what"): `dataset.read` or `dataset.readwrite` on one
 * dataset for `user:<sub>`, `group:<name>` or `role:<role>`. One grant per (dataset,
 * principal): granting again changes the permission. Rows go with their dataset (ON DELETE
 * CASCADE). Every lookup takes the org.
 */
import crypto from 'node:crypto'
import { invalidParameter } from '../../proto/errors.js'
import type { CatalogDb } from './db.js'
import { catalogChanges, type CatalogChanges } from './changes.js'

export type Permission = 'dataset.read' | 'dataset.readwrite'
export const PERMISSIONS: readonly Permission[] = ['dataset.read', 'dataset.readwrite']

export interface Grant {
  id: string
  org: string
  datasetId: string
  /** `user:<sub>`, `group:<name>` or `role:<role>` */
  principal: string
  permission: Permission
  createdBy: string
  createdAt: string
}

interface Row {
  id: string; org: string; dataset_id: string; principal: string; permission: Permission; created_by: string; created_at: string
}

const fromRow = (r: Row): Grant => ({
  id: r.id, org: r.org, datasetId: r.dataset_id, principal: r.principal, permission: r.permission,
  createdBy: r.created_by, createdAt: r.created_at,
})

/** permissionOf answers kept at most (the memo is dropped whole when full) */
const MEMO_ENTRIES = 4096

export class GrantStore {
  readonly #changes: CatalogChanges
  /**
   * permissionOf answers by (org, dataset, principals), valid while the catalog has not
   * changed (changes.ts): a reader in grants mode asks on every request, and preparing and
   * running the query cost more than the rest of a small cached answer.
   */
  readonly #memo = new Map<string, { stamp: number; permission: Permission | null }>()

  constructor(private readonly db: CatalogDb) {
    this.#changes = catalogChanges(db)
  }

  /** Grants `permission` to `principal` on the dataset (replacing an earlier permission); returns the grant and whether it is new. */
  upsert(org: string, datasetId: string, principal: string, permission: Permission, createdBy: string): { grant: Grant; created: boolean } {
    this.#changes.bump()
    const existing = this.db.prepare('SELECT * FROM grants WHERE dataset_id = ? AND principal = ?').get(datasetId, principal) as Row | undefined
    if (existing) {
      this.db.prepare('UPDATE grants SET permission = ? WHERE id = ?').run(permission, existing.id)
      return { grant: fromRow({ ...existing, permission }), created: false }
    }
    const row: Row = {
      id: crypto.randomUUID(), org, dataset_id: datasetId, principal, permission,
      created_by: createdBy, created_at: new Date().toISOString(),
    }
    this.db.prepare(`INSERT INTO grants (id, org, dataset_id, principal, permission, created_by, created_at)
      VALUES (@id, @org, @dataset_id, @principal, @permission, @created_by, @created_at)`).run(row)
    return { grant: fromRow(row), created: true }
  }

  listForDataset(org: string, datasetId: string): Grant[] {
    return (this.db.prepare('SELECT * FROM grants WHERE org = ? AND dataset_id = ? ORDER BY created_at, id').all(org, datasetId) as Row[]).map(fromRow)
  }

  /** Every grant of the org (governance summary). */
  listForOrg(org: string): Grant[] {
    return (this.db.prepare('SELECT * FROM grants WHERE org = ? ORDER BY created_at, id').all(org) as Row[]).map(fromRow)
  }

  /** Deletes grant `id` of the dataset; false when there is none. */
  delete(org: string, datasetId: string, id: string): boolean {
    this.#changes.bump()
    return this.db.prepare('DELETE FROM grants WHERE org = ? AND dataset_id = ? AND id = ?').run(org, datasetId, id).changes > 0
  }

  /** The strongest permission any of `principals` holds on the dataset, or null. */
  permissionOf(org: string, datasetId: string, principals: readonly string[]): Permission | null {
    if (principals.length === 0) return null
    const stamp = this.#changes.stamp()
    // JSON, not a join: claims may hold any character, so no separator is safe
    const key = JSON.stringify([org, datasetId, principals])
    const m = this.#memo.get(key)
    if (m !== undefined && m.stamp === stamp) return m.permission
    const permission = this.#query(org, datasetId, principals)
    if (this.#memo.size >= MEMO_ENTRIES) this.#memo.clear()
    this.#memo.set(key, { stamp, permission })
    return permission
  }

  #query(org: string, datasetId: string, principals: readonly string[]): Permission | null {
    const marks = principals.map(() => '?').join(', ')
    const rows = this.db.prepare(`SELECT permission FROM grants WHERE org = ? AND dataset_id = ? AND principal IN (${marks})`)
      .all(org, datasetId, ...principals) as { permission: Permission }[]
    if (rows.some((r) => r.permission === 'dataset.readwrite')) return 'dataset.readwrite'
    return rows.length > 0 ? 'dataset.read' : null
  }
}

const PRINCIPAL = /^(user|group|role):(.+)$/s
// C0 and C1 control characters: a name with one could forge log lines or hide in a UI.
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/

/** `user:<sub>`, `group:<name>` or `role:<role>` with a name of 1-200 characters and no control characters; else 422 invalid_parameter. */
export function validatePrincipal(raw: unknown): string {
  const m = typeof raw === 'string' ? PRINCIPAL.exec(raw) : null
  if (!m) throw invalidParameter('principal', 'must be "user:<sub>", "group:<name>" or "role:<role>"')
  const name = m[2]!
  if (name.length > 200 || CONTROL.test(name)) throw invalidParameter('principal', 'the name after the prefix must be 1-200 characters without control characters')
  return raw as string
}

/** `dataset.read` or `dataset.readwrite`; else 422 invalid_parameter. */
export function validatePermission(raw: unknown): Permission {
  if (!PERMISSIONS.includes(raw as Permission)) throw invalidParameter('permission', `must be one of ${PERMISSIONS.join(', ')}`)
  return raw as Permission
}

/** The grant principals a caller matches: `user:<sub>`, `group:<g>` per group, `role:<r>` per role. */
export function principalKeys(p: { sub: string; groups: string[]; roles: string[] }): string[] {
  return [`user:${p.sub}`, ...p.groups.map((g) => `group:${g}`), ...p.roles.map((r) => `role:${r}`)]
}
