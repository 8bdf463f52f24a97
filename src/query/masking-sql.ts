/**
 * Masking strategies as PostgreSQL expressions: the push-down twin of the worker kernel
 * (workers/kernels/mask.ts); semantics in proto/masking.ts. `expr` is the column's value
 * expression (src/connectors/postgres-types.ts `valueExpr`): timestamps already as
 * `timestamp` in UTC, decimals as numeric, json as text. The session runs with the options of
 * proto/pg-session.ts (TimeZone=UTC, extra_float_digits=3, standard_conforming_strings=on).
 * Pure; main thread.
 */
import type { Field, LogicalType } from '../../proto/types.js'
import { EMAIL_MASK, numericRange, ruleParams, STRATEGIES, stepDecimal, type MaskRule } from '../../proto/masking.js'

/** A string literal (standard_conforming_strings=on: only quotes are doubled). */
function lit(s: string): string {
  return `'${s.replace(/'/g, "''")}'`
}

const PG_TYPE: Record<LogicalType, string> = {
  string: 'text', json: 'text', int16: 'int2', int32: 'int4', int64: 'int8', float32: 'float4', float64: 'float8',
  decimal: 'numeric', boolean: 'bool', date: 'date', timestamp: 'timestamp', time: 'time', binary: 'bytea',
}

function pgType(f: Pick<Field, 'type' | 'precision' | 'scale'>): string {
  return f.type === 'decimal' ? `numeric(${f.precision ?? 38},${f.scale ?? 0})` : PG_TYPE[f.type]
}

/**
 * Whether `rule` on `field` can run in PostgreSQL with byte-identical results. False for
 * `hash` on floats (PostgreSQL's float text is not JS's shortest round-trip text): mask those
 * in the worker instead.
 */
export function maskSqlSupported(rule: MaskRule, field: Field): boolean {
  if (!STRATEGIES[rule.strategy].applies(field.type)) return false
  return !(rule.strategy === 'hash' && (field.type === 'float32' || field.type === 'float64'))
}

/**
 * The API.md canonical text of `expr` as SQL (what `hash` digests). Dates and timestamps are
 * byte-identical to the kernel for years 1..9999 only (to_char has no ISO expanded years).
 * Throws TypeError for floats (see maskSqlSupported).
 */
export function canonicalTextSql(expr: string, field: Pick<Field, 'type' | 'scale'>): string {
  switch (field.type) {
    case 'string': case 'json': return `(${expr})::text`
    case 'int16': case 'int32': case 'int64': case 'boolean': return `(${expr})::text`
    case 'decimal': return `(round(${expr}, ${field.scale ?? 0}))::text`
    case 'date': return `to_char(${expr}, 'YYYY-MM-DD')`
    case 'timestamp': return `to_char(${expr}, 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`
    case 'time': return `to_char((${expr})::interval, 'HH24:MI:SS.US')`
    case 'binary': return `translate(encode(${expr}, 'base64'), E'\\n', '')`
    case 'float32': case 'float64': throw new TypeError('no byte-identical canonical float text in PostgreSQL')
  }
}

/**
 * The masked value expression of a column. `saltParam` is the placeholder bound to the org's
 * hash salt (text), e.g. '$3'. Returns SQL whose result has the type of `maskedField(field,
 * rule)`. Throws TypeError when the strategy does not apply or !maskSqlSupported.
 */
export function maskSql(rule: MaskRule, expr: string, field: Field, saltParam: string): string {
  if (!maskSqlSupported(rule, field)) throw new TypeError(`strategy "${rule.strategy}" cannot be pushed down for ${field.type}`)
  const p = ruleParams(rule)
  const e = `(${expr})`
  switch (rule.strategy) {
    case 'redact': return `(CASE WHEN ${e} IS NULL THEN NULL ELSE ${lit(p.replacement)} END)`
    case 'null': return `(NULL::${pgType(field)})`
    case 'hash': {
      const h = `encode(sha256(convert_to((${saltParam})::text || ${canonicalTextSql(expr, field)}, 'UTF8')), 'hex')`
      return p.length >= 64 ? h : `left(${h}, ${p.length})`
    }
    case 'partial': {
      const f = p.keepFirst, l = p.keepLast, m = lit(p.maskChar)
      return `(CASE WHEN char_length(${e}) <= ${f + l} THEN repeat(${m}, char_length(${e})) ` +
        `ELSE left(${e}, ${f}) || repeat(${m}, char_length(${e}) - ${f + l}) || right(${e}, ${l}) END)`
    }
    case 'email': {
      // domain = text after the last '@' (split_part of the reversed value works on every version)
      const dom = `reverse(split_part(reverse(${e}), '@', 1))`
      return `(CASE WHEN ${e} IS NULL THEN NULL WHEN strpos(${e}, '@') = 0 OR right(${e}, 1) = '@' THEN ${lit(EMAIL_MASK)} ` +
        `ELSE ${lit(EMAIL_MASK + '@')} || ${dom} END)`
    }
    case 'round': return roundSql(e, field, p.step)
    case 'date_trunc': {
      if (field.type === 'date') {
        if (p.unit === 'second' || p.unit === 'minute' || p.unit === 'hour' || p.unit === 'day') return e
        return `(date_trunc(${lit(p.unit)}, ${e}::timestamp)::date)`
      }
      return `date_trunc(${lit(p.unit)}, ${e})`
    }
  }
}

function roundSql(e: string, field: Field, step: number): string {
  if (field.type === 'float32' || field.type === 'float64') {
    // the kernel's operations in the same order (workers/kernels/mask.ts roundFloat); float8
    // round() is half-even, so floor + compare instead. NaN >= 0.5 is true in PostgreSQL and
    // false in JS, but NaN + 1 and Infinity + 1 are unchanged, so the results agree.
    const s = `${String(step)}::float8`
    const q = `(${e}::float8 / ${s})`
    const r = `(sign(${q}) * (floor(abs(${q})) + CASE WHEN abs(${q}) - floor(abs(${q})) >= 0.5 THEN 1 ELSE 0 END) * ${s})`
    return field.type === 'float32' ? `(${r}::float4)` : r
  }
  // exact: x and step as numeric; q0 = div (toward zero), away from zero when 2|mod| >= step
  const s = field.type === 'decimal' ? field.scale ?? 0 : 0
  const st = stepDecimal(step).text
  const x = `${e}::numeric`
  const t = `${st}::numeric`
  const q0 = `div(${x}, ${t})`
  const q = `(${q0} + CASE WHEN 2 * abs(mod(${x}, ${t})) >= ${t} THEN sign(${x}) ELSE 0 END)`
  const { lo, hi } = numericRange(field)
  const scaled = (v: bigint) => (s === 0 ? v.toString() : `${v.toString()}e-${s}`)
  const r = `round(${q} * ${t}, ${s})`
  const out = `(CASE WHEN ${r} BETWEEN ${scaled(lo)}::numeric AND ${scaled(hi)}::numeric THEN ${r} ELSE round(${q0} * ${t}, ${s}) END)`
  return `(${out}::${pgType(field)})`
}
