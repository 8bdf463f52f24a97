/**
 * Per-dataset access (API.md "Who may do what"), in both AUTHZ_MODEs:
 *
 * | | legacy | grants |
 * |---|---|---|
 * | read | any org member | a read/readwrite grant (user, group or role), the creator, admin |
 * | write | editor, admin | a readwrite grant, the creator, admin |
 * | govern (masking, classification overrides, grants) | admin, creator | admin, creator |
 *
 * A dataset the caller may not read does not exist for them: `404 dataset_not_found`, never
 * 403, so its name does not leak. Main thread.
 */
import { datasetNotFound, forbidden } from '../../proto/errors.js'
import { principalKeys, type Dataset, type GrantStore, type Permission } from '../catalog/index.js'
import type { RequestContext } from '../http/context.js'
import type { Services } from '../http/services.js'
import { isAdmin, isEditor, type Principal } from './principal.js'

export type AuthzMode = 'legacy' | 'grants'

interface AccessDeps { config: { authzMode: AuthzMode }; grants: GrantStore }

/** The caller's grant on `d` (direct, by group or by role), or null. */
export function grantOf(s: AccessDeps, p: Principal, d: Dataset): Permission | null {
  return s.grants.permissionOf(d.org, d.id, principalKeys(p))
}

export function canRead(s: AccessDeps, p: Principal, d: Dataset): boolean {
  if (p.org !== d.org) return false
  if (s.config.authzMode === 'legacy') return true
  return isAdmin(p) || d.createdBy === p.sub || grantOf(s, p, d) !== null
}

export function canWrite(s: AccessDeps, p: Principal, d: Dataset): boolean {
  if (p.org !== d.org) return false
  if (s.config.authzMode === 'legacy') return isEditor(p)
  return isAdmin(p) || d.createdBy === p.sub || grantOf(s, p, d) === 'dataset.readwrite'
}

/**
 * Which datasets of the org a list shows the caller: `null` for all of them, else those
 * created by `sub` or granted to one of `principals` (DatasetStore.list filters in SQL).
 * `available` is `/api/datasets/available` (filtered in both modes); otherwise it is
 * `GET /api/datasets` (filtered in grants mode only). Admins see everything.
 */
export function listScope(s: AccessDeps, p: Principal, available: boolean): { sub: string; principals: string[] } | null {
  if (isAdmin(p)) return null
  if (!available && s.config.authzMode === 'legacy') return null
  return { sub: p.sub, principals: principalKeys(p) }
}

/** Masking rules, classification overrides and grants: admin or the dataset's creator (both modes). */
export function canGovern(p: Principal, d: Dataset): boolean {
  return p.org === d.org && (isAdmin(p) || d.createdBy === p.sub)
}

/** `name` in the caller's org if they may read it, else `404 dataset_not_found`. */
export function readableDatasetNamed(s: Services, p: Principal, name: string): Dataset {
  return { ...peekReadableDatasetNamed(s, p, name) }
}

/** As readableDatasetNamed, but the catalog's shared object (DatasetStore.peek): read it, never change it. */
function peekReadableDatasetNamed(s: Services, p: Principal, name: string): Readonly<Dataset> {
  const d = s.datasets.peek(p.org, name)
  if (!d || !canRead(s, p, d)) throw datasetNotFound(name)
  return d
}

/** The dataset named in the path as the catalog's shared object, if the caller may read it (paths that only read). */
export function peekReadableDataset(ctx: RequestContext, s: Services): Readonly<Dataset> {
  return peekReadableDatasetNamed(s, ctx.principal!, ctx.params.name)
}

/** The dataset named in the path, if the caller may read it; else `404 dataset_not_found`. */
export function readableDataset(ctx: RequestContext, s: Services): Dataset {
  return readableDatasetNamed(s, ctx.principal!, ctx.params.name)
}

/** Throws `403 forbidden` unless the caller may write to `d` (which they can read). */
export function assertCanWriteDataset(s: Services, p: Principal, d: Dataset): void {
  if (canWrite(s, p, d)) return
  throw forbidden(s.config.authzMode === 'legacy'
    ? 'changing datasets needs the editor or admin role'
    : 'changing this dataset needs a dataset.readwrite grant, being its creator, or the admin role')
}

/** The dataset named in the path if the caller may write to it: 404 when unreadable, 403 when read-only. */
export function writableDataset(ctx: RequestContext, s: Services): Dataset {
  const d = readableDataset(ctx, s)
  assertCanWriteDataset(s, ctx.principal!, d)
  return d
}

/** Throws `403 forbidden` unless the caller may change masking rules, classification overrides or grants of `d`. */
export function assertCanGovern(p: Principal, d: Dataset, what: string): void {
  if (!canGovern(p, d)) throw forbidden(`only an admin or the dataset's creator may change ${what}`)
}
