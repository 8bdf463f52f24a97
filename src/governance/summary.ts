/**
 * GET /api/datasets/governance/summary: the org's classification, masking and sharing at a
 * glance, over the datasets the caller may read (canRead: every org member in legacy mode,
 * grants/creator/admin in grants mode). Built from the catalog only (stored classifications,
 * settings, grants): it never reads data and never classifies, so it is cheap and holds no
 * values. Columns without a stored classification count as `unclassified`.
 * Main thread.
 */
import { isSensitive, type SemanticType, type Sensitivity } from '../../proto/classification.js'
import type { Principal } from '../../proto/principal.js'
import { PERMISSIONS, type ClassificationStore, type Dataset, type DatasetStore, type GrantStore, type Permission } from '../catalog/index.js'
import { canRead, type AuthzMode } from '../auth/dataset-access.js'
import { isAdmin } from '../auth/principal.js'
import { maskedColumns } from './classification-view.js'

export interface SummaryDeps {
  config: { authzMode: AuthzMode }
  datasets: DatasetStore
  grants: GrantStore
  classifications: ClassificationStore
}

type Level = Sensitivity | 'unclassified'

export interface UnmaskedColumn { dataset: string; column: string; semantic_type: SemanticType; sensitivity: Sensitivity }

export interface GovernanceSummary {
  datasets: number
  columns: { total: number; by_sensitivity: Record<Level, number> }
  datasets_by_sensitivity: Record<Level, number>
  masking: { sensitive_columns: number; masked_columns: number; coverage: number | null }
  sharing: { grants: number; grants_by_permission: Record<Permission, number>; datasets_shared: number; principals_with_access: number }
  /** admins only: confidential/restricted columns without a masking rule */
  unmasked_sensitive_columns?: UnmaskedColumn[]
}

const PAGE = 500
const RANK: Record<Level, number> = { unclassified: -1, public: 0, internal: 1, confidential: 2, restricted: 3 }

const levels = (): Record<Level, number> => ({ public: 0, internal: 0, confidential: 0, restricted: 0, unclassified: 0 })

/** Every dataset of the org (the store pages; the org's catalog fits in memory). */
function orgDatasets(store: DatasetStore, org: string): Dataset[] {
  const out: Dataset[] = []
  for (let offset = 0; ; offset += PAGE) {
    const { items } = store.list(org, { limit: PAGE, offset, q: null, sort: 'name' })
    out.push(...items)
    if (items.length < PAGE) return out
  }
}

export function governanceSummary(deps: SummaryDeps, p: Principal): GovernanceSummary {
  const readable = orgDatasets(deps.datasets, p.org).filter((d) => canRead(deps, p, d))
  const stored = deps.classifications.listMany(readable.map((d) => d.id))
  const columns = levels()
  const datasetsBy = levels()
  let sensitive = 0
  let masked = 0
  const unmasked: UnmaskedColumn[] = []
  for (const d of readable) {
    const byName = new Map((stored.get(d.id) ?? []).map((c) => [c.name, c]))
    const rules = maskedColumns(d)
    let highest: Level = 'unclassified'
    for (const f of d.schema) {
      const c = byName.get(f.name)
      const level: Level = c?.sensitivity ?? 'unclassified'
      columns[level]++
      if (RANK[level] > RANK[highest]) highest = level
      if (!c || !isSensitive(c.sensitivity)) continue
      sensitive++
      if (rules.has(f.name)) masked++
      else unmasked.push({ dataset: d.name, column: f.name, semantic_type: c.semantic_type, sensitivity: c.sensitivity })
    }
    datasetsBy[highest]++
  }

  const readableIds = new Set(readable.map((d) => d.id))
  const grants = deps.grants.listForOrg(p.org).filter((g) => readableIds.has(g.datasetId))
  const byPermission = Object.fromEntries(PERMISSIONS.map((x) => [x, 0])) as Record<Permission, number>
  for (const g of grants) byPermission[g.permission]++

  const summary: GovernanceSummary = {
    datasets: readable.length,
    columns: { total: readable.reduce((n, d) => n + d.schema.length, 0), by_sensitivity: columns },
    datasets_by_sensitivity: datasetsBy,
    masking: { sensitive_columns: sensitive, masked_columns: masked, coverage: sensitive === 0 ? null : masked / sensitive },
    sharing: {
      grants: grants.length,
      grants_by_permission: byPermission,
      datasets_shared: new Set(grants.map((g) => g.datasetId)).size,
      principals_with_access: new Set(grants.map((g) => g.principal)).size,
    },
  }
  if (isAdmin(p)) summary.unmasked_sensitive_columns = unmasked
  return summary
}
