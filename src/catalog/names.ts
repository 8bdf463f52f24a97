import { invalidName } from '../../proto/errors.js'

const NAME = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
/** Route words under /api/datasets/ that a dataset name would shadow (API.md, Names). */
const RESERVED = new Set(['available', 'browse', 'import', 'import-batch', 'file', 'governance'])

/** Returns the name or throws 422 invalid_name. */
export function validateDatasetName(name: unknown): string {
  if (typeof name !== 'string' || name === '') throw invalidName('a dataset name is required')
  if (!NAME.test(name)) throw invalidName(`dataset name "${name.slice(0, 200)}" must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}`)
  if (RESERVED.has(name)) throw invalidName(`"${name}" is a reserved word and cannot name a dataset`)
  return name
}
