/**
 * Preview and explore: validated plan → dataset source → streamed result. Results of
 * Delta-backed datasets at a resolved version go through the result cache (result-cache.ts)
 * and carry an ETag; GET answers a matching If-None-Match with 304.
 */
import path from 'node:path'
import type { TaskMasks } from '../../../proto/masks.js'
import { maskingViewOf, outputColumns, rulesOf, sharedMaskingViewOf, type MaskingView } from '../../governance/masking-view.js'
import { maskSaltOf } from '../../governance/salt.js'
import { OUTPUT_FORMATS, type Plan, type OutputFormat, type ReadAt } from '../../../proto/plan.js'
import { SluiceError, invalidParameter } from '../../../proto/errors.js'
import { parseExploreBody, parseExploreParams } from '../../query/index.js'
import { confineTableVersion, exploreTable, isManagedTable, loadTableSnapshot, tableKindOf, tableRefOf, type ExploreRequest } from '../../connectors/lakehouse.js'
import { assertVersionFilesPresent } from '../../lakehouse/index.js'
import { latestVersionHint, rememberLatestVersion, tableGeneration } from '../../lakehouse/snapshot-cache.js'
import { explorePostgres } from '../../connectors/postgres.js'
import { exploreBigQuery } from '../../connectors/bigquery-explore.js'
import type { Dataset } from '../../catalog/index.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { peekReadableDataset, readableDataset } from '../../auth/dataset-access.js'
import { refreshRegisteredDataset } from '../../connectors/lakehouse-tables.js'
import { CONTENT_TYPES, negotiateFormat, streamResult } from '../result-stream.js'
import { cachedResult, etagOf, ifNoneMatchMatches, resultCacheOf, resultKey, REVALIDATE } from '../result-cache.js'
import { memoParse } from '../parse-memo.js'
import { enumParam, intParam } from '../params.js'

const PREVIEW_DEFAULT = 100
const PREVIEW_MAX = 10_000

/** A connector dataset whose connector is a BigQuery one (else PostgreSQL, as before). */
function isBigQueryDataset(s: Services, d: Dataset): boolean {
  const id = (d.provenance as { connector_id?: unknown }).connector_id
  return typeof id === 'string' && s.connectors.get(d.org, id).type === 'bigquery'
}

/** The caller's masks as a worker task carries them; null when the caller sees raw values. */
function taskMasks(s: Services, d: Dataset, view: MaskingView): TaskMasks | null {
  return view.rules.size === 0 ? null : { rules: rulesOf(view), salt: maskSaltOf(s.secrets, d.org) }
}

/**
 * The table version a result can be cached under, or null (connector datasets, plain Parquet
 * folders, a table whose latest version is unknown right now, a version above the latest:
 * the scan reports that). `historical`: not the latest version, so VACUUM may have removed
 * its files.
 */
async function cacheVersion(s: Services, d: Dataset, latest: number | null, readAt: ReadAt): Promise<{ version: number; historical: boolean } | null> {
  if (latest === null) return null
  if (readAt.version !== null) return readAt.version <= latest ? { version: readAt.version, historical: readAt.version !== latest } : null
  if (readAt.asOf !== null) {
    const snap = await loadTableSnapshot(await tableRefOf(s.config.dataDir, d), { timestampMs: Date.parse(readAt.asOf) })
    return { version: snap.version, historical: snap.version !== latest }
  }
  return { version: latest, historical: false }
}

async function sourceOf(s: Services, d: Dataset, req: ExploreRequest): Promise<AsyncIterable<Uint8Array>> {
  if (d.kind !== 'connector') return exploreTable(s.pool, await tableRefOf(s.config.dataDir, d), d, req)
  return isBigQueryDataset(s, d) ? exploreBigQuery(s.pool, s.connectors, d, req) : explorePostgres(s.pool, s.connectors, d, req)
}

interface Current { d: Readonly<Dataset>; view: MaskingView; latest: number | null }

async function runExplore(ctx: RequestContext, s: Services, cur: Current, plan: Plan, format: OutputFormat | null, readAt: ReadAt, conditional: boolean): Promise<void> {
  if (s.draining.value) throw new SluiceError(503, 'overloaded', 'server is shutting down')
  const { d, view } = cur
  const fmt = negotiateFormat(format, ctx.header('accept'))
  const at = await cacheVersion(s, d, cur.latest, readAt)
  if (at === null) {
    const req = { plan, columns: outputColumns(plan, view), format: fmt, readAt, masks: taskMasks(s, d, view), signal: ctx.signal }
    await streamResult(ctx, fmt, await sourceOf(s, d, req), s.log)
    return
  }
  const cache = resultCacheOf(s)
  const salt = view.rules.size === 0 ? '' : maskSaltOf(s.secrets, d.org)
  const key = resultKey({ datasetId: d.id, version: at.version, plan, format: fmt, view, salt })
  const hit = cache.get(key)
  const etag = hit?.etag ?? etagOf(key)
  const headers = { ETag: etag, 'Cache-Control': REVALIDATE }
  // A registered table's files may have been swapped for links since the answer was read.
  const answeredFromCache = hit || (conditional && ifNoneMatchMatches(ctx.header('if-none-match'), etag))
  if (answeredFromCache && d.kind === 'lakehouse' && !isManagedTable(s.config.dataDir, d)) await confineTableVersion(await tableRefOf(s.config.dataDir, d), at.version)
  if (conditional && ifNoneMatchMatches(ctx.header('if-none-match'), etag)) {
    // Not cached and not the latest version: make sure VACUUM left it readable first.
    if (!hit && at.historical) await assertVersionFilesPresent(await loadTableSnapshot(await tableRefOf(s.config.dataDir, d), { version: at.version }))
    ctx.sendEmpty(304, headers)
    return
  }
  if (hit) {
    ctx.sendPrepared(hit.hitHead, hit.body)
    return
  }
  // Read exactly the version the key names, even if a commit lands meanwhile.
  const req = { plan, columns: outputColumns(plan, view), format: fmt, readAt: { version: at.version, asOf: null }, masks: taskMasks(s, d, view), signal: ctx.signal }
  const root = path.resolve(d.tablePath!)
  await streamResult(ctx, fmt, await sourceOf(s, d, req), s.log, {
    headers: { ...headers, 'X-Cache': 'miss' },
    capture: cache.accepts(0) ? { maxBytes: cache.maxEntryBytes, done: (body) => cache.put(cachedResult(key, root, etag, body, CONTENT_TYPES[fmt])) } : undefined,
  })
}

const refreshDeps = (s: Services) => ({ dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, log: s.log })

/**
 * The latest version of a Delta-backed dataset's table, and the dataset as of it (another
 * writer may have evolved it). A version remembered within SNAPSHOT_FRESHNESS_MS and not
 * invalidated by a commit is trusted without touching the log (the small-request fast
 * path). `latest` is null when the table is not a Delta table or cannot be read now (the
 * uncached path reports why).
 */
async function freshDataset(s: Services, found: Dataset): Promise<{ d: Dataset; latest: number | null }> {
  if (found.kind === 'connector' || !found.tablePath || tableKindOf(found) !== 'delta') {
    return { d: await refreshRegisteredDataset(refreshDeps(s), found), latest: null }
  }
  const hint = latestVersionHint(found.tablePath)
  if (hint !== null && hint === found.currentVersion) return { d: found, latest: hint }
  const generation = tableGeneration(found.tablePath)
  let version: number
  try {
    version = (await loadTableSnapshot(await tableRefOf(s.config.dataDir, found))).version
  } catch {
    return { d: await refreshRegisteredDataset(refreshDeps(s), found), latest: null }
  }
  const d = version === found.currentVersion ? found : await refreshRegisteredDataset(refreshDeps(s), found)
  if (d.currentVersion !== version) return { d, latest: null } // a commit raced us: do not cache this one
  rememberLatestVersion(found.tablePath, version, generation)
  return { d, latest: version }
}

/**
 * The readable dataset with its schema as of the table's latest commit, and the caller's
 * masking view of it: plans are parsed against the masked schema, so a filter on a masked
 * column compares masked values. Authorization comes first, before any cache is consulted.
 */
async function currentDataset(ctx: RequestContext, s: Services): Promise<Current> {
  const { d, latest } = await freshDataset(s, readableDataset(ctx, s))
  return { d, view: maskingViewOf(d, ctx.principal!), latest }
}

const parseGetExplore = (ctx: RequestContext, cur: Current, latest: number) =>
  memoParse({ datasetId: cur.d.id, version: latest, viewKey: cur.view.key, route: 'explore', rawQuery: ctx.rawQuery },
    () => parseExploreParams(ctx.queryEntries(), cur.view.fields))

/**
 * A GET explore answered from the result cache without a Promise (a polled dashboard URL):
 * the same checks as the full path, in the same order — authorization, the remembered latest
 * version, the masking view and salt in the key — each taken only while it needs no I/O.
 * False: nothing was sent, the full path decides (a miss, time travel, a registered table
 * whose confinement must be checked on disk, a version to look up).
 */
function answerCachedExplore(ctx: RequestContext, s: Services): boolean {
  if (s.draining.value) return false
  const d = peekReadableDataset(ctx, s)
  if (d.kind === 'connector' || !d.tablePath || tableKindOf(d) !== 'delta' || (d.kind === 'lakehouse' && !isManagedTable(s.config.dataDir, d))) return false
  const latest = latestVersionHint(d.tablePath)
  if (latest === null || latest !== d.currentVersion) return false
  const cur: Current = { d, view: sharedMaskingViewOf(d, ctx.principal!), latest }
  const { plan, format, readAt } = parseGetExplore(ctx, cur, latest)
  if (readAt.asOf !== null || (readAt.version !== null && readAt.version !== latest)) return false
  const fmt = negotiateFormat(format, ctx.header('accept'))
  const salt = cur.view.rules.size === 0 ? '' : maskSaltOf(s.secrets, d.org)
  const hit = resultCacheOf(s).get(resultKey({ datasetId: d.id, version: latest, plan, format: fmt, view: cur.view, salt }))
  if (!hit) return false
  if (ifNoneMatchMatches(ctx.header('if-none-match'), hit.etag)) ctx.sendPrepared(hit.notModifiedHead, null)
  else ctx.sendPrepared(hit.hitHead, hit.body)
  return true
}

export const exploreRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/explore', auth: true, body: false,
    handler: (ctx, s) => answerCachedExplore(ctx, s) ? undefined : (async () => {
      const cur = await currentDataset(ctx, s)
      const { plan, format, readAt } = cur.latest === null ? parseExploreParams(ctx.queryEntries(), cur.view.fields) : parseGetExplore(ctx, cur, cur.latest)
      await runExplore(ctx, s, cur, plan, format, readAt, true)
    })(),
  },
  {
    method: 'POST', path: '/api/datasets/{name}/explore', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const cur = await currentDataset(ctx, s)
      const json = await body!.readJson()
      const { plan, format, readAt } = parseExploreBody(json ?? {}, cur.view.fields)
      // If-None-Match is a GET matter (a POST would answer 412, RFC 9110): POST gets the ETag and the cache only.
      await runExplore(ctx, s, cur, plan, format ?? enumParam(ctx.query('format'), 'format', OUTPUT_FORMATS, null), readAt, false)
    },
  },
  {
    method: 'GET', path: '/api/datasets/{name}/preview', auth: true, body: false,
    handler: async (ctx, s) => {
      const cur = await currentDataset(ctx, s)
      const entries = ctx.queryEntries()
      const allowed = new Set(['limit', 'format', 'version', 'as_of'])
      for (const [k] of entries) if (!allowed.has(k)) throw invalidParameter(k, 'preview takes only limit, format, version and as_of')
      const limit = intParam(ctx.query('limit'), 'limit', { def: PREVIEW_DEFAULT, min: 1, max: PREVIEW_MAX })
      const rest = entries.filter(([k]) => k !== 'limit')
      const { plan, format, readAt } = parseExploreParams([...rest, ['limit', String(limit)]], cur.view.fields)
      await runExplore(ctx, s, cur, plan, format, readAt, true)
    },
  },
]
