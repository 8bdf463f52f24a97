/**
 * KLL quantile sketch (Karnin, Lang, Liberty 2016) over float64: a stack of compactors whose
 * capacities shrink by 2/3 per level below the top; a full compactor sorts its items and
 * promotes every other one (random offset) to the level above, where each item weighs twice
 * as much. With k = 1024 the normalized rank error is about 0.3 % (the contract asks ≤ 1 %).
 * Levels are Float64Arrays, so a sketch crosses threads by structured clone, and two sketches
 * merge level by level. The coin is a seeded xorshift: runs are reproducible. Pure; any thread.
 */
export const KLL_K = 1024
const C = 2 / 3

export interface Kll {
  k: number
  /** items seen (total weight) */
  n: number
  /** levels[h]: items of weight 2^h (unsorted) */
  levels: Float64Array[]
  /** fill of each level */
  sizes: number[]
  seed: number
  /** items held, and the most the levels may hold before a compaction */
  size: number
  maxSize: number
}

export function newKll(k = KLL_K, seed = 0x9e3779b9): Kll {
  const s: Kll = { k, n: 0, levels: [new Float64Array(k)], sizes: [0], seed: seed | 0 || 1, size: 0, maxSize: 0 }
  s.maxSize = maxSize(s)
  return s
}

/** C ** depth for every depth a sketch can reach (a power per call was a tenth of a profile scan) */
const C_POW = Float64Array.from({ length: 128 }, (_, depth) => C ** depth)

function capacity(s: Kll, h: number): number {
  const depth = s.levels.length - h - 1
  return Math.max(2, Math.ceil(s.k * (depth < C_POW.length ? C_POW[depth]! : C ** depth)))
}

function coin(s: Kll): number {
  let x = s.seed
  x ^= x << 13; x ^= x >>> 17; x ^= x << 5
  s.seed = x
  return x & 1
}

function push(s: Kll, h: number, x: number): void {
  while (h >= s.levels.length) { s.levels.push(new Float64Array(8)); s.sizes.push(0) }
  let buf = s.levels[h]!
  const n = s.sizes[h]!
  if (n === buf.length) {
    const bigger = new Float64Array(buf.length * 2)
    bigger.set(buf)
    buf = s.levels[h] = bigger
  }
  buf[n] = x
  s.sizes[h] = n + 1
}

function maxSize(s: Kll): number {
  let m = 0
  for (let h = 0; h < s.levels.length; h++) m += capacity(s, h)
  return m
}

function totalSize(s: Kll): number {
  let m = 0
  for (let h = 0; h < s.levels.length; h++) m += s.sizes[h]!
  return m
}

/** Levels this short are sorted inline: the lowest levels hold 2 or 3 items, and a sort() call per compaction cost more than the sorting. */
const SMALL_SORT = 8

/** Sort ascending in the order of Float64Array.prototype.sort (-0 before +0; a sketch holds no NaN). */
function sortSmall(a: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const x = a[i]!
    let j = i - 1
    while (j >= 0 && (a[j]! > x || (a[j] === 0 && x === 0 && 1 / a[j]! > 1 / x))) { a[j + 1] = a[j]!; j-- }
    a[j + 1] = x
  }
}

/**
 * Compact the lowest level that is at capacity (KLL's lazy compression). Runs about once per
 * item added (the lowest levels hold a few items), so it allocates nothing and recounts the
 * capacities only when a level was added.
 */
function compressOnce(s: Kll): void {
  const levels = s.levels.length
  for (let h = 0; h < levels; h++) {
    const n = s.sizes[h]!
    if (n < capacity(s, h)) continue
    const items = s.levels[h]!
    if (n <= SMALL_SORT) sortSmall(items, n)
    else items.subarray(0, n).sort()
    // an odd item stays behind at this level, with its weight
    const keep = n & 1 ? items[n - 1]! : 0
    const even = n & ~1
    const offset = coin(s)
    // items is level h's buffer: promote from it before level h is refilled
    for (let i = offset; i < even; i += 2) push(s, h + 1, items[i]!)
    s.sizes[h] = 0
    if (n & 1) push(s, h, keep)
    s.size += even / 2 - even // n items became (n & 1) here and even / 2 above
    if (s.levels.length !== levels) s.maxSize = maxSize(s) // a new level: every capacity moved
    return
  }
}

export function kllAdd(s: Kll, x: number): void {
  if (x !== x) return // NaN has no rank
  s.n++
  push(s, 0, x)
  if (++s.size >= s.maxSize) compressOnce(s)
}

/** Merge `b` into `a` (same k). */
export function kllMerge(a: Kll, b: Kll): void {
  for (let h = 0; h < b.levels.length; h++) {
    const buf = b.levels[h]!
    for (let i = 0; i < b.sizes[h]!; i++) push(a, h, buf[i]!)
  }
  a.n += b.n
  a.size = totalSize(a)
  a.maxSize = maxSize(a)
  while (a.size >= a.maxSize) compressOnce(a)
}

/**
 * The values at normalized ranks `qs` (0..1), as the item whose cumulative weight first
 * reaches q·(n − 1) + 1; null without values.
 */
export function kllQuantiles(s: Kll, qs: number[]): (number | null)[] {
  let total = 0
  for (let h = 0; h < s.levels.length; h++) total += s.sizes[h]!
  if (total === 0) return qs.map(() => null)
  const vals = new Float64Array(total)
  const wts = new Float64Array(total)
  let j = 0
  for (let h = 0; h < s.levels.length; h++) {
    const buf = s.levels[h]!
    for (let i = 0; i < s.sizes[h]!; i++) { vals[j] = buf[i]!; wts[j++] = 2 ** h }
  }
  const order = Array.from({ length: total }, (_, i) => i).sort((x, y) => vals[x]! - vals[y]!)
  let weight = 0
  for (let i = 0; i < total; i++) weight += wts[i]!
  return qs.map((q) => {
    const target = q * (weight - 1) + 1
    let cum = 0
    for (const i of order) {
      cum += wts[i]!
      if (cum >= target) return vals[i]!
    }
    return vals[order[total - 1]!]!
  })
}
