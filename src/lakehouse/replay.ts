/**
 * Snapshot reconstruction (PROTOCOL.md "Action Reconciliation", "Checkpoints"): start from the
 * newest usable checkpoint not newer than the target version, then apply the contiguous JSON
 * commits after it. The newest action wins per logical file `(path, deletionVector id)`; the
 * latest protocol and metaData win; the latest txn per appId wins; domainMetadata tombstones
 * suppress their domain.
 *
 * `loadSnapshot` is what readers use: it also applies the protocol gate and refuses columns
 * Sluice cannot read. `replayLog` is the bare replay (no gate) for log-only work and tests.
 *
 * Replayed states are cached per process (snapshot-cache.ts), so a query on an unchanged table
 * costs a directory listing and a stat; a newer version costs only the new commits. Snapshots
 * share their file objects with that cache: they are frozen, treat them as read-only.
 *
 * I/O; runs on any thread.
 */
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type {
  AddFile, CommitInfo, DomainMetadataAction, MetadataAction, ProtocolAction, RemoveFile, TxnAction,
} from './actions.js'
import { CheckpointReadError, readCheckpointActions } from './checkpoint-contents.js'
import { commitInfoTimestamp, mapLimit, readCommitFile, readCommitInfo } from './commit-read.js'
import { latestListedVersion, listLog, type LogListing } from './log-files.js'
import {
  earliestAvailableVersion, hasCommits, replayPlans, resolveVersionAt, versionUnavailable,
  type ReplayOptions, type ReplayPlan,
} from './replay-plan.js'
import { ReplayState } from './replay-state.js'
import { findCachedState, putCachedState, versionSignature } from './snapshot-cache.js'
import { checkReadable } from './protocol.js'
import { parseSchemaString, toFields, unsupportedColumnsError, type DeltaStructType, type UnsupportedColumn } from './schema.js'

export { earliestAvailableVersion, versionUnavailable }
export type { ReplayOptions }

/** An active file: the add action plus where the file is on disk. */
export interface ActiveFile extends AddFile {
  /** `path` decoded once and resolved against the table directory */
  absolutePath: string
}

export interface Snapshot {
  tablePath: string
  version: number
  latestVersion: number
  /** the earliest version time travel can reach (older commits were cleaned up) */
  earliestVersion: number
  protocol: ProtocolAction
  metadata: MetadataAction
  /** the schema as the log has it (Spark JSON) */
  deltaSchema: DeltaStructType
  /** the columns Sluice serves, in schema order */
  schema: Field[]
  /** columns left out of `schema` because Sluice cannot read their type (empty from loadSnapshot unless allowed) */
  unsupportedColumns: UnsupportedColumn[]
  partitionColumns: string[]
  /** active logical files, in the order they were added (frozen objects, shared with the cache) */
  files: ActiveFile[]
  /** remove actions kept as tombstones (for VACUUM) */
  tombstones: RemoveFile[]
  /** application transactions, by appId */
  txns: Record<string, TxnAction>
  /** live domain metadata, by domain */
  domains: Record<string, DomainMetadataAction>
  /** the version's own commit timestamp (commitInfo, else file mtime), ms since epoch */
  timestampMs: number
  /** commitInfo of this version, when its commit file exists */
  commitInfo: CommitInfo | null
  /** the checkpoint replay started from, or null when it replayed JSON commits from version 0 */
  checkpointVersion: number | null
}

export interface ReadAtOptions {
  version?: number
  /** pick the latest version whose commit timestamp ≤ this (ms since epoch) */
  timestampMs?: number
}

export interface LoadOptions {
  /** keep going when some columns have types Sluice cannot read (log-only work: history, VACUUM) */
  allowUnsupportedColumns?: boolean
}

async function applyCommits(listing: LogListing, state: ReplayState, commits: number[], commitInfos: Map<number, CommitInfo>): Promise<void> {
  // read ahead in chunks, apply strictly in version order
  for (let i = 0; i < commits.length; i += 64) {
    const chunk = commits.slice(i, i + 64)
    const parsed = await mapLimit(chunk, 16, (v) => readCommitFile(listing.commits.get(v)!, v))
    parsed.forEach((actions, j) => {
      state.apply(actions)
      for (const a of actions) if (a.kind === 'commitInfo') commitInfos.set(chunk[j]!, a.commitInfo)
    })
  }
}

async function runPlan(root: string, listing: LogListing, plan: ReplayPlan): Promise<{ state: ReplayState; commitInfos: Map<number, CommitInfo> }> {
  const state = new ReplayState(root)
  if (plan.checkpoint) state.apply((await readCheckpointActions(plan.checkpoint)).actions)
  const commitInfos = new Map<number, CommitInfo>()
  await applyCommits(listing, state, plan.commits, commitInfos)
  return { state, commitInfos }
}

/** Commits applied on top of a cached state before a checkpoint is the better start. */
const MAX_INCREMENTAL_COMMITS = 256

interface BuiltState {
  state: ReplayState
  commitInfo: CommitInfo | null
  checkpointVersion: number | null
}

/**
 * The reconciled state at `target`: from the cache (exactly, or a cached older version plus
 * the commits after it), else from the best replay plan, falling back past damaged
 * checkpoints. Default replays are cached; replays with options (tests) bypass the cache.
 */
async function buildState(root: string, listing: LogListing, target: number, earliest: number, latest: number, opts: ReplayOptions): Promise<BuiltState> {
  const cacheable = opts.useCheckpoints !== false && !opts.excludeCheckpoints?.length
  if (cacheable) {
    const cached = await findCachedState(root, target, listing, (v) => target - v <= MAX_INCREMENTAL_COMMITS && hasCommits(listing, v + 1, target))
    if (cached) {
      if (cached.version === target) return cached
      const state = cached.state.clone()
      const commitInfos = new Map<number, CommitInfo>()
      const commits = Array.from({ length: target - cached.version }, (_, i) => cached.version + 1 + i)
      await applyCommits(listing, state, commits, commitInfos)
      return remember(root, listing, target, { state, commitInfo: commitInfos.get(target) ?? null, checkpointVersion: cached.checkpointVersion })
    }
  }
  const plans = replayPlans(listing, target, opts)
  if (plans.length === 0) {
    throw versionUnavailable(
      `version ${target} is not available: its commits were cleaned up; the earliest available version is ${earliest}`,
      { earliestVersion: earliest, latestVersion: latest },
    )
  }
  let firstError: unknown = null
  for (const plan of plans) {
    let result: Awaited<ReturnType<typeof runPlan>>
    try {
      result = await runPlan(root, listing, plan)
    } catch (err) {
      // a damaged checkpoint: fall back to an older one or to JSON; other errors are final
      if (!(err instanceof CheckpointReadError)) throw err
      firstError ??= err
      continue
    }
    let commitInfo = result.commitInfos.get(target) ?? null
    const commitFile = listing.commits.get(target)
    if (!commitInfo && commitFile && !plan.commits.includes(target)) commitInfo = await readCommitInfo(commitFile)
    const built = { state: result.state, commitInfo, checkpointVersion: plan.checkpoint?.version ?? null }
    return cacheable ? remember(root, listing, target, built) : built
  }
  throw firstError
}

async function remember(root: string, listing: LogListing, version: number, built: BuiltState): Promise<BuiltState> {
  const signature = await versionSignature(listing, version)
  if (signature) putCachedState({ root, version, signature, ...built })
  return built
}

/**
 * Replays the log of the table at `tablePath` up to the requested version (default: latest)
 * WITHOUT the protocol gate. Columns of unsupported types are listed in `unsupportedColumns`.
 * Use `loadSnapshot` for anything that reads table data.
 *
 * Throws `422 not_a_delta_table` (no log), `422 version_unavailable` (version below the
 * earliest available one or above the latest, or a timestamp before the first commit),
 * `422 invalid_parameter` (bad version/timestamp), `422 unsupported_table` (corrupt log).
 */
export async function replayLog(tablePath: string, at: ReadAtOptions = {}, opts: ReplayOptions = {}): Promise<Snapshot> {
  if (at.version !== undefined && at.timestampMs !== undefined) {
    throw invalidParameter('version', '"version" and "as_of" cannot be used together')
  }
  if (at.version !== undefined && (!Number.isSafeInteger(at.version) || at.version < 0)) {
    throw invalidParameter('version', 'must be a non-negative integer')
  }
  if (at.timestampMs !== undefined && !(Math.abs(at.timestampMs) <= 8.64e15)) { // the range of Date
    throw invalidParameter('as_of', 'must be a valid timestamp')
  }
  const listing = await listLog(tablePath)
  const latest = latestListedVersion(listing)
  const earliest = earliestAvailableVersion(listing, latest)
  let target = latest
  if (at.version !== undefined) {
    if (at.version > latest) {
      throw versionUnavailable(`version ${at.version} does not exist: the latest version is ${latest}`, { earliestVersion: earliest, latestVersion: latest })
    }
    target = at.version
  } else if (at.timestampMs !== undefined) {
    target = await resolveVersionAt(listing, earliest, latest, at.timestampMs)
  }
  const root = path.resolve(tablePath)
  const built = await buildState(root, listing, target, earliest, latest, opts)
  const { state, checkpointVersion } = built
  if (!state.protocol || !state.metadata) {
    throw new SluiceError(422, 'not_a_delta_table', `the Delta log at version ${target} has no ${state.protocol ? 'metaData' : 'protocol'} action`)
  }
  const metadata = state.metadata
  if (metadata.format.provider.toLowerCase() !== 'parquet') {
    throw new SluiceError(422, 'unsupported_table', `the table stores its data as "${metadata.format.provider}"; Sluice reads parquet only`)
  }
  const deltaSchema = parseSchemaString(metadata.schemaString)
  const { fields, unsupported } = toFields(deltaSchema)
  for (const c of metadata.partitionColumns) {
    if (!deltaSchema.fields.some((f) => f.name === c)) {
      throw new SluiceError(422, 'unsupported_table', `partition column "${c}" is not in the table schema`)
    }
  }
  const commitInfo = built.commitInfo
  let timestampMs = commitInfoTimestamp(commitInfo)
  if (timestampMs === null) {
    const statPath = listing.commits.get(target) ?? listing.checkpoints.find((c) => c.version === target)?.files[0]
    timestampMs = statPath ? Math.floor((await fsp.stat(statPath)).mtimeMs) : 0
  }
  return {
    tablePath: root,
    version: target,
    latestVersion: latest,
    earliestVersion: earliest,
    protocol: state.protocol,
    metadata,
    deltaSchema,
    schema: fields,
    unsupportedColumns: unsupported,
    partitionColumns: metadata.partitionColumns,
    files: [...state.files.values()],
    tombstones: [...state.tombstones.values()],
    txns: Object.fromEntries(state.txns),
    domains: Object.fromEntries(state.domains),
    timestampMs,
    commitInfo,
    checkpointVersion,
  }
}

/**
 * Loads the snapshot of the table at `tablePath` at a version, at a time (`timestampMs`), or
 * at the latest version, for reading. Runs the protocol gate (`checkReadable`) on the
 * protocol of that version and refuses columns Sluice cannot read unless
 * `allowUnsupportedColumns` is set.
 *
 * Throws SluiceError: `422 not_a_delta_table`, `422 unsupported_table` (reader features,
 * column types, corrupt log, files outside the table), `422 version_unavailable`,
 * `422 invalid_parameter`.
 */
export async function loadSnapshot(tablePath: string, at: ReadAtOptions = {}, opts: LoadOptions = {}): Promise<Snapshot> {
  const snap = await replayLog(tablePath, at)
  checkReadable(snap.protocol)
  if (snap.unsupportedColumns.length > 0 && !opts.allowUnsupportedColumns) throw unsupportedColumnsError(snap.unsupportedColumns)
  return snap
}
