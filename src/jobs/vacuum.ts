/**
 * VACUUM of a Delta-backed dataset: plan (src/lakehouse/vacuum.ts), commit VACUUM START,
 * delete, commit VACUUM END (status FAILED when cancelled part-way: the files already deleted
 * were garbage either way). A dry run plans only.
 *
 * Main thread.
 */
import { promises as fsp } from 'node:fs'
import { invalidParameter } from '../../proto/errors.js'
import { VACUUM_LIST_LIMIT, type VacuumResult } from '../../proto/maintenance.js'
import type { Principal } from '../auth/principal.js'
import type { Dataset } from '../catalog/index.js'
import { confineTableFiles, loadTableSnapshot, type TableRef } from '../connectors/lakehouse.js'
import { checkWritable, commitWithRetry } from '../lakehouse/index.js'
import { planVacuum, tableRetentionMs, vacuumEndActions, vacuumStartActions, type VacuumMode } from '../lakehouse/vacuum.js'
import { testPause } from '../test-hooks.js'
import { deltaTable, recordVersion, type MaintenanceDeps } from './maintenance.js'
import type { JobContext } from './runner.js'

/** VACUUM's commits hold only commitInfo: they never conflict, so they may retry for long. */
const VACUUM_COMMIT_ATTEMPTS = 1000

export interface VacuumRequest {
  /** null: the table's retention (delta.deletedFileRetentionDuration, else 168) */
  retentionHours: number | null
  dryRun: boolean
  mode: VacuumMode
  /**
   * Columns masked for the caller. File paths of a table partitioned by one of them hold raw
   * values (`email=alice%40x.com/…`), so the result lists no paths (`files_withheld`).
   */
  maskedColumns?: readonly string[]
}

export interface PreparedVacuum {
  dataset: Dataset
  table: TableRef
  tablePath: string
  retentionMs: number
  minimumMs: number
  specified: boolean
  retentionCheckEnabled: boolean
  request: VacuumRequest
}

/** `VACUUM_ALLOW_SHORT_RETENTION=1` lets VACUUM use a retention below the table's minimum. */
export function allowShortRetention(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.VACUUM_ALLOW_SHORT_RETENTION === '1'
}

const hoursText = (ms: number) => `${Math.round((ms / 3_600_000) * 1000) / 1000}`

/**
 * Checks the table and the retention. Throws `422 not_a_delta_table`, `422 unsupported_table`,
 * `422 invalid_parameter` (retention_hours below the table's minimum, unless
 * VACUUM_ALLOW_SHORT_RETENTION=1).
 */
export async function prepareVacuum(dataDir: string, dataset: Dataset, req: VacuumRequest): Promise<PreparedVacuum> {
  const table = await deltaTable(dataDir, dataset, 'VACUUM')
  const tablePath = table.tablePath
  const snapshot = await loadTableSnapshot(table, {}, { allowUnsupportedColumns: true })
  checkWritable(snapshot.protocol, snapshot.metadata, snapshot.deltaSchema, { removesData: false })
  const minimumMs = tableRetentionMs(snapshot.metadata)
  const retentionMs = req.retentionHours === null ? minimumMs : Math.round(req.retentionHours * 3_600_000)
  const check = !allowShortRetention()
  if (check && retentionMs < minimumMs) {
    throw invalidParameter('retention_hours', `must be at least ${hoursText(minimumMs)} (the table's delta.deletedFileRetentionDuration, default 168 hours): `
      + 'a shorter retention can delete files that time travel and running writers still need; the server allows it only with VACUUM_ALLOW_SHORT_RETENTION=1')
  }
  return { dataset, table, tablePath, retentionMs, minimumMs, specified: req.retentionHours !== null, retentionCheckEnabled: check, request: req }
}

/**
 * Plans and (unless a dry run) deletes, between a VACUUM START and a VACUUM END commit.
 * Returns what was (or would be) deleted. Throws 499 cancelled when `signal` aborts (VACUUM END
 * is then committed with status FAILED).
 */
export async function runVacuum(deps: MaintenanceDeps, p: Principal, prep: PreparedVacuum, job: JobContext | null, signal: AbortSignal): Promise<VacuumResult> {
  const { tablePath, request } = prep
  job?.progress({ phase: 'planning', percent: 1 })
  const snapshot = await loadTableSnapshot(prep.table, {}, { allowUnsupportedColumns: true })
  const deleteBeforeMs = Date.now() - prep.retentionMs
  const plan = await planVacuum(snapshot, { mode: request.mode, deleteBeforeMs })
  // a registered table must not lead the deletion outside the org folder (links)
  await confineTableFiles(prep.table, [...plan.files.map((f) => f.absolutePath), ...plan.emptyDirectories])
  signal.throwIfAborted()
  const withhold = snapshot.partitionColumns.some((c) => request.maskedColumns?.includes(c))
  const result: VacuumResult = {
    dataset: prep.dataset.name, operation: 'VACUUM', mode: request.mode, dry_run: request.dryRun,
    retention_hours: prep.retentionMs / 3_600_000, delete_before: new Date(deleteBeforeMs).toISOString(),
    num_files: plan.files.length, bytes: plan.bytes, files_deleted: 0, bytes_freed: 0,
    files: withhold ? [] : plan.files.slice(0, VACUUM_LIST_LIMIT).map((f) => f.path), files_truncated: !withhold && plan.files.length > VACUUM_LIST_LIMIT,
    ...(withhold ? { files_withheld: true } : {}),
    start_version: null, end_version: null,
  }
  if (request.dryRun) return result

  const commitOpts = { engineInfo: deps.engineInfo, userName: p.sub, ...(job ? { runId: job.id } : {}) }
  const start = vacuumStartActions(snapshot.version, {
    retentionCheckEnabled: prep.retentionCheckEnabled, specifiedRetentionMs: prep.specified ? prep.retentionMs : null,
    defaultRetentionMs: prep.minimumMs, mode: request.mode, numFilesToDelete: plan.files.length, sizeOfDataToDelete: plan.bytes,
  }, commitOpts)
  result.start_version = (await commitWithRetry(tablePath, {
    actions: start, readVersion: snapshot.version, readPaths: [], blindAppend: true, changesMetadata: false,
  }, { signal, maxAttempts: VACUUM_COMMIT_ATTEMPTS })).version
  await testPause('vacuum.after-start')

  let status: 'COMPLETED' | 'FAILED' = 'COMPLETED'
  let stopped: unknown = null
  const report = () => job?.progress({
    phase: 'deleting', percent: plan.bytes > 0 ? Math.min(95, 2 + Math.floor((result.bytes_freed / plan.bytes) * 93)) : 50,
    files_done: result.files_deleted, files_total: plan.files.length, bytes_done: result.bytes_freed, bytes_total: plan.bytes,
  })
  report()
  try {
    for (const f of plan.files) {
      signal.throwIfAborted()
      try {
        await fsp.unlink(f.absolutePath)
        result.files_deleted++
        result.bytes_freed += f.size
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err
      }
      report()
    }
    for (const dir of plan.emptyDirectories) await fsp.rmdir(dir).catch(() => {})
  } catch (err) {
    status = 'FAILED'
    stopped = err
  }
  job?.progress({ phase: 'committing', percent: 96 })
  const end = vacuumEndActions(snapshot.version, { status, numDeletedFiles: result.files_deleted, numVacuumedDirectories: plan.directories }, commitOpts)
  // committed even when cancelled: the START commit needs its END
  result.end_version = (await commitWithRetry(tablePath, {
    actions: end, readVersion: result.start_version, readPaths: [], blindAppend: true, changesMetadata: false,
  }, { maxAttempts: VACUUM_COMMIT_ATTEMPTS })).version
  recordVersion(deps.datasets, prep.dataset, result.end_version)
  if (stopped !== null) throw stopped
  return result
}
