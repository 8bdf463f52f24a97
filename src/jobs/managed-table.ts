/**
 * Version 0 of a managed Delta table (uploads, imports): the data files already sit in the
 * table folder; one commit creates the table with them. Shared so every new table records
 * the same operation metrics.
 */
import type { Field } from '../../proto/types.js'
import type { IngestedFile } from '../../proto/ingest.js'
import { commitActions, createTableActions } from '../lakehouse/index.js'

export interface NewTable {
  fields: Field[]
  files: IngestedFile[]
  rowCount: number
  /** commitInfo.operation, e.g. WRITE or CREATE TABLE AS SELECT */
  operation: string
  engineInfo: string
  userName: string
  description: string
  runId?: string
}

export async function commitNewTable(tableDir: string, t: NewTable): Promise<void> {
  const totalBytes = t.files.reduce((n, f) => n + f.size, 0)
  await commitActions(tableDir, 0, createTableActions({
    schema: t.fields,
    partitionColumns: [],
    files: t.files.map((f) => ({ path: f.name, size: f.size, stats: f.stats })),
    operation: t.operation,
    operationParameters: { mode: 'ErrorIfExists', partitionBy: '[]' },
    operationMetrics: { numFiles: String(t.files.length), numOutputRows: String(t.rowCount), numOutputBytes: String(totalBytes) },
    engineInfo: t.engineInfo,
    userName: t.userName,
    description: t.description,
    ...(t.runId ? { runId: t.runId } : {}),
  }))
}
