/**
 * p25/p50/p75: exact (every value kept in a Float64Array, DuckDB's quantile_cont: linear
 * interpolation between the closest ranks) while the column has at most QUANTILE_EXACT_LIMIT
 * non-null values in total, else a KLL sketch (kll.ts, rank error ≤ 1 %). A partial switches
 * to the sketch when it alone passes the limit; the finish switches when the sum does.
 * NaN is kept in the exact values and sorts last, as in DuckDB. Pure; any thread.
 */
import { kllAdd, kllMerge, kllQuantiles, newKll, type Kll } from './kll.js'

export const QUANTILE_EXACT_LIMIT = 1_000_000
export const QUANTILES = [0.25, 0.5, 0.75]

export type QuantilePartial = { n: number; exact: Float64Array | null; kll: Kll | null }

export class QuantileState {
  #values: Float64Array | null = new Float64Array(1024)
  #n = 0
  #kll: Kll | null = null

  add(x: number): void {
    const v = this.#values
    if (v) {
      if (this.#n === v.length) {
        if (this.#n >= QUANTILE_EXACT_LIMIT) { this.#toKll(); kllAdd(this.#kll!, x); this.#n++; return }
        const bigger = new Float64Array(Math.min(v.length * 2, QUANTILE_EXACT_LIMIT))
        bigger.set(v)
        this.#values = bigger
      }
      this.#values![this.#n++] = x
    } else { kllAdd(this.#kll!, x); this.#n++ }
  }

  #toKll(): void {
    const s = newKll()
    const v = this.#values!
    for (let i = 0; i < this.#n; i++) kllAdd(s, v[i]!)
    this.#kll = s
    this.#values = null
  }

  get n(): number { return this.#n }
  get approximate(): boolean { return this.#kll !== null }

  toPartial(): QuantilePartial {
    return { n: this.#n, exact: this.#values ? this.#values.slice(0, this.#n) : null, kll: this.#kll }
  }

  /** Merge partials: exact while the total stays within the limit. */
  static merge(parts: QuantilePartial[]): QuantileState {
    const q = new QuantileState()
    const total = parts.reduce((s, p) => s + p.n, 0)
    if (total <= QUANTILE_EXACT_LIMIT) {
      const all = new Float64Array(total)
      let off = 0
      for (const p of parts) { all.set(p.exact!, off); off += p.n }
      q.#values = all
      q.#n = total
      return q
    }
    q.#values = null
    q.#kll = newKll()
    for (const p of parts) {
      if (p.kll) kllMerge(q.#kll, p.kll)
      else for (let i = 0; i < p.n; i++) kllAdd(q.#kll, p.exact![i]!)
    }
    q.#n = total
    return q
  }

  /** [p25, p50, p75]; nulls without values. */
  quantiles(): (number | null)[] {
    if (this.#kll) return kllQuantiles(this.#kll, QUANTILES)
    const n = this.#n
    if (n === 0) return QUANTILES.map(() => null)
    // Float64Array sort is numeric with NaN last, like DuckDB's ordering
    const v = this.#values!.subarray(0, n).sort()
    return QUANTILES.map((q) => {
      const pos = q * (n - 1)
      const lo = Math.floor(pos)
      const hi = Math.ceil(pos)
      const a = v[lo]!
      const b = v[hi]!
      return lo === hi ? a : a + (pos - lo) * (b - a)
    })
  }
}
