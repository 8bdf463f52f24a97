/** How catalog records look on the wire. */
import { typeName } from '../../proto/types.js'
import type { Principal } from '../../proto/principal.js'
import type { Dataset } from '../catalog/index.js'
import { maskingViewOf } from '../governance/masking-view.js'

/** A dataset as `caller` sees it: masked columns carry their masked type and `masked: true`. */
export function datasetView(d: Dataset, caller: Principal) {
  const view = maskingViewOf(d, caller)
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    description: d.description,
    schema: view.fields.map((f) => ({ name: f.name, type: typeName(f), nullable: f.nullable, masked: view.rules.has(f.name) })),
    settings: d.settings,
    provenance: d.provenance,
    version: d.currentVersion,
    row_count: d.rowCount,
    created_by: d.createdBy,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  }
}
