/**
 * Per-group aggregate state for the hash aggregator: one accumulator per aggregate
 * expression, holding one slot per group in plain arrays (so the state is structured-
 * cloneable and can be merged across workers). Pure; runs in worker threads.
 */
import type { Column } from '../../proto/batch.js'
import { SluiceError } from '../../proto/errors.js'
import type { AggExpr, SelectItem } from '../../proto/plan.js'
import type { LogicalType } from '../../proto/types.js'
import { castColumn } from './cast.js'
import { buildColumn, type Cell } from './column.js'
import { compareUnscaled, decimalKey, decimalToUnscaled, pow10n, rescaleDecimal, unscaledNumber, unscaledToDecimal } from './decimal.js'
import { compareFloats } from './filter.js'
import { compareStrings } from './scalar.js'
import { formatBinary } from './text.js'
import { numberViewOf } from './int64-view.js'

/** Plain-data state of one accumulator (structured-cloneable). */
export interface AccState {
  /** rows (count) / non-null values seen, per group */
  n: number[]
  /** number part of a sum, per group (exact while |x| <= 2^53) */
  acc: number[]
  /** bigint part of an exact sum, per group */
  big: bigint[]
  /** distinct values per group (count_distinct) */
  sets: Set<string | number | bigint>[]
  /** best value so far per group (min/max); null = none yet */
  best: Cell[]
}

const SAFE_HALF = 2 ** 52

/** Key of a value for distinct counting and grouping (SameValueZero-comparable). */
export function distinctKey(values: Column['values'], i: number, type: LogicalType): string | number | bigint {
  if (type === 'binary') return formatBinary((values as Uint8Array[])[i]!)
  return values[i] as string | number | bigint
}

export class Accumulator {
  readonly s: AccState = { n: [], acc: [], big: [], sets: [], best: [] }
  readonly kind: 'count_rows' | 'count' | 'count_distinct' | 'sum_int' | 'sum_float' | 'sum_decimal' | 'min' | 'max'
  readonly scale: number

  constructor(readonly expr: AggExpr, readonly inputType: LogicalType | null, inputScale: number | undefined, readonly item: SelectItem) {
    this.scale = inputScale ?? 0
    const t = inputType
    switch (expr.fn) {
      case 'count': this.kind = expr.column === null ? 'count_rows' : 'count'; break
      case 'count_distinct': this.kind = 'count_distinct'; break
      case 'min': case 'max': this.kind = expr.fn; break
      case 'sum': case 'avg':
        this.kind = t === 'decimal' ? 'sum_decimal' : t === 'float32' || t === 'float64' ? 'sum_float' : 'sum_int'
        if (t !== null && !['int16', 'int32', 'int64', 'float32', 'float64', 'decimal'].includes(t)) {
          throw new SluiceError(422, 'invalid_query', `${expr.fn} of a ${t} column "${expr.column}"`)
        }
    }
  }

  /** Add a slot for a new group. */
  grow(): void {
    const s = this.s
    s.n.push(0)
    if (this.kind !== 'count_distinct' && this.kind !== 'min' && this.kind !== 'max') s.acc.push(0)
    if (this.kind === 'sum_int' || this.kind === 'sum_decimal') s.big.push(0n)
    if (this.kind === 'count_distinct') s.sets.push(new Set())
    if (this.kind === 'min' || this.kind === 'max') s.best.push(null)
  }

  /**
   * Fold rows into the groups: row `sel[j]` (or `j` without a selection) into group `gid[j]`,
   * for j in [0, len).
   */
  add(col: Column | null, gid: Int32Array, len: number, sel: Int32Array | null = null): void {
    const s = this.s
    const n = s.n
    if (this.kind === 'count_rows' || !col) { for (let j = 0; j < len; j++) n[gid[j]!]!++; return }
    const nulls = col.nulls
    const v = col.values
    switch (this.kind) {
      case 'count':
        for (let j = 0; j < len; j++) { const i = sel === null ? j : sel[j]!; if (!nulls?.[i]) n[gid[j]!]!++ }
        return
      case 'count_distinct':
        for (let j = 0; j < len; j++) { const i = sel === null ? j : sel[j]!; if (!nulls?.[i]) s.sets[gid[j]!]!.add(distinctKey(v, i, col.type)) }
        return
      case 'sum_float': {
        const a = v as Float64Array
        const acc = s.acc
        for (let j = 0; j < len; j++) {
          const i = sel === null ? j : sel[j]!
          if (nulls?.[i]) continue
          const g = gid[j]!
          acc[g] += a[i]!
          n[g]!++
        }
        return
      }
      case 'sum_int': {
        const acc = s.acc
        const big = s.big
        const small = numberViewOf(v)
        if (v instanceof BigInt64Array && !small) {
          for (let j = 0; j < len; j++) {
            const i = sel === null ? j : sel[j]!
            if (nulls?.[i]) continue
            const g = gid[j]!
            n[g]!++
            const x = Number(v[i]!)
            if (x > SAFE_HALF || x < -SAFE_HALF) { big[g] += v[i]!; continue }
            const y = acc[g]! + x
            if (y > SAFE_HALF || y < -SAFE_HALF) { big[g] += BigInt(y); acc[g] = 0 } else acc[g] = y
          }
        } else {
          // Int32 values, or the small-int64 twin: |x| ≤ 2^40 keeps acc + x exact
          const a = small ?? (v as Int32Array)
          for (let j = 0; j < len; j++) {
            const i = sel === null ? j : sel[j]!
            if (nulls?.[i]) continue
            const g = gid[j]!
            n[g]!++
            const y = acc[g]! + a[i]!
            if (y > SAFE_HALF || y < -SAFE_HALF) { big[g] += BigInt(y); acc[g] = 0 } else acc[g] = y
          }
        }
        return
      }
      case 'sum_decimal': {
        const a = v as string[]
        const scale = this.scale
        const acc = s.acc
        for (let j = 0; j < len; j++) {
          const i = sel === null ? j : sel[j]!
          if (nulls?.[i]) continue
          const g = gid[j]!
          n[g]!++
          // up to 15 digits: exact in a double (|x| < 2^50), same scheme as integer sums
          const x = unscaledNumber(a[i]!, scale)
          if (x !== x) { s.big[g] += decimalToUnscaled(a[i]!, scale); continue }
          const y = acc[g]! + x
          if (y > SAFE_HALF || y < -SAFE_HALF) { s.big[g] += BigInt(y); acc[g] = 0 } else acc[g] = y
        }
        return
      }
      case 'min': case 'max': {
        const better = this.betterFn(col.type)
        const best = s.best
        for (let j = 0; j < len; j++) {
          const i = sel === null ? j : sel[j]!
          if (nulls?.[i]) continue
          const g = gid[j]!
          const x = v[i] as Cell
          const b = best[g]
          if (b === null || better(x!, b!)) best[g] = x
        }
      }
    }
  }

  /** Is `x` a better min/max than `b`? */
  private betterFn(type: LogicalType): (x: NonNullable<Cell>, b: NonNullable<Cell>) => boolean {
    const sign = this.kind === 'min' ? -1 : 1
    switch (type) {
      case 'string': case 'json': return (x, b) => compareStrings(x as string, b as string) * sign > 0
      case 'float32': case 'float64': return (x, b) => compareFloats(x as number, b as number) * sign > 0
      case 'binary': return (x, b) => Buffer.compare(x as Uint8Array, b as Uint8Array) * sign > 0
      case 'decimal': {
        const scale = this.scale
        return (x, b) => {
          const d = compareUnscaled(decimalKey(x as string, scale), decimalKey(b as string, scale))
          return sign > 0 ? d > 0 : d < 0
        }
      }
      default: return sign > 0 ? (x, b) => x > b : (x, b) => x < b
    }
  }

  /** Fold group `from` of `other` into group `to` of this accumulator. */
  mergeGroup(other: AccState, from: number, to: number): void {
    const s = this.s
    s.n[to]! += other.n[from]!
    switch (this.kind) {
      case 'count_distinct': for (const x of other.sets[from]!) s.sets[to]!.add(x); return
      case 'sum_float': s.acc[to]! += other.acc[from]!; return
      case 'sum_int': case 'sum_decimal': {
        s.big[to]! += other.big[from]!
        const y = s.acc[to]! + other.acc[from]!
        if (y > SAFE_HALF || y < -SAFE_HALF) { s.big[to]! += BigInt(y); s.acc[to] = 0 } else s.acc[to] = y
        return
      }
      case 'min': case 'max': {
        const x = other.best[from]
        if (x === null || x === undefined) return
        const b = s.best[to]
        if (b === null || b === undefined || this.betterFn(this.inputType!)(x, b)) s.best[to] = x
      }
    }
  }

  /** The output column (named and typed by the select item) for `groups` groups. */
  output(groups: number): Column {
    const { name, type } = this.item
    const s = this.s
    const cells = new Array<Cell>(groups)
    const isAvg = this.expr.fn === 'avg'
    const floatOut = type === 'float64' || type === 'float32'
    for (let g = 0; g < groups; g++) {
      const n = s.n[g]!
      switch (this.kind) {
        case 'count_rows': case 'count': cells[g] = BigInt(n); break
        case 'count_distinct': cells[g] = BigInt(s.sets[g]!.size); break
        case 'sum_float': cells[g] = n === 0 ? null : isAvg ? s.acc[g]! / n : s.acc[g]!; break
        case 'sum_int': {
          if (n === 0) { cells[g] = null; break }
          const total = s.big[g]! + BigInt(s.acc[g]!)
          if (isAvg) { cells[g] = Number(total) / n; break }
          if (total > 0x7fffffffffffffffn || total < -0x8000000000000000n) {
            throw new SluiceError(422, 'invalid_query', `integer overflow in sum of "${this.expr.column}"`)
          }
          cells[g] = total
          break
        }
        case 'sum_decimal': {
          if (n === 0) { cells[g] = null; break }
          const outScale = this.item.scale ?? this.scale
          const total = s.big[g]! + BigInt(s.acc[g]!)
          if (floatOut) { cells[g] = Number(unscaledToDecimal(total, this.scale)) / (isAvg ? n : 1); break }
          cells[g] = isAvg
            ? unscaledToDecimal(divRoundHalfUp(total * pow10n(Math.max(0, outScale - this.scale)), BigInt(n) * pow10n(Math.max(0, this.scale - outScale))), outScale)
            : rescaleDecimal(unscaledToDecimal(total, this.scale), outScale)
          // A decimal result has at most 38 digits (Decimal128): a larger sum is an error, never a wrong value.
          if (!isAvg && (cells[g] as string).replace(/[-.]/g, '').replace(/^0+(?=\d)/, '').length > 38) {
            throw new SluiceError(422, 'invalid_query', `decimal overflow in sum of "${this.expr.column}": the result needs more than 38 digits`)
          }
          break
        }
        case 'min': case 'max': cells[g] = s.best[g] ?? null; break
      }
    }
    // cells hold the natural result type; the select item may ask for another (cast)
    const natural: LogicalType = this.kind === 'count_rows' || this.kind === 'count' || this.kind === 'count_distinct' ? 'int64'
      : this.kind === 'sum_float' ? 'float64'
        : this.kind === 'sum_int' ? (isAvg ? 'float64' : 'int64')
          : this.kind === 'sum_decimal' ? (floatOut ? 'float64' : 'decimal')
            : this.inputType ?? type
    const outScale = this.item.scale ?? this.scale
    const col = buildColumn(name, natural, cells, natural === 'decimal' ? this.item.precision ?? 38 : undefined, natural === 'decimal' ? (this.kind === 'sum_decimal' ? outScale : this.scale) : undefined)
    if (natural === type && (type !== 'decimal' || col.scale === outScale)) return col
    return castColumn(col, { name, type, nullable: true, precision: this.item.precision, scale: this.item.scale })
  }
}

/** num / den rounded half away from zero (den > 0). */
export function divRoundHalfUp(num: bigint, den: bigint): bigint {
  const q = num / den
  const r = num % den
  const r2 = (r < 0n ? -r : r) * 2n
  if (r2 >= den) return num < 0n ? q - 1n : q + 1n
  return q
}
