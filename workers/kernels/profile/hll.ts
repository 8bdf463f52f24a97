/**
 * HyperLogLog with 2^p one-byte registers: standard error 1.04 / sqrt(2^p) — p = 14 (0.81 %)
 * for profiles (the contract asks ≤ 2 %), p = 12 (1.6 %) for the many per-bucket sketches of
 * column stats. The precision is the register count, so a sketch carries it. Registers are a
 * plain Uint8Array, so a sketch crosses threads by structured clone; merge is the
 * register-wise max (= the sketch of the union). Pure; any thread.
 */
import { hashKey, hashOut, type Key } from './hash.js'

/** Profile precision. */
export const HLL_P = 14

export function newHll(p = HLL_P): Uint8Array {
  return new Uint8Array(1 << p)
}

/** Add a value by its two hashes (hash.ts). */
export function hllAddHash(regs: Uint8Array, h1: number, h2: number): void {
  const p = 31 - Math.clz32(regs.length)
  const idx = h1 >>> (32 - p)
  const rank = Math.clz32(h2) + 1
  if (rank > regs[idx]!) regs[idx] = rank
}

export function hllAdd(regs: Uint8Array, k: Key): void {
  hashKey(k)
  hllAddHash(regs, hashOut[0]!, hashOut[1]!)
}

/** Union into `into` (register-wise max); both of the same precision. */
export function hllMerge(into: Uint8Array, other: Uint8Array): void {
  if (into.length !== other.length) throw new Error('merging HyperLogLogs of different precision')
  for (let i = 0; i < into.length; i++) if (other[i]! > into[i]!) into[i] = other[i]!
}

/** Estimated distinct count (raw HLL, linear counting for small cardinalities). */
export function hllEstimate(regs: Uint8Array): number {
  const m = regs.length
  let sum = 0
  let zeros = 0
  for (let i = 0; i < m; i++) {
    const r = regs[i]!
    sum += 2 ** -r
    if (r === 0) zeros++
  }
  const alpha = 0.7213 / (1 + 1.079 / m)
  const e = (alpha * m * m) / sum
  if (e <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros))
  return Math.round(e)
}
