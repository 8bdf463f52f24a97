/** GET /api/datasets/{name}/history: the commits of a dataset's Delta table, newest first (any org member). */
import { assertDeltaDataset, confineTableLog, statsRowCount, tableRefOf } from '../../connectors/lakehouse.js'
import { loadSnapshot, readHistory, type HistoryEntry } from '../../lakehouse/index.js'
import type { Route } from '../router.js'
import { intParam } from '../params.js'
import { readableDataset } from '../../auth/dataset-access.js'
import { maskRulesFor } from '../../governance/masking-view.js'

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

/**
 * Operation parameters as `masked` (columns masked for the caller) allows: a parameter whose
 * text names a masked column (a DELETE/MERGE/OPTIMIZE predicate such as `email = 'a@b.c'`)
 * may carry raw values, so its value is withheld.
 */
function visibleParameters(params: HistoryEntry['operationParameters'], masked: readonly string[]): HistoryEntry['operationParameters'] {
  if (masked.length === 0 || !params) return params
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(params)) {
    const text = typeof v === 'string' ? v : JSON.stringify(v) ?? ''
    out[k] = masked.some((c) => text.includes(c)) ? WITHHELD : v
  }
  return out as HistoryEntry['operationParameters']
}

const WITHHELD = '(withheld: names a column masked for you)'

function entryView(e: HistoryEntry, rowCount: number | null, masked: readonly string[]) {
  return {
    version: e.version,
    timestamp: new Date(e.timestampMs).toISOString(),
    operation: e.operation,
    parameters: visibleParameters(e.operationParameters, masked),
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
      const masked = [...maskRulesFor(d, ctx.principal!).keys()]
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
        items: historyPage.entries.map((e) => entryView(e, counts.get(e.version) ?? null, masked)),
      })
    },
  },
]
