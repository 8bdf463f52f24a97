/**
 * Reading JSON commit files, and commit timestamps for time travel and history.
 *
 * A version's timestamp is `commitInfo.inCommitTimestamp`, else `commitInfo.timestamp`, else
 * the commit file's mtime (for a version known only from a checkpoint: the checkpoint's
 * mtime). The sequence is then made monotonic, as Spark does for file times: each version's
 * timestamp is at least the previous one's + 1 ms. (Copies of tables lose their mtimes, and
 * mtimes are the copy time; commitInfo survives a copy.)
 *
 * I/O; runs on any thread.
 */
import { promises as fsp } from 'node:fs'
import { parseCommitText, type Action, type CommitInfo } from './actions.js'
import type { LogListing } from './log-files.js'

/** Reads and parses the commit file of `version`. */
export async function readCommitFile(file: string, version: number): Promise<Action[]> {
  return parseCommitText(await fsp.readFile(file, 'utf8'), version)
}

/**
 * The commitInfo of a commit file, or null when it has none. Parses only the commitInfo line,
 * so a commit with many adds stays cheap.
 */
export async function readCommitInfo(file: string): Promise<CommitInfo | null> {
  const text = await fsp.readFile(file, 'utf8')
  for (const line of text.split('\n')) {
    if (!line.includes('"commitInfo"')) continue
    const trimmed = line.trim()
    if (!/^\{\s*"commitInfo"\s*:/.test(trimmed)) continue
    try {
      const o = JSON.parse(trimmed) as { commitInfo?: unknown }
      if (typeof o.commitInfo === 'object' && o.commitInfo !== null) return o.commitInfo as CommitInfo
    } catch {
      return null
    }
  }
  return null
}

/** The timestamp a commit records for itself: inCommitTimestamp, else timestamp. */
export function commitInfoTimestamp(ci: CommitInfo | null | undefined): number | null {
  if (!ci) return null
  for (const v of [ci.inCommitTimestamp, ci.timestamp]) {
    if (typeof v === 'number' && Number.isFinite(v)) return v
    if (typeof v === 'string' && /^\d+$/.test(v)) return Number(v)
  }
  return null
}

// commitInfo per commit file, valid while the file is the same file (commits never change;
// a table recreated at the same path has new files). Bounded; oldest entries go first.
const MAX_COMMIT_INFOS = 20_000
const commitInfoCache = new Map<string, { sig: string; ci: CommitInfo | null }>()

async function cachedCommitInfo(file: string, st: import('node:fs').Stats): Promise<CommitInfo | null> {
  const sig = `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`
  const hit = commitInfoCache.get(file)
  if (hit && hit.sig === sig) return hit.ci
  const ci = await readCommitInfo(file).catch(() => null)
  commitInfoCache.delete(file)
  commitInfoCache.set(file, { sig, ci })
  if (commitInfoCache.size > MAX_COMMIT_INFOS) commitInfoCache.delete(commitInfoCache.keys().next().value!)
  return ci
}

export interface VersionTimestamp {
  version: number
  /** the effective, monotonic timestamp used for time travel and history (ms since epoch) */
  timestampMs: number
  /** what the version itself records (or its file's mtime), before making it monotonic */
  rawTimestampMs: number
  source: 'commitInfo' | 'mtime'
  /** the commit's commitInfo, when the commit file exists and has one */
  commitInfo: CommitInfo | null
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order. */
export async function mapLimit<T, R>(items: T[], limit: number, fn: (x: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    while (next < items.length) {
      const i = next++
      out[i] = await fn(items[i]!)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return out
}

/**
 * Timestamps of versions `from..to` (inclusive), made monotonic from `from` on. Every version
 * in the range must have a commit file or a checkpoint.
 */
export async function readVersionTimestamps(listing: LogListing, from: number, to: number): Promise<VersionTimestamp[]> {
  const versions: number[] = []
  for (let v = from; v <= to; v++) versions.push(v)
  const raw = await mapLimit(versions, 16, async (version) => {
    const file = listing.commits.get(version) ?? listing.checkpoints.find((c) => c.version === version)?.files[0]
    if (!file) return { version, rawTimestampMs: 0, source: 'mtime' as const, commitInfo: null }
    const st = await fsp.stat(file)
    const isCommit = listing.commits.has(version)
    const commitInfo = isCommit ? await cachedCommitInfo(file, st) : null
    const ts = commitInfoTimestamp(commitInfo)
    if (ts !== null) return { version, rawTimestampMs: ts, source: 'commitInfo' as const, commitInfo }
    return { version, rawTimestampMs: Math.floor(st.mtimeMs), source: 'mtime' as const, commitInfo }
  })
  const out: VersionTimestamp[] = []
  let prev = -Infinity
  for (const r of raw) {
    const timestampMs = Math.max(r.rawTimestampMs, prev + 1)
    out.push({ ...r, timestampMs })
    prev = timestampMs
  }
  return out
}
