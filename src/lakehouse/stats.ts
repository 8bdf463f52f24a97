/**
 * Per-file statistics (PROTOCOL.md "Per-file Statistics"): `add.stats` is a JSON string with
 * numRecords, tightBounds, minValues, maxValues, nullCount. Parsed here with an exact JSON
 * reader (integers past 2^53 keep every digit) and typed like `Literal` (proto/plan.ts).
 *
 * Bounds are made safe for data skipping:
 * - Timestamp stats are truncated to milliseconds by Spark, so the max is raised by 1 ms
 *   (as Spark's own data skipping does).
 * - String stats are cut to a prefix (32 characters by default): a prefix is a valid min, but
 *   a cut max is not a valid max, so a string max of 32 or more characters is dropped.
 * - With `tightBounds: false`, nullCount carries information only when it is 0 or equals
 *   numRecords; other values are dropped.
 * Stats that are absent, malformed or of the wrong type are left out, never an error.
 *
 * Pure; runs on any thread.
 */
import type { Literal } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import { normalizeDecimal, parseDateDays, parseTimestampMicros } from './temporal.js'

/** A JSON number kept as its text. */
export class RawNumber {
  constructor(readonly text: string) {}
}

export type ExactJson = null | boolean | string | RawNumber | ExactJson[] | { [key: string]: ExactJson }

const NUMBER_RE = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y
const WS_RE = /[ \t\n\r]*/y

/**
 * Parses JSON keeping numbers as `RawNumber` (their exact text). Objects have no prototype,
 * so a key such as `__proto__` is an ordinary key. Throws SyntaxError on invalid JSON.
 */
export function parseJsonExact(text: string): ExactJson {
  let i = 0
  const ws = () => {
    WS_RE.lastIndex = i
    WS_RE.exec(text)
    i = WS_RE.lastIndex
  }
  const fail = (): never => {
    throw new SyntaxError(`invalid JSON at ${i}`)
  }
  const str = (): string => {
    const start = i
    i++ // opening quote
    for (;;) {
      const c = text.charCodeAt(i)
      if (Number.isNaN(c)) fail()
      if (c === 0x5c) i += 2
      else if (c === 0x22) break
      else i++
    }
    i++
    return JSON.parse(text.slice(start, i)) as string
  }
  const value = (): ExactJson => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      const o = Object.create(null) as { [key: string]: ExactJson }
      ws()
      if (text[i] === '}') { i++; return o }
      for (;;) {
        ws()
        if (text[i] !== '"') fail()
        const k = str()
        ws()
        if (text[i] !== ':') fail()
        i++
        o[k] = value()
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === '}') { i++; return o }
        fail()
      }
    }
    if (c === '[') {
      i++
      const a: ExactJson[] = []
      ws()
      if (text[i] === ']') { i++; return a }
      for (;;) {
        a.push(value())
        ws()
        if (text[i] === ',') { i++; continue }
        if (text[i] === ']') { i++; return a }
        fail()
      }
    }
    if (c === '"') return str()
    if (text.startsWith('true', i)) { i += 4; return true }
    if (text.startsWith('false', i)) { i += 5; return false }
    if (text.startsWith('null', i)) { i += 4; return null }
    NUMBER_RE.lastIndex = i
    const m = NUMBER_RE.exec(text)
    if (!m) return fail()
    i = NUMBER_RE.lastIndex
    return new RawNumber(m[0])
  }
  const v = value()
  ws()
  if (i !== text.length) fail()
  return v
}

export interface ColumnStats {
  min?: Literal
  max?: Literal
  nullCount?: number
}

export interface FileStats {
  numRecords: number | null
  tightBounds: boolean
  /** by top-level column name; only columns with at least one usable statistic */
  columns: Record<string, ColumnStats>
}

/** Longest string max kept: Spark cuts string stats to 32 characters. */
export const STRING_PREFIX_LENGTH = 32

const isObj = (v: ExactJson | undefined): v is { [key: string]: ExactJson } =>
  typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof RawNumber)

function toInt(v: ExactJson | undefined): bigint | undefined {
  return v instanceof RawNumber && /^-?\d+$/.test(v.text) ? BigInt(v.text) : undefined
}

function typedBound(v: ExactJson | undefined, f: Field, isMax: boolean): Literal | undefined {
  if (v === undefined || v === null) return undefined
  switch (f.type) {
    case 'int16':
    case 'int32':
    case 'int64':
    case 'time':
      return toInt(v)
    case 'float32':
    case 'float64': {
      if (!(v instanceof RawNumber)) return undefined
      const n = Number(v.text)
      return Number.isFinite(n) ? n : undefined
    }
    case 'decimal': {
      const text = v instanceof RawNumber ? v.text : typeof v === 'string' ? v : undefined
      if (text === undefined) return undefined
      return normalizeDecimal(text, f.scale ?? 0, f.precision ?? 38) ?? undefined
    }
    case 'string': {
      if (typeof v !== 'string') return undefined
      if (isMax && [...v].length >= STRING_PREFIX_LENGTH) return undefined
      return v
    }
    case 'boolean':
      return typeof v === 'boolean' ? v : undefined
    case 'date':
      return typeof v === 'string' ? (parseDateDays(v) ?? undefined) : undefined
    case 'timestamp': {
      if (typeof v !== 'string') return undefined
      const us = parseTimestampMicros(v)
      if (us === null) return undefined
      return isMax ? us + 1000n : us
    }
    default:
      return undefined // binary, json: no usable ordering
  }
}

/**
 * Parses `add.stats` for the given columns. Returns null when there are no stats or they are
 * not valid JSON; never throws.
 */
export function parseStats(stats: string | null | undefined, fields: Field[]): FileStats | null {
  if (stats === null || stats === undefined || stats === '') return null
  let o: ExactJson
  try {
    o = parseJsonExact(stats)
  } catch {
    return null
  }
  if (!isObj(o)) return null
  const nr = o.numRecords
  const numRecords = nr instanceof RawNumber && /^\d+$/.test(nr.text) ? Number(nr.text) : null
  const tightBounds = o.tightBounds !== false
  const mins = isObj(o.minValues) ? o.minValues : undefined
  const maxs = isObj(o.maxValues) ? o.maxValues : undefined
  const nulls = isObj(o.nullCount) ? o.nullCount : undefined
  const columns: Record<string, ColumnStats> = Object.create(null)
  for (const f of fields) {
    const cs: ColumnStats = {}
    const min = typedBound(mins?.[f.name], f, false)
    const max = typedBound(maxs?.[f.name], f, true)
    if (min !== undefined) cs.min = min
    if (max !== undefined) cs.max = max
    const nc = toInt(nulls?.[f.name])
    if (nc !== undefined && nc >= 0n) {
      const n = Number(nc)
      if (tightBounds || n === 0 || n === numRecords) cs.nullCount = n
    }
    if (cs.min !== undefined || cs.max !== undefined || cs.nullCount !== undefined) columns[f.name] = cs
  }
  return { numRecords, tightBounds, columns }
}

/** `numRecords` from a stats string, or null when absent or malformed. */
export function statsNumRecords(stats: string | null | undefined): number | null {
  return parseStats(stats, [])?.numRecords ?? null
}
