import type { OutputFormat, Plan, ReadAt } from '../../proto/plan.js'

/** What an explore request asks for: the validated plan, the output format if given (else Accept decides), and time travel. */
export interface ParsedExplore {
  plan: Plan
  format: OutputFormat | null
  readAt: ReadAt
}
