/**
 * Distinct count: an exact Set while it holds at most DISTINCT_EXACT_LIMIT values, then a
 * HyperLogLog (hll.ts). Partials carry the set as an array or the registers; merging two exact
 * sets whose union passes the limit gives an HLL, so merged answers equal one pass. Pure; any thread.
 */
import type { Key } from './hash.js'
import { hllAdd, hllEstimate, hllMerge, newHll } from './hll.js'

export const DISTINCT_EXACT_LIMIT = 100_000

export type DistinctPartial = { exact: Key[] } | { hll: Uint8Array }

export class DistinctCounter {
  #set: Set<Key> | null = new Set()
  #hll: Uint8Array | null = null

  add(k: Key): void {
    if (this.#set) {
      this.#set.add(k)
      if (this.#set.size > DISTINCT_EXACT_LIMIT) this.#toHll()
    } else hllAdd(this.#hll!, k)
  }

  #toHll(): void {
    const regs = newHll()
    for (const k of this.#set!) hllAdd(regs, k)
    this.#set = null
    this.#hll = regs
  }

  merge(p: DistinctPartial): void {
    if ('exact' in p) {
      for (const k of p.exact) this.add(k)
      return
    }
    if (this.#set) this.#toHll()
    hllMerge(this.#hll!, p.hll)
  }

  get approximate(): boolean { return this.#set === null }

  count(): number {
    return this.#set ? this.#set.size : hllEstimate(this.#hll!)
  }

  /** The exact values, or null once an HLL. */
  values(): Set<Key> | null { return this.#set }

  toPartial(): DistinctPartial {
    return this.#set ? { exact: [...this.#set] } : { hll: this.#hll! }
  }
}
