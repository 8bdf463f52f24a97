/**
 * A validated explore plan: what `src/query/` produces from the URL grammar or the POST
 * body (README, "Explore grammar"), checked against the dataset's schema. Workers receive
 * it as data and execute it (workers/kernels/execute.ts); SQL connectors compile it.
 *
 * Every column name in a plan exists in the source schema; every literal is already typed
 * by its column (see Literal). Nothing in a plan needs re-validation downstream.
 */
import type { LogicalType } from './types.js'

export type AggFn = 'count' | 'count_distinct' | 'sum' | 'avg' | 'min' | 'max'
export type TruncUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year'

/** A row-level expression: a source column, or a UTC time bucket of one. */
export type ScalarExpr =
  | { kind: 'column'; column: string }
  | { kind: 'trunc'; column: string; unit: TruncUnit }

/** An aggregate; `column: null` is `count()` (rows). */
export interface AggExpr {
  kind: 'agg'
  fn: AggFn
  column: string | null
}

export type Expr = ScalarExpr | AggExpr

export interface SelectItem {
  /** output column name: the alias, or the column name */
  name: string
  expr: Expr
  /** result type (API.md "Result types"): count → int64, sum(int) → int64, avg → float64, ... */
  type: LogicalType
  precision?: number
  scale?: number
}

/**
 * A literal typed by the column it is compared with:
 * string/json/decimal → string, int16/32/64 → bigint, float → number, boolean → boolean,
 * date → number (days since epoch), timestamp → bigint (µs since epoch UTC),
 * time → bigint (µs since midnight).
 */
export type Literal = string | number | bigint | boolean

export type CmpOp = 'eq' | 'neq' | 'gt' | 'gte' | 'lt' | 'lte'

export type Filter =
  | { kind: 'and'; children: Filter[] }
  | { kind: 'or'; children: Filter[] }
  | { kind: 'not'; child: Filter }
  | { kind: 'cmp'; column: string; op: CmpOp; value: Literal }
  | { kind: 'in'; column: string; values: Literal[] }
  /** pattern as written; `*` and `%` match any run, `_` one character */
  | { kind: 'like'; column: string; pattern: string; caseInsensitive: boolean }
  | { kind: 'is'; column: string; value: null | true | false }

export interface OrderItem {
  /** index into `select` when ordering by an output column or alias */
  output: number | null
  /** a source column not in the output (non-aggregate plans only) */
  column: string | null
  desc: boolean
  /** resolved default: ascending → nulls last, descending → nulls first */
  nullsFirst: boolean
}

export interface Plan {
  select: SelectItem[]
  /** group keys (scalar expressions); empty with aggregates = one row */
  group: ScalarExpr[]
  /** true when select has an aggregate or group is non-empty */
  aggregate: boolean
  filter: Filter | null
  order: OrderItem[]
  limit: number | null
  offset: number
  /** source columns the plan reads (projection pushed into the scan) */
  columns: string[]
}

/** Time travel options that come with a plan (Delta-backed datasets). */
export interface ReadAt {
  version: number | null
  asOf: string | null
}

export type OutputFormat = 'json' | 'ndjson' | 'csv' | 'arrow'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['json', 'ndjson', 'csv', 'arrow']
