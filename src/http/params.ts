/** Validation of plain query parameters (anything that fails is 422 invalid_parameter). */
import { invalidParameter } from '../../proto/errors.js'

const UINT = /^(0|[1-9][0-9]{0,15})$/

export function intParam(raw: string | null, name: string, opts: { def: number; min?: number; max?: number; clamp?: boolean }): number {
  if (raw === null || raw === '') return opts.def
  if (!UINT.test(raw)) throw invalidParameter(name, `expected a non-negative integer, got "${raw.slice(0, 40)}"`)
  let n = Number(raw)
  if (opts.min !== undefined && n < opts.min) throw invalidParameter(name, `must be at least ${opts.min}`)
  if (opts.max !== undefined && n > opts.max) {
    if (!opts.clamp) throw invalidParameter(name, `must be at most ${opts.max}`)
    n = opts.max
  }
  return n
}

export function boolParam(raw: string | null | undefined, name: string, def: boolean): boolean {
  if (raw === null || raw === undefined || raw === '') return def
  if (raw === 'true' || raw === '1') return true
  if (raw === 'false' || raw === '0') return false
  throw invalidParameter(name, `expected true or false, got "${raw.slice(0, 40)}"`)
}

export function enumParam<T extends string, D extends T | null>(raw: string | null, name: string, allowed: readonly T[], def: D): T | D {
  if (raw === null || raw === '') return def
  if (!(allowed as readonly string[]).includes(raw)) throw invalidParameter(name, `expected one of ${allowed.join(', ')}, got "${raw.slice(0, 40)}"`)
  return raw as T
}
