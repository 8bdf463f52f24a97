/**
 * VACUUM: which data files can go, the VACUUM START / VACUUM END commits Spark writes around
 * the deletion, and the check that keeps time travel honest once files are gone.
 *
 * A file may be deleted only when no version inside the retention window can read it:
 * - lite: files tombstoned (`remove`) before the cutoff (now − retention) that are not active
 *   in the latest version nor in the version current at the cutoff, and whose tombstone is not
 *   newer than the cutoff;
 * - full: also untracked files in the table folder last modified before the cutoff (orphans
 *   of crashed writes, files tombstoned in checkpoints that dropped their tombstones). Never
 *   anything under `_delta_log`, never hidden files or folders (names starting with `_` or
 *   `.`), except partition folders whose partition column name starts with `_` (Spark's
 *   DeltaTableUtils.isHiddenDirectory).
 * Only regular files inside the table folder are ever deleted; symlinks are not followed.
 *
 * I/O; runs on any thread.
 */
import { randomUUID } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import type { MetadataAction, RemoveFile } from './actions.js'
import { parseIntervalMs } from './checkpoint-rows.js'
import { mapLimit, readCommitFile } from './commit-read.js'
import { listLog, LOG_DIR } from './log-files.js'
import { resolveDataPath } from './paths.js'
import { replayLog, versionUnavailable, type Snapshot } from './replay.js'
import { sparkStringValues, type DeltaActionJson } from './write-actions.js'

/** Spark's default `delta.deletedFileRetentionDuration`: interval 1 week. */
export const DEFAULT_RETENTION_MS = 7 * 24 * 3600 * 1000
export const RETENTION_PROPERTY = 'delta.deletedFileRetentionDuration'

/** The table's tombstone retention: its `delta.deletedFileRetentionDuration`, else 1 week. */
export function tableRetentionMs(metadata: MetadataAction): number {
  const raw = metadata.configuration[RETENTION_PROPERTY]
  return (raw === undefined ? null : parseIntervalMs(raw)) ?? DEFAULT_RETENTION_MS
}

export type VacuumMode = 'lite' | 'full'

export interface VacuumCandidate {
  absolutePath: string
  /** relative to the table root, `/`-separated */
  path: string
  size: number
}

export interface VacuumPlan {
  /** files to delete, sorted by path */
  files: VacuumCandidate[]
  bytes: number
  /** directories listed (full mode, the table root included) or holding a deleted file (lite) */
  directories: number
  /** empty folders older than the cutoff (full mode), deepest first */
  emptyDirectories: string[]
}

/** Spark's rule: hidden unless a partition folder (`<partition column>=...`). */
function isHidden(name: string, partitionColumns: string[]): boolean {
  return (name.startsWith('.') || name.startsWith('_')) && !partitionColumns.some((c) => name.startsWith(`${c}=`))
}

async function statFile(p: string): Promise<import('node:fs').Stats | null> {
  try {
    const st = await fsp.lstat(p)
    return st.isFile() ? st : null
  } catch {
    return null
  }
}

/** The absolute paths of files that versions inside the retention window may read. */
async function protectedFiles(snapshot: Snapshot, deleteBeforeMs: number): Promise<Set<string>> {
  const keep = new Set(snapshot.files.map((f) => f.absolutePath))
  for (const t of snapshot.tombstones) {
    if ((t.deletionTimestamp ?? 0) < deleteBeforeMs) continue
    try { keep.add(resolveDataPath(snapshot.tablePath, t.path)) } catch { /* outside the table: never deleted anyway */ }
  }
  // the version time travel reaches at the cutoff: its files stay readable
  try {
    const atCutoff = await replayLog(snapshot.tablePath, { timestampMs: deleteBeforeMs })
    for (const f of atCutoff.files) keep.add(f.absolutePath)
  } catch {
    // version_unavailable: no version is older than the cutoff, every version is inside the window
  }
  return keep
}

/**
 * The snapshot's tombstones plus every remove in the JSON commits its checkpoint covers:
 * checkpoints drop tombstones older than the retention, and those files are what VACUUM is for.
 */
async function tombstones(snapshot: Snapshot): Promise<RemoveFile[]> {
  const out = [...snapshot.tombstones]
  if (snapshot.checkpointVersion === null) return out
  const listing = await listLog(snapshot.tablePath)
  const covered = [...listing.commits.entries()].filter(([v]) => v <= snapshot.checkpointVersion!)
  const commits = await mapLimit(covered, 16, ([v, file]) => readCommitFile(file, v).catch(() => []))
  for (const actions of commits) for (const a of actions) if (a.kind === 'remove') out.push(a.remove)
  return out
}

/**
 * Lists what VACUUM would delete from the table of `snapshot` (the latest version): see the
 * file comment for the rules. Returns the plan; deletes nothing.
 */
export async function planVacuum(snapshot: Snapshot, opts: { mode: VacuumMode; deleteBeforeMs: number }): Promise<VacuumPlan> {
  const root = snapshot.tablePath
  const keep = await protectedFiles(snapshot, opts.deleteBeforeMs)
  const found = new Map<string, VacuumCandidate>()
  const rel = (abs: string) => path.relative(root, abs).split(path.sep).join('/')

  const expired = new Set<string>()
  for (const t of await tombstones(snapshot)) {
    if ((t.deletionTimestamp ?? 0) >= opts.deleteBeforeMs) continue
    let abs: string
    try { abs = resolveDataPath(root, t.path) } catch { continue }
    if (!keep.has(abs)) expired.add(abs)
  }
  const expiredList = [...expired]
  const stats = await mapLimit(expiredList, 32, statFile)
  expiredList.forEach((abs, i) => {
    const st = stats[i]
    if (st) found.set(abs, { absolutePath: abs, path: rel(abs), size: st.size })
  })

  const emptyDirectories: string[] = []
  let directories = 0
  if (opts.mode === 'full') {
    const walk = async (dir: string, isRoot: boolean): Promise<boolean> => {
      directories++
      let entries: import('node:fs').Dirent[]
      try {
        entries = await fsp.readdir(dir, { withFileTypes: true })
      } catch {
        return false
      }
      let kept = 0
      for (const e of entries) {
        const abs = path.join(dir, e.name)
        if ((isRoot && e.name === LOG_DIR) || isHidden(e.name, snapshot.partitionColumns)) { kept++; continue }
        if (e.isDirectory()) {
          if (!(await walk(abs, false))) kept++
        } else if (e.isFile()) {
          if (found.has(abs)) continue // an expired tombstone: deleted
          if (keep.has(abs)) { kept++; continue }
          const st = await statFile(abs)
          if (st && st.mtimeMs < opts.deleteBeforeMs) found.set(abs, { absolutePath: abs, path: rel(abs), size: st.size })
          else kept++
        } else kept++ // symlinks, sockets, ...: left alone
      }
      if (isRoot || kept > 0) return false
      // every entry goes: the folder will be empty; remove it too when it is old enough
      const st = await fsp.lstat(dir).catch(() => null)
      if (!st || st.mtimeMs >= opts.deleteBeforeMs) return false
      emptyDirectories.push(dir)
      return true
    }
    await walk(root, true)
  } else {
    directories = new Set([...found.values()].map((f) => path.dirname(f.absolutePath))).size
  }
  const files = [...found.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files, bytes: files.reduce((n, f) => n + f.size, 0), directories, emptyDirectories }
}

export interface VacuumCommitOptions {
  engineInfo: string
  userName?: string
  runId?: string
  timestampMs?: number
}

function commitInfoOnly(operation: string, readVersion: number, parameters: Record<string, unknown>, metrics: Record<string, unknown>, o: VacuumCommitOptions): DeltaActionJson[] {
  return [{
    commitInfo: {
      timestamp: o.timestampMs ?? Date.now(),
      userName: o.userName,
      operation,
      operationParameters: sparkStringValues(parameters),
      readVersion,
      isolationLevel: 'SnapshotIsolation',
      isBlindAppend: true,
      operationMetrics: sparkStringValues(metrics),
      engineInfo: o.engineInfo,
      txnId: randomUUID(),
      runId: o.runId,
    },
  }]
}

/** The VACUUM START commit (commitInfo only), as Spark records it. */
export function vacuumStartActions(readVersion: number, p: {
  retentionCheckEnabled: boolean; specifiedRetentionMs: number | null; defaultRetentionMs: number; mode: VacuumMode
  numFilesToDelete: number; sizeOfDataToDelete: number
}, o: VacuumCommitOptions): DeltaActionJson[] {
  return commitInfoOnly('VACUUM START', readVersion, {
    retentionCheckEnabled: p.retentionCheckEnabled,
    ...(p.specifiedRetentionMs !== null ? { specifiedRetentionMillis: p.specifiedRetentionMs } : {}),
    defaultRetentionMillis: p.defaultRetentionMs,
    vacuumType: p.mode.toUpperCase(),
  }, { numFilesToDelete: p.numFilesToDelete, sizeOfDataToDelete: p.sizeOfDataToDelete }, o)
}

/** The VACUUM END commit; `status` is COMPLETED, or FAILED when the deletion stopped early. */
export function vacuumEndActions(readVersion: number, p: {
  status: 'COMPLETED' | 'FAILED'; numDeletedFiles: number; numVacuumedDirectories: number
}, o: VacuumCommitOptions): DeltaActionJson[] {
  return commitInfoOnly('VACUUM END', readVersion, { status: p.status }, {
    numDeletedFiles: p.numDeletedFiles, numVacuumedDirectories: p.numVacuumedDirectories,
  }, o)
}

/**
 * Time travel after VACUUM: throws `422 version_unavailable` when a data file of `snapshot`
 * (an older version) no longer exists, instead of letting the scan fail on it. Only files that
 * are not active in the latest version are checked, so reading the latest version, or a
 * version whose files are all still active, costs no file system calls. Call before scanning a
 * historical version (src/connectors/lakehouse.ts).
 */
export async function assertVersionFilesPresent(snapshot: Snapshot): Promise<void> {
  if (snapshot.version >= snapshot.latestVersion) return
  const latest = await replayLog(snapshot.tablePath)
  const live = new Set(latest.files.map((f) => f.absolutePath))
  const check = snapshot.files.filter((f) => !live.has(f.absolutePath))
  if (check.length === 0) return
  const present = await mapLimit(check, 32, async (f) => (await statFile(f.absolutePath)) !== null)
  const missing = present.filter((ok) => !ok).length
  if (missing === 0) return
  throw versionUnavailable(
    `version ${snapshot.version} is not available: ${missing} of its data files were removed by VACUUM`,
    { version: snapshot.version, latestVersion: latest.version, earliestVersion: snapshot.earliestVersion, missingFiles: missing },
  )
}
