/**
 * Parsed GET explore/preview queries, so a dashboard polling the same URL does not re-parse
 * and re-validate it on every request. The key holds everything the parse depends on: the
 * dataset id and table version (which fix the dataset schema of a Delta-backed dataset), the
 * caller's masking view (masked columns have other types) and the route and raw query
 * string. Only successful parses are kept; the memo is dropped whole when full. Main thread.
 *
 * By raw query, then the rest of the key compared part by part: a lookup builds no key string.
 */
import type { OutputFormat, Plan, ReadAt } from '../../proto/plan.js'

export interface Parsed { plan: Plan; format: OutputFormat | null; readAt: ReadAt }

export interface MemoKey { datasetId: string; version: number; viewKey: string; route: string; rawQuery: string }

const MAX_ENTRIES = 4096
const MAX_PER_QUERY = 32
/** by raw query: the parses of it, each with the rest of its key (compared part by part, never concatenated) */
const memo = new Map<string, { key: MemoKey; parsed: Parsed }[]>()
let entries = 0

/** The memoized parse under `key`, else `parse()` (remembered when it does not throw). */
export function memoParse(key: MemoKey, parse: () => Parsed): Parsed {
  const same = memo.get(key.rawQuery)
  if (same) {
    for (const e of same) {
      const k = e.key
      if (k.datasetId === key.datasetId && k.version === key.version && k.viewKey === key.viewKey && k.route === key.route) return e.parsed
    }
  }
  const parsed = parse()
  if (entries >= MAX_ENTRIES) {
    memo.clear()
    entries = 0
  }
  let list = memo.get(key.rawQuery)
  if (!list) memo.set(key.rawQuery, list = [])
  if (list.length >= MAX_PER_QUERY) list.shift() // keep the scan short
  else entries++
  list.push({ key: { ...key }, parsed })
  return parsed
}
