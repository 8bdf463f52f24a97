/**
 * Explore over a BigQuery-backed dataset (kind `connector`, provenance source `bigquery`): the
 * plan compiles to one GoogleSQL statement (src/query/bigquery-sql.ts) over the source's value
 * expressions, masked per caller (maskSqlBigQuery, the salt a query parameter `@mask_salt`,
 * never SQL text), and a worker (workers/bq-scan.ts) runs the job, fetches result pages as
 * credit arrives, decodes and encodes them; a client that leaves cancels the job.
 */
import { SluiceError } from '../../proto/errors.js'
import type { BigQueryConnection, BigQuerySourceColumn, BqScanTask } from '../../proto/bigquery.js'
import type { Field } from '../../proto/types.js'
import type { TaskMasks } from '../../proto/masks.js'
import { maskedField } from '../../proto/masking.js'
import type { Dataset } from '../catalog/index.js'
import { compileBigQuery, quoteIdent, toRestParameters, type BigQueryRestParameter } from '../query/bigquery-sql.js'
import { bigQueryType, maskSqlBigQuery, maskSqlBigQuerySupported } from '../query/masking-sql-bigquery.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { streamTask } from './scan-stream.js'
import { bqValueExpr } from './bigquery-types.js'
import type { ConnectorRegistry } from './connector-registry.js'
import { assertDeltaDataset, type ExploreRequest } from './lakehouse.js'

/** Rows per result page (jobs.getQueryResults maxResults). */
export const BQ_PAGE_ROWS = 10_000

/** The masking salt's query parameter (no compiled parameter is named like it: those are `p<n>`). */
export const SALT_PARAM = 'mask_salt'

/** Where a BigQuery-backed dataset reads from (kept in its provenance). */
export interface BqSource {
  connectorId: string
  sourceTable: string | null
  sourceQuery: string | null
  columns: BigQuerySourceColumn[]
}

export function bqSourceOf(d: Dataset): BqSource {
  const p = d.provenance as { connector_id?: unknown; source_table?: unknown; source_query?: unknown; columns?: unknown }
  if (typeof p.connector_id !== 'string' || !Array.isArray(p.columns)) {
    throw new SluiceError(422, 'unsupported_table', `dataset "${d.name}" has no BigQuery source`)
  }
  return {
    connectorId: p.connector_id,
    sourceTable: typeof p.source_table === 'string' ? p.source_table : null,
    sourceQuery: typeof p.source_query === 'string' ? p.source_query : null,
    columns: p.columns as BigQuerySourceColumn[],
  }
}

/**
 * The FROM item: a table `project.dataset.table` (or `dataset.table`, in the connection's
 * project) as one backtick-quoted path, or the source query in parentheses.
 */
export function bqFromClause(src: Pick<BqSource, 'sourceTable' | 'sourceQuery'>, projectId: string): string {
  if (src.sourceTable !== null) {
    const parts = src.sourceTable.split('.')
    if (parts.length < 2 || parts.length > 3 || parts.some((x) => x === '')) {
      throw new SluiceError(422, 'invalid_query', `source_table "${src.sourceTable}" is not "dataset.table" or "project.dataset.table"`)
    }
    return quoteIdent((parts.length === 2 ? [projectId, ...parts] : parts).join('.'))
  }
  return `(${src.sourceQuery ?? ''})`
}

/**
 * The source as a caller sees it: value expressions over `` `src`.`col` `` (bqValueExpr),
 * masked columns wrapped in maskSqlBigQuery with the masked field type. The salt is the
 * `@mask_salt` STRING parameter (only when a `hash` rule needs it).
 */
export function bqSourceView(columns: readonly BigQuerySourceColumn[], masks: TaskMasks | null): {
  columns: Map<string, string>; fields: Map<string, Field>; params: BigQueryRestParameter[]
} {
  const exprs = new Map(columns.map((c) => [c.name, bqValueExpr(`${quoteIdent('src')}.${quoteIdent(c.name)}`, c)]))
  const fields = new Map(columns.map((c) => [c.name, c.field]))
  if (!masks || masks.rules.length === 0) return { columns: exprs, fields, params: [] }
  for (const rule of masks.rules) {
    const field = fields.get(rule.column)
    if (!field) continue
    if (!maskSqlBigQuerySupported(rule, field)) {
      throw new SluiceError(422, 'invalid_settings', `masking rule on "${rule.column}": strategy "${rule.strategy}" cannot run in BigQuery for a ${field.type} column; change the rule`)
    }
    exprs.set(rule.column, maskSqlBigQuery(rule, exprs.get(rule.column)!, field, `@${SALT_PARAM}`))
    fields.set(rule.column, maskedField(field, rule))
  }
  const needsSalt = masks.rules.some((r) => r.strategy === 'hash')
  const params: BigQueryRestParameter[] = needsSalt
    ? [{ name: SALT_PARAM, parameterType: { type: 'STRING' }, parameterValue: { value: masks.salt } }]
    : []
  return { columns: exprs, fields, params }
}

/** The SQL and REST parameters of a plan over a BigQuery source, for a caller's masks. */
export function compileBigQueryExplore(src: BqSource, projectId: string, req: Pick<ExploreRequest, 'plan' | 'masks'>): { sql: string; params: BigQueryRestParameter[] } {
  const view = bqSourceView(src.columns, req.masks)
  const { sql, params } = compileBigQuery(req.plan, { from: bqFromClause(src, projectId), columns: view.columns, fields: view.fields })
  return { sql, params: [...toRestParameters(params), ...view.params] }
}

/**
 * Streams a plan over a BigQuery-backed dataset, with its connector's connection. Holds one
 * of the connector's job slots for the whole stream (503 overloaded after queue_timeout when
 * all are busy, as PostgreSQL's pool); a 503 from BigQuery makes the connector suspect.
 */
export async function* exploreBigQuery(pool: WorkerPool, connectors: Pick<ConnectorRegistry, 'bigQueryRuntime'>, d: Dataset, req: ExploreRequest): AsyncGenerator<Uint8Array> {
  const src = bqSourceOf(d)
  const rt = connectors.bigQueryRuntime(d.org, src.connectorId)
  // 404 connector_not_found / 503 connector_unavailable (unreadable key, no credentials) before any byte
  const connection = rt.connection()
  const release = await rt.acquire(req.signal)
  try {
    yield* exploreBigQueryWith(pool, connection, d, req)
  } catch (err) {
    rt.reportFailure(err)
    throw err
  } finally {
    release()
  }
}

/** Streams a plan over a BigQuery-backed dataset with a given connection. */
export async function* exploreBigQueryWith(pool: WorkerPool, connection: BigQueryConnection, d: Dataset, req: ExploreRequest): AsyncGenerator<Uint8Array> {
  if (req.readAt.version !== null || req.readAt.asOf !== null) assertDeltaDataset(d, 'time travel (version, as_of)')
  const src = bqSourceOf(d)
  const { sql, params } = compileBigQueryExplore(src, connection.projectId, req)
  const sourceColumns: BigQuerySourceColumn[] = req.columns.map((c) => {
    const field: Field = { name: c.name, type: c.logical, nullable: true, ...(c.precision !== undefined ? { precision: c.precision, scale: c.scale } : {}) }
    return { name: c.name, bqType: bigQueryType(field), field }
  })
  yield* streamTask(pool, WORKERS.bqScan, (port, initialCredit): BqScanTask => ({
    kind: 'bq-scan', connection, sql, params: params.map((p) => ({ ...p })), sourceColumns, columns: req.columns, format: req.format,
    pageRows: BQ_PAGE_ROWS, initialCredit, port,
  }), req.signal)
}
