/**
 * Imports from a BigQuery connector into the lakehouse, through the job machinery of
 * PostgreSQL imports (import.ts: work folder, commit with the job id as run_id, catalog,
 * classification after the write, refresh as overwrite versions).
 *
 * - The source is `source_table` (`dataset.table`, the allow-list enforced) or `source_query`
 *   (one SELECT). Before any job runs, a dry run gives the schema and the bytes the copy will
 *   bill: over the connector's `maximum_bytes_billed` it is 422 query_too_expensive (the job
 *   itself is also sent with that limit). A refresh dry-runs again (the schema follows the
 *   source) and fails the same way.
 * - The rows are the source's `SELECT *`, read page by page by a worker (workers/bq-import.ts)
 *   that decodes each cell natively (BIGQUERY.md type map) and writes Parquet part files. The
 *   copy holds one of the connector's job slots. Cancelling the job sends the worker a cancel
 *   message: it cancels the BigQuery job (jobs.cancel) and deletes what it wrote.
 */
import { MessageChannel } from 'node:worker_threads'
import { invalidParameter, nameTaken } from '../../proto/errors.js'
import type { ColumnMeta, Field } from '../../proto/types.js'
import { typeName } from '../../proto/types.js'
import type { Principal } from '../../proto/principal.js'
import type { BigQuerySourceColumn, BqImportResult, BqImportTask, BqImportToMain } from '../../proto/bigquery.js'
import { validateSettings, type Dataset } from '../catalog/index.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import type { BqRuntime } from '../connectors/bigquery-runtime.js'
import { datasetAllowed } from '../connectors/bigquery-config.js'
import { BQ_PAGE_ROWS } from '../connectors/bigquery-explore.js'
import { assertAffordable, bqSourceSql, checkBqSourceQuery, dryRunSource, parseBqSourceTable } from '../connectors/bigquery-register.js'
import { sourceOfBody } from '../connectors/postgres.js'
import { createImportedTable, isImported, notImported, overwriteImportedTable, renamedFields, type ImportDeps } from './import.js'
import type { JobContext } from './runner.js'

export interface BqImportInput {
  connectorId: string
  sourceTable: unknown
  sourceQuery: unknown
  name: string
  rename: Record<string, string>
  settings: unknown
  description: string
}

type BqSourceRef = { sourceTable: string | null; sourceQuery: string | null }

/** What the dry run before the job decided: the job only copies and commits. */
export interface BqImportPlan {
  connectorId: string
  name: string
  description: string
  source: BqSourceRef
  columns: BigQuerySourceColumn[]
  fields: Field[]
  settings: Dataset['settings']
  rename: Record<string, string>
  estimatedBytes: number
  rowEstimate: number | null
}

/** The source of a body, checked: `dataset.table` in the allow-list, or one SELECT. */
function checkedSource(rt: BqRuntime, sourceTable: unknown, sourceQuery: unknown): BqSourceRef {
  const src = sourceOfBody(sourceTable, sourceQuery)
  if (src.sourceTable !== null) {
    const { dataset } = parseBqSourceTable(src.sourceTable)
    if (!datasetAllowed(rt.config, dataset)) throw invalidParameter('source_table', `dataset "${dataset}" is not in connector "${rt.id}"'s datasets allow-list`)
    return src
  }
  return { sourceTable: null, sourceQuery: checkBqSourceQuery(src.sourceQuery!) }
}

/**
 * POST /api/datasets/import with a BigQuery connector, before the job: the source, the name,
 * the dry run (schema, bytes), the cost guard, renames and settings. Throws the 4xx/5xx the
 * caller gets instead of a job (422 query_too_expensive, invalid_query, 429, 503...).
 */
export async function planBigQueryImport(deps: ImportDeps, p: Principal, input: BqImportInput, signal: AbortSignal): Promise<BqImportPlan> {
  const rt = deps.connectors.bigQueryRuntime(p.org, input.connectorId)
  const source = checkedSource(rt, input.sourceTable, input.sourceQuery)
  if (deps.datasets.isNameTaken(p.org, input.name)) throw nameTaken(input.name)
  rt.assertAvailable()
  const { columns, estimatedBytes, rowCount } = await dryRunSource(rt, source, signal)
  assertAffordable(rt, estimatedBytes)
  const fields = renamedFields(columns, input.rename)
  const settings = validateSettings(input.settings ?? {}, fields)
  return {
    connectorId: input.connectorId, name: input.name, description: input.description, source, columns, fields, settings,
    rename: input.rename, estimatedBytes, rowEstimate: rowCount,
  }
}

function provenanceOf(plan: Pick<BqImportPlan, 'connectorId' | 'source' | 'rename' | 'columns' | 'estimatedBytes'>): Record<string, unknown> {
  return {
    source: 'bigquery', connector_id: plan.connectorId,
    ...(plan.source.sourceTable !== null ? { source_table: plan.source.sourceTable } : { source_query: plan.source.sourceQuery }),
    ...(Object.keys(plan.rename).length > 0 ? { rename: plan.rename } : {}),
    columns: plan.columns, estimated_bytes: plan.estimatedBytes,
  }
}

/** The import job: copy the rows, commit version 0, insert the dataset, classify. */
export async function importBigQuery(deps: ImportDeps, p: Principal, plan: BqImportPlan, job: JobContext, signal: AbortSignal): Promise<Dataset> {
  const rt = deps.connectors.bigQueryRuntime(p.org, plan.connectorId)
  job.progress({ phase: 'copying', percent: 0, estimated_bytes: plan.estimatedBytes })
  return createImportedTable(deps, p, { name: plan.name, description: plan.description, settings: plan.settings }, provenanceOf(plan), {
    fields: plan.fields,
    copy: (outDir) => copyBigQueryRows(deps.pool, rt, { source: plan.source, fields: plan.fields, outDir, rowsPerFile: deps.rowsPerFile, rowEstimate: plan.rowEstimate }, job, signal),
  }, job, signal)
}

/**
 * Re-copies a table imported from BigQuery as a new overwrite version: dry run (schema, cost
 * guard) then copy; renames of columns gone at the source are dropped. Committed with the job
 * id as run_id; on failure the table stays at its last committed version.
 */
export async function refreshBigQueryImport(deps: ImportDeps, p: Principal, d: Dataset, job: JobContext, signal: AbortSignal): Promise<Dataset> {
  if (!isImported(d) || d.provenance.source !== 'bigquery') throw notImported(d)
  const prov = d.provenance as { connector_id: string; source_table?: string; source_query?: string; rename?: Record<string, string> }
  const rt = deps.connectors.bigQueryRuntime(d.org, prov.connector_id)
  rt.assertAvailable()
  const source: BqSourceRef = { sourceTable: prov.source_table ?? null, sourceQuery: prov.source_query ?? null }
  job.progress({ phase: 'discovering', percent: 0 })
  const { columns, estimatedBytes, rowCount } = await dryRunSource(rt, source, signal)
  assertAffordable(rt, estimatedBytes)
  const rename = Object.fromEntries(Object.entries(prov.rename ?? {}).filter(([from]) => columns.some((c) => c.name === from)))
  const fields = renamedFields(columns, rename)
  job.progress({ phase: 'copying', percent: 0, estimated_bytes: estimatedBytes })
  return overwriteImportedTable(deps, p, d, { columns, estimated_bytes: estimatedBytes }, {
    fields,
    copy: (outDir) => copyBigQueryRows(deps.pool, rt, { source, fields, outDir, rowsPerFile: deps.rowsPerFile, rowEstimate: rowCount }, job, signal),
  }, job, signal)
}

export interface BqCopyRequest {
  source: BqSourceRef
  /** the Delta table's fields, one per source column (renamed) */
  fields: Field[]
  outDir: string
  rowsPerFile: number
  /** the table's row count when known (percent until BigQuery reports totalRows) */
  rowEstimate: number | null
}

const columnMeta = (f: Field): ColumnMeta => ({
  name: f.name, type: typeName(f), masked: false, logical: f.type,
  ...(f.precision !== undefined ? { precision: f.precision, scale: f.scale } : {}),
})

/** Percent of a copy; the last 5 % are the commit. */
function copyPercent(rows: number, total: number | null): number {
  if (!total || total <= 0) return 0
  return Math.min(95, Math.floor((rows / total) * 95))
}

/** Copies the rows of a BigQuery source into Parquet files in `outDir` (bq-import worker), holding a job slot. */
export async function copyBigQueryRows(pool: WorkerPool, rt: BqRuntime, req: BqCopyRequest, job: JobContext | null, signal: AbortSignal): Promise<BqImportResult> {
  const release = await rt.acquire(signal)
  const { port1, port2 } = new MessageChannel()
  const onAbort = () => port1.postMessage({ type: 'cancel' })
  port1.on('message', (m: BqImportToMain) => {
    if (m.type !== 'progress') return
    job?.progress({ phase: 'copying', percent: copyPercent(m.rows, m.totalRows ?? req.rowEstimate), rows_copied: m.rows, bytes_written: m.bytesWritten, ...(m.totalRows !== null ? { rows_total: m.totalRows } : {}) })
  })
  signal.addEventListener('abort', onAbort, { once: true })
  try {
    const task: BqImportTask = {
      kind: 'bq-import', connection: rt.connection(), sql: bqSourceSql(rt.config.project_id, req.source), params: [],
      columns: req.fields.map(columnMeta), fields: req.fields, outDir: req.outDir, targetRowsPerFile: req.rowsPerFile,
      pageRows: BQ_PAGE_ROWS, port: port2,
    }
    if (signal.aborted) throw signal.reason
    // No abort signal to piscina: terminating the thread would not cancel the BigQuery job.
    const result = await pool.run<BqImportResult>(WORKERS.bqImport, task, { transferList: [port2] })
    signal.throwIfAborted()
    job?.progress({ phase: 'committing', percent: 96, rows_copied: result.rowCount })
    return result
  } catch (err) {
    signal.throwIfAborted()
    rt.reportFailure(err)
    throw err
  } finally {
    signal.removeEventListener('abort', onAbort)
    port1.close()
    release()
  }
}

