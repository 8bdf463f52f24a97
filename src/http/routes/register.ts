/**
 * POST /api/datasets: register a table of a connector as a dataset — a folder of the built-in
 * `lakehouse` connector, a PostgreSQL table or read-only SELECT (rows stay in PostgreSQL), or a
 * BigQuery table or SELECT (dry-run schema and cost guard; rows stay in BigQuery).
 */
import { badRequest, invalidParameter } from '../../../proto/errors.js'
import { validateDatasetName } from '../../catalog/index.js'
import { assertCanCreate } from '../../auth/permissions.js'
import { registerLakehouseTable } from '../../connectors/lakehouse-tables.js'
import { LAKEHOUSE_CONNECTOR_ID } from '../../connectors/lakehouse-folder.js'
import { registerPostgresDataset } from '../../connectors/postgres.js'
import { registerBigQueryDataset } from '../../connectors/bigquery-register.js'
import type { Route } from '../router.js'
import { datasetView } from '../views.js'

const BODY_KEYS = new Set(['name', 'connector_id', 'source_table', 'source_query', 'description', 'settings'])

export const registerRoutes: Route[] = [
  {
    method: 'POST', path: '/api/datasets', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const p = ctx.principal!
      assertCanCreate(p)
      const json = await body!.readJson()
      if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badRequest('body must be a JSON object: {"name", "connector_id", "source_table" | "source_query", "description"?, "settings"?}')
      const b = json as Record<string, unknown>
      for (const key of Object.keys(b)) if (!BODY_KEYS.has(key)) throw invalidParameter(key, `unknown field; expected ${[...BODY_KEYS].join(', ')}`)
      const name = validateDatasetName(b.name)
      if (typeof b.connector_id !== 'string' || b.connector_id === '') throw invalidParameter('connector_id', 'required: the connector whose table is registered, e.g. "lakehouse"')
      const description = b.description ?? ''
      if (typeof description !== 'string' || description.length > 10_000) throw invalidParameter('description', 'must be a string of at most 10000 characters')
      if (b.connector_id !== LAKEHOUSE_CONNECTOR_ID && s.connectors.get(p.org, b.connector_id).type === 'bigquery') {
        const dataset = await registerBigQueryDataset({ datasets: s.datasets, connectors: s.connectors }, p,
          { name, connectorId: b.connector_id, sourceTable: b.source_table, sourceQuery: b.source_query, description, settings: b.settings }, ctx.signal)
        ctx.sendJson(201, datasetView(dataset, ctx.principal!))
        return
      }
      if (b.connector_id !== LAKEHOUSE_CONNECTOR_ID) {
        const dataset = await registerPostgresDataset({ datasets: s.datasets, connectors: s.connectors }, p,
          { name, connectorId: b.connector_id, sourceTable: b.source_table, sourceQuery: b.source_query, description, settings: b.settings }, ctx.signal)
        ctx.sendJson(201, datasetView(dataset, ctx.principal!))
        return
      }
      if (b.source_query !== undefined) throw invalidParameter('source_query', 'the lakehouse connector registers folders: use source_table')
      const dataset = await registerLakehouseTable(
        { dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets },
        p,
        { name, connectorId: b.connector_id, sourceTable: b.source_table, description, settings: b.settings },
        ctx.signal,
      )
      ctx.sendJson(201, datasetView(dataset, ctx.principal!))
    },
  },
]
