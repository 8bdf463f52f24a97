/**
 * Parsed GET explore/preview queries, so a dashboard polling the same URL does not re-parse
 * and re-validate it on every request. The key holds everything the parse depends on: the
 * dataset id and table version (which fix the dataset schema of a Delta-backed dataset), the
 * caller's masking view (masked columns have other types) and the route and raw query
 * string. Only successful parses are kept; the memo is dropped whole when full. Main thread.
 */
import type { OutputFormat, Plan, ReadAt } from '../../proto/plan.js'

export interface Parsed { plan: Plan; format: OutputFormat | null; readAt: ReadAt }

const MAX_ENTRIES = 4096
const memo = new Map<string, Parsed>()

export function parseMemoKey(parts: { datasetId: string; version: number; viewKey: string; route: string; rawQuery: string }): string {
  return `${parts.datasetId}\u0000${parts.version}\u0000${parts.viewKey}\u0000${parts.route}\u0000${parts.rawQuery}`
}

/** The memoized parse of `key`, else `parse()` (remembered when it does not throw). */
export function memoParse(key: string, parse: () => Parsed): Parsed {
  const hit = memo.get(key)
  if (hit) return hit
  const parsed = parse()
  if (memo.size >= MAX_ENTRIES) memo.clear()
  memo.set(key, parsed)
  return parsed
}
