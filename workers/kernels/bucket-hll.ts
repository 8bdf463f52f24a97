/**
 * A small HyperLogLog (p = 12: 4096 one-byte registers, standard error about 1.6 %) for the
 * distinct counts of column-stats buckets. Registers are a plain Uint8Array so a sketch
 * crosses threads by structured clone; merging is the register-wise max. Pure; any thread.
 */
export const HLL_P = 12
export const HLL_M = 1 << HLL_P

export function newRegisters(): Uint8Array {
  return new Uint8Array(HLL_M)
}

/** Two independent 32-bit hashes of a string (FNV-1a and a murmur-style mix), finalized. */
function hash2(key: string): [number, number] {
  let h1 = 0x811c9dc5
  let h2 = 0x9747b28c
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 0x01000193)
    h2 = Math.imul(h2 ^ c, 0x5bd1e995)
    h2 ^= h2 >>> 15
  }
  return [fmix(h1 ^ key.length), fmix(h2 + 0x27d4eb2d)]
}

function fmix(h: number): number {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Adds one value (by its canonical key) to the sketch. */
export function hllAdd(registers: Uint8Array, key: string): void {
  const [a, b] = hash2(key)
  const idx = a >>> (32 - HLL_P)
  const rank = Math.clz32(b) + 1
  if (rank > registers[idx]!) registers[idx] = rank
}

/** Register-wise max of `from` into `into`. */
export function hllMerge(into: Uint8Array, from: Uint8Array): void {
  for (let i = 0; i < HLL_M; i++) if (from[i]! > into[i]!) into[i] = from[i]!
}

/** The cardinality estimate, with linear counting for small ranges. */
export function hllEstimate(registers: Uint8Array): number {
  const m = HLL_M
  let sum = 0
  let zeros = 0
  for (let i = 0; i < m; i++) {
    const r = registers[i]!
    sum += 2 ** -r
    if (r === 0) zeros++
  }
  const alpha = 0.7213 / (1 + 1.079 / m)
  const e = (alpha * m * m) / sum
  if (e <= 2.5 * m && zeros > 0) return Math.round(m * Math.log(m / zeros))
  return Math.round(e)
}
