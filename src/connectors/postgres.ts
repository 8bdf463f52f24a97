/**
 * Datasets whose rows stay in PostgreSQL (kind `connector`): registering one (schema
 * discovered without reading rows) and streaming an explore plan compiled to one SQL
 * statement. A worker owns the connection for the statement (workers/pg-scan.ts), decodes
 * and encodes the rows and streams bytes back with credit-based flow control, so the main
 * thread touches no row and a slow client slows the cursor down, not our memory.
 */
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { PgScanTask } from '../../proto/postgres.js'
import type { Principal } from '../../proto/principal.js'
import { validateSettings, type Dataset, type DatasetStore } from '../catalog/index.js'
import { compilePostgres, type PgSqlSource } from '../query/index.js'
import { maskSql, maskSqlSupported } from '../query/masking-sql.js'
import { maskedField } from '../../proto/masking.js'
import type { TaskMasks } from '../../proto/masks.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { streamTask } from './scan-stream.js'
import { valueExpr, type PgSourceColumn } from './postgres-types.js'
import { discoverColumns, estimateRows, quoteIdent, sourceQueryFrom, sourceTableFrom } from './postgres-discover.js'
import type { PgRuntime } from './postgres-runtime.js'
import type { ConnectorRegistry } from './connector-registry.js'
import { assertDeltaDataset, type ExploreRequest } from './lakehouse.js'

/** Rows per cursor fetch and per decoded batch of an import (STACK.md: ~1,000 was best for pg-query-stream). */
export const PG_BATCH_ROWS = 1000

/**
 * Rows per encoded batch of an explore stream, i.e. per chunk sent to the main thread
 * (~700 KB of NDJSON on the 9-column bench table; a transcoded batch is also cut at 1 MB).
 * 4,096 against 1,000, 10 M rows streamed whole as NDJSON, alternated on a loaded 2-core
 * box: 0.76 vs 0.66 M rows/s, server CPU 1.20 vs 1.39 µs per row (fewer chunks, messages
 * and credits). The stall once seen with 4,096 is gone (test/stream-stall.test.ts passes
 * with it). With 4 chunks of credit a PostgreSQL stream holds up to ~3 MB in flight.
 */
export const PG_SCAN_BATCH_ROWS = 4096

/** Where a PostgreSQL-backed dataset reads from (kept in its provenance). */
export interface PgSource {
  connectorId: string
  sourceTable: string | null
  sourceQuery: string | null
  columns: PgSourceColumn[]
}

/** The FROM-clause item of a source: a quoted table or a parenthesised read-only SELECT. */
export function fromClause(src: { sourceTable: string | null; sourceQuery: string | null }): string {
  return src.sourceTable !== null ? sourceTableFrom(src.sourceTable).from : sourceQueryFrom(src.sourceQuery ?? '')
}

/** The PostgreSQL source of a dataset registered on (or imported from) a connector. */
export function pgSourceOf(d: Dataset): PgSource {
  const p = d.provenance as { connector_id?: unknown; source_table?: unknown; source_query?: unknown; columns?: unknown }
  if (typeof p.connector_id !== 'string' || !Array.isArray(p.columns)) {
    throw new SluiceError(422, 'unsupported_table', `dataset "${d.name}" has no PostgreSQL source`)
  }
  return {
    connectorId: p.connector_id,
    sourceTable: typeof p.source_table === 'string' ? p.source_table : null,
    sourceQuery: typeof p.source_query === 'string' ? p.source_query : null,
    columns: p.columns as PgSourceColumn[],
  }
}

/** What discovery found: the source columns and the planner's row estimate (null when unknown). */
export interface Discovered { columns: PgSourceColumn[]; rowEstimate: number | null }

/**
 * Discovers the columns of a source without reading its rows, in a READ ONLY transaction
 * with the connector's statement_timeout (set on the session by the runtime).
 */
export async function discoverSource(rt: PgRuntime, src: { sourceTable: string | null; sourceQuery: string | null }, signal: AbortSignal): Promise<Discovered> {
  const table = src.sourceTable !== null ? sourceTableFrom(src.sourceTable) : null
  const from = table ? table.from : sourceQueryFrom(src.sourceQuery ?? '')
  return rt.withClient(async (c) => {
    await c.query('BEGIN TRANSACTION READ ONLY')
    try {
      const columns = await discoverColumns(c, from, table ? { schema: table.schema, table: table.table } : undefined)
      const rowEstimate = table ? await estimateRows(c, table.schema, table.table) : null
      return { columns, rowEstimate }
    } finally {
      await c.query('ROLLBACK').catch(() => {})
    }
  }, signal)
}

export interface RegisterPgInput {
  name: string
  connectorId: string
  sourceTable: unknown
  sourceQuery: unknown
  description: string
  settings: unknown
}

/** Exactly one of source_table / source_query, as strings. */
export function sourceOfBody(sourceTable: unknown, sourceQuery: unknown): { sourceTable: string | null; sourceQuery: string | null } {
  if (sourceTable !== undefined && sourceQuery !== undefined) throw invalidParameter('source_query', 'give either source_table or source_query, not both')
  if (sourceTable !== undefined) {
    if (typeof sourceTable !== 'string') throw invalidParameter('source_table', 'must be a string "schema.table"')
    return { sourceTable, sourceQuery: null }
  }
  if (sourceQuery !== undefined) {
    if (typeof sourceQuery !== 'string') throw invalidParameter('source_query', 'must be a string holding one SELECT')
    return { sourceTable: null, sourceQuery }
  }
  throw invalidParameter('source_table', 'required: "schema.table", or a source_query')
}

/** POST /api/datasets for a PostgreSQL connector: a `connector` dataset, no rows copied. */
export async function registerPostgresDataset(
  deps: { datasets: DatasetStore; connectors: ConnectorRegistry }, p: Principal, input: RegisterPgInput, signal: AbortSignal,
): Promise<Dataset> {
  const src = sourceOfBody(input.sourceTable, input.sourceQuery)
  // Cheap checks before the round trips: the syntax of the source, the name.
  fromClause(src)
  if (deps.datasets.isNameTaken(p.org, input.name)) throw new SluiceError(409, 'dataset_name_taken', `a dataset named "${input.name}" already exists`)
  const rt = deps.connectors.runtime(p.org, input.connectorId)
  rt.assertAvailable()
  const { columns, rowEstimate } = await discoverSource(rt, src, signal)
  const schema: Field[] = columns.map((c) => c.field)
  const settings = validateSettings(input.settings ?? {}, schema, { pushdown: true })
  const now = new Date().toISOString()
  const dataset: Dataset = {
    id: deps.datasets.newId(), org: p.org, name: input.name, kind: 'connector', description: input.description,
    schema, settings,
    provenance: {
      source: 'postgres', connector_id: input.connectorId,
      ...(src.sourceTable !== null ? { source_table: src.sourceTable } : { source_query: src.sourceQuery }),
      columns,
    },
    tablePath: null, currentVersion: null, rowCount: rowEstimate,
    createdBy: p.sub, createdAt: now, updatedAt: now,
  }
  deps.datasets.insert(dataset)
  return dataset
}

/** Column name → value expression over the source's quoted columns (where masking will go). */
export function valueExpressions(columns: readonly PgSourceColumn[]): Map<string, string> {
  return new Map(columns.map((c) => [c.name, valueExpr(quoteIdent(c.name), c.conversion)]))
}

/** The transaction-local setting that carries the org's masking salt to `hash` masks. */
export const SALT_SETTING = 'sluice.mask_salt'

/**
 * The source as a caller sees it: each masked column's value expression wrapped in its SQL
 * mask (src/query/masking-sql.ts), with the masked field type, so filters, groups, orders
 * and aggregates in the outer query only ever see masked values. `hash` reads the org's
 * salt from a transaction-local setting (`settings`, set with a bound parameter by the
 * worker), so it is never in statement text, which COPY inlines.
 */
export function pgSourceView(columns: readonly PgSourceColumn[], masks: TaskMasks | null): Pick<PgSqlSource, 'columns' | 'fields'> & { settings: Record<string, string> } {
  const exprs = valueExpressions(columns)
  const fields = new Map(columns.map((c) => [c.name, c.field]))
  if (!masks || masks.rules.length === 0) return { columns: exprs, fields, settings: {} }
  const needsSalt = masks.rules.some((r) => r.strategy === 'hash')
  for (const rule of masks.rules) {
    const field = fields.get(rule.column)
    if (!field) continue // a rule on a column the source no longer has masks nothing
    if (!maskSqlSupported(rule, field)) {
      throw new SluiceError(422, 'invalid_settings', `masking rule on "${rule.column}": strategy "${rule.strategy}" cannot run in PostgreSQL for a ${field.type} column; change the rule`)
    }
    exprs.set(rule.column, maskSql(rule, exprs.get(rule.column)!, field, `current_setting('${SALT_SETTING}')`))
    fields.set(rule.column, maskedField(field, rule))
  }
  return { columns: exprs, fields, settings: needsSalt ? { [SALT_SETTING]: masks.salt } : {} }
}

/**
 * Streams a plan over a PostgreSQL-backed dataset. Holds one of the connector's slots for
 * the whole statement (the worker's connection); a connection failure marks the connector
 * suspect so its health probe runs.
 */
export async function* explorePostgres(pool: WorkerPool, connectors: ConnectorRegistry, d: Dataset, req: ExploreRequest): AsyncGenerator<Uint8Array> {
  if (req.readAt.version !== null || req.readAt.asOf !== null) assertDeltaDataset(d, 'time travel (version, as_of)')
  const src = pgSourceOf(d)
  const rt = connectors.runtime(d.org, src.connectorId)
  rt.assertAvailable()
  const view = pgSourceView(src.columns, req.masks)
  const { sql, params } = compilePostgres(req.plan, { from: fromClause(src), columns: view.columns, fields: view.fields })
  const release = await rt.acquire(req.signal)
  try {
    yield* streamTask(pool, WORKERS.pgScan, (port, initialCredit): PgScanTask => ({
      kind: 'pg-scan', connection: rt.connection(), sql, params, settings: view.settings, columns: req.columns, format: req.format,
      batchRows: PG_SCAN_BATCH_ROWS, initialCredit, port,
    }), req.signal)
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'connector_unavailable') rt.reportFailure(err)
    throw err
  } finally {
    release()
  }
}
