/**
 * Masking strategies, defined once (API.md, "Settings"). The worker kernel
 * (workers/kernels/mask.ts) and the PostgreSQL push-down (src/query/masking-sql.ts) both
 * implement exactly these semantics; test/masking-vectors.test.ts checks they agree byte for
 * byte. Names and params are the ones src/catalog/settings.ts validates.
 *
 * Semantics where the issue is silent (decided here):
 * - Nulls stay null under every strategy (`null` makes every row null).
 * - `redact`: every non-null value becomes `replacement` (default "****"); result type string.
 * - `hash`: lowercase hex SHA-256 of UTF-8(salt + canonical text of the value), the canonical
 *   text being the API.md wire text (int digits, decimal digits at the column's scale,
 *   true/false, YYYY-MM-DD, YYYY-MM-DDTHH:MM:SS.ffffffZ, HH:MM:SS.ffffff, base64, string as
 *   is). `length` (8..64) keeps the first `length` hex digits. Result type string.
 *   Floats hash in the kernel only: PostgreSQL's float text differs from JS shortest
 *   round-trip text in exponent form ("1e+20" vs "100000000000000000000"), so the SQL side
 *   refuses (`maskSqlSupported` is false) and the caller must mask in the worker.
 * - `partial` (strings): counts Unicode code points. Keeps the first `keep_first` (default 0)
 *   and last `keep_last` (default 4) code points and replaces each code point between them by
 *   `mask_char` (default "*"). A value with at most keep_first + keep_last code points is
 *   masked entirely (one mask_char per code point), so short values never show through.
 * - `email` (strings): the domain is what follows the LAST "@". Output "****@" + domain. A
 *   value without "@" or with nothing after the last "@" becomes "****".
 * - `round` (numbers): the multiple of `step` nearest the value, ties half away from zero.
 *   Integer and decimal columns compute exactly in decimal (step taken as the exact decimal
 *   of its shortest JS text, e.g. 0.1 is 1/10), then the product is rounded half away from
 *   zero to the column's scale (0 for integers). If that does not fit the column type
 *   (int64 max, decimal precision) the multiple toward zero is used instead. Float columns
 *   compute in float64: q = x / step; n = floor(|q|) + (|q| - floor(|q|) >= 0.5 ? 1 : 0);
 *   result sign(q) * n * step (float32: rounded to float32 after). Result type: same.
 * - `date_trunc` (date, timestamp): start of the unit in UTC; `week` is the ISO week (Monday).
 *   On dates, second/minute/hour/day leave the value unchanged. Result type: same.
 * Pure; any thread.
 */
import type { Field, LogicalType } from './types.js'
import { NUMERIC_TYPES } from './types.js'

export type MaskingStrategy = 'redact' | 'null' | 'hash' | 'partial' | 'email' | 'round' | 'date_trunc'
export type TruncUnit = 'second' | 'minute' | 'hour' | 'day' | 'week' | 'month' | 'quarter' | 'year'

/** The rule shape of src/catalog/settings.ts (structurally identical). */
export interface MaskRule {
  column: string
  strategy: MaskingStrategy
  params: Record<string, unknown>
  unmask_roles?: string[]
}

export interface StrategySpec {
  /** logical types the strategy applies to */
  applies: (t: LogicalType) => boolean
  /** param defaults (params without a default are required or optional-without-default) */
  defaults: Record<string, unknown>
  /** the result logical type for an input type */
  resultType: (t: LogicalType) => LogicalType
}

const any = () => true
const stringOnly = (t: LogicalType) => t === 'string'
const same = (t: LogicalType) => t
const toString = (): LogicalType => 'string'

export const STRATEGIES: Readonly<Record<MaskingStrategy, StrategySpec>> = {
  redact: { applies: any, defaults: { replacement: '****' }, resultType: toString },
  null: { applies: any, defaults: {}, resultType: same },
  hash: { applies: any, defaults: {}, resultType: toString },
  partial: { applies: stringOnly, defaults: { keep_first: 0, keep_last: 4, mask_char: '*' }, resultType: toString },
  email: { applies: stringOnly, defaults: {}, resultType: toString },
  round: { applies: (t) => NUMERIC_TYPES.has(t), defaults: {}, resultType: same },
  date_trunc: { applies: (t) => t === 'date' || t === 'timestamp', defaults: {}, resultType: same },
}

/** What `email` writes in front of the domain, and for values that are not emails. */
export const EMAIL_MASK = '****'

/** Resolved params of a rule (defaults filled in). Throws TypeError for a missing required param. */
export function ruleParams(rule: MaskRule): {
  replacement: string; length: number; keepFirst: number; keepLast: number; maskChar: string; step: number; unit: TruncUnit
} {
  const p = { ...STRATEGIES[rule.strategy].defaults, ...rule.params }
  if (rule.strategy === 'round' && typeof p.step !== 'number') throw new TypeError('round needs params.step')
  if (rule.strategy === 'date_trunc' && typeof p.unit !== 'string') throw new TypeError('date_trunc needs params.unit')
  return {
    replacement: typeof p.replacement === 'string' ? p.replacement : '****',
    length: typeof p.length === 'number' ? p.length : 64,
    keepFirst: typeof p.keep_first === 'number' ? p.keep_first : 0,
    keepLast: typeof p.keep_last === 'number' ? p.keep_last : 4,
    maskChar: typeof p.mask_char === 'string' ? p.mask_char : '*',
    step: typeof p.step === 'number' ? p.step : 1,
    unit: (typeof p.unit === 'string' ? p.unit : 'day') as TruncUnit,
  }
}

/** The Field a masked column has on the wire (type changes for redact/hash/partial/email; `null` makes it nullable). */
export function maskedField(field: Field, rule: MaskRule): Field {
  const type = STRATEGIES[rule.strategy].resultType(field.type)
  const out: Field = { name: field.name, type, nullable: rule.strategy === 'null' ? true : field.nullable }
  if (type === 'decimal') { out.precision = field.precision; out.scale = field.scale }
  return out
}

/**
 * The exact decimal of a positive finite step (its shortest JS text, exponent expanded):
 * unscaled digits and scale, e.g. 0.25 → {digits: "25", scale: 2}, 1e21 → {"1000…0", 0}.
 */
export function stepDecimal(step: number): { digits: string; scale: number; text: string } {
  const s = String(step)
  const e = s.indexOf('e')
  let mant = e < 0 ? s : s.slice(0, e)
  const exp = e < 0 ? 0 : Number(s.slice(e + 1))
  const dot = mant.indexOf('.')
  let scale = 0
  if (dot >= 0) { scale = mant.length - dot - 1; mant = mant.slice(0, dot) + mant.slice(dot + 1) }
  scale -= exp
  if (scale < 0) { mant += '0'.repeat(-scale); scale = 0 }
  const digits = mant.replace(/^0+(?=\d)/, '')
  const text = scale === 0 ? digits : (digits.padStart(scale + 1, '0').slice(0, -scale) + '.' + digits.padStart(scale + 1, '0').slice(-scale))
  return { digits, scale, text }
}

/** Inclusive unscaled range a round result must fit in (integers at scale 0; decimal(p,s) at s). */
export function numericRange(field: { type: LogicalType; precision?: number }): { lo: bigint; hi: bigint } {
  switch (field.type) {
    case 'int16': return { lo: -32768n, hi: 32767n }
    case 'int32': return { lo: -2147483648n, hi: 2147483647n }
    case 'int64': return { lo: -9223372036854775808n, hi: 9223372036854775807n }
    default: { const hi = 10n ** BigInt(field.precision ?? 38) - 1n; return { lo: -hi, hi } }
  }
}
