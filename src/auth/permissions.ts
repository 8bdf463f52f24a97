/**
 * The permission table of API.md ("Who may do what"). Only the `legacy` column is
 * implemented so far; `AUTHZ_MODE=grants` arrives with share grants.
 */
import { forbidden } from '../../proto/errors.js'
import { isAdmin, isEditor, type Principal } from './principal.js'

/** Creating a dataset (register, upload new, import): editor or admin. */
export function assertCanCreate(p: Principal): void {
  if (!isEditor(p)) throw forbidden('creating datasets needs the editor or admin role')
}

/** Writing to a dataset (append/overwrite, description, maintenance, delete). */
export function assertCanWrite(p: Principal): void {
  if (!isEditor(p)) throw forbidden('changing datasets needs the editor or admin role')
}

/** Masking rules, classification overrides and grants: admins, or the dataset's creator. */
export function assertCanChangeMasking(p: Principal, createdBy: string): void {
  if (!isAdmin(p) && p.sub !== createdBy) throw forbidden("only an admin or the dataset's creator may change masking rules")
}
