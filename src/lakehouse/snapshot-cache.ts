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
 * I/O (stat); per thread. Also remembers each table's latest version for a short while
 * (below), forgotten on every commit.
 */
import fs, { promises as fsp } from 'node:fs'
import path from 'node:path'
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
  for (const root of [...latest.keys()]) forgetLatest(root)
}

/*
 * The latest version of a table, remembered for a short while so that small cached reads
 * do not list `_delta_log` and stat a commit file on every request (at 100k req/s that
 * syscall pair is most of the cost). An entry is trusted while it is younger than the
 * freshness window AND no change was seen in the log folder: commits made through Sluice
 * forget it at once (commit.ts calls noteTableCommitted), and an fs.watch on `_delta_log`
 * forgets it as soon as another tool writes there. The window is the backstop for
 * filesystems where inotify does not report changes (network mounts).
 */
interface LatestEntry { version: number; atMs: number; watcher: fs.FSWatcher | null }

const MAX_WATCHED = 256
const latest = new Map<string, LatestEntry>() // insertion order is recency
const generations = new Map<string, number>()
const commitListeners = new Set<(root: string) => void>()
let freshnessMs = 1000

/** SNAPSHOT_FRESHNESS_MS: how long a remembered latest version is trusted without a look at the log. */
export function configureLatestVersionMemo(opts: { freshnessMs: number }): void {
  freshnessMs = opts.freshnessMs
}

function forgetLatest(root: string): void {
  const e = latest.get(root)
  if (!e) return
  latest.delete(root)
  e.watcher?.close()
}

/** A counter that moves whenever the table's log may have changed; take it before loading a snapshot. */
export function tableGeneration(tablePath: string): number {
  return generations.get(path.resolve(tablePath)) ?? 0
}

function bump(root: string): void {
  generations.set(root, (generations.get(root) ?? 0) + 1)
  forgetLatest(root)
}

/** The remembered latest version of the table, or null when it must be looked up again. */
// path.resolve per small request showed in profiles; table paths are few, so remember them.
const resolvedPaths = new Map<string, string>()
function resolvedPath(p: string): string {
  let r = resolvedPaths.get(p)
  if (r === undefined) {
    if (resolvedPaths.size >= 10_000) resolvedPaths.clear()
    r = path.resolve(p)
    resolvedPaths.set(p, r)
  }
  return r
}

export function latestVersionHint(tablePath: string, nowMs = Date.now()): number | null {
  const e = latest.get(resolvedPath(tablePath))
  if (!e || nowMs - e.atMs > freshnessMs) return null
  return e.version
}

/**
 * Remembers `version` as the table's latest, unless the log changed since `generation`
 * (tableGeneration taken before the snapshot was loaded).
 */
export function rememberLatestVersion(tablePath: string, version: number, generation: number, nowMs = Date.now()): void {
  const root = path.resolve(tablePath)
  if (freshnessMs <= 0 || (generations.get(root) ?? 0) !== generation) return
  const old = latest.get(root)
  let watcher = old?.watcher ?? null
  if (old) latest.delete(root)
  else {
    try {
      watcher = fs.watch(path.join(root, '_delta_log'), { persistent: false }, () => bump(root))
      watcher.on('error', () => bump(root))
    } catch {
      watcher = null // no inotify here: the freshness window alone bounds staleness
    }
  }
  latest.set(root, { version, atMs: nowMs, watcher })
  for (const victim of latest.keys()) {
    if (latest.size <= MAX_WATCHED) break
    forgetLatest(victim)
  }
}

/** Subscribes to commits made through this process (result caches drop the table's entries). */
export function onTableCommitted(listener: (root: string) => void): () => void {
  commitListeners.add(listener)
  return () => commitListeners.delete(listener)
}

/** Called by commit.ts after a version was committed (and by VACUUM, which deletes files). */
export function noteTableCommitted(tablePath: string): void {
  const root = path.resolve(tablePath)
  bump(root)
  for (const l of commitListeners) l(root)
}
