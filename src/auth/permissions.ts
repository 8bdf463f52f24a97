/**
 * The permission table of API.md ("Who may do what"). Only the `legacy` column is
 * implemented so far; `AUTHZ_MODE=grants` arrives with share grants.
 */
import { forbidden } from '../../proto/errors.js'
import { isEditor, type Principal } from './principal.js'

/** Creating a dataset (register, upload new, import): editor or admin. */
export function assertCanCreate(p: Principal): void {
  if (!isEditor(p)) throw forbidden('creating datasets needs the editor or admin role')
}

/** Writing to a dataset (append/overwrite, description, maintenance, delete). */
export function assertCanWrite(p: Principal): void {
  if (!isEditor(p)) throw forbidden('changing datasets needs the editor or admin role')
}
