/**
 * Dataset settings (API.md, "Settings"): validated on every write so later features
 * (masking, refresh, profile caching) can trust what they read back.
 */
import type { Field, LogicalType } from '../../proto/types.js'
import { NUMERIC_TYPES } from '../../proto/types.js'
import { invalidSettings } from '../../proto/errors.js'
import type { MaskingStrategy } from '../../proto/masking.js'

/** Strategy names and semantics are defined once, in proto/masking.ts. */
export type { MaskingStrategy }

export interface MaskingRule {
  column: string
  strategy: MaskingStrategy
  params: Record<string, unknown>
  unmask_roles: string[]
}

export interface DatasetSettings {
  masking?: MaskingRule[]
  refresh?: { every: string } | 'manual'
  profile_cache_ttl?: string
}

const DURATION = /^[1-9][0-9]{0,6}(s|m|h|d)$/
const TRUNC_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']


const anyType = () => true
const stringOnly = (t: LogicalType) => t === 'string'
const check = (test: (v: unknown) => boolean, what: string) => (v: unknown, where: string) => {
  if (!test(v)) throw invalidSettings(`${where} must be ${what}`)
}

const STRATEGIES: Record<MaskingStrategy, { types: (t: LogicalType) => boolean; params: Record<string, (v: unknown, where: string) => void>; required?: string[] }> = {
  redact: { types: anyType, params: { replacement: check((v) => typeof v === 'string' && v.length <= 64, 'a string of at most 64 characters') } },
  null: { types: anyType, params: {} },
  hash: { types: anyType, params: { length: check((v) => Number.isInteger(v) && (v as number) >= 8 && (v as number) <= 64, 'an integer from 8 to 64') } },
  partial: {
    types: stringOnly,
    params: {
      keep_first: check((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 64, 'an integer from 0 to 64'),
      keep_last: check((v) => Number.isInteger(v) && (v as number) >= 0 && (v as number) <= 64, 'an integer from 0 to 64'),
      mask_char: check((v) => typeof v === 'string' && [...v].length === 1, 'a single character'),
    },
  },
  email: { types: stringOnly, params: {} },
  round: {
    types: (t) => NUMERIC_TYPES.has(t),
    params: { step: check((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, 'a positive number') },
    required: ['step'],
  },
  date_trunc: {
    types: (t) => t === 'date' || t === 'timestamp',
    params: { unit: check((v) => typeof v === 'string' && TRUNC_UNITS.includes(v), `one of ${TRUNC_UNITS.join(', ')}`) },
    required: ['unit'],
  },
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function onlyKeys(obj: Record<string, unknown>, allowed: string[], where: string): void {
  for (const k of Object.keys(obj)) if (!allowed.includes(k)) throw invalidSettings(`${where}: unknown key "${k}"`)
}

/** Validates a settings object against a dataset schema; returns it normalised or throws 422 invalid_settings. */
/**
 * `pushdown`: the dataset's rows are queried in a database (PostgreSQL connector), so every
 * masking rule must also run as SQL there (src/query/masking-sql.ts maskSqlSupported).
 */
export function validateSettings(input: unknown, schema: Field[], opts: { pushdown?: boolean } = {}): DatasetSettings {
  if (!isPlainObject(input)) throw invalidSettings('settings must be a JSON object')
  onlyKeys(input, ['masking', 'refresh', 'profile_cache_ttl'], 'settings')
  const out: DatasetSettings = {}
  if (input.masking !== undefined) out.masking = validateMasking(input.masking, schema, opts.pushdown === true)
  if (input.refresh !== undefined) {
    const r = input.refresh
    if (r === 'manual') out.refresh = 'manual'
    else if (isPlainObject(r)) {
      onlyKeys(r, ['every'], 'settings.refresh')
      if (typeof r.every !== 'string' || !DURATION.test(r.every)) throw invalidSettings('settings.refresh.every must be a duration such as "15m", "1h" or "1d"')
      out.refresh = { every: r.every }
    } else throw invalidSettings('settings.refresh must be "manual" or {"every": "<duration>"}')
  }
  if (input.profile_cache_ttl !== undefined) {
    if (typeof input.profile_cache_ttl !== 'string' || !DURATION.test(input.profile_cache_ttl))
      throw invalidSettings('settings.profile_cache_ttl must be a duration such as "10m"')
    out.profile_cache_ttl = input.profile_cache_ttl
  }
  return out
}

function validateMasking(input: unknown, schema: Field[], pushdown: boolean): MaskingRule[] {
  if (!Array.isArray(input)) throw invalidSettings('settings.masking must be an array of rules')
  const seen = new Set<string>()
  return input.map((rule, i) => {
    const where = `settings.masking[${i}]`
    if (!isPlainObject(rule)) throw invalidSettings(`${where} must be an object`)
    onlyKeys(rule, ['column', 'strategy', 'params', 'unmask_roles'], where)
    if (typeof rule.column !== 'string') throw invalidSettings(`${where}.column must be a column name`)
    const field = schema.find((f) => f.name === rule.column)
    if (!field) throw invalidSettings(`${where}.column: no column "${rule.column}"`)
    if (seen.has(rule.column)) throw invalidSettings(`${where}: column "${rule.column}" has more than one rule`)
    seen.add(rule.column)
    const strategy = rule.strategy as MaskingStrategy
    const spec = typeof strategy === 'string' ? STRATEGIES[strategy] : undefined
    if (!spec || !Object.hasOwn(STRATEGIES, strategy)) throw invalidSettings(`${where}.strategy: unknown strategy "${String(rule.strategy)}"; use one of ${Object.keys(STRATEGIES).join(', ')}`)
    if (!spec.types(field.type)) throw invalidSettings(`${where}: strategy "${strategy}" does not apply to ${field.type} column "${field.name}"`)
    // PostgreSQL's float text differs from the API's canonical text, so a pushed-down hash
    // could not equal the worker's (proto/masking.ts): refused rather than inconsistent.
    if (pushdown && strategy === 'hash' && (field.type === 'float32' || field.type === 'float64'))
      throw invalidSettings(`${where}: strategy "hash" cannot be applied to ${field.type} column "${field.name}" of a dataset queried in its database (PostgreSQL, BigQuery); use round, redact or null`)
    const params = rule.params ?? {}
    // A rounding step no coarser than the column's own resolution would show raw values
    // while saying `masked: true`.
    if (strategy === 'round' && isPlainObject(params) && typeof params.step === 'number') {
      const resolution = field.type === 'int16' || field.type === 'int32' || field.type === 'int64' ? 1
        : field.type === 'decimal' ? 10 ** -(field.scale ?? 0) : 0
      if (params.step <= resolution) throw invalidSettings(`${where}.params.step must be larger than ${resolution} for ${field.type} column "${field.name}": a smaller step would leave its values unchanged`)
    }
    if (!isPlainObject(params)) throw invalidSettings(`${where}.params must be an object`)
    onlyKeys(params, Object.keys(spec.params), `${where}.params`)
    for (const [k, v] of Object.entries(params)) spec.params[k](v, `${where}.params.${k}`)
    for (const k of spec.required ?? []) if (params[k] === undefined) throw invalidSettings(`${where}.params.${k} is required for "${strategy}"`)
    const roles = rule.unmask_roles ?? []
    if (!Array.isArray(roles) || !roles.every((r) => typeof r === 'string' && r.length > 0))
      throw invalidSettings(`${where}.unmask_roles must be an array of role names`)
    return { column: rule.column, strategy, params, unmask_roles: roles as string[] }
  })
}
