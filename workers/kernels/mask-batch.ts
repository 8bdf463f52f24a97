/**
 * Applies a caller's masks (proto/masks.ts) to a batch: each column with a rule is replaced
 * by its masked column (maskColumn, proto/masking.ts semantics); other columns pass through.
 * Call it on batches straight from the reader, before any other kernel. Pure; any thread.
 */
import type { Batch } from '../../proto/batch.js'
import type { Field } from '../../proto/types.js'
import type { TaskMasks } from '../../proto/masks.js'
import { maskedField, STRATEGIES, type MaskRule } from '../../proto/masking.js'
import { SluiceError } from '../../proto/errors.js'
import { maskColumn } from './mask.js'

/** Rules by column name; null when nothing is masked (the fast path skips the batch walk). */
export function maskRuleMap(masks: TaskMasks | undefined | null): Map<string, MaskRule> | null {
  if (!masks || masks.rules.length === 0) return null
  return new Map(masks.rules.map((r) => [r.column, r]))
}

export function maskBatch(batch: Batch, rules: Map<string, MaskRule> | null, salt: string): Batch {
  if (!rules) return batch
  let changed = false
  const columns = batch.columns.map((c) => {
    const rule = rules.get(c.name)
    if (!rule) return c
    changed = true
    if (!STRATEGIES[rule.strategy].applies(c.type)) {
      // An older version (time travel) or an evolved external table can hold the column with a
      // type the rule was not written for: refuse rather than guess (never show raw values).
      throw new SluiceError(422, 'invalid_settings', `the masking rule on "${c.name}" (${rule.strategy}) does not apply to its type ${c.type} in the data read; ask an admin to change the rule`)
    }
    return maskColumn(c, rule, { salt })
  })
  return changed ? { length: batch.length, columns } : batch
}

/** `fields` as the masked batches have them (the types kernels after the mask step see). */
export function maskedFieldsOf(fields: readonly Field[], rules: Map<string, MaskRule> | null): Field[] {
  if (!rules) return [...fields]
  return fields.map((f) => { const r = rules.get(f.name); return r ? maskedField(f, r) : f })
}
