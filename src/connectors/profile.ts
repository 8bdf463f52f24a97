/**
 * GET /api/datasets/{name}/profile for file-backed datasets (uploads, imports, registered
 * Delta tables, plain Parquet folders): the snapshot at the requested version, its files split
 * into up to `pool.threads` groups, one `profile-scan` task per group (in parallel, each file
 * read once, only the profiled columns), then one `profile-finish` task that merges the
 * partials and returns the columns as JSON text (proto/profile.ts). The main thread never
 * touches a row.
 *
 * Delta `add` stats answer what they answer exactly: the row count comes from numRecords
 * when every file has it, and an empty table reads no file at all. Finished profiles are
 * cached per exact version (profile-cache.ts) and per caller view.
 *
 * Masking: the scan tasks mask every batch right after the read (columns of the caller's view,
 * profile-masking.ts), the finish task sees the masked types, and the cache key carries the
 * view; no Parquet or Delta column stats feed a profile (only the row count, which masking
 * does not change).
 *
 * I/O; main thread.
 */
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { ReadAt } from '../../proto/plan.js'
import type { Principal } from '../../proto/principal.js'
import type { ScanFile } from '../../proto/scan.js'
import type { ProfileFinishResult, ProfileFinishTask, ProfilePartial, ProfileScanTask } from '../../proto/profile.js'
import type { TaskMasks } from '../../proto/masks.js'
import type { Dataset } from '../catalog/index.js'
import { assertVersionFilesPresent, pruneFiles } from '../lakehouse/index.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { assertDeltaDataset, confineTableFiles, loadTableSnapshot, statsRowCount, tableKindOf, tableRefOf } from './lakehouse.js'
import { folderSnapshot } from './parquet-folder.js'
import { profileCache, profileTtlMs, type CachedProfile, type ProfileCacheKey } from './profile-cache.js'
import { maskedNames, maskingViewOf, profileViewKey, taskMasksOf, type MaskingView } from './profile-masking.js'

export interface ProfileRequest {
  /** the columns asked for (`columns=`), or null for every column */
  columns: string[] | null
  top: number
  readAt: ReadAt
  caller: Principal
  /** the org's hash salt (secret: only ever in worker tasks or bound SQL parameters) */
  salt: string
  signal: AbortSignal
  /** most scan tasks per profile (default: the pool's current threads); the route passes WORKER_THREADS */
  maxGroups?: number
}

/** A finished profile and whether it came from the cache. */
export interface ProfileAnswer { profile: CachedProfile; cached: boolean }

/**
 * The profiled columns: `requested` in the order given (duplicates dropped), or every field.
 * Throws `422 invalid_parameter` ("columns") naming the unknown columns.
 */
export function selectProfileColumns(fields: readonly Field[], requested: string[] | null): Field[] {
  if (requested === null) return [...fields]
  const byName = new Map(fields.map((f) => [f.name, f]))
  const unknown = requested.filter((c) => !byName.has(c))
  if (unknown.length > 0) throw invalidParameter('columns', `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')}`)
  return [...new Set(requested)].map((c) => byName.get(c)!)
}

/**
 * Splits files into at most `groups` groups of about equal bytes (largest first, each into
 * the lightest group), so parallel scans finish at about the same time. Pure.
 */
export function groupFiles<F extends { size: number }>(files: readonly F[], groups: number): F[][] {
  const n = Math.max(1, Math.min(groups, files.length))
  const out: F[][] = Array.from({ length: n }, () => [])
  const load = new Array<number>(n).fill(0)
  for (const f of [...files].sort((a, b) => b.size - a.size)) {
    let best = 0
    for (let i = 1; i < n; i++) if (load[i]! < load[best]!) best = i
    out[best]!.push(f)
    load[best]! += Math.max(f.size, 1)
  }
  return out.filter((g) => g.length > 0)
}

/**
 * What the tasks of one profile share: the raw schema (what the scans read), the caller's view
 * of it (the masked fields the finish task reads partials with, and the cache key) and the masks.
 */
interface ProfileWork { fields: Field[]; view: MaskingView; masks: TaskMasks | undefined; columns: string[]; top: number }

function profileWork(d: Dataset, req: ProfileRequest, schema: Field[]): ProfileWork {
  const view = maskingViewOf(d, req.caller, schema)
  const columns = selectProfileColumns(schema, req.columns).map((f) => f.name)
  return { fields: schema, view, masks: taskMasksOf(view, req.salt), columns, top: req.top }
}

/**
 * Runs the scan tasks (one per group, in parallel) and the finish task. With no files no
 * scan runs: the finish task turns zero partials into the profile of an empty table.
 * Rejects with the first failure (the other scans are stopped) or the signal's reason.
 */
async function runProfileTasks(pool: WorkerPool, groups: ScanFile[][], work: ProfileWork, signal: AbortSignal): Promise<ProfileFinishResult> {
  const { fields, columns, top, masks, view } = work
  // The first failing scan stops the others (the client's abort stops them all).
  const scans = new AbortController()
  const onAbort = () => scans.abort(signal.reason)
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    signal.throwIfAborted()
    const partials = await Promise.all(groups.map(async (files) => {
      const task: ProfileScanTask = { kind: 'profile-scan', files, fields, columns, ...(masks ? { masks } : {}) }
      try {
        return await pool.run<ProfilePartial>(WORKERS.profileScan, task, { signal: scans.signal })
      } catch (err) {
        scans.abort(err)
        throw err
      }
    }))
    // the partials are over masked values: the finish task reads them with the masked types
    const finish: ProfileFinishTask = { kind: 'profile-finish', fields: view.fields, columns, partials, top, masked: maskedNames(view, columns) }
    return await pool.run<ProfileFinishResult>(WORKERS.profileFinish, finish, { signal })
  } finally {
    signal.removeEventListener('abort', onAbort)
  }
}

function finished(r: ProfileFinishResult, version: number | null, rowCount: number | null): CachedProfile {
  return { rowCount: rowCount ?? r.rowCount, version, columnsJson: r.columnsJson, computedAt: new Date().toISOString(), sample: null }
}

/**
 * The profile of a Delta-backed dataset at the requested version (default latest), from the
 * cache when that exact version was profiled before with the same columns and top.
 * Throws `422 version_unavailable`, `422 invalid_parameter` (columns), `422 unsupported_table`.
 */
async function profileDelta(pool: WorkerPool, dataDir: string, d: Dataset, req: ProfileRequest): Promise<ProfileAnswer> {
  const ref = await tableRefOf(dataDir, d)
  const snapshot = await loadTableSnapshot(ref, {
    version: req.readAt.version ?? undefined,
    timestampMs: req.readAt.asOf !== null ? Date.parse(req.readAt.asOf) : undefined,
  })
  // The columns of the version profiled: an older version may lack columns added since.
  const work = profileWork(d, req, snapshot.schema)
  const key: ProfileCacheKey = { datasetId: d.id, tableId: snapshot.metadata.id, version: snapshot.version, columns: work.columns, top: req.top, view: profileViewKey(work.view) }
  return profileCache.getOrCompute(key, req.signal, async (signal) => {
    // A historical version whose files VACUUM removed is 422 version_unavailable, not a failed scan.
    await assertVersionFilesPresent(snapshot)
    const files = pruneFiles(snapshot, null)
    await confineTableFiles(ref, files.map((f) => f.absolutePath))
    const rowCount = statsRowCount(snapshot)
    // Stats say every file is empty: nothing to read.
    const toRead = rowCount === 0 ? [] : files
    const groups = groupFiles(toRead, req.maxGroups ?? pool.threads).map((g) => g.map((f): ScanFile => ({ path: f.absolutePath, partitionValues: f.typedPartitionValues })))
    const r = await runProfileTasks(pool, groups, work, signal)
    // A Delta version never changes: the entry is valid until the LRU drops it.
    return { profile: finished(r, snapshot.version, rowCount), ttlMs: Infinity }
  })
}

/**
 * The profile of a plain Parquet folder (files listed now). There is no version to key the
 * cache on, so its entries expire after the dataset's profile_cache_ttl, like connectors.
 */
async function profileParquetFolder(pool: WorkerPool, dataDir: string, d: Dataset, req: ProfileRequest): Promise<ProfileAnswer> {
  if (req.readAt.version !== null || req.readAt.asOf !== null) assertDeltaDataset(d, 'time travel (version, as_of)')
  const ref = await tableRefOf(dataDir, d)
  // Parquet folders are only ever registered tables, so they always have an org folder.
  if (!ref.confineTo) throw new SluiceError(500, 'internal', 'internal error')
  const work = profileWork(d, req, d.schema)
  const key: ProfileCacheKey = { datasetId: d.id, version: null, columns: work.columns, top: req.top, view: profileViewKey(work.view) }
  const confineTo = ref.confineTo
  return profileCache.getOrCompute(key, req.signal, async (signal) => {
    const snapshot = await folderSnapshot(confineTo, ref.tablePath, d.schema)
    const sized = pruneFiles(snapshot, null).map((f) => ({ size: 1, file: { path: f.absolutePath, partitionValues: f.typedPartitionValues } as ScanFile }))
    const groups = groupFiles(sized, req.maxGroups ?? pool.threads).map((g) => g.map((x) => x.file))
    const r = await runProfileTasks(pool, groups, work, signal)
    return { profile: finished(r, null, null), ttlMs: profileTtlMs(d.settings.profile_cache_ttl) }
  })
}

/**
 * The profile of a lakehouse or upload dataset. Delta tables at `req.readAt` (default
 * latest); Parquet folders at their current files (`version`/`as_of` there are
 * `422 not_a_delta_table`). Throws SluiceErrors from the snapshot, the confinement checks and
 * the workers.
 */
export function profileTable(pool: WorkerPool, dataDir: string, d: Dataset, req: ProfileRequest): Promise<ProfileAnswer> {
  if (tableKindOf(d) === 'parquet') return profileParquetFolder(pool, dataDir, d, req)
  return profileDelta(pool, dataDir, d, req)
}
