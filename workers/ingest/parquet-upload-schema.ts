/**
 * Each top-level column of an uploaded Parquet file: the logical type our scan path reads it
 * as (logicalOf from workers/parquet-footer.ts, over the Arrow schema parquet-wasm derives, so
 * there is one mapping), and whether its Parquet encoding is the canonical one for a logical
 * type — what our own writer produces and what other Delta readers expect for that Delta
 * type — so that the file can become a table data file without a rewrite. Pure.
 */
import { Type, type Field as ArrowField, type Timestamp } from 'apache-arrow'
import { invalidFile } from '../../proto/errors.js'
import type { Field, LogicalType } from '../../proto/types.js'
import { logicalOf } from '../parquet-footer.js'
import { CT, LT, PT, REPEATED, type FileColumn } from './parquet-upload-footer.js'

export interface ColumnShape {
  /** the name in the file */
  fileName: string
  /** the logical type our reader produces for the column as it is */
  natural: Pick<Field, 'type' | 'precision' | 'scale'>
  /** the Parquet type as text, for messages: `INT64 TIMESTAMP(MILLIS, UTC)` */
  parquetType: string
  file: FileColumn
  /** a note for the user about how values are taken (local timestamps, nanoseconds) */
  warning?: string
}

const PHYSICAL = ['BOOLEAN', 'INT32', 'INT64', 'INT96', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY']
const UNITS: Record<number, string> = { 1: 'MILLIS', 2: 'MICROS', 3: 'NANOS' }

function logicalKind(c: FileColumn): number | undefined {
  return c.logical ? [...c.logical.keys()][0] : undefined
}

function member(c: FileColumn, kind: number): Map<number, unknown> | undefined {
  const m = c.logical?.get(kind)
  return m instanceof Map ? (m as Map<number, unknown>) : undefined
}

/** TIME / TIMESTAMP unit (1 ms, 2 µs, 3 ns) and UTC flag, from the logical type or the converted one. */
export function temporalOf(c: FileColumn): { unit: number; utc: boolean } | null {
  const lt = member(c, LT.TIMESTAMP) ?? member(c, LT.TIME)
  if (lt) {
    const unit = lt.get(2) instanceof Map ? [...(lt.get(2) as Map<number, unknown>).keys()][0]! : 0
    return { unit, utc: lt.get(1) === true }
  }
  // converted types predate the flag: they are UTC-normalized by definition
  if (c.convertedType === CT.TIMESTAMP_MILLIS || c.convertedType === CT.TIME_MILLIS) return { unit: 1, utc: true }
  if (c.convertedType === CT.TIMESTAMP_MICROS || c.convertedType === CT.TIME_MICROS) return { unit: 2, utc: true }
  return null
}

/** The integer annotation: bit width and signedness (none: a plain INT32/INT64). */
function integerOf(c: FileColumn): { bits: number; signed: boolean } | null {
  const lt = member(c, LT.INTEGER)
  if (lt) return { bits: Number(lt.get(1)), signed: lt.get(2) === true }
  const ct = c.convertedType
  if (ct !== undefined && ct >= CT.UINT_8 && ct <= CT.INT_64) {
    const k = ct - CT.UINT_8
    return { bits: 8 << (k % 4), signed: k >= 4 }
  }
  return null
}

function describe(c: FileColumn): string {
  if (c.physical === undefined) {
    const k = logicalKind(c)
    const kind = k === LT.LIST || c.convertedType === CT.LIST ? 'LIST' : k === LT.MAP || c.convertedType === CT.MAP || c.convertedType === 1 ? 'MAP' : 'STRUCT'
    return `${kind} (nested)`
  }
  let s = PHYSICAL[c.physical] ?? `type ${c.physical}`
  if (c.physical === PT.FIXED_LEN_BYTE_ARRAY) s += `(${c.typeLength ?? '?'})`
  const k = logicalKind(c)
  const t = temporalOf(c)
  if (t && (k === LT.TIMESTAMP || k === LT.TIME || c.convertedType !== undefined)) {
    const name = k === LT.TIME || c.convertedType === CT.TIME_MILLIS || c.convertedType === CT.TIME_MICROS ? 'TIME' : 'TIMESTAMP'
    return `${s} ${name}(${UNITS[t.unit] ?? '?'}, ${t.utc ? 'UTC' : 'local'})`
  }
  const int = integerOf(c)
  if (int) return `${s} ${int.signed ? 'INT' : 'UINT'}(${int.bits})`
  if (k === LT.DECIMAL || c.convertedType === CT.DECIMAL) return `${s} DECIMAL(${c.precision ?? '?'},${c.scale ?? 0})`
  const names: Record<number, string> = { 1: 'STRING', 4: 'ENUM', 6: 'DATE', 11: 'UNKNOWN', 12: 'JSON', 13: 'BSON', 14: 'UUID', 15: 'FLOAT16', 16: 'VARIANT', 17: 'GEOMETRY', 18: 'GEOGRAPHY' }
  if (k !== undefined && names[k]) return `${s} ${names[k]}`
  if (c.convertedType === CT.INTERVAL) return `${s} INTERVAL`
  if (c.convertedType === CT.UTF8) return `${s} UTF8`
  if (c.convertedType === CT.JSON) return `${s} JSON`
  return s
}

const unsupported = (c: FileColumn, why: string) =>
  invalidFile(`column "${c.name}": Parquet type ${describe(c)} is not supported (${why})`)

/**
 * The shapes of the file's columns. `arrow` is parquet-wasm's Arrow schema of the same file
 * (same top-level order). Throws 422 invalid_file naming the first column we cannot read.
 */
export function columnShapes(columns: FileColumn[], arrow: ArrowField[]): ColumnShape[] {
  if (columns.length === 0) throw invalidFile('the Parquet file has no columns')
  return columns.map((c, i) => {
    const a = arrow[i]
    if (!a || a.name !== c.name) throw invalidFile(`column "${c.name}": the Parquet schema could not be read`)
    // nested data would need a JSON encoding of lists, structs and maps: not done, refused clearly
    if (c.physical === undefined || c.numChildren > 0) throw unsupported(c, 'nested columns cannot be uploaded; flatten them first')
    if (c.repetition === REPEATED) throw unsupported(c, 'repeated columns cannot be uploaded')
    const k = logicalKind(c)
    if (c.convertedType === CT.INTERVAL) throw unsupported(c, 'intervals have no Sluice type')
    if (k === LT.VARIANT || k === LT.GEOMETRY || k === LT.GEOGRAPHY) throw unsupported(c, 'no Sluice type')
    const mapped = logicalOf(a.type)
    if (!mapped) throw unsupported(c, `Arrow type ${String(a.type)}`)
    let natural = mapped
    // JSON text is a logical type of ours; a JSON-annotated column reads as its text
    if ((k === LT.JSON || c.convertedType === CT.JSON) && mapped.type === 'string') natural = { type: 'json' }
    const shape: ColumnShape = { fileName: c.name, natural, parquetType: describe(c), file: c }
    const t = temporalOf(c)
    if (mapped.type === 'timestamp') {
      const zone = a.type.typeId === Type.Timestamp ? (a.type as Timestamp).timezone : null
      if (c.physical === PT.INT96) shape.warning = `column "${c.name}": INT96 timestamps are read as UTC instants`
      else if (t && !t.utc && !zone) shape.warning = `column "${c.name}": local timestamps (without time zone) are stored as UTC with the same wall-clock time`
      else if (t?.unit === 3) shape.warning = `column "${c.name}": nanosecond timestamps are stored with microsecond precision (rounded down)`
    }
    return shape
  })
}

/**
 * Whether the column, as it is in the file, is the canonical Parquet encoding of `target`:
 * then a table of that type can use the file without rewriting this column. Returns the
 * reason when not.
 */
export function notCanonicalFor(s: ColumnShape, target: Pick<Field, 'type' | 'precision' | 'scale'>): string | null {
  const c = s.file
  const no = `${s.parquetType} is not the canonical Parquet type of ${target.type}`
  const sameNatural = s.natural.type === target.type || (s.natural.type === 'string' && target.type === 'json') || (s.natural.type === 'json' && target.type === 'string')
  if (!sameNatural) return `${s.natural.type} is read as ${target.type}`
  const k = logicalKind(c)
  const int = integerOf(c)
  const t = temporalOf(c)
  const plain = k === undefined && c.convertedType === undefined
  const ok = ((): boolean => {
    switch (target.type as LogicalType) {
      case 'string': case 'json':
        return c.physical === PT.BYTE_ARRAY && (k === LT.STRING || k === LT.ENUM || k === LT.JSON || c.convertedType === CT.UTF8 || c.convertedType === CT.ENUM || c.convertedType === CT.JSON)
      case 'binary': return c.physical === PT.BYTE_ARRAY && (plain || k === LT.BSON || c.convertedType === CT.BSON)
      case 'boolean': return c.physical === PT.BOOLEAN && plain
      case 'int16': return c.physical === PT.INT32 && int?.bits === 16 && int.signed
      case 'int32': return c.physical === PT.INT32 && (plain || (int?.bits === 32 && int.signed))
      case 'int64': return c.physical === PT.INT64 && (plain || (int?.bits === 64 && int.signed))
      case 'float32': return c.physical === PT.FLOAT && plain
      case 'float64': return c.physical === PT.DOUBLE && plain
      case 'date': return c.physical === PT.INT32 && (k === LT.DATE || c.convertedType === CT.DATE)
      case 'timestamp': return c.physical === PT.INT64 && t !== null && t.unit === 2 && t.utc && k !== LT.TIME
      case 'time': return c.physical === PT.INT64 && t !== null && t.unit === 2 && (k === LT.TIME || c.convertedType === CT.TIME_MICROS)
      case 'decimal':
        return (k === LT.DECIMAL || c.convertedType === CT.DECIMAL) && s.natural.precision === target.precision && s.natural.scale === target.scale
          && (c.physical === PT.INT32 || c.physical === PT.INT64 || c.physical === PT.FIXED_LEN_BYTE_ARRAY || c.physical === PT.BYTE_ARRAY)
    }
  })()
  return ok ? null : no
}
