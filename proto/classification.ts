/**
 * Automatic column classification: a semantic type and a sensitivity per column, and the
 * worker task that computes them from column names plus a sample of values
 * (workers/classify.ts, kernels in workers/kernels/classify/).
 *
 * Sensitivity is a fixed function of the semantic type (SENSITIVITY_OF) so a manual override
 * of the type can never leave a stale sensitivity behind:
 * - restricted:   identifies a person or an account on its own and enables fraud
 *                 (credit_card, national_id, iban)
 * - confidential: personal data (GDPR "personal data") that needs protection but is routinely
 *                 processed (email, phone, person_name, date_of_birth, ip_address,
 *                 postal_code, geo_coordinate)
 * - internal:     may contain anything, or links records together (identifier, uuid, url, free_text)
 * - public:       categorical, measure, timestamp, other
 * "Sensitive" in reports means confidential or restricted.
 */
import type { Batch } from './batch.js'
import type { ColumnMeta, Field } from './types.js'
import type { BigQueryConnection, BigQueryRestParameter } from './bigquery.js'
import type { ScanFile } from './scan.js'
import type { PgConnection } from './postgres.js'

export const SEMANTIC_TYPES = [
  'email', 'phone', 'person_name', 'national_id', 'credit_card', 'iban', 'ip_address',
  'postal_code', 'date_of_birth', 'url', 'uuid', 'geo_coordinate', 'free_text', 'identifier',
  'categorical', 'measure', 'timestamp', 'other',
] as const
export type SemanticType = (typeof SEMANTIC_TYPES)[number]

export type Sensitivity = 'public' | 'internal' | 'confidential' | 'restricted'

export const SENSITIVITY_OF: Readonly<Record<SemanticType, Sensitivity>> = {
  credit_card: 'restricted',
  national_id: 'restricted',
  iban: 'restricted',
  email: 'confidential',
  phone: 'confidential',
  person_name: 'confidential',
  date_of_birth: 'confidential',
  ip_address: 'confidential',
  postal_code: 'confidential',
  geo_coordinate: 'confidential',
  identifier: 'internal',
  uuid: 'internal',
  url: 'internal',
  free_text: 'internal',
  categorical: 'public',
  measure: 'public',
  timestamp: 'public',
  other: 'public',
}

/** True for confidential and restricted. */
export const isSensitive = (s: Sensitivity): boolean => s === 'confidential' || s === 'restricted'

export interface ColumnClassification {
  name: string
  semantic_type: SemanticType
  sensitivity: Sensitivity
  /** 0..1; value-validated detections score by match rate, name-only hints stay ≤ 0.6 */
  confidence: number
  source: 'auto' | 'manual'
}

/** Rows of the sample automatic classification looks at (the first rows of the table, spread over its files). */
export const CLASSIFY_SAMPLE_ROWS = 5000

/**
 * Worker task: classify every field of `fields` from its name and its column in a sample
 * (matched by name). The sample is either ready (`sample`), read by the worker from Parquet
 * files (`files`, Delta partition values as constant columns), or read by the worker from
 * PostgreSQL (`postgres`: one SELECT of the value expressions with a LIMIT, in a READ ONLY
 * transaction; its result columns are `fields`, in order). Values never leave the worker.
 */
export type ClassifyTask = { kind: 'classify'; fields: Field[] } & (
  | { sample: Batch }
  | { files: ScanFile[]; sampleRows: number }
  | { postgres: { connection: PgConnection; sql: string } }
  /** BigQuery datasets: the worker runs `sql` (a LIMIT-ed SELECT) through the page reader (workers/bigquery/pages.ts) */
  | { bigquery: { connection: BigQueryConnection; sql: string; params: BigQueryRestParameter[]; columns: ColumnMeta[] } }
)

/** One column of `GET /api/datasets/{name}/classification`, in schema order; null fields: never classified. */
export interface ColumnClassificationView {
  name: string
  semantic_type: SemanticType | null
  sensitivity: Sensitivity | null
  confidence: number | null
  source: 'auto' | 'manual' | null
  /** the dataset's settings.masking has a rule for the column */
  masked: boolean
}

export const SENSITIVITIES: readonly Sensitivity[] = ['public', 'internal', 'confidential', 'restricted']
