/**
 * Committing a version (PROTOCOL.md "Creation of New Log Entries": writers must never
 * overwrite an existing log entry). The commit file is written in full under
 * `_delta_log/.tmp/`, fsynced, then hard-linked to `_delta_log/<20-digit version>.json`.
 *
 * link(), not rename(): rename() silently replaces an existing target, so two writers racing
 * for version N could both "win" and the first commit would vanish. link() fails with EEXIST
 * when the version already exists: an atomic put-if-absent on a local filesystem, and the
 * file appears with its complete content (readers never see a partial commit).
 *
 * I/O; runs on any thread. A crash leaves at most a stray file in `_delta_log/.tmp/`, which
 * readers ignore.
 */
import { randomUUID } from 'node:crypto'
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { SluiceError } from '../../proto/errors.js'
import { commitFileName, LOG_DIR } from './log-files.js'
import { testPause } from '../test-hooks.js'
import { noteTableCommitted } from './snapshot-cache.js'

/** Another writer committed this version first: re-read the table and retry. */
export class CommitConflictError extends SluiceError {
  constructor(readonly version: number) {
    super(409, 'concurrent_modification', `the table changed while writing (version ${version} was committed by another writer); retry`, {
      version,
    })
    this.name = 'CommitConflictError'
  }
}

/** True for the error `commitActions` throws when the version already exists. */
export function isCommitConflict(err: unknown): err is CommitConflictError {
  return err instanceof CommitConflictError
}

/** JSON text of a value; bigints are written as exact JSON numbers, undefined members left out. */
export function toJsonText(v: unknown): string {
  if (v === null || v === undefined) return 'null'
  switch (typeof v) {
    case 'bigint':
      return v.toString()
    case 'number':
      return Number.isFinite(v) ? JSON.stringify(v) : 'null'
    case 'string':
    case 'boolean':
      return JSON.stringify(v)
    case 'object':
      if (Array.isArray(v)) return `[${v.map((x) => toJsonText(x)).join(',')}]`
      return `{${Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined && typeof x !== 'function')
        .map(([k, x]) => `${JSON.stringify(k)}:${toJsonText(x)}`)
        .join(',')}}`
    default:
      return 'null'
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await fsp.access(p)
    return true
  } catch {
    return false
  }
}

async function previousVersionExists(logDir: string, version: number): Promise<boolean> {
  if (await exists(path.join(logDir, commitFileName(version - 1)))) return true
  // metadata cleanup may have left only a checkpoint for the previous version
  const prefix = commitFileName(version - 1).slice(0, 20) + '.checkpoint.'
  return (await fsp.readdir(logDir).catch(() => [] as string[])).some((n) => n.startsWith(prefix))
}

/**
 * Commits `actions` as `version` of the table at `tablePath` (put-if-absent).
 * Creates `_delta_log/` for version 0. Throws `CommitConflictError` (`409
 * concurrent_modification`, see `isCommitConflict`) when the version already exists, and
 * `422 version_unavailable` when version − 1 does not exist (a commit would leave a gap).
 */
export async function commitActions(tablePath: string, version: number, actions: object[]): Promise<void> {
  if (!Number.isSafeInteger(version) || version < 0) throw new Error(`invalid commit version ${version}`)
  if (actions.length === 0) throw new Error('a commit needs at least one action')
  const logDir = path.join(tablePath, LOG_DIR)
  const tmpDir = path.join(logDir, '.tmp')
  await fsp.mkdir(tmpDir, { recursive: true })
  if (version > 0 && !(await previousVersionExists(logDir, version))) {
    throw new SluiceError(422, 'version_unavailable', `cannot commit version ${version}: version ${version - 1} does not exist`)
  }
  const target = path.join(logDir, commitFileName(version))
  const tmp = path.join(tmpDir, `${randomUUID()}.json`)
  const text = actions.map((a) => toJsonText(a)).join('\n') + '\n'
  const fh = await fsp.open(tmp, 'wx', 0o644)
  try {
    await fh.writeFile(text, 'utf8')
    await fh.sync()
  } finally {
    await fh.close()
  }
  await testPause('commit.after-temp')
  try {
    await fsp.link(tmp, target)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new CommitConflictError(version)
    throw err
  } finally {
    await fsp.unlink(tmp).catch(() => {})
  }
  noteTableCommitted(tablePath) // cached latest versions and results of this table are stale now
  await testPause('commit.after-link')
  // make the new directory entry durable; best effort (not every filesystem can fsync a directory)
  try {
    const dir = await fsp.open(logDir, 'r')
    try {
      await dir.sync()
    } finally {
      await dir.close()
    }
  } catch {
    /* ignore */
  }
}
