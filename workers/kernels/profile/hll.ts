/**
 * HyperLogLog with 2^14 registers: standard error 1.04 / sqrt(16384) ≈ 0.81 % (the
 * contract asks ≤ 2 %). Registers are a plain Uint8Array, so a sketch crosses threads by
 * structured clone; merge is the register-wise max (= the sketch of the union). Pure; any thread.
 */
import { hashKey, hashOut, type Key } from './hash.js'

export const HLL_P = 14
const M = 1 << HLL_P

export function newHll(): Uint8Array {
  return new Uint8Array(M)
}

/** Add a value by its two hashes (hash.ts). */
export function hllAddHash(regs: Uint8Array, h1: number, h2: number): void {
  const idx = h1 >>> (32 - HLL_P)
  const rank = Math.clz32(h2) + 1
  if (rank > regs[idx]!) regs[idx] = rank
}

export function hllAdd(regs: Uint8Array, k: Key): void {
  hashKey(k)
  hllAddHash(regs, hashOut[0]!, hashOut[1]!)
}

/** Union into `into` (register-wise max). */
export function hllMerge(into: Uint8Array, other: Uint8Array): void {
  for (let i = 0; i < M; i++) if (other[i]! > into[i]!) into[i] = other[i]!
}

/** Estimated distinct count (raw HLL, linear counting for small cardinalities). */
export function hllEstimate(regs: Uint8Array): number {
  let sum = 0
  let zeros = 0
  for (let i = 0; i < M; i++) {
    const r = regs[i]!
    sum += 2 ** -r
    if (r === 0) zeros++
  }
  const alpha = 0.7213 / (1 + 1.079 / M)
  const e = (alpha * M * M) / sum
  if (e <= 2.5 * M && zeros > 0) return Math.round(M * Math.log(M / zeros))
  return Math.round(e)
}
