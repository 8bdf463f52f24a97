/**
 * JSON text of values (API.md, "Values on the wire"): shared by the JSON and NDJSON
 * encoders. int64 as exact digits, floats shortest round-trip (NaN/±Infinity as strings),
 * decimals/dates/timestamps/times/binary as strings. Pure; runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import { formatBinary, formatDate, formatFloat32, formatTime, formatTimestamp } from './text.js'

function floatJson(x: number): string {
  if (x === x && x !== Infinity && x !== -Infinity) return String(x)
  return x !== x ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"'
}

/** Row index -> JSON text of the value in `col` (null rows give "null"). */
export function jsonValueWriter(col: Column): (i: number) => string {
  const nulls = col.nulls
  const f = rawWriter(col)
  return nulls ? (i) => (nulls[i] ? 'null' : f(i)) : f
}

function rawWriter(col: Column): (i: number) => string {
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': { const a = v as string[]; return (i) => JSON.stringify(a[i]!) }
    case 'decimal': { const a = v as string[]; return (i) => '"' + a[i] + '"' }
    case 'int16': case 'int32': { const a = v as Int32Array; return (i) => '' + a[i] }
    case 'int64': { const a = v as BigInt64Array; return (i) => a[i]!.toString() }
    case 'float64': { const a = v as Float64Array; return (i) => floatJson(a[i]!) }
    case 'float32': {
      const a = v as Float64Array
      return (i) => { const x = a[i]!; return x === x && x !== Infinity && x !== -Infinity ? formatFloat32(x) : floatJson(x) }
    }
    case 'boolean': { const a = v as Uint8Array; return (i) => (a[i] ? 'true' : 'false') }
    case 'date': { const a = v as Int32Array; return (i) => '"' + formatDate(a[i]!) + '"' }
    case 'timestamp': { const a = v as BigInt64Array; return (i) => '"' + formatTimestamp(a[i]!) + '"' }
    case 'time': { const a = v as BigInt64Array; return (i) => '"' + formatTime(a[i]!) + '"' }
    case 'binary': { const a = v as Uint8Array[]; return (i) => '"' + formatBinary(a[i]!) + '"' }
  }
}

/** `[{"name","type","masked"},...]` of the output columns. */
export function columnsJson(columns: ColumnMeta[]): string {
  return JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type, masked: c.masked })))
}

/**
 * JSON objects of the rows of `batch`, keyed by column name, each preceded by `before` and
 * followed by `after` (e.g. "," and "" for a JSON array, "" and "\n" for NDJSON).
 */
export function rowObjects(batch: Batch, columns: ColumnMeta[], first: string, before: string, after: string): string {
  const n = batch.length
  if (n === 0) return ''
  const keys = columns.map((c, k) => (k === 0 ? '{' : ',') + JSON.stringify(c.name) + ':')
  const writers = batch.columns.map(jsonValueWriter)
  const m = writers.length
  let s = ''
  for (let i = 0; i < n; i++) {
    let row = i === 0 ? first : before
    for (let k = 0; k < m; k++) row += keys[k]! + writers[k]!(i)
    s += (m === 0 ? row + '{}' : row + '}') + after
  }
  return s
}
