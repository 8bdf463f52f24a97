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
 * I/O; runs on any thread.
 */
import { promises as fsp } from 'node:fs'
import * as path from 'node:path'
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import {
  dvUniqueId, type Action, type AddFile, type CommitInfo, type DomainMetadataAction,
  type MetadataAction, type ProtocolAction, type RemoveFile, type TxnAction,
} from './actions.js'
import { CheckpointReadError, readCheckpoint } from './checkpoint-read.js'
import { commitInfoTimestamp, mapLimit, readCommitFile, readCommitInfo, readVersionTimestamps } from './commit-read.js'
import { latestListedVersion, listLog, type CheckpointSet, type LogListing } from './log-files.js'
import { percentDecode, resolveDataPath } from './paths.js'
import { checkReadable } from './protocol.js'
import { parseSchemaString, toFields, unsupportedColumnsError, type DeltaStructType, type UnsupportedColumn } from './schema.js'

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
  /** active logical files, in the order they were added */
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

export interface ReplayOptions {
  /** false: ignore checkpoints, replay JSON commits only (tests, checkpoint verification) */
  useCheckpoints?: boolean
  /** checkpoint versions not to start from (checkpoint verification) */
  excludeCheckpoints?: number[]
}

export interface LoadOptions {
  /** keep going when some columns have types Sluice cannot read (log-only work: history, VACUUM) */
  allowUnsupportedColumns?: boolean
}

export const versionUnavailable = (msg: string, details: Record<string, unknown>) =>
  new SluiceError(422, 'version_unavailable', msg, details)

const fileKey = (p: string, dv: string | null) => `${percentDecode(p)}\u0000${dv ?? ''}`

interface ReplayPlan {
  checkpoint: CheckpointSet | null
  commits: number[]
}

function hasCommits(listing: LogListing, from: number, to: number): boolean {
  for (let v = from; v <= to; v++) if (!listing.commits.has(v)) return false
  return true
}

/** Every way to reconstruct `target`, best first: newest checkpoint ≤ target, ..., then JSON from 0. */
function replayPlans(listing: LogListing, target: number, opts: ReplayOptions): ReplayPlan[] {
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

class ReplayState {
  protocol: ProtocolAction | null = null
  metadata: MetadataAction | null = null
  files = new Map<string, AddFile>()
  tombstones = new Map<string, RemoveFile>()
  txns = new Map<string, TxnAction>()
  domains = new Map<string, DomainMetadataAction>()

  apply(actions: Action[]): void {
    for (const a of actions) {
      switch (a.kind) {
        case 'protocol': this.protocol = a.protocol; break
        case 'metaData': this.metadata = a.metaData; break
        case 'add': {
          const k = fileKey(a.add.path, dvUniqueId(a.add.deletionVector))
          this.files.set(k, a.add) // a re-add replaces stats etc. and keeps its place
          this.tombstones.delete(k)
          break
        }
        case 'remove': {
          const k = fileKey(a.remove.path, dvUniqueId(a.remove.deletionVector))
          this.files.delete(k)
          this.tombstones.set(k, a.remove)
          break
        }
        case 'txn': this.txns.set(a.txn.appId, a.txn); break
        case 'domainMetadata':
          if (a.domainMetadata.removed) this.domains.delete(a.domainMetadata.domain)
          else this.domains.set(a.domainMetadata.domain, a.domainMetadata)
          break
        default: break // commitInfo, cdc, checkpointMetadata, sidecar: not part of the state
      }
    }
  }
}

async function runPlan(listing: LogListing, plan: ReplayPlan): Promise<{ state: ReplayState; commitInfos: Map<number, CommitInfo> }> {
  const state = new ReplayState()
  if (plan.checkpoint) state.apply((await readCheckpoint(plan.checkpoint)).actions)
  const commitInfos = new Map<number, CommitInfo>()
  // read ahead in chunks, apply strictly in version order
  for (let i = 0; i < plan.commits.length; i += 64) {
    const chunk = plan.commits.slice(i, i + 64)
    const parsed = await mapLimit(chunk, 16, (v) => readCommitFile(listing.commits.get(v)!, v))
    parsed.forEach((actions, j) => {
      state.apply(actions)
      for (const a of actions) if (a.kind === 'commitInfo') commitInfos.set(chunk[j]!, a.commitInfo)
    })
  }
  return { state, commitInfos }
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
  if (at.timestampMs !== undefined && !Number.isFinite(at.timestampMs)) {
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
  const plans = replayPlans(listing, target, opts)
  if (plans.length === 0) {
    throw versionUnavailable(
      `version ${target} is not available: its commits were cleaned up; the earliest available version is ${earliest}`,
      { earliestVersion: earliest, latestVersion: latest },
    )
  }
  let result: Awaited<ReturnType<typeof runPlan>> | null = null
  let plan = plans[0]!
  let firstError: unknown = null
  for (const p of plans) {
    try {
      result = await runPlan(listing, p)
      plan = p
      break
    } catch (err) {
      // a damaged checkpoint: fall back to an older one or to JSON; other errors are final
      if (!(err instanceof CheckpointReadError)) throw err
      firstError ??= err
    }
  }
  if (!result) throw firstError
  const { state, commitInfos } = result
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
  const files: ActiveFile[] = []
  for (const add of state.files.values()) files.push({ ...add, absolutePath: resolveDataPath(tablePath, add.path) })

  let commitInfo = commitInfos.get(target) ?? null
  const commitFile = listing.commits.get(target)
  if (!commitInfo && commitFile && !plan.commits.includes(target)) commitInfo = await readCommitInfo(commitFile)
  let timestampMs = commitInfoTimestamp(commitInfo)
  if (timestampMs === null) {
    const statPath = commitFile ?? plan.checkpoint?.files[0]
    timestampMs = statPath ? Math.floor((await fsp.stat(statPath)).mtimeMs) : 0
  }
  return {
    tablePath: path.resolve(tablePath),
    version: target,
    latestVersion: latest,
    earliestVersion: earliest,
    protocol: state.protocol,
    metadata,
    deltaSchema,
    schema: fields,
    unsupportedColumns: unsupported,
    partitionColumns: metadata.partitionColumns,
    files,
    tombstones: [...state.tombstones.values()],
    txns: Object.fromEntries(state.txns),
    domains: Object.fromEntries(state.domains),
    timestampMs,
    commitInfo,
    checkpointVersion: plan.checkpoint?.version ?? null,
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
