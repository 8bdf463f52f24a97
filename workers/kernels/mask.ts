/**
 * Masking kernel: one Batch column in, its masked column out, with the semantics of
 * proto/masking.ts (identical to the PostgreSQL push-down, src/query/masking-sql.ts).
 * Nulls stay null. `hash` costs one SHA-256 per non-null value (about 1.6 µs each, salt included).
 * Pure; any thread (worker).
 */
import { hash as oneShotHash } from 'node:crypto'
import type { Column } from '../../proto/batch.js'
import { EMAIL_MASK, numericRange, ruleParams, STRATEGIES, stepDecimal, type MaskRule, type TruncUnit } from '../../proto/masking.js'
import { civilFromDays, daysFromCivil, floorDivN } from './calendar.js'
import { decimalToUnscaled, pow10n, unscaledToDecimal } from './decimal.js'
import { textGetter } from './text.js'

/** Masks `col` by `rule`; `ctx.salt` is the org's hash salt. Throws TypeError for a strategy that does not apply to the type. */
export function maskColumn(col: Column, rule: MaskRule, ctx: { salt: string }): Column {
  const spec = STRATEGIES[rule.strategy]
  if (!spec.applies(col.type)) throw new TypeError(`strategy "${rule.strategy}" does not apply to ${col.type}`)
  const p = ruleParams(rule)
  const n = col.values.length
  const nulls = col.nulls
  const asString = (f: (i: number) => string): Column => {
    const out: string[] = new Array(n)
    for (let i = 0; i < n; i++) out[i] = nulls && nulls[i] ? '' : f(i)
    return { name: col.name, type: 'string', values: out, nulls }
  }
  switch (rule.strategy) {
    case 'redact': return asString(() => p.replacement)
    case 'null': return { ...col, nulls: new Uint8Array(n).fill(1) }
    case 'hash': {
      const text = textGetter(col)
      return asString((i) => {
        // one-shot crypto.hash (Node ≥ 20.12): about 1.7× faster than createHash per value
        const h = oneShotHash('sha256', ctx.salt + text(i)!, 'hex')
        return p.length >= 64 ? h : h.slice(0, p.length)
      })
    }
    case 'partial': {
      const a = col.values as string[]
      return asString((i) => partial(a[i]!, p.keepFirst, p.keepLast, p.maskChar))
    }
    case 'email': {
      const a = col.values as string[]
      return asString((i) => {
        const s = a[i]!
        const at = s.lastIndexOf('@')
        return at < 0 || at === s.length - 1 ? EMAIL_MASK : EMAIL_MASK + s.slice(at)
      })
    }
    case 'round': return { ...col, values: roundValues(col, p.step) }
    case 'date_trunc': return { ...col, values: truncValues(col, p.unit) }
  }
}

function hasSurrogate(s: string): boolean {
  for (let k = 0; k < s.length; k++) { const c = s.charCodeAt(k); if (c >= 0xd800 && c <= 0xdfff) return true }
  return false
}

/** keep_first / keep_last in code points (PostgreSQL left/right count characters = code points in UTF8). */
export function partial(s: string, first: number, last: number, maskChar: string): string {
  if (!hasSurrogate(s)) {
    const len = s.length
    if (len <= first + last) return maskChar.repeat(len)
    return s.slice(0, first) + maskChar.repeat(len - first - last) + s.slice(len - last)
  }
  const cps = Array.from(s)
  const len = cps.length
  if (len <= first + last) return maskChar.repeat(len)
  return cps.slice(0, first).join('') + maskChar.repeat(len - first - last) + cps.slice(len - last).join('')
}

function roundHalfAwayDiv(x: bigint, t: bigint): { q: bigint; q0: bigint } {
  const q0 = x / t // truncates toward zero, like PostgreSQL div()
  const r = x % t
  const away = 2n * (r < 0n ? -r : r) >= t
  return { q0, q: away ? q0 + (x < 0n ? -1n : 1n) : q0 }
}

function rescaleHalfAway(v: bigint, down: number): bigint {
  if (down === 0) return v
  const d = pow10n(down)
  const q = v / d
  const r = v % d
  return 2n * (r < 0n ? -r : r) >= d ? q + (v < 0n ? -1n : 1n) : q
}

/** round(x) exactly: x unscaled at scale `s` → result unscaled at `s` (see proto/masking.ts). */
export function roundExact(x: bigint, s: number, step: number, range: { lo: bigint; hi: bigint }): bigint {
  const st = stepDecimal(step)
  const S = Math.max(s, st.scale)
  const X = x * pow10n(S - s)
  const T = BigInt(st.digits) * pow10n(S - st.scale)
  const { q, q0 } = roundHalfAwayDiv(X, T)
  const r = rescaleHalfAway(q * T, S - s)
  if (r >= range.lo && r <= range.hi) return r
  return rescaleHalfAway(q0 * T, S - s)
}

/** Float rounding, the same operations in the same order as the SQL (proto/masking.ts). */
export function roundFloat(x: number, step: number): number {
  const q = x / step
  const a = Math.abs(q)
  const f = Math.floor(a)
  return Math.sign(q) * (f + (a - f >= 0.5 ? 1 : 0)) * step
}

function roundValues(col: Column, step: number): Column['values'] {
  const n = col.values.length
  const nulls = col.nulls
  const range = numericRange(col)
  switch (col.type) {
    case 'float64': case 'float32': {
      const a = col.values as Float64Array
      const out = new Float64Array(n)
      const f32 = col.type === 'float32'
      for (let i = 0; i < n; i++) { const r = roundFloat(a[i]!, step); out[i] = f32 ? Math.fround(r) : r }
      return out
    }
    case 'int16': case 'int32': {
      const a = col.values as Int32Array
      const out = new Int32Array(n)
      for (let i = 0; i < n; i++) out[i] = nulls && nulls[i] ? 0 : Number(roundExact(BigInt(a[i]!), 0, step, range))
      return out
    }
    case 'int64': {
      const a = col.values as BigInt64Array
      const out = new BigInt64Array(n)
      for (let i = 0; i < n; i++) out[i] = nulls && nulls[i] ? 0n : roundExact(a[i]!, 0, step, range)
      return out
    }
    case 'decimal': {
      const a = col.values as string[]
      const s = col.scale ?? 0
      const out: string[] = new Array(n)
      for (let i = 0; i < n; i++) out[i] = nulls && nulls[i] ? '' : unscaledToDecimal(roundExact(decimalToUnscaled(a[i]!, s), s, step, range), s)
      return out
    }
    default: throw new TypeError(`round does not apply to ${col.type}`)
  }
}

const MONTHS: Partial<Record<TruncUnit, number>> = { month: 1, quarter: 3, year: 12 }

/** Start day of the unit containing `days` (week, month, quarter, year); others unchanged. */
export function truncDays(days: number, unit: TruncUnit): number {
  if (unit === 'week') return days - (((days + 3) % 7) + 7) % 7 // 1970-01-01 was a Thursday; ISO weeks start Monday
  const m = MONTHS[unit]
  if (m === undefined) return days
  const c = civilFromDays(days)
  return daysFromCivil(c.y, m === 1 ? c.m : m === 3 ? c.m - ((c.m - 1) % 3) : 1, 1)
}

const MICROS: Partial<Record<TruncUnit, bigint>> = { second: 1_000_000n, minute: 60_000_000n, hour: 3_600_000_000n, day: 86_400_000_000n }

function truncValues(col: Column, unit: TruncUnit): Column['values'] {
  const n = col.values.length
  if (col.type === 'date') {
    const a = col.values as Int32Array
    const out = new Int32Array(n)
    for (let i = 0; i < n; i++) out[i] = truncDays(a[i]!, unit)
    return out
  }
  if (col.type !== 'timestamp') throw new TypeError(`date_trunc does not apply to ${col.type}`)
  const a = col.values as BigInt64Array
  const out = new BigInt64Array(n)
  const step = MICROS[unit]
  for (let i = 0; i < n; i++) {
    if (step !== undefined) out[i] = floorDivN(a[i]!, step) * step
    else out[i] = BigInt(truncDays(Number(floorDivN(a[i]!, 86_400_000_000n)), unit)) * 86_400_000_000n
  }
  return out
}
