/**
 * Registering a BigQuery table or query as a dataset (kind `connector`, rows stay in
 * BigQuery): `source_table` (`dataset.table`, the connector's allow-list enforced) or
 * `source_query` (one SELECT). The schema and the bytes a scan would process come from a
 * dry-run job (jobs.insert with dryRun: nothing runs, nothing is billed); a source over the
 * connector's `maximum_bytes_billed` is refused before it ever runs (422
 * query_too_expensive). Provenance: `{source: 'bigquery', connector_id, source_table |
 * source_query, columns: BigQuerySourceColumn[], estimated_bytes}`.
 */
import { SluiceError, invalidParameter, invalidQuery } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { BigQuerySourceColumn } from '../../proto/bigquery.js'
import type { Principal } from '../../proto/principal.js'
import { validateSettings, type Dataset, type DatasetStore } from '../catalog/index.js'
import { quoteIdent } from '../query/bigquery-sql.js'
import type { ConnectorRegistry } from './connector-registry.js'
import type { BqRuntime } from './bigquery-runtime.js'
import { DATASET_ID, datasetAllowed } from './bigquery-config.js'
import { mapBqField, type BqRestField } from './bigquery-types.js'
import { sourceOfBody } from './postgres.js'

/** Deadline of the dry run (and tables.get) of a registration: BigQuery plans in seconds. */
const DRY_RUN_TIMEOUT_MS = 30_000

export interface RegisterBqInput {
  name: string
  connectorId: string
  sourceTable: unknown
  sourceQuery: unknown
  description: string
  settings: unknown
}

/** `dataset.table` → its parts; 422 invalid_parameter `source_table` otherwise. */
export function parseBqSourceTable(s: string): { dataset: string; table: string } {
  const m = /^([A-Za-z0-9_]+)\.([^.`\\\u0000-\u001f]{1,1024})$/.exec(s)
  if (!m || !DATASET_ID.test(m[1]!)) throw invalidParameter('source_table', 'must be "dataset.table" (a dataset of the connector\'s project)')
  return { dataset: m[1]!, table: m[2]! }
}

/**
 * One SELECT (or WITH … SELECT): comments and a trailing `;` allowed, no second statement.
 * Returns the query without the trailing semicolons. The dry run's statementType is the
 * final word (a script or DML is refused there too).
 */
export function checkBqSourceQuery(q: string): string {
  if (q.length > 1_000_000) throw invalidParameter('source_query', 'at most 1,000,000 characters')
  const code = stripLiterals(q)
  const trimmed = code.replace(/[\s;]+$/, '')
  if (trimmed.includes(';')) throw invalidQuery('source_query must be one SELECT statement (no ";" between statements)')
  if (!/^[\s(]*(SELECT|WITH)\b/i.test(trimmed)) throw invalidQuery('source_query must be one SELECT statement (SELECT … or WITH … SELECT …)')
  // the same length in q and code: cut q where code's statement ends
  return q.slice(0, trimmed.length)
}

/** `q` with string/identifier literals and comments blanked out (same length), for the `;` check. */
function stripLiterals(q: string): string {
  let out = ''
  let i = 0
  while (i < q.length) {
    const c = q[i]!
    if (c === '-' && q[i + 1] === '-' || c === '#') {
      const end = q.indexOf('\n', i)
      const j = end < 0 ? q.length : end
      out += ' '.repeat(j - i); i = j
    } else if (c === '/' && q[i + 1] === '*') {
      const end = q.indexOf('*/', i + 2)
      const j = end < 0 ? q.length : end + 2
      out += ' '.repeat(j - i); i = j
    } else if (c === '\'' || c === '"' || c === '`') {
      const triple = c !== '`' && q.startsWith(c.repeat(3), i)
      const close = triple ? c.repeat(3) : c
      let j = i + close.length
      while (j < q.length && !q.startsWith(close, j)) j += q[j] === '\\' ? 2 : 1
      j = Math.min(q.length, j + close.length)
      out += 'x'.repeat(j - i); i = j
    } else { out += c; i++ }
  }
  return out
}

export interface DryRun { columns: BigQuerySourceColumn[]; estimatedBytes: number; rowCount: number | null }

/** The SQL a source is dry-run (and later scanned) as. */
export function bqSourceSql(projectId: string, src: { sourceTable: string | null; sourceQuery: string | null }): string {
  if (src.sourceTable !== null) {
    const { dataset, table } = parseBqSourceTable(src.sourceTable)
    return `SELECT * FROM ${quoteIdent(`${projectId}.${dataset}.${table}`)}`
  }
  return src.sourceQuery!
}

/** Dry-runs a source: its columns (mapped) and the bytes a full scan would process. */
export async function dryRunSource(rt: BqRuntime, src: { sourceTable: string | null; sourceQuery: string | null }, signal: AbortSignal): Promise<DryRun> {
  const sql = bqSourceSql(rt.config.project_id, src)
  const meta = await rt.call(async (bq) => {
    const [, resp] = await bq.createQueryJob({ query: sql, dryRun: true, useLegacySql: false, ...(rt.config.location ? { location: rt.config.location } : {}) })
    return resp as Record<string, any>
  }, { timeoutMs: DRY_RUN_TIMEOUT_MS, signal })
  const stats = meta?.statistics ?? {}
  const statementType = stats.query?.statementType
  if (statementType !== undefined && statementType !== 'SELECT') throw invalidQuery(`source_query must be one SELECT statement (BigQuery sees a ${String(statementType)})`)
  const fields = (stats.query?.schema?.fields ?? []) as BqRestField[]
  if (fields.length === 0) throw invalidQuery('the source has no columns')
  const columns = fields.map(mapBqField)
  const seen = new Map<string, string>()
  for (const c of columns) {
    const k = c.name.toLowerCase()
    if (seen.has(k)) throw invalidQuery(`the source has two columns named "${seen.get(k)}" and "${c.name}" (BigQuery column names are case-insensitive): alias one of them`)
    seen.set(k, c.name)
  }
  const estimatedBytes = Number(stats.totalBytesProcessed ?? stats.query?.totalBytesProcessed ?? 0)
  // allow-list: the tables a query reads, when BigQuery reports them
  const refs = (stats.query?.referencedTables ?? []) as { projectId?: string; datasetId?: string }[]
  for (const r of refs) {
    if (typeof r.datasetId === 'string' && (r.projectId !== rt.config.project_id || !datasetAllowed(rt.config, r.datasetId))) {
      throw invalidParameter('source_query', `the query reads dataset "${r.projectId}.${r.datasetId}", which connector "${rt.id}" does not allow`)
    }
  }
  let rowCount: number | null = null
  if (src.sourceTable !== null) {
    const { dataset, table } = parseBqSourceTable(src.sourceTable)
    const t = await rt.call(async (bq) => (await bq.dataset(dataset).table(table).getMetadata())[0] as Record<string, any>, { timeoutMs: DRY_RUN_TIMEOUT_MS, signal })
    if (t.type === 'TABLE' && t.numRows !== undefined) rowCount = Number(t.numRows)
  }
  return { columns, estimatedBytes, rowCount }
}

/** 422 query_too_expensive when the estimate is over the connector's maximum_bytes_billed. */
export function assertAffordable(rt: BqRuntime, estimatedBytes: number): void {
  const max = rt.config.maximum_bytes_billed
  if (max === null || BigInt(Math.ceil(estimatedBytes)) <= BigInt(max)) return
  throw new SluiceError(422, 'query_too_expensive',
    `the source would process an estimated ${estimatedBytes} bytes (${human(estimatedBytes)}), over connector "${rt.id}"'s maximum_bytes_billed of ${max} bytes (${human(Number(max))})`,
    { estimated_bytes: estimatedBytes, maximum_bytes_billed: Number(max) })
}

function human(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB']
  let i = 0
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++ }
  return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`
}

/** POST /api/datasets for a BigQuery connector: a `connector` dataset, no rows copied. */
export async function registerBigQueryDataset(
  deps: { datasets: DatasetStore; connectors: ConnectorRegistry }, p: Principal, input: RegisterBqInput, signal: AbortSignal,
): Promise<Dataset> {
  let src = sourceOfBody(input.sourceTable, input.sourceQuery)
  const rt = deps.connectors.bigQueryRuntime(p.org, input.connectorId)
  // Cheap checks before the round trips: the source's shape, the allow-list, the name.
  if (src.sourceTable !== null) {
    const { dataset } = parseBqSourceTable(src.sourceTable)
    if (!datasetAllowed(rt.config, dataset)) throw invalidParameter('source_table', `dataset "${dataset}" is not in connector "${rt.id}"'s datasets allow-list`)
  } else {
    src = { sourceTable: null, sourceQuery: checkBqSourceQuery(src.sourceQuery!) }
  }
  if (deps.datasets.isNameTaken(p.org, input.name)) throw new SluiceError(409, 'dataset_name_taken', `a dataset named "${input.name}" already exists`)
  rt.assertAvailable()
  const { columns, estimatedBytes, rowCount } = await dryRunSource(rt, src, signal)
  assertAffordable(rt, estimatedBytes)
  const schema: Field[] = columns.map((c) => c.field)
  const settings = validateSettings(input.settings ?? {}, schema, { pushdown: true })
  const now = new Date().toISOString()
  const dataset: Dataset = {
    id: deps.datasets.newId(), org: p.org, name: input.name, kind: 'connector', description: input.description,
    schema, settings,
    provenance: {
      source: 'bigquery', connector_id: input.connectorId,
      ...(src.sourceTable !== null ? { source_table: src.sourceTable } : { source_query: src.sourceQuery }),
      columns,
      estimated_bytes: estimatedBytes,
    },
    tablePath: null, currentVersion: null, rowCount,
    createdBy: p.sub, createdAt: now, updatedAt: now,
  }
  deps.datasets.insert(dataset)
  return dataset
}
