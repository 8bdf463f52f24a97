/**
 * Describing tables of the lakehouse connector (browse), registering them as datasets, and
 * keeping a registered Delta table's catalog entry (version, row count, schema) in step with
 * the table, which other tools may change at any time.
 *
 * I/O; main thread (footers are read in a worker).
 */
import { SluiceError, nameTaken } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { Principal } from '../../proto/principal.js'
import { validateSettings, type Dataset, type DatasetStore } from '../catalog/index.js'
import type { Logger } from '../log.js'
import type { WorkerPool } from '../pool.js'
import { loadTableSnapshot, snapshotRowCount, statsRowCount, tableKindOf, tableRefOf, confineTableFiles, type TableRef } from './lakehouse.js'
import {
  LAKEHOUSE_CONNECTOR_ID, classifyFolder, orgLakehouseRoot, parseRelativePath, resolveInOrg, type TableKind,
} from './lakehouse-folder.js'
import { describeParquetFolder } from './parquet-folder.js'

export interface TableInfo {
  kind: TableKind
  schema: Field[]
  partitionColumns: string[]
  /** Delta: the latest version; Parquet folders: null */
  version: number | null
  rowCount: number | null
}

export interface InspectOptions {
  /** at most this many footers are read to count rows (Delta files without stats, Parquet files); 0: none */
  maxFooterFiles: number
  /** registration: check that every data file resolves inside the org folder */
  checkFiles: boolean
  signal?: AbortSignal
}

/**
 * Schema, version and row count of a table. Throws `422 unsupported_table` (features, column
 * types, unreadable footers, links outside), `422 not_a_delta_table` (a broken log).
 */
export async function inspectTable(pool: WorkerPool, ref: TableRef, opts: InspectOptions): Promise<TableInfo> {
  if (ref.kind === 'parquet') {
    const info = await describeParquetFolder(pool, ref.confineTo!, ref.tablePath, { maxFooterFiles: Math.max(1, opts.maxFooterFiles), signal: opts.signal })
    return { kind: 'parquet', schema: info.fields, partitionColumns: info.partitionColumns, version: null, rowCount: opts.maxFooterFiles > 0 ? info.rowCount : null }
  }
  const snapshot = await loadTableSnapshot(ref)
  if (opts.checkFiles) await confineTableFiles(ref, snapshot.files.map((f) => f.absolutePath))
  const rowCount = opts.maxFooterFiles > 0 ? await snapshotRowCount(pool, ref, snapshot, opts.maxFooterFiles, opts.signal) : statsRowCount(snapshot)
  return { kind: 'delta', schema: snapshot.schema, partitionColumns: snapshot.partitionColumns, version: snapshot.version, rowCount }
}

export interface RegisterInput {
  name: string
  connectorId: string
  sourceTable: unknown
  description: string
  settings: unknown
}

export interface RegisterDeps { dataDir: string; pool: WorkerPool; datasets: DatasetStore }

/** Footers read at registration to count rows when stats are missing. */
const REGISTER_FOOTER_FILES = 10_000

export const connectorNotFound = (id: string) =>
  new SluiceError(404, 'connector_not_found', `no connector "${id.slice(0, 200)}" in this org (the built-in one is "${LAKEHOUSE_CONNECTOR_ID}")`)

/**
 * Registers a table of the org's lakehouse folder as a dataset of kind `lakehouse`: a Delta
 * table at its current version, or a plain Parquet folder (read-only). The files stay where
 * they are. Throws 404 connector_not_found, 409 dataset_name_taken, 422 invalid_parameter
 * (source_table), not_a_delta_table (neither kind of table), unsupported_table,
 * invalid_settings.
 */
export async function registerLakehouseTable(deps: RegisterDeps, p: Principal, input: RegisterInput, signal?: AbortSignal): Promise<Dataset> {
  if (input.connectorId !== LAKEHOUSE_CONNECTOR_ID) throw connectorNotFound(input.connectorId)
  const segments = parseRelativePath(input.sourceTable, 'source_table')
  if (deps.datasets.isNameTaken(p.org, input.name)) throw nameTaken(input.name)
  const root = await orgLakehouseRoot(deps.dataDir, p.org)
  const { realPath, relPath } = await resolveInOrg(root, segments, 'source_table')
  const kind = await classifyFolder(realPath)
  if (!kind) {
    throw new SluiceError(422, 'not_a_delta_table', `"${relPath}" is neither a Delta table (no _delta_log) nor a folder of Parquet files`)
  }
  const ref: TableRef = { tablePath: realPath, kind, confineTo: root }
  const info = await inspectTable(deps.pool, ref, { maxFooterFiles: REGISTER_FOOTER_FILES, checkFiles: true, signal })
  const settings = input.settings === undefined ? {} : validateSettings(input.settings, info.schema)
  signal?.throwIfAborted()
  const now = new Date().toISOString()
  const dataset: Dataset = {
    id: deps.datasets.newId(), org: p.org, name: input.name, kind: 'lakehouse', description: input.description,
    schema: info.schema, settings,
    provenance: {
      source: 'lakehouse', connector_id: LAKEHOUSE_CONNECTOR_ID, source_table: relPath, format: kind,
      partition_columns: info.partitionColumns,
      ...(info.version !== null ? { registered_version: info.version } : {}),
    },
    tablePath: realPath, currentVersion: info.version, rowCount: info.rowCount,
    createdBy: p.sub, createdAt: now, updatedAt: now,
  }
  deps.datasets.insert(dataset) // 409 when a concurrent registration took the name first
  return dataset
}

/** Footers read when a registered table moved to a new version and some files lack stats. */
const REFRESH_FOOTER_FILES = 1_000

/**
 * For a Delta-backed dataset (registered or uploaded) whose latest version differs from the
 * catalog's — another process or an external engine committed since: updates the
 * version, row count and schema in the catalog and returns the updated dataset. Anything else
 * comes back unchanged. Never throws for the table's sake: a table that cannot be read now
 * keeps its last known metadata (the failure is logged); reading it reports the error.
 */
export async function refreshRegisteredDataset(deps: RegisterDeps & { log: Logger }, d: Dataset): Promise<Dataset> {
  if (d.kind === 'connector' || tableKindOf(d) !== 'delta' || !d.tablePath) return d
  try {
    const ref = await tableRefOf(deps.dataDir, d)
    const snapshot = await loadTableSnapshot(ref)
    if (snapshot.version === d.currentVersion) return d
    const rowCount = await snapshotRowCount(deps.pool, ref, snapshot, REFRESH_FOOTER_FILES)
    // Re-read and write in one synchronous step, so a PATCH that ran meanwhile is not undone.
    const fresh = deps.datasets.get(d.org, d.name)
    if (!fresh || fresh.id !== d.id) return d
    const next: Dataset = { ...fresh, currentVersion: snapshot.version, rowCount, schema: snapshot.schema, updatedAt: new Date().toISOString() }
    deps.datasets.update(next)
    return next
  } catch (err) {
    deps.log.warn({ dataset: d.id, error: err instanceof SluiceError ? err.code : String(err) }, 'could not refresh a registered table')
    return d
  }
}
