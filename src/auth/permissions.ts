/**
 * Role checks of API.md's permission table that do not depend on a dataset. Per-dataset
 * access (read, write, govern; both AUTHZ_MODEs) is in dataset-access.ts.
 */
import { forbidden } from '../../proto/errors.js'
import { isEditor, type Principal } from './principal.js'

/** Creating a dataset (register, upload new, import): editor or admin. */
export function assertCanCreate(p: Principal): void {
  if (!isEditor(p)) throw forbidden('creating datasets needs the editor or admin role')
}
