/**
 * Committing with retry: optimistic concurrency on top of put-if-absent commits (commit.ts).
 * A writer reads version R, writes its data files, then tries to commit R+1. When another
 * writer got there first (`CommitConflictError`), the winning commits R+1..N are read and
 * checked (conflicts.ts): either the same actions (an overwrite: rebased ones) are retried at
 * N+1, or the write fails with `409 concurrent_modification` naming what conflicted.
 *
 * After a commit whose version is a multiple of the checkpoint interval (10), a checkpoint is
 * written for it. That never fails the commit: the outcome comes back in the result. By
 * default the checkpoint is written on the calling thread (parquet-wasm is loaded lazily);
 * the server routes it to a worker with `configureCheckpoints` once at startup.
 *
 * I/O; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { CheckpointResult } from './checkpoint-write.js'
import { readCommitFile } from './commit-read.js'
import { commitActions, isCommitConflict } from './commit.js'
import { concurrentModification, resolveConflicts, type BaseTable, type WinningCommit } from './conflicts.js'
import { latestListedVersion, listLog } from './log-files.js'
import { replayLog } from './replay.js'

export interface WriteIntent {
  /** the commit's actions; commitInfo.readVersion is set from `readVersion` */
  actions: object[]
  /** the version the writer read (its actions were computed from it) */
  readVersion: number
  /** data files this operation read and relies on (OPTIMIZE inputs, overwrite's removed files); [] for a blind append */
  readPaths: string[]
  /** adds files only, from data that did not depend on the table's contents */
  blindAppend: boolean
  /** the actions include metaData or protocol */
  changesMetadata: boolean
  /**
   * a full overwrite: retried by removing whatever is in the table at commit time (see
   * conflicts.ts). Default: true when commitInfo says `operationParameters.mode: "Overwrite"`
   * (what overwriteActions writes).
   */
  overwrite?: boolean
}

/** Writes the checkpoint of `version` (e.g. on a worker: `pool.run(WORKERS.checkpoint, task)`). */
export type CheckpointWriter = (tablePath: string, version: number) => Promise<CheckpointResult>

export interface CommitOptions {
  /** commit attempts before giving up with 409 (default 10) */
  maxAttempts?: number
  /** checked before each attempt; a commit that landed is never undone */
  signal?: AbortSignal
  /** checkpoint when version % interval === 0 (default 10; 0 turns checkpoints off) */
  checkpointInterval?: number
  /** overrides the writer set with configureCheckpoints */
  checkpointWriter?: CheckpointWriter
}

export interface CheckpointOutcome {
  status: CheckpointResult['status'] | 'failed'
  /** why it was skipped or failed */
  reason?: string
}

export interface CommitResult {
  version: number
  /** commit attempts made (1 = no conflict) */
  attempts: number
  /** null when the version is not due for a checkpoint */
  checkpoint: CheckpointOutcome | null
}

const inThreadWriter: CheckpointWriter = async (tablePath, version) =>
  (await import('./checkpoint-write.js')).writeCheckpoint(tablePath, version)

let defaultWriter: CheckpointWriter = inThreadWriter

/**
 * Sets how this thread writes checkpoints after commits (the server: on its worker pool).
 * `null` restores the default (on the calling thread).
 */
export function configureCheckpoints(writer: CheckpointWriter | null): void {
  defaultWriter = writer ?? inThreadWriter
}

type ActionObject = Record<string, unknown>

function commitInfoOf(actions: object[]): Record<string, unknown> | null {
  for (const a of actions) {
    const ci = (a as ActionObject).commitInfo
    if (typeof ci === 'object' && ci !== null) return ci as Record<string, unknown>
  }
  return null
}

function isOverwrite(intent: WriteIntent): boolean {
  if (intent.overwrite !== undefined) return intent.overwrite
  const params = commitInfoOf(intent.actions)?.operationParameters as Record<string, unknown> | undefined
  return params?.mode === 'Overwrite'
}

/** The actions with commitInfo.readVersion (and isBlindAppend when absent) filled in; the caller's objects are not changed. */
function withReadVersion(intent: WriteIntent): object[] {
  return intent.actions.map((a) => {
    const ci = (a as ActionObject).commitInfo
    if (typeof ci !== 'object' || ci === null) return a
    return { ...(a as ActionObject), commitInfo: { ...(ci as ActionObject), readVersion: intent.readVersion, isBlindAppend: (ci as ActionObject).isBlindAppend ?? intent.blindAppend } }
  })
}

function txnAppIds(actions: object[]): string[] {
  const ids: string[] = []
  for (const a of actions) {
    const t = (a as ActionObject).txn as { appId?: unknown } | undefined
    if (t && typeof t.appId === 'string') ids.push(t.appId)
  }
  return ids
}

/** The commits from `from` up to the newest one. Throws 409 when one of them cannot be read. */
async function readWinners(tablePath: string, from: number): Promise<WinningCommit[]> {
  const listing = await listLog(tablePath)
  const latest = latestListedVersion(listing)
  const winners: WinningCommit[] = []
  for (let v = from; v <= latest; v++) {
    const file = listing.commits.get(v)
    if (!file) throw concurrentModification(`version ${v} was committed concurrently and its commit cannot be read (log cleaned up?); retry the operation`, { version: v })
    winners.push({ version: v, actions: await readCommitFile(file, v) })
  }
  return winners
}

async function loadBase(tablePath: string, version: number): Promise<BaseTable> {
  const s = await replayLog(tablePath, { version })
  return { protocol: s.protocol, metadata: s.metadata, schema: s.schema }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))

async function checkpointAfter(tablePath: string, version: number, writer: CheckpointWriter): Promise<CheckpointOutcome> {
  try {
    const r = await writer(tablePath, version)
    return r.reason === undefined ? { status: r.status } : { status: r.status, reason: r.reason }
  } catch (err) {
    return { status: 'failed', reason: err instanceof Error ? err.message : String(err) }
  }
}

/**
 * Commits `intent.actions` as the version after `intent.readVersion`, or — when other writers
 * committed first and the conflict rules allow it — at the next free version. Then writes a
 * checkpoint when the version is due (never fails the commit; see `checkpoint` in the result).
 *
 * Throws `409 concurrent_modification` when a winning commit conflicts (message names the
 * version and what it did) or after `maxAttempts` lost races; `422 version_unavailable` when
 * `readVersion` does not exist; the signal's reason when aborted before a commit landed;
 * file system errors.
 */
export async function commitWithRetry(tablePath: string, intent: WriteIntent, opts: CommitOptions = {}): Promise<CommitResult> {
  const maxAttempts = opts.maxAttempts ?? 10
  if (!Number.isSafeInteger(intent.readVersion) || intent.readVersion < 0) throw new Error(`invalid readVersion ${intent.readVersion}`)
  const conflictIntent = {
    readVersion: intent.readVersion, readPaths: intent.readPaths, blindAppend: intent.blindAppend && !intent.changesMetadata,
    changesMetadata: intent.changesMetadata, overwrite: isOverwrite(intent), txnAppIds: txnAppIds(intent.actions),
  }
  let actions = withReadVersion(intent)
  let version = intent.readVersion + 1
  let attempts = 0
  for (;;) {
    opts.signal?.throwIfAborted()
    attempts++
    try {
      await commitActions(tablePath, version, actions)
      break
    } catch (err) {
      if (!isCommitConflict(err)) throw err
    }
    if (attempts >= maxAttempts) {
      throw new SluiceError(409, 'concurrent_modification', `the table kept changing while committing: gave up after ${attempts} attempts; retry the operation`, { attempts })
    }
    const winners = await readWinners(tablePath, version)
    actions = await resolveConflicts(conflictIntent, actions, winners, () => loadBase(tablePath, intent.readVersion))
    version = winners.length > 0 ? winners[winners.length - 1]!.version + 1 : version
    // spread writers that keep colliding (same start, same speed) apart a little
    await sleep(Math.random() * Math.min(2 ** attempts, 50))
  }
  const interval = opts.checkpointInterval ?? 10
  const due = interval > 0 && version % interval === 0
  const checkpoint = due ? await checkpointAfter(tablePath, version, opts.checkpointWriter ?? defaultWriter) : null
  return { version, attempts, checkpoint }
}
