/**
 * Batch -> Arrow RecordBatch, building Arrow Data buffers directly with `makeData`.
 * (`vectorFromArray(strings, new Utf8())` is ~15x slower, see STACK.md.)
 * Pure; runs in worker threads (and anywhere else).
 */
import {
  Binary, Bool, DataType, DateDay, Decimal, Field, Float32, Float64, Int16, Int32, Int64, RecordBatch, Schema,
  Struct, TimeMicrosecond, TimestampMicrosecond, Utf8, makeData, type Data,
} from 'apache-arrow'
import { isUtf8Values, type WriteBatch, type WriteColumn } from '../../proto/batch.js'
import type { ColumnMeta, LogicalType } from '../../proto/types.js'
import { writeDecimalWords } from './decimal.js'

/** The Arrow type a logical type is written as (API.md, "Values on the wire"). */
export function arrowTypeFor(type: LogicalType, precision?: number, scale?: number): DataType {
  switch (type) {
    case 'string': case 'json': return new Utf8()
    case 'int16': return new Int16()
    case 'int32': return new Int32()
    case 'int64': return new Int64()
    case 'float32': return new Float32()
    case 'float64': return new Float64()
    case 'boolean': return new Bool()
    case 'date': return new DateDay()
    case 'timestamp': return new TimestampMicrosecond('UTC')
    case 'time': return new TimeMicrosecond()
    case 'decimal': return new Decimal(scale ?? 0, precision ?? 38, 128)
    case 'binary': return new Binary()
  }
}

function fieldMetadata(m: ColumnMeta): Map<string, string> {
  return new Map([['sluice.type', m.type], ['sluice.masked', m.masked ? 'true' : 'false']])
}

/**
 * The Arrow schema for output columns: every field nullable (a stream of batches must share
 * one schema, and a Batch does not say whether later batches have nulls), with `sluice.type`
 * and `sluice.masked` field metadata.
 */
export function arrowSchemaFor(meta: ColumnMeta[]): Schema {
  return new Schema(meta.map((m) => new Field(m.name, arrowTypeFor(m.logical, m.precision, m.scale), true, fieldMetadata(m))))
}

/**
 * Convert a Batch to an Arrow RecordBatch. Fields are nullable; with `meta` (same order as
 * `batch.columns`), each field carries `sluice.type` / `sluice.masked` metadata and takes the
 * name, precision and scale from `meta`. Decimals are written as Decimal128 from their exact
 * digit text; throws RangeError for decimal text that is not a number or does not fit.
 */
export function batchToRecordBatch(batch: WriteBatch, meta?: ColumnMeta[]): RecordBatch {
  const fields: Field[] = []
  const children: Data[] = []
  batch.columns.forEach((col, i) => {
    const m = meta?.[i]
    const precision = col.precision ?? m?.precision
    const scale = col.scale ?? m?.scale
    const type = arrowTypeFor(col.type, precision, scale)
    fields.push(new Field(m?.name ?? col.name, type, true, m ? fieldMetadata(m) : null))
    children.push(columnToData(col, batch.length, type))
  })
  return recordBatchOf(new Schema(fields), children, batch.length)
}

/** Assemble a RecordBatch from a schema and one Data per field. */
export function recordBatchOf(schema: Schema, children: Data[], length: number): RecordBatch {
  const data = makeData({ type: new Struct(schema.fields), length, nullCount: 0, children })
  return new RecordBatch(schema, data)
}

/** Validity bitmap (bit set = valid) and null count from a `nulls` byte array. */
export function validityOf(nulls: Uint8Array | null, length: number): { nullBitmap: Uint8Array | undefined; nullCount: number } {
  if (!nulls) return { nullBitmap: undefined, nullCount: 0 }
  const bitmap = new Uint8Array(((length + 63) & ~63) >> 3)
  let nullCount = 0
  for (let i = 0; i < length; i++) {
    if (nulls[i]) nullCount++
    else bitmap[i >> 3]! |= 1 << (i & 7)
  }
  return nullCount === 0 ? { nullBitmap: undefined, nullCount: 0 } : { nullBitmap: bitmap, nullCount }
}

/** Arrow Data for one column (first `length` rows). `type` defaults to arrowTypeFor(col). */
export function columnToData(col: WriteColumn, length: number, type: DataType = arrowTypeFor(col.type, col.precision, col.scale)): Data {
  const { nullBitmap, nullCount } = validityOf(col.nulls, length)
  const base = { length, nullCount, nullBitmap }
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': {
      const { offsets, bytes } = isUtf8Values(v) ? v : encodeUtf8Column(v as string[], col.nulls, length)
      return makeData({ ...base, type: type as Utf8, valueOffsets: offsets, data: bytes })
    }
    case 'binary': {
      const arr = v as Uint8Array[]
      const offsets = new Int32Array(length + 1)
      let total = 0
      for (let i = 0; i < length; i++) {
        if (!col.nulls?.[i]) total += arr[i]!.byteLength
        offsets[i + 1] = total
      }
      const bytes = new Uint8Array(total)
      for (let i = 0; i < length; i++) if (!col.nulls?.[i]) bytes.set(arr[i]!, offsets[i]!)
      return makeData({ ...base, type: type as Binary, valueOffsets: offsets, data: bytes })
    }
    case 'int16': return makeData({ ...base, type: type as Int16, data: new Int16Array((v as Int32Array).subarray(0, length)) })
    case 'int32': return makeData({ ...base, type: type as Int32, data: (v as Int32Array).subarray(0, length) })
    case 'int64': return makeData({ ...base, type: type as Int64, data: (v as BigInt64Array).subarray(0, length) })
    case 'float32': return makeData({ ...base, type: type as Float32, data: new Float32Array((v as Float64Array).subarray(0, length)) })
    case 'float64': return makeData({ ...base, type: type as Float64, data: (v as Float64Array).subarray(0, length) })
    case 'date': return makeData({ ...base, type: type as DateDay, data: (v as Int32Array).subarray(0, length) })
    case 'timestamp': return makeData({ ...base, type: type as TimestampMicrosecond, data: (v as BigInt64Array).subarray(0, length) })
    case 'time': return makeData({ ...base, type: type as TimeMicrosecond, data: (v as BigInt64Array).subarray(0, length) })
    case 'boolean': {
      const src = v as Uint8Array
      const bits = new Uint8Array(((length + 63) & ~63) >> 3)
      for (let i = 0; i < length; i++) if (src[i]) bits[i >> 3]! |= 1 << (i & 7)
      return makeData({ ...base, type: type as Bool, data: bits })
    }
    case 'decimal': {
      const dt = type as Decimal
      const stride = dt.bitWidth / 32
      const words = new Uint32Array(length * stride)
      const texts = v as string[]
      for (let i = 0; i < length; i++) if (!col.nulls?.[i]) writeDecimalWords(words, i, stride, texts[i]!, dt.scale)
      return makeData({ ...base, type: dt, data: words })
    }
  }
}

const encoder = new TextEncoder()

/**
 * UTF-8 offsets + bytes for a string column. One join + one encode for the whole column;
 * when every character is ASCII the offsets are the character offsets. Otherwise each string
 * is measured and written on its own (joining could pair two lone surrogates).
 */
export function encodeUtf8Column(values: string[], nulls: Uint8Array | null, length: number): { offsets: Int32Array; bytes: Uint8Array } {
  let src = values.length === length ? values : values.slice(0, length)
  if (nulls) {
    let copied = false
    for (let i = 0; i < length; i++) {
      if (nulls[i] && src[i] !== '') {
        if (!copied) { src = src.slice(); copied = true }
        src[i] = ''
      }
    }
  }
  const joined = src.join('')
  const offsets = new Int32Array(length + 1)
  if (!/[^\x00-\x7f]/.test(joined)) {
    let pos = 0
    for (let i = 0; i < length; i++) { pos += src[i]!.length; offsets[i + 1] = pos }
    return { offsets, bytes: encoder.encode(joined) }
  }
  // byte lengths counted here; they add up to the joined encoding unless joining paired two
  // lone surrogates across a boundary (then encode string by string)
  let total = 0
  for (let i = 0; i < length; i++) { total += utf8Length(src[i]!); offsets[i + 1] = total }
  const bytes = encoder.encode(joined)
  if (bytes.length === total) return { offsets, bytes }
  const buf = Buffer.allocUnsafeSlow(total)
  for (let i = 0; i < length; i++) buf.write(src[i]!, offsets[i]!, 'utf8')
  return { offsets, bytes: new Uint8Array(buf.buffer, buf.byteOffset, total) }
}

/** UTF-8 byte length of a string as TextEncoder writes it (lone surrogates: 3 bytes). */
export function utf8Length(s: string): number {
  let n = 0
  const len = s.length
  for (let k = 0; k < len; k++) {
    const c = s.charCodeAt(k)
    if (c < 0x80) n += 1
    else if (c < 0x800) n += 2
    else if (c >= 0xd800 && c < 0xdc00 && k + 1 < len && (s.charCodeAt(k + 1) & 0xfc00) === 0xdc00) { n += 4; k++ }
    else n += 3
  }
  return n
}
