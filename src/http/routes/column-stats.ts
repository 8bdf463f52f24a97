/** Per-time-bucket column statistics (data-quality drift): validated parameters → dataset source → body bytes. */
import { SluiceError } from '../../../proto/errors.js'
import type { ColumnStatsFormat } from '../../../proto/column-stats.js'
import { columnStatsTable, parseColumnStatsParams } from '../../connectors/column-stats.js'
import { columnStatsPostgres } from '../../connectors/column-stats-postgres.js'
import { refreshRegisteredDataset } from '../../connectors/lakehouse-tables.js'
import type { Route } from '../router.js'
import { negotiateFormat, streamResult } from '../result-stream.js'
import { enumParam } from '../params.js'
import { readableDataset } from '../../auth/dataset-access.js'

const FORMATS = ['json', 'ndjson'] as const

export const columnStatsRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/column-stats', auth: true, body: false,
    handler: async (ctx, s) => {
      if (s.draining.value) throw new SluiceError(503, 'overloaded', 'server is shutting down')
      const d = await refreshRegisteredDataset({ dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, log: s.log }, readableDataset(ctx, s))
      const explicit = enumParam(ctx.query('format'), 'format', FORMATS, null)
      const format: ColumnStatsFormat = negotiateFormat(explicit, ctx.header('accept')) === 'ndjson' ? 'ndjson' : 'json'
      const req = parseColumnStatsParams(ctx.queryEntries(), d.schema, format)
      const source = d.kind === 'connector'
        ? columnStatsPostgres(s.pool, s.connectors, d, req, ctx.signal)
        : columnStatsTable(s.pool, s.config.dataDir, d, req, ctx.signal)
      await streamResult(ctx, format, source, s.log)
    },
  },
]
