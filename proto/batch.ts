/**
 * The columnar batch that worker kernels compute on. Arrow is the exchange format between
 * threads and files; inside a worker, kernels walk these plain typed arrays instead of
 * calling `vector.get(i)` (about 20x slower, see STACK.md).
 *
 * Value representation per logical type (`values`):
 * - string, json, decimal  → string[]   (decimal as exact digits text, e.g. "12.30")
 * - int16 / int32          → Int32Array
 * - int64                  → BigInt64Array (exact; never through a float)
 * - float32 / float64      → Float64Array
 * - boolean                → Uint8Array (0 / 1)
 * - date                   → Int32Array (days since 1970-01-01)
 * - timestamp              → BigInt64Array (microseconds since epoch, UTC)
 * - time                   → BigInt64Array (microseconds since midnight)
 * - binary                 → Uint8Array[]
 * A `WriteBatch` (on its way to a Parquet writer, never to a kernel) may instead hold a
 * string column as `Utf8Values`, built from bytes by the CSV write pass.
 * A null slot holds any placeholder value ('' / 0 / 0n) and has `nulls[i] === 1`.
 */
import type { LogicalType } from './types.js'

/** Strings already in UTF-8, Arrow's Utf8 layout: value i is bytes[offsets[i], offsets[i + 1]). */
export interface Utf8Values {
  offsets: Int32Array
  bytes: Uint8Array
}

/** Whether a column's values are Utf8Values. */
export function isUtf8Values(v: ColumnValues | Utf8Values): v is Utf8Values {
  return !Array.isArray(v) && 'offsets' in v
}

export type ColumnValues =
  | string[]
  | Int32Array
  | BigInt64Array
  | Float64Array
  | Uint8Array
  | Uint8Array[]

export interface Column {
  name: string
  type: LogicalType
  values: ColumnValues
  /** 1 marks a null; `null` means the column has no nulls */
  nulls: Uint8Array | null
  precision?: number
  scale?: number
}

export interface Batch {
  length: number
  columns: Column[]
}

/** A column headed for a writer (arrow-to, DeltaStats): a string column may be Utf8Values. */
export interface WriteColumn extends Omit<Column, 'values'> {
  values: ColumnValues | Utf8Values
}

/** A Batch headed for a writer; every Batch is one. */
export interface WriteBatch {
  length: number
  columns: WriteColumn[]
}
