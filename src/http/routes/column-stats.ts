/** Per-time-bucket column statistics (data-quality drift): validated parameters → dataset source → body bytes. */
import { isBigQueryDataset } from '../../connectors/bigquery-dataset.js'
import { columnStatsBigQuery } from '../../connectors/column-stats-bigquery.js'
import { SluiceError } from '../../../proto/errors.js'
import type { ColumnStatsFormat } from '../../../proto/column-stats.js'
import { columnStatsTable, parseColumnStatsParams } from '../../connectors/column-stats.js'
import { columnStatsPostgres } from '../../connectors/column-stats-postgres.js'
import { refreshRegisteredDataset } from '../../connectors/lakehouse-tables.js'
import type { Route } from '../router.js'
import { negotiateFormat, streamResult } from '../result-stream.js'
import { enumParam } from '../params.js'
import { readableDataset } from '../../auth/dataset-access.js'
import { maskingViewOf } from '../../governance/masking-view.js'
import { maskSaltOf } from '../../governance/salt.js'

const FORMATS = ['json', 'ndjson'] as const

export const columnStatsRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/column-stats', auth: true, body: false,
    handler: async (ctx, s) => {
      if (s.draining.value) throw new SluiceError(503, 'overloaded', 'server is shutting down')
      const d = await refreshRegisteredDataset({ dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, log: s.log }, readableDataset(ctx, s))
      const explicit = enumParam(ctx.query('format'), 'format', FORMATS, null)
      const format: ColumnStatsFormat = negotiateFormat(explicit, ctx.header('accept')) === 'ndjson' ? 'ndjson' : 'json'
      // validated against the caller's view: a masked column has its masked type (a hashed time column is no time column)
      const view = maskingViewOf(d, ctx.principal!)
      const req = parseColumnStatsParams(ctx.queryEntries(), view.fields, format)
      const masking = { view, salt: maskSaltOf(s.secrets, d.org) }
      const source = isBigQueryDataset(d)
        ? columnStatsBigQuery(s.pool, s.connectors, d, req, masking, ctx.signal)
        : d.kind === 'connector'
        ? columnStatsPostgres(s.pool, s.connectors, d, req, masking, ctx.signal)
        : columnStatsTable(s.pool, s.config.dataDir, d, req, masking, ctx.signal)
      await streamResult(ctx, format, source, s.log)
    },
  },
]
