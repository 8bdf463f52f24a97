/**
 * Two independent 32-bit hashes of a profile key (cyrb53-style mixing), for HyperLogLog:
 * `h1` picks the register, `h2` gives the rank. Keys are what the profile counts distinct
 * values by: strings (text, decimal text, binary as latin1), numbers (int16/32, floats,
 * dates, int64/timestamps in the safe range) and bigints (int64 outside ±2^53). Pure; any thread.
 */
export type Key = string | number | bigint

const f64 = new Float64Array(1)
const u32 = new Uint32Array(f64.buffer)

/** Hash result slots: out[0] = h1, out[1] = h2 (reused: no allocation per value). */
export const hashOut = new Uint32Array(2)

function finish(h1: number, h2: number): void {
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507)
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909)
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507)
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909)
  hashOut[0] = h1
  hashOut[1] = h2
}

export function hashString(s: string, seed = 0): void {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    h1 = Math.imul(h1 ^ c, 2654435761)
    h2 = Math.imul(h2 ^ c, 1597334677)
  }
  finish(h1 ^ s.length, h2)
}

function hashWords(lo: number, hi: number, seed: number): void {
  let h1 = 0xdeadbeef ^ seed
  let h2 = 0x41c6ce57 ^ seed
  h1 = Math.imul(h1 ^ lo, 2654435761); h2 = Math.imul(h2 ^ lo, 1597334677)
  h1 = Math.imul(h1 ^ hi, 2654435761); h2 = Math.imul(h2 ^ hi, 1597334677)
  finish(h1, h2)
}

/** Hash a number by its float64 bits (-0 as 0, every NaN alike). */
export function hashNumber(x: number, seed = 0): void {
  f64[0] = x !== x ? NaN : x + 0
  hashWords(u32[0]!, u32[1]!, seed)
}

export function hashBigint(x: bigint, seed = 0): void {
  const u = BigInt.asUintN(64, x)
  hashWords(Number(u & 0xffffffffn), Number(u >> 32n), seed ^ 0x5bd1e995)
}

export function hashKey(k: Key, seed = 0): void {
  if (typeof k === 'string') hashString(k, seed)
  else if (typeof k === 'number') hashNumber(k, seed)
  else hashBigint(k, seed)
}
