/**
 * Table history (DESCRIBE HISTORY): one entry per commit that still exists and can be time
 * travelled to, newest first, from each commit's commitInfo. Versions whose commits were
 * cleaned up (before the earliest checkpoint) are not listed.
 *
 * I/O; runs on any thread.
 */
import { invalidParameter } from '../../proto/errors.js'
import type { CommitInfo } from './actions.js'
import { readVersionTimestamps } from './commit-read.js'
import { latestListedVersion, listLog } from './log-files.js'
import { earliestAvailableVersion } from './replay-plan.js'

export interface HistoryEntry {
  version: number
  /** effective commit time (monotonic; what `as_of` resolves against), ms since epoch */
  timestampMs: number
  operation: string | null
  operationParameters: Record<string, unknown>
  operationMetrics: Record<string, unknown>
  userName?: string
  userId?: string
  engineInfo?: string
  /** the Sluice job (or Spark job run) that made the commit */
  runId?: string
  readVersion?: number
  isBlindAppend?: boolean
  isolationLevel?: string
}

export interface HistoryPage {
  /** commits listed in total (for paging) */
  total: number
  entries: HistoryEntry[]
}

export interface HistoryOptions {
  /** default 100 */
  limit?: number
  offset?: number
}

const obj = (v: unknown): Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {}
const optStr = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined)

function toEntry(version: number, timestampMs: number, ci: CommitInfo | null): HistoryEntry {
  const c = ci ?? {}
  const e: HistoryEntry = {
    version,
    timestampMs,
    operation: optStr(c.operation) ?? null,
    operationParameters: obj(c.operationParameters),
    operationMetrics: obj(c.operationMetrics),
  }
  const set = <K extends keyof HistoryEntry>(k: K, v: HistoryEntry[K] | undefined) => {
    if (v !== undefined) e[k] = v
  }
  set('userName', optStr(c.userName))
  set('userId', optStr(c.userId))
  set('engineInfo', optStr(c.engineInfo) ?? optStr(c.clientVersion))
  set('runId', optStr(c.runId) ?? optStr(obj(c.job).runId))
  set('readVersion', typeof c.readVersion === 'number' ? c.readVersion : undefined)
  set('isBlindAppend', typeof c.isBlindAppend === 'boolean' ? c.isBlindAppend : undefined)
  set('isolationLevel', optStr(c.isolationLevel))
  return e
}

/**
 * One page of the history of the table at `tablePath`, newest first.
 * Throws `422 not_a_delta_table` when there is no Delta log, `422 invalid_parameter` for a
 * bad limit/offset.
 */
export async function readHistory(tablePath: string, opts: HistoryOptions = {}): Promise<HistoryPage> {
  const limit = opts.limit ?? 100
  const offset = opts.offset ?? 0
  if (!Number.isSafeInteger(limit) || limit < 0) throw invalidParameter('limit', 'must be a non-negative integer')
  if (!Number.isSafeInteger(offset) || offset < 0) throw invalidParameter('offset', 'must be a non-negative integer')
  const listing = await listLog(tablePath)
  const latest = latestListedVersion(listing)
  const earliest = earliestAvailableVersion(listing, latest)
  const listed: number[] = []
  for (let v = latest; v >= earliest; v--) if (listing.commits.has(v)) listed.push(v)
  const page = listed.slice(offset, offset + limit)
  if (page.length === 0) return { total: listed.length, entries: [] }
  // timestamps are made monotonic from the earliest version on, so read them all up to the page
  const stamps = await readVersionTimestamps(listing, earliest, page[0]!)
  const byVersion = new Map(stamps.map((s) => [s.version, s]))
  const entries = page.map((v) => {
    const s = byVersion.get(v)!
    return toEntry(v, s.timestampMs, s.commitInfo)
  })
  return { total: listed.length, entries }
}
