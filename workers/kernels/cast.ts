/**
 * Casting a column to a field's logical type: widening integers, integers and decimals to
 * floats, dates <-> timestamps, rescaling decimals, anything to its canonical text. Used when
 * a file's physical types differ from the dataset schema. Pure; any thread.
 */
import type { Column, ColumnValues } from '../../proto/batch.js'
import { SluiceError } from '../../proto/errors.js'
import type { Field, LogicalType } from '../../proto/types.js'
import { MICROS_PER_DAY_N, floorDivN } from './calendar.js'
import { rescaleDecimal, unscaledToDecimal } from './decimal.js'
import { textGetter } from './text.js'

const INT32_TYPES = new Set<LogicalType>(['int16', 'int32'])
const FLOATS = new Set<LogicalType>(['float32', 'float64'])
const TEXT = new Set<LogicalType>(['string', 'json'])

function mismatch(col: Column, to: Field): SluiceError {
  return new SluiceError(422, 'schema_mismatch', `column "${to.name}": cannot read ${col.type} data as ${to.type}`)
}

/**
 * `col` converted to `field`'s type and named `field.name`. Throws SluiceError 422
 * `schema_mismatch` for a conversion that would lose meaning (e.g. text to a number) or an
 * integer that does not fit the target width.
 */
export function castColumn(col: Column, field: Field): Column {
  const from = col.type
  const to = field.type
  const n = col.values.length
  const out = (values: ColumnValues): Column => {
    const c: Column = { name: field.name, type: to, values, nulls: col.nulls }
    if (to === 'decimal') { c.precision = field.precision ?? 38; c.scale = field.scale ?? 0 }
    return c
  }
  if (from === to) {
    if (to !== 'decimal' || (col.scale ?? 0) === (field.scale ?? 0)) {
      return { ...col, name: field.name, ...(to === 'decimal' ? { precision: field.precision ?? col.precision, scale: field.scale ?? col.scale } : {}) }
    }
    return out(mapText(col, (s) => rescaleDecimal(s, field.scale ?? 0)))
  }
  if (TEXT.has(from) && TEXT.has(to)) return out(col.values)
  // int16 values always fit int32: share them
  if (from === 'int16' && to === 'int32') return out(col.values)
  if (INT32_TYPES.has(from) && INT32_TYPES.has(to)) return out(checkedInt32(col, to, field))
  if (FLOATS.has(from) && FLOATS.has(to)) return out(col.values)
  if (to === 'string' || to === 'json') {
    const get = textGetter(col)
    const a = new Array<string>(n)
    for (let i = 0; i < n; i++) a[i] = get(i) ?? ''
    return out(a)
  }
  if (INT32_TYPES.has(from)) {
    const v = col.values as Int32Array
    if (to === 'int64') return out(BigInt64Array.from(v, (x) => BigInt(x)))
    if (FLOATS.has(to)) return out(Float64Array.from(v))
    if (to === 'decimal') return out(Array.from(v, (x) => unscaledToDecimal(x, 0)).map((s) => rescaleDecimal(s, field.scale ?? 0)))
  }
  if (from === 'int64') {
    const v = col.values as BigInt64Array
    if (INT32_TYPES.has(to)) return out(checkedInt32(col, to, field))
    if (FLOATS.has(to)) return out(Float64Array.from(v, (x) => Number(x)))
    if (to === 'decimal') return out(Array.from(v, (x) => rescaleDecimal(x.toString(), field.scale ?? 0)))
  }
  if (from === 'decimal' && FLOATS.has(to)) return out(Float64Array.from(col.values as string[], (s) => Number(s)))
  if (from === 'date' && to === 'timestamp') {
    const v = col.values as Int32Array
    return out(BigInt64Array.from(v, (d) => BigInt(d) * MICROS_PER_DAY_N))
  }
  if (from === 'timestamp' && to === 'date') {
    const v = col.values as BigInt64Array
    return out(Int32Array.from(v, (us) => Number(floorDivN(us, MICROS_PER_DAY_N))))
  }
  throw mismatch(col, field)
}

function mapText(col: Column, f: (s: string) => string): string[] {
  const v = col.values as string[]
  const a = new Array<string>(v.length)
  for (let i = 0; i < v.length; i++) a[i] = col.nulls?.[i] ? '' : f(v[i]!)
  return a
}

function checkedInt32(col: Column, to: LogicalType, field: Field): Int32Array {
  const lo = to === 'int16' ? -32768 : -2147483648
  const hi = to === 'int16' ? 32767 : 2147483647
  const v = col.values
  const n = v.length
  if (v instanceof Int32Array) {
    // one range pass; the values are shared when they all fit
    const nulls = col.nulls
    for (let i = 0; i < n; i++) {
      const x = v[i]!
      if ((x < lo || x > hi) && !nulls?.[i]) throw new SluiceError(422, 'schema_mismatch', `column "${field.name}": value ${x} does not fit ${to}`)
    }
    if (!nulls) return v
  }
  const a = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    if (col.nulls?.[i]) continue
    const x = Number(v[i])
    if (x < lo || x > hi) throw new SluiceError(422, 'schema_mismatch', `column "${field.name}": value ${String(v[i])} does not fit ${to}`)
    a[i] = x
  }
  return a
}
