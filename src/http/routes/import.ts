/**
 * Imports from a PostgreSQL or BigQuery connector into the lakehouse (jobs): one table (or,
 * for BigQuery, one query), a batch of PostgreSQL tables matching a glob, and refreshes of
 * imported datasets.
 */
import crypto from 'node:crypto'
import { badRequest, invalidParameter, SluiceError } from '../../../proto/errors.js'
import { assertCanCreate } from '../../auth/permissions.js'
import { writableDataset } from '../../auth/dataset-access.js'
import { validateDatasetName, type Job } from '../../catalog/index.js'
import { importTable, isImported, notImported, parseRename, type ImportDeps } from '../../jobs/import.js'
import { importBigQuery, planBigQueryImport } from '../../jobs/import-bigquery.js'
import { IMPORT_BATCH_KIND, matchingTables, planBatch, runBatch, type BatchTable } from '../../jobs/import-batch.js'
import { jobView } from '../../jobs/runner.js'
import { isAdmin } from '../../auth/principal.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { ENGINE_INFO } from '../../engine.js'

function importDeps(s: Services): ImportDeps {
  return { dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, connectors: s.connectors, engineInfo: ENGINE_INFO, rowsPerFile: s.config.rowsPerFile, classifications: s.classifications, log: s.log }
}

async function bodyObject(body: { readJson(): Promise<unknown> }, keys: string[]): Promise<Record<string, unknown>> {
  const json = await body.readJson()
  if (typeof json !== 'object' || json === null || Array.isArray(json)) throw badRequest(`body must be a JSON object with ${keys.join(', ')}`)
  const b = json as Record<string, unknown>
  for (const k of Object.keys(b)) if (!keys.includes(k)) throw invalidParameter(k, `unknown field; expected ${keys.join(', ')}`)
  return b
}

function requiredString(b: Record<string, unknown>, key: string, hint: string): string {
  const v = b[key]
  if (typeof v !== 'string' || v === '') throw invalidParameter(key, `required: ${hint}`)
  return v
}

function optionalDescription(v: unknown): string {
  if (v === undefined) return ''
  if (typeof v !== 'string' || v.length > 10_000) throw invalidParameter('description', 'must be a string of at most 10000 characters')
  return v
}

/** The batch job named `name`, as the caller may see it (their own, or any for admins), or 404. */
function requireBatch(ctx: RequestContext, s: Services, name: string): Job {
  const p = ctx.principal!
  const job = s.jobStore.latestFor(p.org, IMPORT_BATCH_KIND, name)
  if (!job || (job.createdBy !== p.sub && !isAdmin(p))) throw new SluiceError(404, 'not_found', `no import batch "${name.slice(0, 200)}"`)
  return job
}

function batchView(job: Job) {
  return {
    name: job.dataset, state: job.state, job: jobView(job),
    tables: ((job.progress.tables ?? (job.result as { tables?: BatchTable[] } | null)?.tables ?? []) as BatchTable[]),
  }
}

export const importRoutes: Route[] = [
  {
    method: 'POST', path: '/api/datasets/import', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const p = ctx.principal!
      assertCanCreate(p)
      const b = await bodyObject(body!, ['connector_id', 'source_table', 'source_query', 'name', 'rename', 'settings', 'description'])
      const connectorId = requiredString(b, 'connector_id', 'the PostgreSQL or BigQuery connector to import from')
      const name = validateDatasetName(b.name)
      const rename = parseRename(b.rename)
      const description = optionalDescription(b.description)
      // Fail fast on what can be checked without the source: the connector, the name.
      const connector = s.connectors.get(p.org, connectorId)
      if (connector.type === 'bigquery') {
        // The dry run happens now: a source over maximum_bytes_billed is 422 before any job.
        const plan = await planBigQueryImport(importDeps(s), p, { connectorId, sourceTable: b.source_table, sourceQuery: b.source_query, name, rename, settings: b.settings, description }, ctx.signal)
        const job = s.jobs.start(p, 'import', name, async (jctx) => {
          const d = await importBigQuery(importDeps(s), p, plan, jctx, jctx.signal)
          return { dataset: d.name, version: d.currentVersion, row_count: d.rowCount }
        })
        ctx.sendJson(202, { job: jobView(job) })
        return
      }
      const sourceTable = requiredString(b, 'source_table', '"schema.table"')
      s.connectors.runtime(p.org, connectorId)
      if (s.datasets.isNameTaken(p.org, name)) throw new SluiceError(409, 'dataset_name_taken', `a dataset named "${name}" already exists`)
      const job = s.jobs.start(p, 'import', name, async (ctx) => {
        const d = await importTable(importDeps(s), p, { connectorId, sourceTable, name, rename, settings: b.settings, description }, ctx, ctx.signal)
        return { dataset: d.name, version: d.currentVersion, row_count: d.rowCount }
      })
      ctx.sendJson(202, { job: jobView(job) })
    },
  },
  {
    method: 'POST', path: '/api/datasets/import-batch', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const p = ctx.principal!
      assertCanCreate(p)
      const b = await bodyObject(body!, ['connector_id', 'schema', 'pattern', 'name', 'prefix', 'settings'])
      const connectorId = requiredString(b, 'connector_id', 'the PostgreSQL connector to import from')
      const schema = requiredString(b, 'schema', 'the schema whose tables are imported')
      const pattern = requiredString(b, 'pattern', 'a glob such as "sales_*"')
      const name = b.name === undefined ? `batch_${new Date().toISOString().replace(/\D/g, '').slice(0, 14)}_${crypto.randomUUID().slice(0, 8)}` : validateDatasetName(b.name)
      const prefix = b.prefix ?? ''
      if (typeof prefix !== 'string' || prefix.length > 64) throw invalidParameter('prefix', 'must be a string of at most 64 characters')
      if (s.jobStore.latestFor(p.org, IMPORT_BATCH_KIND, name)) throw new SluiceError(409, 'dataset_name_taken', `an import batch named "${name}" already exists`)
      const rt = s.connectors.runtime(p.org, connectorId)
      rt.assertAvailable()
      const input = { connectorId, schema, pattern, prefix, settings: b.settings }
      const tables = planBatch(importDeps(s), p, input, await matchingTables(rt, schema, pattern, ctx.signal))
      const job = s.jobs.start(p, IMPORT_BATCH_KIND, name, (jctx) => runBatch(importDeps(s), p, input, tables, jctx))
      ctx.sendJson(202, { name, job: jobView(job), tables })
    },
  },
  {
    method: 'GET', path: '/api/datasets/import/{name}', auth: true, body: false,
    handler: async (ctx, s) => ctx.sendJson(200, batchView(requireBatch(ctx, s, ctx.params.name))),
  },
  {
    method: 'DELETE', path: '/api/datasets/import/{name}', auth: true, body: false,
    handler: async (ctx, s) => {
      const job = requireBatch(ctx, s, ctx.params.name)
      ctx.sendJson(200, batchView(await s.jobs.cancel(ctx.principal!, job.id)))
    },
  },
  {
    method: 'POST', path: '/api/datasets/{name}/refresh', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = writableDataset(ctx, s)
      if (!isImported(d)) throw notImported(d)
      ctx.sendJson(202, { job: jobView(s.refresh.refreshNow(ctx.principal!, d)) })
    },
  },
]
