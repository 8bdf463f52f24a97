/**
 * Which versions of a table can be reconstructed, and from what: the replay plans for a
 * version (checkpoint + commits, or commits from 0), the earliest available version, and the
 * version in effect at a time.
 *
 * I/O only to read commit timestamps; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import { readVersionTimestamps } from './commit-read.js'
import type { CheckpointSet, LogListing } from './log-files.js'

export const versionUnavailable = (msg: string, details: Record<string, unknown>) =>
  new SluiceError(422, 'version_unavailable', msg, details)

export interface ReplayOptions {
  /** false: ignore checkpoints, replay JSON commits only (tests, checkpoint verification) */
  useCheckpoints?: boolean
  /** checkpoint versions not to start from (checkpoint verification) */
  excludeCheckpoints?: number[]
}

export interface ReplayPlan {
  checkpoint: CheckpointSet | null
  commits: number[]
}

export function hasCommits(listing: LogListing, from: number, to: number): boolean {
  for (let v = from; v <= to; v++) if (!listing.commits.has(v)) return false
  return true
}

/** Every way to reconstruct `target`, best first: newest checkpoint ≤ target, ..., then JSON from 0. */
export function replayPlans(listing: LogListing, target: number, opts: ReplayOptions): ReplayPlan[] {
  const plans: ReplayPlan[] = []
  const range = (a: number, b: number) => Array.from({ length: Math.max(0, b - a + 1) }, (_, i) => a + i)
  if (opts.useCheckpoints !== false) {
    for (const c of listing.checkpoints) {
      if (opts.excludeCheckpoints?.includes(c.version)) continue
      if (c.version <= target && hasCommits(listing, c.version + 1, target)) {
        plans.push({ checkpoint: c, commits: range(c.version + 1, target) })
      }
    }
  }
  if (hasCommits(listing, 0, target)) plans.push({ checkpoint: null, commits: range(0, target) })
  return plans
}

/**
 * The earliest version from which every version up to `latest` can be reconstructed:
 * the start of the run of commits that ends at `latest`, or the oldest checkpoint that
 * bridges into that run. Throws when not even `latest` can be reconstructed.
 */
export function earliestAvailableVersion(listing: LogListing, latest: number): number {
  let runStart = latest + 1
  while (runStart - 1 >= 0 && listing.commits.has(runStart - 1)) runStart--
  if (runStart === 0) return 0
  let earliest = Infinity
  for (const c of listing.checkpoints) if (c.version >= runStart - 1 && c.version < earliest) earliest = c.version
  if (earliest === Infinity) {
    if (listing.uuidCheckpointVersions.length > 0) {
      throw new SluiceError(422, 'unsupported_table', 'the table needs Delta reader features Sluice does not implement: v2Checkpoint', {
        features: ['v2Checkpoint'],
      })
    }
    throw new SluiceError(422, 'unsupported_table', `the Delta log is incomplete: version ${latest} cannot be reconstructed (commit ${runStart - 1} is missing and no checkpoint covers it)`)
  }
  return earliest
}

/**
 * Resolves `as of timestampMs` to the latest version whose (monotonic) commit timestamp is
 * ≤ timestampMs. Throws `422 version_unavailable` when it is before the earliest available
 * version.
 */
export async function resolveVersionAt(listing: LogListing, earliest: number, latest: number, timestampMs: number): Promise<number> {
  const stamps = await readVersionTimestamps(listing, earliest, latest)
  let found = -1
  for (const s of stamps) {
    if (s.timestampMs <= timestampMs) found = s.version
    else break
  }
  if (found < 0) {
    const first = stamps[0]!
    throw versionUnavailable(
      `no version of the table exists at ${new Date(timestampMs).toISOString()}: the earliest available version is ${first.version}, committed at ${new Date(first.timestampMs).toISOString()}`,
      { earliestVersion: first.version, earliestTimestampMs: first.timestampMs, latestVersion: latest },
    )
  }
  return found
}
