/**
 * Column classification of a dataset (proto/classification.ts):
 * - GET: every schema column in order with its semantic type, sensitivity, confidence,
 *   source and `masked`; a dataset with unclassified columns (registered before, or a new
 *   column of a registered table) is classified first.
 * - PATCH: manual overrides (admin or the dataset's creator), kept by later automatic runs.
 * - POST .../refresh: classify again now (writers: it replaces the automatic rows).
 * Answers hold no value of the dataset.
 */
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import type { Dataset } from '../../catalog/index.js'
import { assertCanGovern, readableDataset, writableDataset } from '../../auth/dataset-access.js'
import { classifyDataset, ensureClassified, type ClassifyDeps } from '../../governance/classify-dataset.js'
import { classificationView, parseOverrides } from '../../governance/classification-view.js'

const deps = (s: Services): ClassifyDeps => ({ pool: s.pool, dataDir: s.config.dataDir, classifications: s.classifications, connectors: s.connectors })

async function answer(s: Services, d: Dataset) {
  return classificationView(d, await ensureClassified(deps(s), d))
}

export const classificationRoutes: Route[] = [
  {
    method: 'GET', path: '/api/datasets/{name}/classification', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = readableDataset(ctx, s)
      ctx.sendJson(200, await answer(s, d))
    },
  },
  {
    method: 'PATCH', path: '/api/datasets/{name}/classification', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const d = readableDataset(ctx, s)
      assertCanGovern(ctx.principal!, d, 'classification overrides')
      const overrides = parseOverrides(await body!.readJson(), d)
      s.classifications.setManualMany(d.id, overrides)
      ctx.sendJson(200, await answer(s, d))
    },
  },
  {
    method: 'POST', path: '/api/datasets/{name}/classification/refresh', auth: true, body: false,
    handler: async (ctx, s) => {
      const d = writableDataset(ctx, s)
      ctx.sendJson(200, classificationView(d, await classifyDataset(deps(s), d, ctx.signal)))
    },
  },
]
