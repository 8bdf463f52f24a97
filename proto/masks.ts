/**
 * What a worker task carries to mask a caller's view (src/governance/masking-view.ts): the
 * rules that apply to the caller and the org's hash salt. Workers apply them with
 * workers/kernels/mask-batch.ts right after reading, before filters, grouping, ordering,
 * aggregates, sketches or stats see a value. Absent or empty: nothing is masked.
 */
import type { MaskRule } from './masking.js'

/** Column names the masks cover (never prune files or use stats on these: they hold raw values). */
export const maskedColumns = (m: TaskMasks | null | undefined): string[] => m ? m.rules.map((r) => r.column) : []

export interface TaskMasks {
  rules: MaskRule[]
  /** the org's salt for `hash` (secret: never logged) */
  salt: string
}
