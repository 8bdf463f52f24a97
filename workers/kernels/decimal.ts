/**
 * Exact decimal text <-> unscaled integers, and Decimal128 words. A Batch carries decimals as
 * digit text ("12.30", "-0.05"); Arrow carries them as 128-bit two's complement integers
 * scaled by 10^scale. Small magnitudes (< 2^53) stay in plain numbers: BigInt per value is
 * several times slower. Pure; any thread.
 */

const TWO32 = 4294967296
const POW10_BIG: bigint[] = []
for (let i = 0, p = 1n; i <= 77; i++, p *= 10n) POW10_BIG.push(p)

export function pow10n(n: number): bigint {
  return n <= 77 ? POW10_BIG[n]! : 10n ** BigInt(n)
}

const POW10 = [1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15]

/**
 * The unscaled value of plain decimal text ("-12.30") at `scale` as a number, or NaN when
 * the text is not that simple (exponent, more fraction digits than `scale`, more than 15
 * digits in all): callers then take the exact bigint path (decimalToUnscaled).
 */
export function unscaledNumber(text: string, scale: number): number {
  const n = text.length
  let k = 0
  let neg = false
  if (n > 0 && text.charCodeAt(0) === 45) { neg = true; k = 1 }
  let v = 0
  let digits = 0
  let any = false
  let frac = -1
  for (; k < n; k++) {
    const c = text.charCodeAt(k)
    if (c === 46) { if (frac >= 0) return NaN; frac = 0; continue }
    if (c < 48 || c > 57) return NaN
    v = v * 10 + (c - 48)
    any = true
    if (v !== 0) digits++
    if (frac >= 0) frac++
  }
  if (frac < 0) frac = 0
  const pad = scale - frac
  if (pad < 0 || digits + pad > 15 || !any) return NaN
  v *= POW10[pad]!
  return neg ? -v : v
}

/** Unscaled integer of `text` at `scale` digits; extra fraction digits round half away from zero. */
export function decimalToUnscaled(text: string, scale: number): bigint {
  let neg = false
  let s = text.trim()
  if (s.charCodeAt(0) === 45 /* - */) { neg = true; s = s.slice(1) } else if (s.charCodeAt(0) === 43 /* + */) s = s.slice(1)
  let exp = 0
  const e = s.search(/[eE]/)
  if (e >= 0) { exp = Number(s.slice(e + 1)); s = s.slice(0, e) }
  const dot = s.indexOf('.')
  let intPart = dot < 0 ? s : s.slice(0, dot)
  let frac = dot < 0 ? '' : s.slice(dot + 1)
  if (!/^\d*$/.test(intPart) || !/^\d*$/.test(frac) || (intPart === '' && frac === '') || !Number.isInteger(exp)) {
    throw new RangeError(`not a decimal: ${JSON.stringify(text)}`)
  }
  if (exp > 0) {
    const move = frac.slice(0, exp).padEnd(exp, '0')
    intPart += move; frac = frac.slice(exp)
  } else if (exp < 0) {
    const k = -exp
    const pad = intPart.padStart(k, '0')
    frac = pad.slice(pad.length - k) + frac
    intPart = pad.slice(0, pad.length - k)
  }
  let roundUp = false
  if (scale >= 0) {
    if (frac.length > scale) {
      roundUp = frac.charCodeAt(scale) >= 53 /* '5' */
      frac = frac.slice(0, scale)
    } else frac = frac.padEnd(scale, '0')
  } else {
    // negative scale: drop -scale integer digits
    const k = -scale
    const pad = intPart.padStart(k + 1, '0')
    roundUp = pad.charCodeAt(pad.length - k) >= 53
    intPart = pad.slice(0, pad.length - k)
    frac = ''
  }
  const digits = intPart + frac
  let v = digits.length <= 15 ? BigInt(Number(digits || '0')) : BigInt(digits || '0')
  if (roundUp) v += 1n
  return neg ? -v : v
}

/** Digit text of an unscaled integer (number or bigint) at `scale`. */
export function unscaledToDecimal(v: bigint | number, scale: number): string {
  let neg: boolean
  let digits: string
  if (typeof v === 'number') { neg = v < 0; digits = String(neg ? -v : v) } else { neg = v < 0n; digits = (neg ? -v : v).toString() }
  if (scale <= 0) {
    if (digits === '0') return '0'
    return (neg ? '-' : '') + digits + (scale < 0 ? '0'.repeat(-scale) : '')
  }
  if (digits.length <= scale) digits = digits.padStart(scale + 1, '0')
  const cut = digits.length - scale
  const out = digits.slice(0, cut) + '.' + digits.slice(cut)
  return neg ? '-' + out : out
}

/** Re-express decimal text at another scale (rounding half away from zero when shortening). */
export function rescaleDecimal(text: string, scale: number): string {
  return unscaledToDecimal(decimalToUnscaled(text, scale), scale)
}

/** Numeric comparison of two decimal texts: -1, 0 or 1. */
export function compareDecimalText(a: string, b: string): number {
  if (a === b) return 0
  const sa = Math.max(fracDigits(a), fracDigits(b))
  const x = decimalToUnscaled(a, sa)
  const y = decimalToUnscaled(b, sa)
  return x < y ? -1 : x > y ? 1 : 0
}

function fracDigits(s: string): number {
  const d = s.indexOf('.')
  if (d < 0) return 0
  const e = s.search(/[eE]/)
  return (e < 0 ? s.length : e) - d - 1 + (e < 0 ? 0 : Math.max(0, -Number(s.slice(e + 1))))
}

/**
 * Write the unscaled value of `text` at `scale` into `words` (little-endian 32-bit words of a
 * two's complement integer, `stride` words per value) at value index `i`.
 */
export function writeDecimalWords(words: Uint32Array, i: number, stride: number, text: string, scale: number): void {
  const base = i * stride
  const fast = unscaledNumber(text, scale)
  const v = fast === fast ? 0n : decimalToUnscaled(text, scale)
  if (fast === fast || (v >= -9007199254740991n && v <= 9007199254740991n)) {
    const n = fast === fast ? fast : Number(v)
    // two's complement of a negative n is ~(-n - 1), word by word
    const m = n < 0 ? -n - 1 : n
    const lo = m % TWO32
    const hi = Math.floor(m / TWO32)
    const fill = n < 0 ? 0xffffffff : 0
    words[base] = n < 0 ? ~lo >>> 0 : lo
    words[base + 1] = n < 0 ? ~hi >>> 0 : hi
    for (let k = 2; k < stride; k++) words[base + k] = fill
    return
  }
  const bits = BigInt(stride * 32)
  let u = BigInt.asUintN(stride * 32, v)
  if (v >= 1n << (bits - 1n) || v < -(1n << (bits - 1n))) throw new RangeError(`decimal ${text} out of range`)
  for (let k = 0; k < stride; k++) { words[base + k] = Number(u & 0xffffffffn); u >>= 32n }
}

/** Unscaled value (number when exactly representable, else bigint) at value index `i`. */
export function readDecimalWords(words: Uint32Array, i: number, stride: number): number | bigint {
  const base = i * stride
  const w0 = words[base]!
  const w1 = words[base + 1]!
  let top0 = true
  let top1 = true
  for (let k = 2; k < stride; k++) {
    const w = words[base + k]!
    if (w !== 0) top0 = false
    if (w !== 0xffffffff) top1 = false
  }
  if (top0 && w1 < 0x200000) return w1 * TWO32 + w0
  if (top1 && w1 >= 0xffe00000) return -((~w1 >>> 0) * TWO32 + (~w0 >>> 0)) - 1
  let u = 0n
  for (let k = stride - 1; k >= 0; k--) u = (u << 32n) | BigInt(words[base + k]!)
  return BigInt.asIntN(stride * 32, u)
}

/** Unscaled value at `scale` for comparisons: a number when exact, else a bigint. */
export function decimalKey(text: string, scale: number): number | bigint {
  const x = unscaledNumber(text, scale)
  return x === x ? x : decimalToUnscaled(text, scale)
}

/** Compare two unscaled values (number/bigint mixes compare exactly in JS). */
export function compareUnscaled(a: number | bigint, b: number | bigint): number {
  return a < b ? -1 : a > b ? 1 : 0
}
