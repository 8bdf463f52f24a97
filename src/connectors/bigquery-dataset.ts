/**
 * Which datasets are BigQuery-backed (kind `connector`, provenance source `bigquery`), and the
 * refusal for features BigQuery datasets do not have yet (profiles, column stats,
 * classification): a clear 422 instead of a PostgreSQL code path that cannot serve them.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Dataset } from '../catalog/index.js'

export const isBigQueryDataset = (d: Dataset): boolean => d.kind === 'connector' && d.provenance.source === 'bigquery'

export function assertNotBigQuery(d: Dataset, what: string): void {
  if (isBigQueryDataset(d)) throw new SluiceError(422, 'unsupported_table', `${what} of BigQuery datasets is not supported yet (dataset "${d.name}"); explore works`)
}
