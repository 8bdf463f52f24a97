/**
 * The wire form of a dataset's classification (GET/PATCH/refresh answer) and the parsing of
 * a PATCH body. Pure; main thread. Nothing here ever sees a value of the dataset.
 */
import { invalidParameter, badRequest } from '../../proto/errors.js'
import {
  SEMANTIC_TYPES, SENSITIVITIES, SENSITIVITY_OF,
  type ColumnClassification, type ColumnClassificationView, type SemanticType, type Sensitivity,
} from '../../proto/classification.js'
import type { Dataset } from '../catalog/index.js'

/** Columns with a masking rule in the dataset's settings. */
export function maskedColumns(d: Dataset): Set<string> {
  return new Set((d.settings.masking ?? []).map((r) => r.column))
}

/** One entry per schema column, in schema order; columns never classified have nulls. */
export function classificationView(d: Dataset, stored: readonly ColumnClassification[]): { columns: ColumnClassificationView[] } {
  const byName = new Map(stored.map((c) => [c.name, c]))
  const masked = maskedColumns(d)
  return {
    columns: d.schema.map((f) => {
      const c = byName.get(f.name)
      return {
        name: f.name,
        semantic_type: c?.semantic_type ?? null,
        sensitivity: c?.sensitivity ?? null,
        confidence: c?.confidence ?? null,
        source: c?.source ?? null,
        masked: masked.has(f.name),
      }
    }),
  }
}

export interface Override { name: string; semanticType: SemanticType; sensitivity: Sensitivity }

const ITEM_KEYS = ['name', 'semantic_type', 'sensitivity']

/**
 * `{"columns": [{"name", "semantic_type", "sensitivity"?}]}` → overrides. The sensitivity
 * defaults to SENSITIVITY_OF[semantic_type]; an explicit one is kept as given (e.g. free text
 * known to hold secrets). Everything is checked before anything is stored: unknown columns,
 * types, sensitivities and keys are `422 invalid_parameter` naming the field.
 */
export function parseOverrides(body: unknown, d: Dataset): Override[] {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw badRequest('body must be a JSON object {"columns": [...]}')
  for (const k of Object.keys(body)) if (k !== 'columns') throw invalidParameter(k, 'unknown field; expected "columns"')
  const items = (body as { columns?: unknown }).columns
  if (!Array.isArray(items) || items.length === 0) throw invalidParameter('columns', 'must be a non-empty array of {"name", "semantic_type", "sensitivity"?}')
  const schema = new Set(d.schema.map((f) => f.name))
  const seen = new Set<string>()
  return items.map((item: unknown, i): Override => {
    const at = `columns[${i}]`
    if (typeof item !== 'object' || item === null || Array.isArray(item)) throw invalidParameter(at, 'must be an object {"name", "semantic_type", "sensitivity"?}')
    const o = item as Record<string, unknown>
    for (const k of Object.keys(o)) if (!ITEM_KEYS.includes(k)) throw invalidParameter(`${at}.${k}`, `unknown field; expected ${ITEM_KEYS.join(', ')}`)
    if (typeof o.name !== 'string' || !schema.has(o.name)) throw invalidParameter(`${at}.name`, `the dataset has no column ${JSON.stringify(o.name)}`)
    if (seen.has(o.name)) throw invalidParameter(`${at}.name`, `column "${o.name}" is given twice`)
    seen.add(o.name)
    if (!SEMANTIC_TYPES.includes(o.semantic_type as SemanticType)) throw invalidParameter(`${at}.semantic_type`, `must be one of ${SEMANTIC_TYPES.join(', ')}`)
    const semanticType = o.semantic_type as SemanticType
    if (o.sensitivity !== undefined && !SENSITIVITIES.includes(o.sensitivity as Sensitivity)) throw invalidParameter(`${at}.sensitivity`, `must be one of ${SENSITIVITIES.join(', ')}`)
    return { name: o.name, semanticType, sensitivity: (o.sensitivity as Sensitivity | undefined) ?? SENSITIVITY_OF[semanticType] }
  })
}
