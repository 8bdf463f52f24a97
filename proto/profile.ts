/**
 * Column profiles (GET /api/datasets/{name}/profile): the wire shape, and the worker tasks
 * that compute it over Parquet files. Per-bucket column stats have their own contract
 * (proto/column-stats.ts).
 *
 * Lakehouse and upload datasets: one `profile-scan` task per group of files reads each file
 * once (only the profiled columns) and returns a mergeable partial state per column
 * (`ProfilePartial`, plain data: structured-clone friendly, ArrayBuffers transferable);
 * one `profile-finish` task merges the partials and returns the finished `ColumnProfile`s.
 * The main thread never loops over rows or sketch registers. PostgreSQL (and later BigQuery)
 * compute the same `ColumnProfile` fields with SQL.
 *
 * Values in profiles use API.md's wire encodings (int64 as JSON numbers with exact digits,
 * decimals as strings, dates `YYYY-MM-DD`, timestamps `...Z`, binary base64), so `min`, `max`
 * and `top_values[].value` read like the column's values in explore output. The finish task
 * returns the columns as JSON text built in the worker, so exact int64 digits survive.
 */
import type { Cancellable } from './cancel.js'
import type { Field } from './types.js'
import type { ScanFile } from './scan.js'
import type { TaskMasks } from './masks.js'

/** Default and largest `top=` */
export const DEFAULT_TOP = 10
export const MAX_TOP = 100

/** One column's statistics. Fields that do not apply to the type are absent (not null). */
export interface ColumnProfile {
  name: string
  /** wire type name, e.g. `int64`, `decimal(12,2)`; a masked column's masked type (hash → string) */
  type: string
  /** true when the caller sees this column masked: every statistic below is over masked values */
  masked: boolean
  /** rows (including nulls) */
  count: number
  null_count: number
  /** null_count / count (0 when count is 0) */
  null_rate: number
  distinct_count: number
  /** true when distinct_count comes from a HyperLogLog sketch (standard error ≤ 2 %) */
  distinct_approximate: boolean
  /** smallest / largest non-null value, wire encoded; null when every value is null */
  min: unknown
  max: unknown
  // numbers (int*, float*, decimal). mean, stddev and the quantiles are float64 and use the
  // float encoding of API.md: NaN/±Infinity as strings (a column with NaN has mean "NaN", as
  // DuckDB's avg; DuckDB's stddev_samp raises on NaN where we answer "NaN").
  mean?: number | null
  /** sample standard deviation (n − 1), as DuckDB's stddev_samp; null for fewer than 2 values */
  stddev?: number | null
  /** quantiles with linear interpolation between closest ranks (DuckDB quantile_cont) */
  p25?: number | null
  p50?: number | null
  p75?: number | null
  /** true when the quantiles come from a sketch (rank error ≤ 1 %) */
  quantiles_approximate?: boolean
  // strings (string, json)
  min_length?: number | null
  max_length?: number | null
  mean_length?: number | null
  /** values equal to '' */
  empty_count?: number
  /**
   * strings, booleans and numbers with at most 1,000 distinct values: the `top` most frequent,
   * ties by value. Strings always have them: exact counts while at most 10,000 distinct values
   * were seen, else a Misra–Gries summary with 10,000 counters (counts are lower bounds).
   */
  top_values?: { value: unknown; count: number }[]
  /** true when top_values counts come from a bounded summary rather than exact counts */
  top_values_approximate?: boolean
  // dates and timestamps: counts per bucket between min and max (bucket chosen from the span:
  // the finest of hour (timestamps only), day, week (ISO, Monday), month, year giving at most
  // 100 bins); every bin from the bucket of min to that of max, empty ones included; `start`
  // in the column's wire encoding (date or timestamp text). Absent when every value is null.
  histogram?: { bucket: 'hour' | 'day' | 'week' | 'month' | 'year'; bins: { start: string; count: number }[] }
}

export interface DatasetProfile {
  row_count: number
  /** Delta version profiled; null for connector datasets */
  version: number | null
  columns: ColumnProfile[]
  computed_at: string
  /** connector datasets profiled on a sample: the method and fraction; null when every row was read */
  sample: { method: string; fraction: number } | null
  /** true when this answer came from the cache */
  cached: boolean
}

// ---- worker tasks over Parquet files ----

export interface ProfileScanTask extends Cancellable {
  kind: 'profile-scan'
  files: ScanFile[]
  /** the table's fields (types of the profiled columns) */
  fields: Field[]
  /** the columns to profile */
  columns: string[]
  /** the caller's masks, applied to each batch right after the read (absent: nothing masked) */
  masks?: TaskMasks
}

/**
 * A column's mergeable partial state. Opaque to the main thread: it only hands partials from
 * scan tasks to the finish task. Must be structured-clone friendly.
 */
export type ColumnPartial = { name: string; [state: string]: unknown }

export interface ProfilePartial {
  rowCount: number
  columns: ColumnPartial[]
}

export interface ProfileFinishTask {
  kind: 'profile-finish'
  /** the fields as the caller sees them (masked types: the partials are over masked values) */
  fields: Field[]
  columns: string[]
  partials: ProfilePartial[]
  top: number
  /** the profiled columns the caller sees masked (`masked: true` in their ColumnProfile) */
  masked?: string[]
}

/** The finished profile of each column, as JSON text (exact int64 digits) and as data. */
export interface ProfileFinishResult {
  rowCount: number
  /** `[ColumnProfile, ...]` as JSON text */
  columnsJson: string
}
