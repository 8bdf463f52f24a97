/**
 * A Float64Array twin of an int64 column whose values are all small (-2^40 ≤ x < 2^40), kept
 * beside it (WeakMap on the BigInt64Array) for cached columns: reading a BigInt64Array
 * element allocates a BigInt, so sums and comparisons over the twin are several times
 * faster, and exact (every such value and every partial sum below 2^53 is a double).
 * Pure; any thread.
 */
import type { Column } from '../../proto/batch.js'

/** |high word| bound: values within [-2^40, 2^40) */
const HI_LIMIT = 256
const views = new WeakMap<object, Float64Array>()
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1

export function numberViewOf(values: unknown): Float64Array | undefined {
  return values instanceof BigInt64Array ? views.get(values) : undefined
}

/** Attaches the twin when the column is int64 and every non-null value is small. */
export function attachNumberView(col: Column): void {
  const v = col.values
  if (!LITTLE_ENDIAN || col.type !== 'int64' || !(v instanceof BigInt64Array) || views.has(v)) return
  const out = new Float64Array(v.length)
  const nulls = col.nulls
  // read the little-endian 32-bit halves: no BigInt per value
  const w = new Int32Array(v.buffer, v.byteOffset, v.length * 2)
  for (let i = 0; i < v.length; i++) {
    if (nulls?.[i]) continue
    const hi = w[2 * i + 1]!
    if (hi >= HI_LIMIT || hi < -HI_LIMIT) return
    out[i] = hi * 4294967296 + (w[2 * i]! >>> 0)
  }
  views.set(v, out)
}
