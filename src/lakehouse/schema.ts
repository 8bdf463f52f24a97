/**
 * Spark `schemaString` (PROTOCOL.md "Schema Serialization Format") <-> Sluice `Field[]`.
 *
 * Delta -> logical: string, long→int64, integer→int32, short→int16, byte→int16,
 * float→float32, double→float64, boolean, binary, date, timestamp, decimal(p,s).
 * timestamp_ntz, struct, array, map, variant, ... are unsupported: a reader asking for the
 * schema gets `422 unsupported_table` naming the column. `void` columns are dropped, as the
 * protocol recommends.
 *
 * Logical -> Delta (tables Sluice writes): the reverse, plus two types Delta lacks, kept in
 * column metadata so other engines still read something sensible:
 * `json` → string with metadata {"sluice.type":"json"}, `time` → long (µs since midnight)
 * with metadata {"sluice.type":"time"}.
 *
 * Pure; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { Field, LogicalType } from '../../proto/types.js'

export type DeltaType = string | DeltaStructType | DeltaArrayType | DeltaMapType

export interface DeltaStructField {
  name: string
  type: DeltaType
  nullable: boolean
  metadata: Record<string, unknown>
}
export interface DeltaStructType { type: 'struct'; fields: DeltaStructField[] }
export interface DeltaArrayType { type: 'array'; elementType: DeltaType; containsNull: boolean }
export interface DeltaMapType { type: 'map'; keyType: DeltaType; valueType: DeltaType; valueContainsNull: boolean }

/** A column the reader cannot serve, with its Delta type written out. */
export interface UnsupportedColumn { name: string; type: string }

export const SLUICE_TYPE_KEY = 'sluice.type'

const invalidSchema = (msg: string) =>
  new SluiceError(422, 'unsupported_table', `invalid Delta schemaString: ${msg}`)

function parseType(t: unknown, where: string): DeltaType {
  if (typeof t === 'string') return t
  if (typeof t !== 'object' || t === null) throw invalidSchema(`bad type at ${where}`)
  const o = t as Record<string, unknown>
  switch (o.type) {
    case 'struct':
      return parseStruct(o, where)
    case 'array':
      return { type: 'array', elementType: parseType(o.elementType, `${where}.element`), containsNull: o.containsNull !== false }
    case 'map':
      return {
        type: 'map',
        keyType: parseType(o.keyType, `${where}.key`),
        valueType: parseType(o.valueType, `${where}.value`),
        valueContainsNull: o.valueContainsNull !== false,
      }
    default:
      throw invalidSchema(`unknown type at ${where}`)
  }
}

function parseStruct(o: Record<string, unknown>, where: string): DeltaStructType {
  if (!Array.isArray(o.fields)) throw invalidSchema(`struct without fields at ${where}`)
  const fields = o.fields.map((f: unknown, i: number): DeltaStructField => {
    if (typeof f !== 'object' || f === null) throw invalidSchema(`bad field ${i} at ${where}`)
    const fo = f as Record<string, unknown>
    if (typeof fo.name !== 'string') throw invalidSchema(`field ${i} at ${where} has no name`)
    return {
      name: fo.name,
      type: parseType(fo.type, where === '' ? fo.name : `${where}.${fo.name}`),
      nullable: fo.nullable !== false,
      metadata: typeof fo.metadata === 'object' && fo.metadata !== null ? (fo.metadata as Record<string, unknown>) : {},
    }
  })
  return { type: 'struct', fields }
}

/** Parses `metaData.schemaString`. Throws `422 unsupported_table` when it is not a struct. */
export function parseSchemaString(schemaString: string): DeltaStructType {
  let o: unknown
  try {
    o = JSON.parse(schemaString)
  } catch {
    throw invalidSchema('not JSON')
  }
  if (typeof o !== 'object' || o === null || (o as Record<string, unknown>).type !== 'struct') {
    throw invalidSchema('the top level is not a struct')
  }
  return parseStruct(o as Record<string, unknown>, '')
}

/** The Delta type as Spark's `simpleString` would print it: `struct<a:int>`, `decimal(5,2)`. */
export function deltaTypeName(t: DeltaType): string {
  if (typeof t === 'string') return t
  switch (t.type) {
    case 'struct': return `struct<${t.fields.map((f) => `${f.name}:${deltaTypeName(f.type)}`).join(',')}>`
    case 'array': return `array<${deltaTypeName(t.elementType)}>`
    case 'map': return `map<${deltaTypeName(t.keyType)},${deltaTypeName(t.valueType)}>`
  }
}

const PRIMITIVES: Record<string, LogicalType> = {
  string: 'string',
  long: 'int64',
  integer: 'int32',
  short: 'int16',
  byte: 'int16',
  float: 'float32',
  double: 'float64',
  boolean: 'boolean',
  binary: 'binary',
  date: 'date',
  timestamp: 'timestamp',
}

const DECIMAL_RE = /^decimal\(\s*(\d+)\s*,\s*(-?\d+)\s*\)$/

/** Maps one Delta column to a logical Field, or null when Sluice cannot read that type. */
export function deltaFieldToField(f: DeltaStructField): Field | null {
  if (typeof f.type !== 'string') return null
  const t = f.type
  const tag = f.metadata[SLUICE_TYPE_KEY]
  if (tag === 'json' && t === 'string') return { name: f.name, type: 'json', nullable: f.nullable }
  if (tag === 'time' && t === 'long') return { name: f.name, type: 'time', nullable: f.nullable }
  const prim = PRIMITIVES[t]
  if (prim) return { name: f.name, type: prim, nullable: f.nullable }
  if (t === 'decimal') return { name: f.name, type: 'decimal', nullable: f.nullable, precision: 10, scale: 0 }
  const m = DECIMAL_RE.exec(t)
  if (m) {
    const precision = Number(m[1])
    const scale = Number(m[2])
    if (precision < 1 || precision > 38 || scale < 0 || scale > precision) return null
    return { name: f.name, type: 'decimal', nullable: f.nullable, precision, scale }
  }
  return null
}

/**
 * Splits a Delta schema into the logical fields Sluice serves and the columns it cannot
 * (timestamp_ntz, struct, array, map, variant, ...); `void` columns are left out of both.
 * Never throws.
 */
export function toFields(schema: DeltaStructType): { fields: Field[]; unsupported: UnsupportedColumn[] } {
  const fields: Field[] = []
  const unsupported: UnsupportedColumn[] = []
  for (const f of schema.fields) {
    if (f.type === 'void') continue // the protocol recommends dropping void columns on reads
    const lf = deltaFieldToField(f)
    if (lf) fields.push(lf)
    else unsupported.push({ name: f.name, type: deltaTypeName(f.type) })
  }
  return { fields, unsupported }
}

/** The error a reader gets for columns it cannot serve: `422 unsupported_table`. */
export function unsupportedColumnsError(cols: UnsupportedColumn[]): SluiceError {
  const list = cols.map((c) => `"${c.name}" (${c.type})`).join(', ')
  return new SluiceError(
    422,
    'unsupported_table',
    `the table has column${cols.length > 1 ? 's' : ''} of a type Sluice cannot read: ${list}`,
    { columns: cols },
  )
}

/** Parses schemaString and returns its fields; throws `422 unsupported_table` naming any unsupported column. */
export function schemaStringToFields(schemaString: string): Field[] {
  const { fields, unsupported } = toFields(parseSchemaString(schemaString))
  if (unsupported.length > 0) throw unsupportedColumnsError(unsupported)
  return fields
}

function fieldToDelta(f: Field): DeltaStructField {
  let type: string
  const metadata: Record<string, unknown> = {}
  switch (f.type) {
    case 'string': type = 'string'; break
    case 'int16': type = 'short'; break
    case 'int32': type = 'integer'; break
    case 'int64': type = 'long'; break
    case 'float32': type = 'float'; break
    case 'float64': type = 'double'; break
    case 'boolean': type = 'boolean'; break
    case 'binary': type = 'binary'; break
    case 'date': type = 'date'; break
    case 'timestamp': type = 'timestamp'; break
    case 'decimal': {
      const p = f.precision ?? 38
      const s = f.scale ?? 0
      if (!Number.isInteger(p) || !Number.isInteger(s) || p < 1 || p > 38 || s < 0 || s > p) {
        throw new SluiceError(422, 'schema_mismatch', `column "${f.name}": decimal(${p},${s}) is not a valid Delta decimal`)
      }
      type = `decimal(${p},${s})`
      break
    }
    case 'json': type = 'string'; metadata[SLUICE_TYPE_KEY] = 'json'; break
    case 'time': type = 'long'; metadata[SLUICE_TYPE_KEY] = 'time'; break
  }
  return { name: f.name, type, nullable: f.nullable, metadata }
}

/**
 * The Spark schemaString for a table Sluice writes. Throws `422 schema_mismatch` for an
 * invalid decimal or for column names that collide ignoring case (Delta requires unique names
 * regardless of casing).
 */
export function fieldsToSchemaString(fields: Field[]): string {
  const seen = new Set<string>()
  for (const f of fields) {
    const k = f.name.toLowerCase()
    if (seen.has(k)) throw new SluiceError(422, 'schema_mismatch', `duplicate column name "${f.name}" (Delta column names are case-insensitive)`)
    seen.add(k)
  }
  return JSON.stringify({ type: 'struct', fields: fields.map(fieldToDelta) })
}
