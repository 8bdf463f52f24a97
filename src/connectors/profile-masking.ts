/**
 * Masking in profiles and column stats: the caller's masking view
 * (src/governance/masking-view.ts) turned into what each engine needs, so both compute over
 * MASKED values only:
 *
 * - `profileViewKey`: the view as a cache-key part ('' when nothing is masked), so callers
 *   with different views never share an answer. Rules only: the salt is never in a key.
 * - `maskProfileFields`: the fields as the caller sees them (masked types, e.g. hash → string).
 * - `taskMasksOf`: the worker task's masks (rules + the org's salt), applied right after the
 *   Parquet read, before any state sees a value.
 * - `maskProfileExpressions`: PostgreSQL value expressions wrapped in the masking SQL; the salt
 *   travels as the bound parameter `saltParam`, never as SQL text.
 *
 * Pure; main thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { TaskMasks } from '../../proto/masks.js'
import type { Field } from '../../proto/types.js'
import { maskFields, rulesOf, type MaskingView } from '../governance/masking-view.js'
import { maskSql, maskSqlSupported } from '../query/masking-sql.js'

export type { MaskingView }
export { maskingViewOf } from '../governance/masking-view.js'

/** The view as a cache-key part: '' when the caller sees raw values. */
export function profileViewKey(view: MaskingView): string {
  return view.key
}

/** `fields` (raw) as the caller sees them: masked columns with their masked type. */
export function maskProfileFields(view: MaskingView, fields: readonly Field[]): Field[] {
  return maskFields(fields, view.rules)
}

/** The names among `names` that the caller sees masked. */
export function maskedNames(view: MaskingView, names: readonly string[]): string[] {
  return names.filter((n) => view.rules.has(n))
}

/** What a worker task carries to mask (undefined when nothing is masked: the fast path). */
export function taskMasksOf(view: MaskingView, salt: string): TaskMasks | undefined {
  return view.rules.size === 0 ? undefined : { rules: rulesOf(view), salt }
}

/**
 * The value expression of raw `field` as the caller sees it. `saltParam` is the placeholder
 * bound to the salt (e.g. '$1'); `usesSalt` says whether the statement must bind it.
 * Throws 422 invalid_settings for a rule PostgreSQL cannot run byte-identically (hash on
 * floats; settings validation refuses it for connector datasets, this is the backstop).
 */
export function maskedExpression(view: MaskingView, field: Field, expr: string, saltParam: string): { expr: string; usesSalt: boolean } {
  const rule = view.rules.get(field.name)
  if (!rule) return { expr, usesSalt: false }
  if (!maskSqlSupported(rule, field)) {
    throw new SluiceError(422, 'invalid_settings', `masking strategy "${rule.strategy}" cannot run in PostgreSQL on ${field.type} column "${field.name}"; change the dataset's masking rule (round, redact or null)`)
  }
  return { expr: maskSql(rule, expr, field, saltParam), usesSalt: rule.strategy === 'hash' }
}

/**
 * Column → masked SQL value expression for the raw `fields` (the rest of `expressions`
 * unchanged), and whether any of them reads the salt parameter.
 */
export function maskProfileExpressions(view: MaskingView, fields: readonly Field[], expressions: ReadonlyMap<string, string>, saltParam: string): { expressions: Map<string, string>; usesSalt: boolean } {
  const out = new Map(expressions)
  let usesSalt = false
  for (const f of fields) {
    const e = expressions.get(f.name)
    if (e === undefined) continue
    const m = maskedExpression(view, f, e, saltParam)
    out.set(f.name, m.expr)
    usesSalt ||= m.usesSalt
  }
  return { expressions: out, usesSalt }
}
