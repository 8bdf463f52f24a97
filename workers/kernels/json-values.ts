/**
 * JSON text of values (API.md, "Values on the wire"), written straight into a ByteSink:
 * shared by the JSON and NDJSON encoders. int64 as exact digits, floats shortest round-trip
 * (NaN/±Infinity as strings), decimals/dates/timestamps/times/binary as strings. Strings
 * go through JSON.stringify (lone surrogates come out escaped). Runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import type { ByteSink } from './byte-sink.js'
import { formatBinary, formatFloat32 } from './text.js'

const QUOTE = 34

function nonFinite(out: ByteSink, x: number): void {
  out.ascii(x !== x ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"')
}

/** Row index -> writes the JSON text of the value in `col` (null rows write null). */
export function jsonValueWriter(col: Column, out: ByteSink): (i: number) => void {
  const nulls = col.nulls
  const f = rawWriter(col, out)
  return nulls ? (i) => { if (nulls[i]) out.ascii('null'); else f(i) } : f
}

function rawWriter(col: Column, out: ByteSink): (i: number) => void {
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': { const a = v as string[]; return (i) => out.jsonString(a[i]!) }
    case 'decimal': { const a = v as string[]; return (i) => { out.byte(QUOTE); out.ascii(a[i]!); out.byte(QUOTE) } }
    case 'int16': case 'int32': { const a = v as Int32Array; return (i) => out.int(a[i]!) }
    case 'int64': { const a = v as BigInt64Array; return (i) => out.bigint(a[i]!) }
    case 'float64': {
      const a = v as Float64Array
      return (i) => { const x = a[i]!; if (x - x === 0) out.float(x); else nonFinite(out, x) }
    }
    case 'float32': {
      const a = v as Float64Array
      return (i) => { const x = a[i]!; if (x - x === 0) out.ascii(formatFloat32(x)); else nonFinite(out, x) }
    }
    case 'boolean': { const a = v as Uint8Array; return (i) => out.ascii(a[i] ? 'true' : 'false') }
    case 'date': { const a = v as Int32Array; return (i) => { out.byte(QUOTE); out.date(a[i]!); out.byte(QUOTE) } }
    case 'timestamp': { const a = v as BigInt64Array; return (i) => { out.byte(QUOTE); out.timestamp(a[i]!); out.byte(QUOTE) } }
    case 'time': { const a = v as BigInt64Array; return (i) => { out.byte(QUOTE); out.timeOfDay(Number(a[i]!)); out.byte(QUOTE) } }
    case 'binary': { const a = v as Uint8Array[]; return (i) => { out.byte(QUOTE); out.ascii(formatBinary(a[i]!)); out.byte(QUOTE) } }
  }
}

/** `[{"name","type","masked"},...]` of the output columns. */
export function columnsJson(columns: ColumnMeta[]): string {
  return JSON.stringify(columns.map((c) => ({ name: c.name, type: c.type, masked: c.masked })))
}

/**
 * Writes the rows of `batch` as JSON objects keyed by column name: `first` before the
 * first row, `before` before every later one, `after` after each (e.g. "", ",", "" for a
 * JSON array; "", "", "\n" for NDJSON).
 */
export function writeRowObjects(out: ByteSink, batch: Batch, columns: ColumnMeta[], first: string, before: string, after: string): void {
  const n = batch.length
  if (n === 0) return
  // keys may hold any character: keep them as UTF-8 bytes, copied per row
  const keys = columns.map((c, k) => Buffer.from((k === 0 ? '{' : ',') + JSON.stringify(c.name) + ':', 'utf8'))
  const writers = batch.columns.map((c) => jsonValueWriter(c, out))
  const m = writers.length
  for (let i = 0; i < n; i++) {
    out.ascii(i === 0 ? first : before)
    if (m === 0) out.byte(123)
    for (let k = 0; k < m; k++) {
      const key = keys[k]!
      const len = key.length
      out.ensure(len)
      // a byte loop beats Buffer#copy for short keys
      const buf = out.buf
      let p = out.pos
      for (let x = 0; x < len; x++) buf[p++] = key[x]!
      out.pos = p
      writers[k]!(i)
    }
    out.byte(125)
    if (after) out.ascii(after)
  }
}
