/**
 * Listing `_delta_log/` (PROTOCOL.md "Delta Log Entries", "Checkpoints", "Last Checkpoint File").
 *
 * Recognized: commits `^\d{20}\.json$`, classic checkpoints `^\d{20}\.checkpoint\.parquet$`
 * and multi-part checkpoints `^\d{20}\.checkpoint\.\d{10}\.\d{10}\.parquet$` (complete sets
 * only: a reader must ignore a multi-part checkpoint with missing parts). Everything else is
 * ignored: `.tmp/` (our uncommitted temp files), `.crc` files, log compactions, staged
 * commits, UUID-named v2 checkpoints (only `v2Checkpoint` tables have them, and those are
 * rejected by the protocol gate; we remember that we saw them to explain a failure).
 * `_last_checkpoint` is a hint only: the listing is authoritative.
 *
 * I/O; runs on any thread.
 */
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { SluiceError } from '../../proto/errors.js'

export const LOG_DIR = '_delta_log'

export interface CheckpointSet {
  version: number
  kind: 'classic' | 'multipart'
  /** absolute paths, in part order */
  files: string[]
}

export interface LogListing {
  tablePath: string
  logPath: string
  /** version -> absolute path of `<version>.json` */
  commits: Map<number, string>
  /** usable checkpoints, newest first (at most one set per version) */
  checkpoints: CheckpointSet[]
  /** versions of UUID-named (v2) checkpoints seen; never used for reading */
  uuidCheckpointVersions: number[]
}

const COMMIT_RE = /^(\d{20})\.json$/
const CLASSIC_RE = /^(\d{20})\.checkpoint\.parquet$/
const MULTIPART_RE = /^(\d{20})\.checkpoint\.(\d{10})\.(\d{10})\.parquet$/
const UUID_CKPT_RE = /^(\d{20})\.checkpoint\.[0-9a-fA-F-]{36}\.(json|parquet)$/

/** `00000000000000000042.json` for 42. */
export function commitFileName(version: number): string {
  return `${String(version).padStart(20, '0')}.json`
}

export const notADeltaTable = (tablePath: string) =>
  new SluiceError(422, 'not_a_delta_table', `"${path.basename(tablePath)}" is not a Delta table (no _delta_log with commits)`)

/**
 * Lists the log of the table at `tablePath`.
 * Throws `422 not_a_delta_table` when `_delta_log` does not exist or holds no commit and no
 * checkpoint.
 */
export async function listLog(tablePath: string): Promise<LogListing> {
  const logPath = path.join(tablePath, LOG_DIR)
  let entries: import('node:fs').Dirent[]
  try {
    entries = await fsp.readdir(logPath, { withFileTypes: true })
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code
    if (code === 'ENOENT' || code === 'ENOTDIR') throw notADeltaTable(tablePath)
    throw err
  }
  const commits = new Map<number, string>()
  const classic = new Map<number, string>()
  // version -> part count -> part number -> file
  const parts = new Map<number, Map<number, Map<number, string>>>()
  const uuidCheckpointVersions: number[] = []
  for (const e of entries) {
    if (!e.isFile() && !e.isSymbolicLink()) continue
    const name = e.name
    let m: RegExpExecArray | null
    if ((m = COMMIT_RE.exec(name))) {
      commits.set(Number(m[1]), path.join(logPath, name))
    } else if ((m = CLASSIC_RE.exec(name))) {
      classic.set(Number(m[1]), path.join(logPath, name))
    } else if ((m = MULTIPART_RE.exec(name))) {
      const v = Number(m[1])
      const part = Number(m[2])
      const of = Number(m[3])
      if (part < 1 || part > of) continue
      let byCount = parts.get(v)
      if (!byCount) parts.set(v, (byCount = new Map()))
      let set = byCount.get(of)
      if (!set) byCount.set(of, (set = new Map()))
      set.set(part, path.join(logPath, name))
    } else if ((m = UUID_CKPT_RE.exec(name))) {
      uuidCheckpointVersions.push(Number(m[1]))
    }
  }
  const sets = new Map<number, CheckpointSet>()
  for (const [v, file] of classic) sets.set(v, { version: v, kind: 'classic', files: [file] })
  for (const [v, byCount] of parts) {
    if (sets.has(v)) continue // a classic checkpoint for the same version is as good and simpler
    for (const [of, set] of [...byCount].sort((a, b) => a[0] - b[0])) {
      if (set.size !== of) continue // incomplete: ignore
      const files: string[] = []
      for (let i = 1; i <= of; i++) files.push(set.get(i)!)
      sets.set(v, { version: v, kind: 'multipart', files })
      break
    }
  }
  if (commits.size === 0 && sets.size === 0) throw notADeltaTable(tablePath)
  const checkpoints = [...sets.values()].sort((a, b) => b.version - a.version)
  return { tablePath, logPath, commits, checkpoints, uuidCheckpointVersions }
}

/** The newest version named by a commit or a checkpoint. */
export function latestListedVersion(listing: LogListing): number {
  let latest = -1
  for (const v of listing.commits.keys()) if (v > latest) latest = v
  for (const c of listing.checkpoints) if (c.version > latest) latest = c.version
  return latest
}

/**
 * Reads `_delta_log/_last_checkpoint` (a hint only). Returns null when it is absent or not
 * valid JSON; never throws for a bad file.
 */
export async function readLastCheckpoint(tablePath: string): Promise<Record<string, unknown> | null> {
  try {
    const text = await fsp.readFile(path.join(tablePath, LOG_DIR, '_last_checkpoint'), 'utf8')
    const o: unknown = JSON.parse(text)
    return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : null
  } catch {
    return null
  }
}

/** True when `tablePath` has a `_delta_log` with at least one commit or checkpoint. */
export async function isDeltaTable(tablePath: string): Promise<boolean> {
  try {
    await listLog(tablePath)
    return true
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'not_a_delta_table') return false
    throw err
  }
}
