/**
 * Value counts: exact while at most `capacity` distinct values have been seen; past that,
 * Misra–Gries (mergeable, Agarwal et al. 2012): the map may grow to 2·capacity, then the
 * (capacity+1)-th largest count is subtracted from every counter and the non-positive ones go,
 * so counts become lower bounds with error ≤ n / (capacity + 1). With `dropWhenFull` (numbers)
 * the counter gives up instead: no top values for high-cardinality numbers. Pure; any thread.
 */
import type { Key } from './hash.js'

/** Counters kept for strings; numbers give up past NUMBER_TOP_LIMIT distinct values. */
export const TOP_COUNTERS = 10_000
export const NUMBER_TOP_LIMIT = 1_000

export interface TopPartial {
  keys: Key[]
  counts: Float64Array
  /** 'exact' | 'approximate' (Misra–Gries reduced) | 'dropped' (gave up) */
  state: 'exact' | 'approximate' | 'dropped'
}

/** The value that would be at index `k` of `a` sorted ascending (Hoare's selection; reorders `a`). */
export function kthSmallest(a: Float64Array, k: number): number {
  let lo = 0
  let hi = a.length - 1
  while (lo < hi) {
    // median of three as the pivot: counts often arrive in runs
    const mid = (lo + hi) >>> 1
    const x = a[lo]!, y = a[mid]!, z = a[hi]!
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : (x < z ? x : y < z ? z : y)
    let i = lo
    let j = hi
    while (i <= j) {
      while (a[i]! < pivot) i++
      while (a[j]! > pivot) j--
      if (i <= j) {
        const t = a[i]!; a[i] = a[j]!; a[j] = t
        i++
        j--
      }
    }
    if (k <= j) hi = j
    else if (k >= i) lo = i
    else return a[k]!
  }
  return a[k]!
}

/** A counter's count, in a box so that counting a known value is one Map lookup, not a get and a set. */
interface Slot { c: number }

export class TopCounter {
  #map: Map<Key, Slot> | null = new Map()
  #reduced = false

  constructor(readonly capacity: number, readonly dropWhenFull: boolean) {}

  add(k: Key, by = 1): void {
    const m = this.#map
    if (!m) return
    const slot = m.get(k)
    if (slot !== undefined) { slot.c += by; return }
    m.set(k, { c: by })
    if (this.dropWhenFull) { if (m.size > this.capacity) this.#map = null }
    else if (m.size >= 2 * this.capacity) this.#reduce()
  }

  #reduce(): void {
    const m = this.#map!
    if (m.size <= this.capacity) return
    // the (capacity+1)-th largest count, by selection: sorting all 2·capacity counts on every
    // reduce was a fifth of profiling a high-cardinality string column
    const counts = Float64Array.from(m.values(), (slot) => slot.c)
    const cut = kthSmallest(counts, counts.length - 1 - this.capacity)
    // survivors into a new Map (same order): deleting most keys in place left a Map of holes
    const kept = new Map<Key, Slot>()
    for (const [k, slot] of m) {
      if (slot.c <= cut) continue
      slot.c -= cut
      kept.set(k, slot)
    }
    this.#map = kept
    this.#reduced = true
  }

  merge(p: TopPartial): void {
    if (!this.#map) return
    if (p.state === 'dropped') { this.#map = null; return }
    if (p.state === 'approximate') this.#reduced = true
    for (let i = 0; i < p.keys.length; i++) this.add(p.keys[i]!, p.counts[i]!)
  }

  /** Finish: reduce to at most `capacity` counters. */
  state(): TopPartial['state'] {
    if (!this.#map) return 'dropped'
    if (!this.dropWhenFull) this.#reduce()
    return this.#reduced ? 'approximate' : 'exact'
  }

  /** The counts by value (a copy), or null once dropped. */
  entries(): Map<Key, number> | null {
    const m = this.#map
    return m && new Map(Array.from(m, ([k, slot]) => [k, slot.c]))
  }

  toPartial(): TopPartial {
    const state = this.state()
    if (state === 'dropped') return { keys: [], counts: new Float64Array(0), state }
    const m = this.#map!
    return { keys: [...m.keys()], counts: Float64Array.from(m.values(), (slot) => slot.c), state }
  }
}
