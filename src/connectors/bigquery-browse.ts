/**
 * Browsing a BigQuery connector (GET /api/datasets/browse/*): the project's datasets (only
 * those of the connector's allow-list), and the tables and views of one dataset with their
 * row counts and columns (BigQuery type and our logical type, as registering maps them).
 * REST datasets.list, tables.list, tables.get; no row is read, no job is run. Every call has
 * the connector's short deadline (BqRuntime.shortTimeoutMs): an unreachable API is 503 fast.
 */
import { invalidParameter } from '../../proto/errors.js'
import { typeName } from '../../proto/types.js'
import type { BqRuntime } from './bigquery-runtime.js'
import { mapBqField, type BqRestField } from './bigquery-types.js'
import { datasetAllowed } from './bigquery-config.js'
import { forEachLimit } from './lakehouse-folder.js'

export interface Page { limit: number; offset: number }

export interface BqBrowseColumn { name: string; type: string; nullable: boolean; bq_type: string }

export interface BqBrowseTable {
  name: string
  /** `dataset.table`, what POST /api/datasets takes */
  source_table: string
  /** table, view, materialized_view, external_table, snapshot */
  kind: string
  schema: BqBrowseColumn[]
  partition_columns: string[]
  version: null
  /** tables.get numRows; null for views and external tables */
  row_count: number | null
  error: null | { error: string; message: string }
}

const KINDS: Record<string, string> = { TABLE: 'table', VIEW: 'view', MATERIALIZED_VIEW: 'materialized_view', EXTERNAL: 'external_table', SNAPSHOT: 'snapshot' }

/** Pages of a list call, each within the deadline (a STRING maxResults: see the fake's header). */
const PAGE = '1000' as unknown as number

const byCodePoint = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0)

/** A page of the connector's datasets, by id (code point order), the allow-list applied. */
export async function browseBqSchemas(rt: BqRuntime, page: Page, signal: AbortSignal): Promise<{ total: number; items: { name: string }[] }> {
  const ids = await listAll(rt, signal, (bq, pageToken) => bq.getDatasets({ maxResults: PAGE, autoPaginate: false, ...(pageToken ? { pageToken } : {}) }) as never)
  const names = ids.filter((d) => datasetAllowed(rt.config, d)).sort(byCodePoint)
  return { total: names.length, items: names.slice(page.offset, page.offset + page.limit).map((name) => ({ name })) }
}

/**
 * A page of the tables and views of one dataset, by name, with columns and row counts. 422
 * invalid_parameter `schema` when the dataset is outside the allow-list or does not exist.
 */
export async function browseBqTables(rt: BqRuntime, dataset: string, page: Page, signal: AbortSignal): Promise<{ total: number; items: BqBrowseTable[] }> {
  const notHere = () => invalidParameter('schema', `no dataset "${dataset.slice(0, 200)}" on connector "${rt.id}"${rt.config.datasets ? ' (or not in its datasets allow-list)' : ''}`)
  if (!datasetAllowed(rt.config, dataset)) throw notHere()
  let ids: string[]
  try {
    ids = await listAll(rt, signal, (bq, pageToken) => bq.dataset(dataset).getTables({ maxResults: PAGE, autoPaginate: false, ...(pageToken ? { pageToken } : {}) }) as never)
  } catch (err) {
    if ((err as { code?: string }).code === 'invalid_query' && /not ?found/i.test((err as Error).message)) throw notHere()
    throw err
  }
  ids.sort(byCodePoint)
  const slice = ids.slice(page.offset, page.offset + page.limit)
  const items = new Array<BqBrowseTable>(slice.length)
  await forEachLimit(slice.map((t, i) => [t, i] as const), 8, async ([t, i]) => {
    const meta = await rt.call(async (bq) => (await bq.dataset(dataset).table(t).getMetadata())[0] as Record<string, any>, { timeoutMs: rt.shortTimeoutMs, signal })
    const fields = ((meta.schema?.fields ?? []) as BqRestField[])
    const partition = [meta.timePartitioning?.field, meta.rangePartitioning?.field].filter((x): x is string => typeof x === 'string')
    const kind = KINDS[String(meta.type)] ?? 'table'
    items[i] = {
      name: t,
      source_table: `${dataset}.${t}`,
      kind,
      schema: fields.map((f) => {
        const c = mapBqField(f)
        return { name: c.name, type: typeName(c.field), nullable: c.field.nullable, bq_type: c.bqType }
      }),
      partition_columns: partition,
      version: null,
      row_count: (kind === 'table' || kind === 'materialized_view' || kind === 'snapshot') && meta.numRows !== undefined ? Number(meta.numRows) : null,
      error: null,
    }
  })
  return { total: ids.length, items }
}

type ListCall = (bq: import('@google-cloud/bigquery').BigQuery, pageToken: string | undefined) => Promise<[{ id?: string }[], { pageToken?: string } | null | undefined]>

/** Every id of a paginated list, page by page, each page within the short deadline. */
async function listAll(rt: BqRuntime, signal: AbortSignal, call: ListCall): Promise<string[]> {
  const out: string[] = []
  let token: string | undefined
  for (let pages = 0; pages < 1000; pages++) {
    const [items, next] = await rt.call((bq) => call(bq, token), { timeoutMs: rt.shortTimeoutMs, signal })
    for (const it of items) if (typeof it.id === 'string') out.push(it.id)
    token = next?.pageToken
    if (!token) break
  }
  return out
}
