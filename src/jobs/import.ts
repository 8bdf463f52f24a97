/**
 * Imports: a PostgreSQL table copied into a new managed Delta table (dataset kind
 * `lakehouse`, provenance naming the source), and refreshes that re-copy it as a new
 * overwrite version recorded with the job id as `run_id`. The table side (work folder, move,
 * commit, catalog, classification) is shared with BigQuery imports (import-bigquery.ts).
 *
 * Nothing half-imported remains on failure or cancel: rows are written to a work folder,
 * moved into the table folder only once complete, and the table folder of a new import is
 * removed unless the commit and the catalog insert both happened.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError, invalidParameter, nameTaken } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { IngestedFile } from '../../proto/ingest.js'
import type { Principal } from '../../proto/principal.js'
import { validateSettings, type Dataset, type DatasetStore } from '../catalog/index.js'
import { commitWithRetry, fieldsToSchemaString, loadSnapshot, overwriteActions } from '../lakehouse/index.js'
import { commitNewTable } from './managed-table.js'
import type { WorkerPool } from '../pool.js'
import { discoverSource, fromClause } from '../connectors/postgres.js'
import type { ConnectorRegistry } from '../connectors/connector-registry.js'
import { statsRowCount } from '../connectors/lakehouse.js'
import { copyRows } from './import-copy.js'
import type { JobContext } from './runner.js'
import { classifyAfterWrite, type ClassifyHookDeps } from '../governance/classify-dataset.js'

export interface ImportDeps extends ClassifyHookDeps {
  dataDir: string
  pool: WorkerPool
  datasets: DatasetStore
  connectors: ConnectorRegistry
  engineInfo: string
  rowsPerFile: number
}

export interface ImportInput {
  connectorId: string
  sourceTable: string
  name: string
  /** validated by validateRename */
  rename: Record<string, string>
  settings: unknown
  description: string
}

/** Column names of an imported table: anything non-empty up to 255 characters, no control characters. */
const COLUMN_NAME = /^[^\u0000-\u001f]{1,255}$/

/** `rename` of an import body: an object of strings (which columns exist is checked after discovery). */
export function parseRename(raw: unknown): Record<string, string> {
  if (raw === undefined || raw === null) return {}
  if (typeof raw !== 'object' || Array.isArray(raw)) throw invalidParameter('rename', 'must be an object {"old name": "new name"}')
  const out: Record<string, string> = {}
  for (const [from, to] of Object.entries(raw)) {
    if (typeof to !== 'string' || !COLUMN_NAME.test(to)) throw invalidParameter('rename', `the new name of "${from}" must be a string of 1 to 255 characters without control characters`)
    out[from] = to
  }
  return out
}

/** The table's fields: source columns renamed. Unknown old names and duplicate results are 422. */
export function renamedFields(columns: readonly { name: string; field: Field }[], rename: Record<string, string>): Field[] {
  const have = new Set(columns.map((c) => c.name))
  for (const from of Object.keys(rename)) if (!have.has(from)) throw invalidParameter('rename', `the source has no column "${from}"`)
  const fields = columns.map((c) => ({ ...c.field, name: rename[c.name] ?? c.name }))
  const seen = new Set<string>()
  for (const f of fields) {
    // Delta compares column names case-insensitively.
    const key = f.name.toLowerCase()
    if (seen.has(key)) throw invalidParameter('rename', `two columns would be named "${f.name}"`)
    seen.add(key)
  }
  return fields
}

function workDirFor(dataDir: string, id: string): string {
  return path.join(dataDir, 'tmp', `import-${id}`)
}

/** What an import or refresh copies: the table's fields, and the copy of the rows into a folder. */
export interface SourceCopy {
  fields: Field[]
  /** writes the rows as Parquet part files into `outDir` (a fresh work folder) */
  copy(outDir: string): Promise<{ files: IngestedFile[]; rowCount: number }>
}

/**
 * A new managed Delta table from a copy (any connector): rows into a work folder, moved into
 * the table folder, version 0 committed with the job id as run_id, the dataset inserted with
 * `provenance` (plus job and imported_at), classified. Nothing remains unless all of it happened.
 */
export async function createImportedTable(
  deps: ImportDeps, p: Principal, input: { name: string; description: string; settings: Dataset['settings'] },
  provenance: Record<string, unknown>, src: SourceCopy, job: JobContext, signal: AbortSignal,
): Promise<Dataset> {
  if (deps.datasets.isNameTaken(p.org, input.name)) throw nameTaken(input.name)
  const id = deps.datasets.newId()
  const workDir = workDirFor(deps.dataDir, id)
  const tableDir = path.join(deps.dataDir, 'tables', id)
  let committed = false
  try {
    fs.mkdirSync(workDir, { recursive: true })
    const result = await src.copy(workDir)
    if (deps.datasets.isNameTaken(p.org, input.name)) throw nameTaken(input.name)
    fs.mkdirSync(tableDir, { recursive: true })
    for (const f of result.files) fs.renameSync(path.join(workDir, f.name), path.join(tableDir, f.name))
    signal.throwIfAborted()
    await commitNewTable(tableDir, {
      fields: src.fields, files: result.files, rowCount: result.rowCount, operation: 'CREATE TABLE AS SELECT',
      engineInfo: deps.engineInfo, userName: p.sub, description: input.description, runId: job.id,
    })
    const now = new Date().toISOString()
    const dataset: Dataset = {
      id, org: p.org, name: input.name, kind: 'lakehouse', description: input.description, schema: src.fields, settings: input.settings,
      provenance: { ...provenance, job: job.id, imported_at: now },
      tablePath: tableDir, currentVersion: 0, rowCount: result.rowCount,
      createdBy: p.sub, createdAt: now, updatedAt: now,
    }
    signal.throwIfAborted()
    deps.datasets.insert(dataset)
    committed = true
    await classifyAfterWrite(deps, dataset)
    return dataset
  } finally {
    await fs.promises.rm(workDir, { recursive: true, force: true })
    if (!committed) await fs.promises.rm(tableDir, { recursive: true, force: true })
  }
}

/**
 * A new overwrite version of an imported table from a fresh copy (schema follows the source),
 * committed with the job id as run_id; `provenance` is merged into the dataset's (plus job and
 * refreshed_at). On failure or cancel the table stays at its last committed version.
 */
export async function overwriteImportedTable(
  deps: ImportDeps, p: Principal, d: Dataset, provenance: Record<string, unknown>, src: SourceCopy, job: JobContext, signal: AbortSignal,
): Promise<Dataset> {
  const tableDir = d.tablePath!
  const snapshot = await loadSnapshot(tableDir)
  const workDir = workDirFor(deps.dataDir, `${d.id}-${job.id}`)
  const moved: string[] = []
  let committed = false
  try {
    fs.mkdirSync(workDir, { recursive: true })
    const result = await src.copy(workDir)
    // Part file names restart at 0 in every copy: prefix them with the job id so they never collide.
    const files = result.files.map((f) => ({ ...f, target: `${job.id}-${f.name}` }))
    for (const f of files) {
      fs.renameSync(path.join(workDir, f.name), path.join(tableDir, f.target))
      moved.push(path.join(tableDir, f.target))
    }
    signal.throwIfAborted()
    const schemaChanged = fieldsToSchemaString(src.fields) !== fieldsToSchemaString(snapshot.schema)
    const actions = overwriteActions(snapshot, {
      files: files.map((f) => ({ path: f.target, size: f.size, stats: f.stats })),
      engineInfo: deps.engineInfo, userName: p.sub, runId: job.id,
      ...(schemaChanged ? { schema: src.fields } : {}),
    })
    const { version } = await commitWithRetry(tableDir, {
      actions, readVersion: snapshot.version, readPaths: snapshot.files.map((f) => f.path), blindAppend: false, changesMetadata: schemaChanged,
    }, { signal })
    committed = true
    const now = await loadSnapshot(tableDir, { version })
    const fresh = deps.datasets.get(d.org, d.name) ?? d
    const next: Dataset = {
      ...fresh, schema: now.schema, currentVersion: version, rowCount: statsRowCount(now), updatedAt: new Date().toISOString(),
      provenance: { ...fresh.provenance, ...provenance, refreshed_at: new Date().toISOString(), job: job.id },
    }
    deps.datasets.update(next)
    await classifyAfterWrite(deps, next)
    return next
  } finally {
    await fs.promises.rm(workDir, { recursive: true, force: true })
    if (!committed) for (const f of moved) await fs.promises.rm(f, { force: true })
  }
}

/** POST /api/datasets/import (run as a job): a new managed Delta table with the source's rows. */
export async function importTable(deps: ImportDeps, p: Principal, input: ImportInput, job: JobContext, signal: AbortSignal): Promise<Dataset> {
  const rt = deps.connectors.runtime(p.org, input.connectorId)
  rt.assertAvailable()
  const src = { sourceTable: input.sourceTable, sourceQuery: null }
  job.progress({ phase: 'discovering', percent: 0 })
  const { columns, rowEstimate } = await discoverSource(rt, src, signal)
  const fields = renamedFields(columns, input.rename)
  const settings = validateSettings(input.settings ?? {}, fields)
  if (deps.datasets.isNameTaken(p.org, input.name)) throw nameTaken(input.name)
  const provenance = {
    source: 'postgres', connector_id: input.connectorId, source_table: input.sourceTable,
    ...(Object.keys(input.rename).length > 0 ? { rename: input.rename } : {}),
    columns,
  }
  return createImportedTable(deps, p, { name: input.name, description: input.description, settings }, provenance, {
    fields,
    copy: (outDir) => copyRows(deps.pool, rt, { from: fromClause(src), columns, fields, outDir, rowsPerFile: deps.rowsPerFile, rowEstimate }, job, signal),
  }, job, signal)
}

/** True for a dataset created by an import (it can be refreshed from its source). */
export function isImported(d: Dataset): boolean {
  return d.kind === 'lakehouse' && (d.provenance.source === 'postgres' || d.provenance.source === 'bigquery')
    && typeof d.provenance.connector_id === 'string' && d.tablePath !== null
}

/** The refusal for refreshing a dataset that was not imported. */
export const notImported = (d: Dataset) =>
  new SluiceError(422, 'unsupported_table', `dataset "${d.name}" was not imported from a connector: there is nothing to refresh it from`)

/**
 * Re-copies a table imported from PostgreSQL as a new overwrite version (schema follows the
 * source: a column added there appears here). The commit records the job id as run_id.
 */
export async function refreshImport(deps: ImportDeps, p: Principal, d: Dataset, job: JobContext, signal: AbortSignal): Promise<Dataset> {
  if (!isImported(d) || d.provenance.source !== 'postgres') throw notImported(d)
  const prov = d.provenance as { connector_id: string; source_table: string; rename?: Record<string, string> }
  const rt = deps.connectors.runtime(d.org, prov.connector_id)
  rt.assertAvailable()
  const src = { sourceTable: prov.source_table, sourceQuery: null }
  job.progress({ phase: 'discovering', percent: 0 })
  const { columns, rowEstimate } = await discoverSource(rt, src, signal)
  // A renamed column dropped at the source is not an error for a refresh: keep the others.
  const rename = Object.fromEntries(Object.entries(prov.rename ?? {}).filter(([from]) => columns.some((c) => c.name === from)))
  const fields = renamedFields(columns, rename)
  return overwriteImportedTable(deps, p, d, { columns }, {
    fields,
    copy: (outDir) => copyRows(deps.pool, rt, { from: fromClause(src), columns, fields, outDir, rowsPerFile: deps.rowsPerFile, rowEstimate }, job, signal),
  }, job, signal)
}
