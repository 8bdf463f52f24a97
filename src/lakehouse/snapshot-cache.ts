/**
 * A process-wide cache of replayed table states, so that each query does not re-read the
 * checkpoint and every commit since. Safe because a committed version never changes
 * (put-if-absent): an entry for (table, version) stays valid as long as the file that made
 * that version is the same file (device, inode, size, times), which catches a table folder
 * that was deleted and recreated at the same path. Newer versions are reached by applying
 * only the commits after a cached one.
 *
 * Bounded by entries and by the number of files held. Entries are never mutated: replay clones
 * a state before advancing it.
 *
 * I/O (stat); per thread.
 */
import { promises as fsp } from 'node:fs'
import type { CommitInfo } from './actions.js'
import type { LogListing } from './log-files.js'
import type { ReplayState } from './replay-state.js'

export interface CachedState {
  root: string
  version: number
  signature: string
  state: ReplayState
  /** commitInfo of `version`, when its commit file exists */
  commitInfo: CommitInfo | null
  /** the checkpoint the state was first built from */
  checkpointVersion: number | null
}

const MAX_ENTRIES = 64
const MAX_FILES = 500_000

const entries = new Map<string, CachedState>() // insertion order is recency
let filesHeld = 0

const keyOf = (root: string, version: number) => `${root}\u0000${version}`
const sizeOf = (e: CachedState) => e.state.files.size + e.state.tombstones.size

/** The identity of the file that defines `version` (its commit, else its checkpoint), or null. */
export async function versionSignature(listing: LogListing, version: number): Promise<string | null> {
  const file = listing.commits.get(version) ?? listing.checkpoints.find((c) => c.version === version)?.files[0]
  if (!file) return null
  try {
    const st = await fsp.stat(file, { bigint: true })
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`
  } catch {
    return null
  }
}

/**
 * The newest cached state of the table at `root` with a version ≤ `target` that `canReach`
 * accepts and whose defining file is unchanged.
 */
export async function findCachedState(
  root: string,
  target: number,
  listing: LogListing,
  canReach: (version: number) => boolean,
): Promise<CachedState | null> {
  const candidates = [...entries.values()]
    .filter((e) => e.root === root && e.version <= target && canReach(e.version))
    .sort((a, b) => b.version - a.version)
  for (const e of candidates) {
    if ((await versionSignature(listing, e.version)) === e.signature) {
      entries.delete(keyOf(e.root, e.version)) // refresh recency
      entries.set(keyOf(e.root, e.version), e)
      return e
    }
    dropCachedState(e)
  }
  return null
}

function dropCachedState(e: CachedState): void {
  if (entries.delete(keyOf(e.root, e.version))) filesHeld -= sizeOf(e)
}

/** Remembers a replayed state; evicts the least recently used entries past the bounds. */
export function putCachedState(e: CachedState): void {
  const size = sizeOf(e)
  if (size > MAX_FILES) return
  const old = entries.get(keyOf(e.root, e.version))
  if (old) dropCachedState(old)
  entries.set(keyOf(e.root, e.version), e)
  filesHeld += size
  for (const victim of entries.values()) {
    if (entries.size <= MAX_ENTRIES && filesHeld <= MAX_FILES) break
    if (victim === e) continue
    dropCachedState(victim)
  }
}

/** Forgets every cached state (tests; after deleting a table). */
export function clearSnapshotCache(): void {
  entries.clear()
  filesHeld = 0
}
