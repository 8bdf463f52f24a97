/**
 * Masking strategies as BigQuery (GoogleSQL) expressions: the BigQuery twin of
 * src/query/masking-sql.ts, with the semantics of proto/masking.ts byte for byte. `expr` is
 * the column's value expression as the BigQuery connector writes it (proto/BIGQUERY.md, "Type
 * mapping"): TIMESTAMP for timestamps (UTC), NUMERIC/BIGNUMERIC for decimals, STRING for
 * strings and JSON text, BYTES for binary, DATE, TIME, INT64, FLOAT64, BOOL.
 * `saltExpr` is SQL for the org's hash salt as STRING, normally a query parameter (`@salt`).
 *
 * What only real BigQuery can confirm is listed in proto/BIGQUERY.md and in
 * test/bigquery-masking-sql.test.ts. Pure; main thread.
 */
import type { Field, LogicalType } from '../../proto/types.js'
import { EMAIL_MASK, numericRange, ruleParams, STRATEGIES, stepDecimal, type MaskRule } from '../../proto/masking.js'
import { dateTrunc, decimalType, stringLiteral, timestampTrunc } from './bigquery-sql.js'

const BQ_TYPE: Record<LogicalType, string> = {
  string: 'STRING', json: 'STRING', int16: 'INT64', int32: 'INT64', int64: 'INT64', float32: 'FLOAT64', float64: 'FLOAT64',
  decimal: 'NUMERIC', boolean: 'BOOL', date: 'DATE', timestamp: 'TIMESTAMP', time: 'TIME', binary: 'BYTES',
}

/** The BigQuery type of a column of logical type `f` (decimals: NUMERIC or BIGNUMERIC by precision and scale). */
export function bigQueryType(f: Pick<Field, 'type' | 'precision' | 'scale'>): string {
  return f.type === 'decimal' ? decimalType(f) : BQ_TYPE[f.type]
}

/** BIGNUMERIC holds 38 digits after the point and (a bit more than) 38 before. */
function stepFits(step: number): boolean {
  if (!(step > 0) || !Number.isFinite(step)) return false
  const d = stepDecimal(step)
  return d.scale <= 38 && d.digits.length - d.scale <= 38
}

/**
 * Whether `rule` on `field` can run in BigQuery with byte-identical results. False for:
 * - `hash` on floats: BigQuery documents CAST(FLOAT64 AS STRING) only as "an approximate
 *   string representation", not JS's shortest round-trip text (as PostgreSQL: mask in the worker);
 * - `round` on float32: BigQuery has no FLOAT32 to round to (no BigQuery column maps to float32);
 * - `round` with a step BIGNUMERIC cannot hold exactly (more than 38 digits either side).
 */
export function maskSqlBigQuerySupported(rule: MaskRule, field: Field): boolean {
  if (!STRATEGIES[rule.strategy].applies(field.type)) return false
  if (rule.strategy === 'hash') return field.type !== 'float32' && field.type !== 'float64'
  if (rule.strategy === 'round') {
    if (field.type === 'float32') return false
    if (field.type !== 'float64' && !stepFits(ruleParams(rule).step)) return false
  }
  return true
}

/**
 * The API.md canonical text of `expr` as BigQuery SQL (what `hash` digests): integers and
 * booleans by CAST (`true`/`false`), decimals at the column's scale, dates and timestamps with
 * four-digit years (`%E4Y`) and six fraction digits (`%E6S`), times likewise, bytes as base64.
 * Throws TypeError for floats (see maskSqlBigQuerySupported).
 */
export function canonicalTextSqlBigQuery(expr: string, field: Pick<Field, 'type' | 'scale'>): string {
  switch (field.type) {
    case 'string': case 'json': return `(${expr})`
    case 'int16': case 'int32': case 'int64': case 'boolean': return `CAST(${expr} AS STRING)`
    case 'decimal': { const s = field.scale ?? 0; return `FORMAT('%.${s}f', ROUND(${expr}, ${s}))` }
    case 'date': return `FORMAT_DATE('%E4Y-%m-%d', ${expr})`
    case 'timestamp': return `FORMAT_TIMESTAMP('%E4Y-%m-%dT%H:%M:%E6SZ', ${expr}, 'UTC')`
    case 'time': return `FORMAT_TIME('%H:%M:%E6S', ${expr})`
    case 'binary': return `TO_BASE64(${expr})`
    case 'float32': case 'float64': throw new TypeError('no byte-identical canonical float text in BigQuery')
  }
}

/**
 * The masked value expression of a column, of the type of `maskedField(field, rule)`.
 * Throws TypeError when the strategy does not apply or !maskSqlBigQuerySupported.
 */
export function maskSqlBigQuery(rule: MaskRule, expr: string, field: Field, saltExpr: string): string {
  if (!maskSqlBigQuerySupported(rule, field)) throw new TypeError(`strategy "${rule.strategy}" cannot be pushed down to BigQuery for ${field.type}`)
  const p = ruleParams(rule)
  const e = `(${expr})`
  switch (rule.strategy) {
    case 'redact': return `IF(${e} IS NULL, NULL, ${stringLiteral(p.replacement)})`
    case 'null': return `CAST(NULL AS ${bigQueryType(field)})`
    case 'hash': {
      // SHA256 of a STRING digests its UTF-8 bytes; TO_HEX writes lowercase hex
      const h = `TO_HEX(SHA256(CONCAT(${saltExpr}, ${canonicalTextSqlBigQuery(expr, field)})))`
      return p.length >= 64 ? h : `LEFT(${h}, ${p.length})`
    }
    case 'partial': {
      // CHAR_LENGTH, LEFT, RIGHT and REPEAT count characters (code points) for STRING
      const f = p.keepFirst, l = p.keepLast, m = stringLiteral(p.maskChar)
      return `(CASE WHEN CHAR_LENGTH(${e}) <= ${f + l} THEN REPEAT(${m}, CHAR_LENGTH(${e})) ` +
        `ELSE CONCAT(LEFT(${e}, ${f}), REPEAT(${m}, CHAR_LENGTH(${e}) - ${f + l}), RIGHT(${e}, ${l})) END)`
    }
    case 'email': {
      // domain = the text after the last '@': the first piece of the reversed value
      const dom = `REVERSE(SPLIT(REVERSE(${e}), '@')[OFFSET(0)])`
      return `(CASE WHEN ${e} IS NULL THEN NULL WHEN STRPOS(${e}, '@') = 0 OR ENDS_WITH(${e}, '@') THEN ${stringLiteral(EMAIL_MASK)} ` +
        `ELSE CONCAT(${stringLiteral(EMAIL_MASK + '@')}, ${dom}) END)`
    }
    case 'round': return roundSql(e, field, p.step)
    case 'date_trunc':
      // the explore buckets' own functions: ISO weeks, UTC
      return field.type === 'date' ? dateTrunc(e, p.unit) : timestampTrunc(e, p.unit)
  }
}

/** Unscaled `v` at `scale` as decimal text: 12345, 2 → "123.45". */
function scaledText(v: bigint, scale: number): string {
  if (scale === 0) return v.toString()
  const neg = v < 0n
  const digits = (neg ? -v : v).toString().padStart(scale + 1, '0')
  return `${neg ? '-' : ''}${digits.slice(0, -scale)}.${digits.slice(-scale)}`
}

function roundSql(e: string, field: Field, step: number): string {
  if (field.type === 'float64') {
    // the kernel's operations in the same order (workers/kernels/mask.ts roundFloat).
    // IEEE_DIVIDE never raises (x / step may overflow to ±inf, as in JS); ROUND is not used
    // because the kernel's rule is floor + compare. NaN >= 0.5 is false, as in JS.
    const s = String(step)
    const q = `IEEE_DIVIDE(CAST(${e} AS FLOAT64), ${s})`
    return `(SIGN(${q}) * (FLOOR(ABS(${q})) + CASE WHEN ABS(${q}) - FLOOR(ABS(${q})) >= 0.5 THEN 1 ELSE 0 END) * ${s})`
  }
  // exact in BIGNUMERIC: q0 = DIV (toward zero), away from zero when 2|MOD| >= step, as masking-sql.ts
  const s = field.type === 'decimal' ? field.scale ?? 0 : 0
  const x = `CAST(${e} AS BIGNUMERIC)`
  const t = `BIGNUMERIC '${stepDecimal(step).text}'`
  const q0 = `DIV(${x}, ${t})`
  const q = `(${q0} + CASE WHEN 2 * ABS(MOD(${x}, ${t})) >= ${t} THEN SIGN(${x}) ELSE 0 END)`
  const { lo, hi } = numericRange(field)
  // ROUND rounds halfway cases away from zero (the GoogleSQL default)
  const r = `ROUND(${q} * ${t}, ${s})`
  const out = `(CASE WHEN ${r} BETWEEN BIGNUMERIC '${scaledText(lo, s)}' AND BIGNUMERIC '${scaledText(hi, s)}' THEN ${r} ELSE ROUND(${q0} * ${t}, ${s}) END)`
  return `CAST(${out} AS ${bigQueryType(field)})`
}
