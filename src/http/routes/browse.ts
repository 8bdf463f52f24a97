/**
 * Browsing a connector's tables before registering them (editor/admin), by connector type.
 * The built-in `lakehouse` connector: schemas are the sub-folders of the org's lakehouse
 * folder, tables are the Delta tables and plain Parquet folders inside one of them.
 * PostgreSQL connectors: src/connectors/postgres-browse.ts; BigQuery: src/connectors/bigquery-browse.ts.
 */
import { forbidden, invalidParameter, SluiceError } from '../../../proto/errors.js'
import { typeName } from '../../../proto/types.js'
import { isEditor } from '../../auth/principal.js'
import {
  LAKEHOUSE_CONNECTOR_ID, classifyFolder, forEachLimit, listSubfolders, orgLakehouseRoot, parseRelativePath, resolveInOrg,
  type TableKind,
} from '../../connectors/lakehouse-folder.js'
import { inspectTable, type TableInfo } from '../../connectors/lakehouse-tables.js'
import { browsePgSchemas, browsePgTables } from '../../connectors/postgres-browse.js'
import { browseBqSchemas, browseBqTables } from '../../connectors/bigquery-browse.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { intParam } from '../params.js'

/** Footers read per Parquet folder to count its rows; bigger folders show row_count null. */
const BROWSE_FOOTER_FILES = 200

function page(ctx: RequestContext) {
  const q = new URLSearchParams(ctx.rawQuery)
  return {
    q,
    limit: intParam(q.get('limit'), 'limit', { def: 50, max: 200, clamp: true }),
    offset: intParam(q.get('offset'), 'offset', { def: 0 }),
  }
}

/**
 * Permission first (browse: editor/admin), then the connector: the built-in lakehouse, or a
 * connector of the caller's org (404 connector_not_found otherwise).
 */
function browsedConnector(ctx: RequestContext, s: Services, q: URLSearchParams): { type: 'lakehouse' } | { type: 'postgres' | 'bigquery'; id: string } {
  const p = ctx.principal!
  if (!isEditor(p)) throw forbidden('browsing connectors needs the editor or admin role')
  const id = q.get('connector_id')
  if (id === null || id === '') throw invalidParameter('connector_id', 'required, e.g. connector_id=lakehouse')
  if (id === LAKEHOUSE_CONNECTOR_ID) return { type: 'lakehouse' }
  const c = s.connectors.get(p.org, id)
  if (c.type !== 'postgres' && c.type !== 'bigquery') throw invalidParameter('connector_id', `connector "${id}" (${c.type}) cannot be browsed`)
  return { type: c.type, id }
}

function tableView(name: string, sourceTable: string, kind: TableKind, info: TableInfo | null, error: SluiceError | null) {
  return {
    name,
    source_table: sourceTable,
    kind,
    schema: (info?.schema ?? []).map((f) => ({ name: f.name, type: typeName(f), nullable: f.nullable })),
    partition_columns: info?.partitionColumns ?? [],
    version: info?.version ?? null,
    row_count: info?.rowCount ?? null,
    error: error ? { error: error.code, message: error.message } : null,
  }
}

export const browseRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/browse/schemas', auth: true, body: false,
    handler: async (ctx, s) => {
      const { q, limit, offset } = page(ctx)
      const connector = browsedConnector(ctx, s, q)
      if (connector.type === 'bigquery') {
        const { total, items } = await browseBqSchemas(s.connectors.bigQueryRuntime(ctx.principal!.org, connector.id), { limit, offset }, ctx.signal)
        ctx.sendJson(200, { total, limit, offset, items })
        return
      }
      if (connector.type === 'postgres') {
        const { total, items } = await browsePgSchemas(s.connectors.runtime(ctx.principal!.org, connector.id), { limit, offset }, ctx.signal)
        ctx.sendJson(200, { total, limit, offset, items })
        return
      }
      const root = await orgLakehouseRoot(s.config.dataDir, ctx.principal!.org)
      const names = await listSubfolders(root, root)
      ctx.sendJson(200, { total: names.length, limit, offset, items: names.slice(offset, offset + limit).map((name) => ({ name })) })
    },
  },
  {
    method: 'GET', path: '/api/datasets/browse/tables', auth: true, body: false,
    handler: async (ctx, s) => {
      const { q, limit, offset } = page(ctx)
      const connector = browsedConnector(ctx, s, q)
      if (connector.type === 'bigquery') {
        const schema = q.get('schema')
        if (schema === null || schema === '') throw invalidParameter('schema', 'required: a dataset id from browse/schemas')
        const { total, items } = await browseBqTables(s.connectors.bigQueryRuntime(ctx.principal!.org, connector.id), schema, { limit, offset }, ctx.signal)
        ctx.sendJson(200, { total, limit, offset, items })
        return
      }
      if (connector.type === 'postgres') {
        const schema = q.get('schema')
        if (schema === null || schema === '') throw invalidParameter('schema', 'required: a schema name from browse/schemas')
        const { total, items } = await browsePgTables(s.connectors.runtime(ctx.principal!.org, connector.id), schema, { limit, offset }, ctx.signal)
        ctx.sendJson(200, { total, limit, offset, items })
        return
      }
      await browseLakehouseTables(ctx, s, q, limit, offset)
    },
  },
]

async function browseLakehouseTables(ctx: RequestContext, s: Services, q: URLSearchParams, limit: number, offset: number): Promise<void> {
  const root = await orgLakehouseRoot(s.config.dataDir, ctx.principal!.org)
  const segments = parseRelativePath(q.get('schema') ?? '', 'schema')
  const { realPath, relPath } = await resolveInOrg(root, segments, 'schema')
  // Classifying is a stat or a short readdir per folder; describing (log replay, footers) only for the page.
  const names = await listSubfolders(root, realPath)
  const kinds = new Array<TableKind | null>(names.length).fill(null)
  await forEachLimit(names.map((n, i) => [n, i] as const), 16, async ([n, i]) => { kinds[i] = await classifyFolder(`${realPath}/${n}`) })
  const tables = names.flatMap((name, i) => (kinds[i] ? [{ name, kind: kinds[i]! }] : []))
  const slice = tables.slice(offset, offset + limit)
  const items = new Array<ReturnType<typeof tableView>>(slice.length)
  await forEachLimit(slice.map((t, i) => [t, i] as const), 4, async ([t, i]) => {
    const sourceTable = `${relPath}/${t.name}`
    const ref = { tablePath: `${realPath}/${t.name}`, kind: t.kind, confineTo: root }
    try {
      items[i] = tableView(t.name, sourceTable, t.kind, await inspectTable(s.pool, ref, { maxFooterFiles: t.kind === 'parquet' ? BROWSE_FOOTER_FILES : 0, checkFiles: false, signal: ctx.signal }), null)
    } catch (err) {
      // a table Sluice cannot read is still listed, with the reason registering it would fail
      if (!(err instanceof SluiceError) || err.status !== 422) throw err
      items[i] = tableView(t.name, sourceTable, t.kind, null, err)
    }
  })
  ctx.sendJson(200, { total: tables.length, limit, offset, items })
}
