/**
 * Automatic classification of a dataset's columns (proto/classification.ts): the system
 * reads a sample of RAW values (no masking: a governance function, and its output holds no
 * values) in a worker and stores the result, keeping manual overrides (ClassificationStore).
 *
 * - uploads, imports, registered Delta tables and Parquet folders: the worker reads up to
 *   CLASSIFY_SAMPLE_ROWS rows from the current version's Parquet files;
 * - PostgreSQL datasets: the worker runs `SELECT <value expressions> FROM <source> LIMIT n` on
 *   one connection slot of the connector;
 * - BigQuery datasets: the worker runs `SELECT <value expressions> FROM <source> AS src LIMIT n`
 *   as one query job through the BigQuery page reader. LIMIT, not TABLESAMPLE: the first rows
 *   BigQuery returns (not a random sample; TABLESAMPLE could return no row of a small table).
 *   LIMIT does not reduce the bytes BigQuery bills, so the statement is dry-run first (422
 *   query_too_expensive over the connector's maximum_bytes_billed) and the job carries
 *   maximumBytesBilled.
 *
 * Main thread: plans the read, never touches a row.
 */
import { dryRunBytes, isBigQueryDataset } from '../connectors/bigquery-dataset.js'
import { bqFromClause, bqSourceOf, bqSourceView } from '../connectors/bigquery-explore.js'
import { assertAffordable } from '../connectors/bigquery-register.js'
import { quoteIdent as bqQuoteIdent } from '../query/bigquery-sql.js'
import { SluiceError } from '../../proto/errors.js'
import { CLASSIFY_SAMPLE_ROWS, type ClassifyTask, type ColumnClassification } from '../../proto/classification.js'
import { typeName, type ColumnMeta, type Field } from '../../proto/types.js'
import type { ClassificationStore, Dataset } from '../catalog/index.js'
import type { ConnectorRegistry } from '../connectors/connector-registry.js'
import { confineTableFiles, loadTableSnapshot, statsRowCount, tableRefOf } from '../connectors/lakehouse.js'
import { folderSnapshot } from '../connectors/parquet-folder.js'
import { fromClause, pgSourceOf, valueExpressions } from '../connectors/postgres.js'
import { pruneFiles } from '../lakehouse/index.js'
import { quoteIdent } from '../query/index.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import type { Logger } from '../log.js'

export interface ClassifyDeps {
  pool: WorkerPool
  dataDir: string
  classifications: ClassificationStore
  /** needed for PostgreSQL datasets only (uploads and imports are read from their files) */
  connectors?: ConnectorRegistry
}

/** The sample task of a file-backed dataset: its current files (none for an empty table). */
async function fileTask(dataDir: string, d: Dataset): Promise<ClassifyTask> {
  const ref = await tableRefOf(dataDir, d)
  if (ref.kind === 'parquet' && !ref.confineTo) throw new SluiceError(500, 'internal', 'internal error')
  const snapshot = ref.kind === 'parquet' ? await folderSnapshot(ref.confineTo!, ref.tablePath, d.schema) : await loadTableSnapshot(ref)
  const files = statsRowCount(snapshot) === 0 ? [] : pruneFiles(snapshot, null)
  await confineTableFiles(ref, files.map((f) => f.absolutePath))
  // Columns the catalog knows but this snapshot lacks still get a row (read as nulls), so a
  // lazy GET does not classify again and again.
  const have = new Set(snapshot.schema.map((f) => f.name))
  return {
    kind: 'classify', fields: [...snapshot.schema, ...d.schema.filter((f) => !have.has(f.name))], sampleRows: CLASSIFY_SAMPLE_ROWS,
    files: files.map((f) => ({ path: f.absolutePath, partitionValues: f.typedPartitionValues })),
  }
}

/** Runs the classify task of a PostgreSQL dataset holding one of its connector's slots. */
async function classifyPostgres(deps: ClassifyDeps, d: Dataset, signal?: AbortSignal): Promise<{ fields: Field[]; result: ColumnClassification[] }> {
  if (!deps.connectors) throw new SluiceError(500, 'internal', 'internal error')
  const src = pgSourceOf(d)
  const rt = deps.connectors.runtime(d.org, src.connectorId)
  rt.assertAvailable()
  const exprs = valueExpressions(src.columns)
  const select = src.columns.map((c) => `${exprs.get(c.name)} AS ${quoteIdent(c.name)}`).join(', ')
  const sql = `SELECT ${select} FROM ${fromClause(src)} AS "src" LIMIT ${CLASSIFY_SAMPLE_ROWS}`
  const fields = src.columns.map((c) => c.field)
  const release = await rt.acquire(signal)
  try {
    const task: ClassifyTask = { kind: 'classify', fields, postgres: { connection: rt.connection(), sql } }
    return { fields, result: await deps.pool.run<ColumnClassification[]>(WORKERS.classify, task) }
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'connector_unavailable') rt.reportFailure(err)
    throw err
  } finally {
    release()
  }
}

/** Runs the classify task of a BigQuery dataset (a LIMIT-ed query job in the worker). */
async function classifyBigQuery(deps: ClassifyDeps, d: Dataset, signal?: AbortSignal): Promise<{ fields: Field[]; result: ColumnClassification[] }> {
  if (!deps.connectors) throw new SluiceError(500, 'internal', 'internal error')
  const src = bqSourceOf(d)
  const rt = deps.connectors.bigQueryRuntime(d.org, src.connectorId)
  const connection = rt.connection()
  const exprs = bqSourceView(src.columns, null).columns
  const select = src.columns.map((c) => `${exprs.get(c.name)} AS ${bqQuoteIdent(c.name)}`).join(', ')
  const sql = `SELECT ${select} FROM ${bqFromClause(src, connection.projectId)} AS ${bqQuoteIdent('src')} LIMIT ${CLASSIFY_SAMPLE_ROWS}`
  assertAffordable(rt, await dryRunBytes(connection, rt.id, sql, [], signal ?? new AbortController().signal))
  const fields = src.columns.map((c) => c.field)
  const columns: ColumnMeta[] = fields.map((f) => ({ name: f.name, type: typeName(f), masked: false, logical: f.type, precision: f.precision, scale: f.scale }))
  const task: ClassifyTask = { kind: 'classify', fields, bigquery: { connection, sql, params: [], columns } }
  const release = await rt.acquire(signal)
  try {
    return { fields, result: await deps.pool.run<ColumnClassification[]>(WORKERS.classify, task) }
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'connector_unavailable') rt.reportFailure(err)
    throw err
  } finally {
    release()
  }
}

/**
 * Classifies every column of `d` now and stores the result (manual overrides stay). Returns
 * the stored classifications. `signal` stops it before the worker starts (the task itself is
 * short and never aborted: aborting a piscina task ends the whole worker thread).
 */
export async function classifyDataset(deps: ClassifyDeps, d: Dataset, signal?: AbortSignal): Promise<ColumnClassification[]> {
  signal?.throwIfAborted()
  let fields: Field[]
  let result: ColumnClassification[]
  if (isBigQueryDataset(d)) {
    ({ fields, result } = await classifyBigQuery(deps, d, signal))
  } else if (d.kind === 'connector') {
    ({ fields, result } = await classifyPostgres(deps, d, signal))
  } else {
    const task = await fileTask(deps.dataDir, d)
    signal?.throwIfAborted()
    fields = task.fields
    result = await deps.pool.run<ColumnClassification[]>(WORKERS.classify, task)
  }
  const columns = new Set([...fields.map((f) => f.name), ...d.schema.map((f) => f.name)])
  deps.classifications.replaceAuto(d.id, result, [...columns])
  return deps.classifications.list(d.id)
}

// Lazy classifications in flight, per dataset: concurrent first reads share one run.
const inFlight = new Map<string, Promise<ColumnClassification[]>>()

/** The stored classifications, classifying first when a column of the schema has none yet. */
export async function ensureClassified(deps: ClassifyDeps, d: Dataset): Promise<ColumnClassification[]> {
  const stored = deps.classifications.list(d.id)
  const have = new Set(stored.map((c) => c.name))
  if (d.schema.every((f) => have.has(f.name))) return stored
  let run = inFlight.get(d.id)
  if (!run) {
    // no caller's signal: the run is shared, one client leaving must not fail the others
    run = classifyDataset(deps, d).finally(() => inFlight.delete(d.id))
    inFlight.set(d.id, run)
  }
  return run
}

/** What the upload and import jobs carry for the hook (their deps extend it). */
export interface ClassifyHookDeps extends ClassifyDeps { log: Logger }

/**
 * The hook of uploads and imports, after their commit: classify, best-effort. A failure is
 * logged, never thrown: the data is committed and the dataset usable; `POST
 * .../classification/refresh` classifies again (and a GET does for columns never classified).
 */
export async function classifyAfterWrite(deps: ClassifyHookDeps, d: Dataset): Promise<void> {
  const started = performance.now()
  try {
    const stored = await classifyDataset(deps, d)
    deps.log.info({ dataset: d.name, org: d.org, columns: stored.length, ms: Math.round((performance.now() - started) * 10) / 10 }, 'dataset classified')
  } catch (err) {
    deps.log.warn({ dataset: d.name, org: d.org, error: (err as Error).message }, 'automatic classification failed; the write itself succeeded')
  }
}
