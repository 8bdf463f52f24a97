/** How catalog records look on the wire. */
import { typeName } from '../../proto/types.js'
import type { Dataset } from '../catalog/index.js'

export function datasetView(d: Dataset) {
  return {
    id: d.id,
    name: d.name,
    kind: d.kind,
    description: d.description,
    schema: d.schema.map((f) => ({ name: f.name, type: typeName(f), nullable: f.nullable })),
    settings: d.settings,
    provenance: d.provenance,
    version: d.currentVersion,
    row_count: d.rowCount,
    created_by: d.createdBy,
    created_at: d.createdAt,
    updated_at: d.updatedAt,
  }
}
