/**
 * BigQuery REST result cells → Batch columns (proto/batch.ts). Every cell arrives as text in
 * `{"f":[{"v":"..."}]}` (or null; REPEATED as `[{"v":..}]`, RECORD as `{"f":[..]}`), with
 * TIMESTAMP as int64 µs text (`formatOptions.useInt64Timestamp`). Decoding follows the
 * output column's logical type and the cell's wire type (the page's `schema.fields`):
 *
 * - INT64, FLOAT64, NUMERIC/BIGNUMERIC, DATE, TIME have PostgreSQL's text form: decoded by
 *   workers/pg/decode.ts (exact: INT64 as BigInt, decimals as digit text at the column scale).
 * - BOOL `true`/`false`; TIMESTAMP µs → BigInt directly; DATETIME `YYYY-MM-DDTHH:MM:SS[.f]`
 *   read as UTC; BYTES base64.
 * - REPEATED / RECORD → JSON text (`TO_JSON_STRING`-like: numbers stay exact tokens).
 * - GEOGRAPHY (WKT), JSON, INTERVAL, RANGE, STRING: text as is.
 *
 * Errors are SluiceError 422 naming the column, never the value. Pure; any thread.
 */
import type { Batch, Column } from '../../proto/batch.js'
import { SluiceError } from '../../proto/errors.js'
import type { ColumnMeta } from '../../proto/types.js'
import { decodeColumn, type DecodeField } from '../pg/decode.js'
import type { BqFieldSchema, BqRow } from './job.js'

type Cell = { v: unknown }

function mismatch(name: string, what: string): SluiceError {
  return new SluiceError(422, 'schema_mismatch', `column "${name}": a BigQuery value is not a valid ${what}; the source column's type may have changed`)
}

function fromPg(err: unknown): unknown {
  if (err instanceof SluiceError) return new SluiceError(err.status, err.code, err.message.replace(/PostgreSQL/g, 'BigQuery'))
  return err
}

const INT_RE = /^-?\d+$/

/** µs since epoch as `YYYY-MM-DDTHH:MM:SS.ffffffZ` (for JSON text of nested values). */
function isoMicros(us: bigint): string {
  const ms = us / 1000n - (us % 1000n < 0n ? 1n : 0n)
  const sub = ((us % 1_000_000n) + 1_000_000n) % 1_000_000n
  const iso = new Date(Number(ms)).toISOString()
  return `${iso.slice(0, 19)}.${sub.toString().padStart(6, '0')}Z`
}

/** One nested value as JSON text. */
function jsonOf(v: unknown, f: BqFieldSchema, inArray = false): string {
  if (v === null || v === undefined) return 'null'
  if (f.mode === 'REPEATED' && !inArray) {
    const items = Array.isArray(v) ? (v as Cell[]) : []
    return `[${items.map((c) => jsonOf(c?.v, f, true)).join(',')}]`
  }
  switch (f.type) {
    case 'RECORD': case 'STRUCT': {
      const cells = ((v as { f?: Cell[] }).f) ?? []
      const sub = f.fields ?? []
      return `{${sub.map((s, i) => `${JSON.stringify(s.name)}:${jsonOf(cells[i]?.v, s)}`).join(',')}}`
    }
    case 'INTEGER': case 'INT64': case 'NUMERIC': case 'BIGNUMERIC':
      return typeof v === 'string' && /^-?\d+(\.\d+)?$/.test(v) ? v : JSON.stringify(String(v))
    case 'FLOAT': case 'FLOAT64': {
      const n = Number(v)
      return Number.isFinite(n) ? String(v) : JSON.stringify(String(v))
    }
    case 'BOOLEAN': case 'BOOL': return v === 'true' ? 'true' : 'false'
    case 'TIMESTAMP':
      return JSON.stringify(typeof v === 'string' && INT_RE.test(v) ? isoMicros(BigInt(v)) : String(v))
    case 'JSON': return typeof v === 'string' ? v : JSON.stringify(v)
    default: return JSON.stringify(String(v))
  }
}

function nested(f: BqFieldSchema | undefined): boolean {
  return !!f && (f.mode === 'REPEATED' || f.type === 'RECORD' || f.type === 'STRUCT')
}

/**
 * Decode one page. `columns` are the output columns (logical types), `schema` the page's
 * wire fields (same order); `fallback` gives wire types when a page carries no schema.
 */
export function decodePage(columns: readonly ColumnMeta[], schema: readonly BqFieldSchema[], rows: readonly BqRow[]): Batch {
  const n = rows.length
  if (n > 0 && rows[0]!.f.length !== columns.length) {
    throw new SluiceError(422, 'schema_mismatch', 'the query returned a different number of columns than described')
  }
  return { length: n, columns: columns.map((c, k) => decodeBqColumn(c, schema[k], rows, k)) }
}

function decodeBqColumn(c: ColumnMeta, wire: BqFieldSchema | undefined, rows: readonly BqRow[], k: number): Column {
  const n = rows.length
  const raw = new Array<unknown>(n)
  let nulls: Uint8Array | null = null
  for (let i = 0; i < n; i++) {
    const v = rows[i]!.f[k]?.v
    raw[i] = v
    if (v === null || v === undefined) (nulls ??= new Uint8Array(n))[i] = 1
  }
  const wireType = wire?.type ?? ''
  const field: DecodeField = { name: c.name, type: c.logical, precision: c.precision, scale: c.scale }
  const direct = (values: Column['values']): Column => ({ name: c.name, type: c.logical, values, nulls })

  if (nested(wire)) {
    if (c.logical !== 'json' && c.logical !== 'string') throw mismatch(c.name, c.logical)
    const out = new Array<string>(n)
    for (let i = 0; i < n; i++) out[i] = nulls?.[i] ? '' : jsonOf(raw[i], wire!)
    return direct(out)
  }
  const text = (i: number): string | null => {
    const v = raw[i]
    if (v === null || v === undefined) return null
    if (typeof v !== 'string') throw mismatch(c.name, c.logical)
    return v
  }
  switch (c.logical) {
    case 'string': case 'json': {
      const out = new Array<string>(n)
      for (let i = 0; i < n; i++) out[i] = text(i) ?? ''
      return direct(out)
    }
    case 'boolean': {
      const out = new Uint8Array(n)
      for (let i = 0; i < n; i++) {
        const s = text(i)
        if (s === null) continue
        if (s === 'true') out[i] = 1
        else if (s !== 'false') throw mismatch(c.name, 'boolean')
      }
      return direct(out)
    }
    case 'binary': {
      const out = new Array<Uint8Array>(n)
      const empty = new Uint8Array(0)
      for (let i = 0; i < n; i++) {
        const s = text(i)
        out[i] = s === null ? empty : new Uint8Array(Buffer.from(s, 'base64'))
      }
      return direct(out)
    }
    case 'timestamp': {
      if (wireType === 'TIMESTAMP') {
        const out = new BigInt64Array(n)
        for (let i = 0; i < n; i++) {
          const s = text(i)
          if (s === null) continue
          if (!INT_RE.test(s)) throw mismatch(c.name, 'timestamp')
          out[i] = BigInt(s)
        }
        return direct(out)
      }
      // DATETIME (and anything else): `YYYY-MM-DDTHH:MM:SS[.f]`, read as UTC
      const cells = new Array<string | null>(n)
      for (let i = 0; i < n; i++) { const s = text(i); cells[i] = s === null ? null : s.replace('T', ' ') }
      try { return decodeColumn(field, cells, n) } catch (e) { throw fromPg(e) }
    }
    default: {
      const cells = new Array<string | null>(n)
      for (let i = 0; i < n; i++) cells[i] = text(i)
      try { return decodeColumn(field, cells, n) } catch (e) { throw fromPg(e) }
    }
  }
}
