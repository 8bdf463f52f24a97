/**
 * Per-time-bucket column statistics (GET /api/datasets/{name}/column-stats): the worker
 * tasks and the mergeable partial state they exchange.
 *
 * Lakehouse/upload datasets: one `column-stats` task per group of files reads only the time
 * column and the requested columns and returns a `ColumnStatsPartial` (plain data, structured
 * clone friendly). One `column-stats-finish` task merges the partials of every group (and of
 * PostgreSQL, whose SQL produces the same partial shape), fills empty buckets, adds rolling
 * means and returns the response body bytes (JSON or NDJSON) ready for the socket.
 *
 * Buckets: `[fromMicros, toMicros)` is aligned to bucket boundaries by the main thread; bucket
 * `i` starts at `fromMicros + i * bucketMicros`. Weeks are ISO weeks (Monday 00:00 UTC).
 * Rows whose time is null or outside the range are skipped; `count` counts every other row of
 * the bucket, nulls of the column included.
 *
 * Masking: tasks carry the caller's masks (proto/masks.ts) and mask each batch right after the
 * read, the time column included, so buckets, min/max and distinct counts are over masked
 * values; `fields` of the finish task are the masked fields. The header carries the reported
 * columns' metadata `{"name","type","masked"}` and `time_column_masked`.
 */
import type { Cancellable } from './cancel.js'
import type { Field } from './types.js'
import type { ScanFile } from './scan.js'
import type { TaskMasks } from './masks.js'

export const BUCKET_SIZES = ['1h', '1d', '1w'] as const
export type BucketSize = (typeof BUCKET_SIZES)[number]

export const HOUR_MICROS = 3_600_000_000
export const DAY_MICROS = 86_400_000_000
export const WEEK_MICROS = 7 * DAY_MICROS
export const BUCKET_MICROS: Record<BucketSize, number> = { '1h': HOUR_MICROS, '1d': DAY_MICROS, '1w': WEEK_MICROS }
/** PostgreSQL `date_trunc` unit of each bucket size (`week` is ISO, Monday-based there too). */
export const BUCKET_PG_UNIT: Record<BucketSize, string> = { '1h': 'hour', '1d': 'day', '1w': 'week' }

/** Bucket boundaries are multiples of the bucket size counted from here: 1969-12-29 (a Monday) for weeks. */
export function bucketOrigin(size: BucketSize): number {
  return size === '1w' ? -3 * DAY_MICROS : 0
}

/** Largest number of buckets one request may ask for (`422 query_too_expensive` above). */
export const MAX_BUCKETS = 10_000
/** Largest `rolling=` window, in buckets. */
export const MAX_ROLLING = 100
/**
 * Largest buckets × columns of one request (`422 query_too_expensive` above): every cell may
 * hold a 4 KiB sketch in each worker, so this bounds a request's memory (about 200 MB).
 */
export const MAX_CELLS = 50_000
/**
 * Distinct values kept exactly per bucket and column; above this a HyperLogLog sketch counts
 * them. Small on purpose: 512 keys already take more memory than the 4 KiB sketch.
 */
export const EXACT_DISTINCT_LIMIT = 512

/**
 * Distinct-value state: the exact set of canonical value keys, a HyperLogLog sketch
 * (p = 12, 4096 one-byte registers, merged by max), or a final count a SQL engine computed
 * (not mergeable with anything else; one source per bucket).
 */
export type DistinctState =
  | { kind: 'set'; keys: string[] }
  | { kind: 'hll'; registers: Uint8Array }
  | { kind: 'count'; n: number }

/** A min/max value in batch representation (proto/batch.ts): number, bigint or string. */
export type StatValue = number | bigint | string | boolean

/** Mergeable state of one column in one bucket. */
export interface ColumnBucketState {
  count: number
  nullCount: number
  min: StatValue | null
  max: StatValue | null
  /** sum and number of the values the mean is over (numeric columns only; NaN skipped) */
  sum: number
  n: number
  distinct: DistinctState
}

/** Partial result: bucket index → column name → state; buckets without rows are absent. */
export interface ColumnStatsPartial {
  buckets: Record<number, Record<string, ColumnBucketState>>
}

export interface ColumnStatsTask extends Cancellable {
  kind: 'column-stats'
  files: ScanFile[]
  /** the table's fields (types of the time column and every requested column) */
  fields: Field[]
  timeColumn: string
  columns: string[]
  bucket: BucketSize
  /** bucket-aligned µs since epoch: [fromMicros, toMicros) */
  fromMicros: number
  toMicros: number
  /** the caller's masks, applied right after the read (absent: nothing masked) */
  masks?: TaskMasks
}

export type ColumnStatsFormat = 'json' | 'ndjson'

export interface ColumnStatsFinishTask {
  kind: 'column-stats-finish'
  partials: ColumnStatsPartial[]
  /** the requested columns, in output order, as the caller sees them (masked types) */
  fields: Field[]
  /** the requested columns the caller sees masked */
  masked?: string[]
  /** true when the time column is masked (buckets are of masked times) */
  timeColumnMasked?: boolean
  timeColumn: string
  bucket: BucketSize
  fromMicros: number
  toMicros: number
  /** rolling window in buckets, or null for none */
  rolling: number | null
  format: ColumnStatsFormat
}

/** The newest value of a time column, as µs since epoch (null when there is none). */
export interface ColumnStatsMaxTask extends Cancellable {
  kind: 'column-stats-max'
  files: ScanFile[]
  fields: Field[]
  timeColumn: string
  /** the caller's masks: the newest MASKED time value anchors a masked time column's window */
  masks?: TaskMasks
}
