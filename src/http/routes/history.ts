/** GET /api/datasets/{name}/history: the commits of a dataset's Delta table, newest first (any org member). */
import { assertDeltaDataset, confineTableLog, statsRowCount, tableRefOf } from '../../connectors/lakehouse.js'
import { loadSnapshot, readHistory, type HistoryEntry } from '../../lakehouse/index.js'
import type { Route } from '../router.js'
import { intParam } from '../params.js'
import { readableDataset } from '../../auth/dataset-access.js'

/**
 * Row count of each version (sum of numRecords of its active files; null when a file has no
 * stats or the version cannot be read). Versions are loaded oldest first so each replay
 * starts from the previous one in the snapshot cache. The log was confined by the caller.
 */
async function rowCounts(tablePath: string, versions: number[]): Promise<Map<number, number | null>> {
  const out = new Map<number, number | null>()
  for (const v of [...versions].sort((a, b) => a - b)) {
    try {
      out.set(v, statsRowCount(await loadSnapshot(tablePath, { version: v }, { allowUnsupportedColumns: true })))
    } catch {
      out.set(v, null)
    }
  }
  return out
}

function entryView(e: HistoryEntry, rowCount: number | null) {
  return {
    version: e.version,
    timestamp: new Date(e.timestampMs).toISOString(),
    operation: e.operation,
    parameters: e.operationParameters,
    metrics: e.operationMetrics,
    row_count: rowCount,
    run_id: e.runId ?? null,
    user: e.userName ?? e.userId ?? null,
    engine_info: e.engineInfo ?? null,
  }
}

export const historyRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/history', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = readableDataset(ctx, s)
      const q = new URLSearchParams(ctx.rawQuery)
      const limit = intParam(q.get('limit'), 'limit', { def: 50, max: 200, clamp: true })
      const offset = intParam(q.get('offset'), 'offset', { def: 0 })
      assertDeltaDataset(d, 'history')
      const ref = await tableRefOf(s.config.dataDir, d)
      await confineTableLog(ref)
      const historyPage = await readHistory(ref.tablePath, { limit, offset })
      const counts = await rowCounts(ref.tablePath, historyPage.entries.map((e) => e.version))
      ctx.sendJson(200, {
        total: historyPage.total, limit, offset,
        items: historyPage.entries.map((e) => entryView(e, counts.get(e.version) ?? null)),
      })
    },
  },
]
