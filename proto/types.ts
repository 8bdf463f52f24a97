/**
 * The one logical type system (API.md, "Values on the wire"). Every source maps to it,
 * every output format encodes from it. Type names here are exactly the names that appear
 * in column metadata, except `decimal`, which is written `decimal(p,s)` (see typeName).
 */
export type LogicalType =
  | 'string'
  | 'int16'
  | 'int32'
  | 'int64'
  | 'float32'
  | 'float64'
  | 'decimal'
  | 'boolean'
  | 'date'
  | 'timestamp'
  | 'time'
  | 'binary'
  | 'json'

export interface Field {
  name: string
  type: LogicalType
  nullable: boolean
  /** decimal only */
  precision?: number
  /** decimal only */
  scale?: number
}

export type Schema = Field[]

/** Column metadata as sent to clients in every format: `{name, type, masked}`. */
export interface ColumnMeta {
  name: string
  /** the wire type name: `int64`, `decimal(12,2)`, ... */
  type: string
  masked: boolean
  /** the logical type the values of this column have in a Batch */
  logical: LogicalType
  precision?: number
  scale?: number
}

export function typeName(f: { type: LogicalType; precision?: number; scale?: number }): string {
  return f.type === 'decimal' ? `decimal(${f.precision ?? 38},${f.scale ?? 0})` : f.type
}

export const INTEGER_TYPES: ReadonlySet<LogicalType> = new Set(['int16', 'int32', 'int64'])
export const FLOAT_TYPES: ReadonlySet<LogicalType> = new Set(['float32', 'float64'])
export const NUMERIC_TYPES: ReadonlySet<LogicalType> = new Set([
  'int16', 'int32', 'int64', 'float32', 'float64', 'decimal',
])
export const TEMPORAL_TYPES: ReadonlySet<LogicalType> = new Set(['date', 'timestamp'])
