/**
 * What OPTIMIZE (optimize.ts) and VACUUM (vacuum.ts) share: their dependencies, the check that
 * a dataset is a Delta table they may touch, and recording a new version in the catalog.
 * Each operation comes in two steps: `prepare*` validates the request against the table (so a
 * bad request is a 4xx even with async=true) and `run*` does the work, synchronously or as a
 * job (README, "Maintenance").
 *
 * Main thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Dataset, DatasetStore } from '../catalog/index.js'
import { assertDeltaDataset, confineTableLog, tableRefOf, type TableRef } from '../connectors/lakehouse.js'
import { isDeltaTable } from '../lakehouse/index.js'
import type { WorkerPool } from '../pool.js'

export interface MaintenanceDeps {
  dataDir: string
  pool: WorkerPool
  datasets: DatasetStore
  engineInfo: string
  /** compact tasks run at once (default 2) */
  concurrency?: number
  /** the compact task module (tests point it at the TypeScript source) */
  compactWorker?: string
  /** test seam: runs after the new files are written, before the commit */
  afterData?: () => Promise<void>
}

/**
 * The dataset's Delta table, its log confined to the org folder for registered tables.
 * Throws `422 not_a_delta_table` (connector datasets, Parquet folders, no `_delta_log`),
 * `422 unsupported_table` (a registered table leading outside its org folder).
 */
export async function deltaTable(dataDir: string, d: Dataset, what: string): Promise<TableRef> {
  assertDeltaDataset(d, what)
  const ref = await tableRefOf(dataDir, d)
  await confineTableLog(ref)
  if (!(await isDeltaTable(ref.tablePath))) {
    throw new SluiceError(422, 'not_a_delta_table', `dataset "${d.name}" is not a Delta table (its folder has no _delta_log): ${what} needs one`)
  }
  return ref
}

/** Sets the dataset's catalog version to `version` unless the catalog already has a newer one. */
export function recordVersion(datasets: DatasetStore, d: Dataset, version: number): void {
  // re-read: another writer may have moved the catalog row on meanwhile (synchronous, no await in between)
  const fresh = datasets.get(d.org, d.name)
  if (!fresh || fresh.id !== d.id) return
  fresh.currentVersion = Math.max(fresh.currentVersion ?? -1, version)
  fresh.updatedAt = new Date().toISOString()
  datasets.update(fresh)
}
