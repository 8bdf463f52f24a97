/**
 * Stored column classifications (proto/classification.ts), one row per (dataset, column).
 * Automatic runs replace `auto` rows only: a `manual` override survives re-classification
 * until an admin changes it again. Rows go with their dataset (ON DELETE CASCADE).
 */
import type { ColumnClassification, SemanticType, Sensitivity } from '../../proto/classification.js'
import type { CatalogDb } from './db.js'

interface Row {
  dataset_id: string; column_name: string; semantic_type: SemanticType; sensitivity: Sensitivity
  confidence: number; source: 'auto' | 'manual'; updated_at: string
}

const fromRow = (r: Row): ColumnClassification => ({
  name: r.column_name, semantic_type: r.semantic_type, sensitivity: r.sensitivity, confidence: r.confidence, source: r.source,
})

export class ClassificationStore {
  constructor(private readonly db: CatalogDb) {}

  /** The stored classification of each column of the dataset (any order). */
  list(datasetId: string): ColumnClassification[] {
    return (this.db.prepare('SELECT * FROM column_classifications WHERE dataset_id = ? ORDER BY column_name').all(datasetId) as Row[]).map(fromRow)
  }

  /** Classifications of many datasets at once (governance summary). */
  listMany(datasetIds: readonly string[]): Map<string, ColumnClassification[]> {
    const out = new Map<string, ColumnClassification[]>()
    const stmt = this.db.prepare('SELECT * FROM column_classifications WHERE dataset_id = ?')
    for (const id of datasetIds) out.set(id, (stmt.all(id) as Row[]).map(fromRow))
    return out
  }

  /**
   * Stores an automatic run: replaces every `auto` row of the dataset, keeps `manual` rows
   * (their columns are skipped), and drops rows of columns the dataset no longer has.
   */
  replaceAuto(datasetId: string, columns: readonly ColumnClassification[], existingColumns: readonly string[]): void {
    const now = new Date().toISOString()
    const run = this.db.transaction(() => {
      const manual = new Set((this.db.prepare("SELECT column_name FROM column_classifications WHERE dataset_id = ? AND source = 'manual'")
        .all(datasetId) as { column_name: string }[]).map((r) => r.column_name))
      this.db.prepare("DELETE FROM column_classifications WHERE dataset_id = ? AND source = 'auto'").run(datasetId)
      const keep = new Set(existingColumns)
      for (const name of manual) {
        if (!keep.has(name)) this.db.prepare('DELETE FROM column_classifications WHERE dataset_id = ? AND column_name = ?').run(datasetId, name)
      }
      const insert = this.db.prepare(`INSERT INTO column_classifications (dataset_id, column_name, semantic_type, sensitivity, confidence, source, updated_at)
        VALUES (?, ?, ?, ?, ?, 'auto', ?)`)
      for (const c of columns) if (!manual.has(c.name) && keep.has(c.name)) insert.run(datasetId, c.name, c.semantic_type, c.sensitivity, c.confidence, now)
    })
    run.immediate()
  }

  /** Stores manual overrides of several columns at once (all or none). */
  setManualMany(datasetId: string, overrides: readonly { name: string; semanticType: SemanticType; sensitivity: Sensitivity }[]): void {
    this.db.transaction(() => {
      for (const o of overrides) this.setManual(datasetId, o.name, o.semanticType, o.sensitivity)
    }).immediate()
  }

  /** Stores a manual override of one column (confidence 1). */
  setManual(datasetId: string, column: string, semanticType: SemanticType, sensitivity: Sensitivity): void {
    this.db.prepare(`INSERT INTO column_classifications (dataset_id, column_name, semantic_type, sensitivity, confidence, source, updated_at)
      VALUES (?, ?, ?, ?, 1, 'manual', ?)
      ON CONFLICT (dataset_id, column_name) DO UPDATE SET semantic_type = excluded.semantic_type,
        sensitivity = excluded.sensitivity, confidence = 1, source = 'manual', updated_at = excluded.updated_at`)
      .run(datasetId, column, semanticType, sensitivity, new Date().toISOString())
  }
}
