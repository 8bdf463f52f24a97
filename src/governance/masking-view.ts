/**
 * The caller's masking view of a dataset: which masking rules apply to this caller (those
 * of columns whose `unmask_roles` the caller holds no role of), and the schema the caller
 * sees (masked columns replaced by their masked type, `maskedField`).
 *
 * Every read path (explore, preview, profile, column stats, their caches, maintenance
 * responses) starts from this view: plans are parsed against `view.fields`, sources mask
 * the columns of `view.rules` before anything else sees them, and caches key on `view.key`.
 * Admin is not an unmask role: only the rule's `unmask_roles` reveal raw values.
 *
 * Pure; main thread.
 */
import type { Principal } from '../../proto/principal.js'
import type { ColumnMeta, Field } from '../../proto/types.js'
import type { Plan } from '../../proto/plan.js'
import { typeName } from '../../proto/types.js'
import { maskedField, type MaskRule } from '../../proto/masking.js'
import type { Dataset } from '../catalog/index.js'

export interface MaskingView {
  /** the rules this caller is subject to, by column name (empty: the caller sees raw values) */
  rules: ReadonlyMap<string, MaskRule>
  /** the dataset schema as this caller sees it (masked columns with their masked type) */
  fields: Field[]
  /** names this view in cache keys: '' when nothing is masked, else a digest-free canonical text of the rules */
  key: string
}

/** True when the caller holds one of the rule's unmask roles. */
export function mayUnmask(rule: { unmask_roles?: string[] }, caller: Principal): boolean {
  return (rule.unmask_roles ?? []).some((r) => caller.roles.includes(r))
}

/** The rules of `d` that apply to `caller`, by column. */
export function maskRulesFor(d: Dataset, caller: Principal): Map<string, MaskRule> {
  const out = new Map<string, MaskRule>()
  for (const rule of d.settings.masking ?? []) if (!mayUnmask(rule, caller)) out.set(rule.column, rule)
  return out
}

/** `schema` with each column of `rules` replaced by its masked field. */
export function maskFields(schema: readonly Field[], rules: ReadonlyMap<string, MaskRule>): Field[] {
  return schema.map((f) => { const r = rules.get(f.name); return r ? maskedField(f, r) : f })
}

/** The caller's view of `d` (against `schema`, default the dataset's current schema). */
export function maskingViewOf(d: Dataset, caller: Principal, schema: readonly Field[] = d.schema): MaskingView {
  const rules = maskRulesFor(d, caller)
  const key = rules.size === 0 ? '' : JSON.stringify([...rules.values()]
    .map((r) => [r.column, r.strategy, r.params])
    .sort((a, b) => (a[0] as string) < (b[0] as string) ? -1 : 1))
  return { rules, fields: maskFields(schema, rules), key }
}

// Views of shared catalog objects (DatasetStore.peek), by caller: a new catalog object after
// any write, and a principal per verified token, so an entry can never outlive what it read.
const sharedViews = new WeakMap<Readonly<Dataset>, { caller: Principal; view: MaskingView }[]>()
const SHARED_VIEWS_PER_DATASET = 16

/**
 * maskingViewOf for a dataset object the catalog shares (never changed in place), remembered
 * per caller: the cached explore answer builds no rule map or masked schema per request.
 * The view returned is shared too: read it, never change it.
 */
export function sharedMaskingViewOf(d: Readonly<Dataset>, caller: Principal): MaskingView {
  let list = sharedViews.get(d)
  if (list === undefined) sharedViews.set(d, list = [])
  for (const e of list) if (e.caller === caller) return e.view
  const view = maskingViewOf(d, caller)
  if (list.length >= SHARED_VIEWS_PER_DATASET) list.shift()
  list.push({ caller, view })
  return view
}

/** The rules of a view as the array a worker task carries. */
export const rulesOf = (view: MaskingView): MaskRule[] => [...view.rules.values()]

/** True when a select item reads a masked column (its output derives from masked values). */
function readsMasked(item: Plan['select'][number], rules: ReadonlyMap<string, MaskRule>): boolean {
  const col = item.expr.column
  return col !== null && rules.has(col)
}

/** Output column metadata of a plan, `masked: true` on items that read a masked column. */
export function outputColumns(plan: Plan, view: MaskingView): ColumnMeta[] {
  return plan.select.map((s) => ({
    name: s.name, type: typeName(s), logical: s.type, masked: readsMasked(s, view.rules), precision: s.precision, scale: s.scale,
  }))
}
