/**
 * The footer of an uploaded Parquet file, decoded with our own Thrift reader
 * (parquet-upload-thrift.ts): the top-level columns with their Parquet physical and logical
 * types, and per row group the size and each column chunk's statistics. parquet-wasm gives
 * neither, and both decide whether the file can become a table data file as it is.
 * Runs in worker threads. A file that is not (complete) Parquet is 422 invalid_file.
 */
import { open } from 'node:fs/promises'
import { invalidFile } from '../../proto/errors.js'
import { CompactReader, ThriftError, type ThriftStruct } from './parquet-upload-thrift.js'

/** Parquet physical types (parquet.thrift `Type`). */
export const PT = { BOOLEAN: 0, INT32: 1, INT64: 2, INT96: 3, FLOAT: 4, DOUBLE: 5, BYTE_ARRAY: 6, FIXED_LEN_BYTE_ARRAY: 7 } as const
/** Parquet converted types used here (parquet.thrift `ConvertedType`). */
export const CT = {
  UTF8: 0, MAP: 1, LIST: 3, ENUM: 4, DECIMAL: 5, DATE: 6, TIME_MILLIS: 7, TIME_MICROS: 8, TIMESTAMP_MILLIS: 9,
  TIMESTAMP_MICROS: 10, UINT_8: 11, UINT_16: 12, UINT_32: 13, UINT_64: 14, INT_8: 15, INT_16: 16, INT_32: 17,
  INT_64: 18, JSON: 19, BSON: 20, INTERVAL: 21,
} as const
/** Member ids of the `LogicalType` union. */
export const LT = {
  STRING: 1, MAP: 2, LIST: 3, ENUM: 4, DECIMAL: 5, DATE: 6, TIME: 7, TIMESTAMP: 8, INTEGER: 10, UNKNOWN: 11,
  JSON: 12, BSON: 13, UUID: 14, FLOAT16: 15, VARIANT: 16, GEOMETRY: 17, GEOGRAPHY: 18,
} as const
export const REPEATED = 2

/** One top-level column of the file schema. */
export interface FileColumn {
  name: string
  /** physical type; undefined for a group (struct, list, map) */
  physical?: number
  typeLength?: number
  /** 0 required, 1 optional, 2 repeated */
  repetition: number
  numChildren: number
  convertedType?: number
  scale?: number
  precision?: number
  /** the LogicalType union: one entry, member id → its struct */
  logical?: ThriftStruct
}

export interface ChunkStats {
  nullCount?: bigint
  /** min_value / max_value (ordered by the column's logical type) */
  min?: Uint8Array
  max?: Uint8Array
  /** the deprecated min / max (signed order; trusted only for signed numeric columns) */
  legacyMin?: Uint8Array
  legacyMax?: Uint8Array
}

export interface RowGroupInfo {
  numRows: number
  compressedSize: number
  /** statistics of the top-level primitive columns, by column name (null: none written) */
  stats: Map<string, ChunkStats | null>
}

export interface UploadFooter {
  numRows: number
  columns: FileColumn[]
  rowGroups: RowGroupInfo[]
  /** column_orders present (TYPE_ORDER): min_value/max_value of strings are byte-ordered */
  typeDefinedOrder: boolean
  /** the compression codec of every column chunk when they all share one, else null */
  codec: number | null
  createdBy: string | null
}

const MAX_FOOTER_BYTES = 64 * 1024 * 1024
const MAGIC = 'PAR1'
const utf8 = new TextDecoder('utf-8')

/** Read and decode the footer of `path`. Throws 422 invalid_file for anything that is not complete, readable Parquet. */
export async function readUploadFooter(path: string): Promise<UploadFooter> {
  const fh = await open(path, 'r')
  try {
    const size = (await fh.stat()).size
    if (size < 12) throw invalidFile('the file is not Parquet (too short for a Parquet file)')
    const head = Buffer.alloc(4)
    const tail = Buffer.alloc(8)
    await fh.read(head, 0, 4, 0)
    await fh.read(tail, 0, 8, size - 8)
    const tailMagic = tail.toString('latin1', 4)
    if (head.toString('latin1') !== MAGIC) throw invalidFile('the file is not Parquet (no PAR1 magic at its start)')
    if (tailMagic === 'PARE') throw invalidFile('encrypted Parquet files are not supported')
    if (tailMagic !== MAGIC) throw invalidFile('the Parquet file is truncated (no footer at its end)')
    const len = tail.readUInt32LE(0)
    if (len === 0 || len > size - 12 || len > MAX_FOOTER_BYTES) throw invalidFile('the Parquet file is truncated or its footer is corrupt')
    const buf = Buffer.alloc(len)
    await fh.read(buf, 0, len, size - 8 - len)
    let meta: ThriftStruct
    try {
      meta = new CompactReader(buf).struct()
    } catch (err) {
      if (err instanceof ThriftError) throw invalidFile(`the Parquet footer is corrupt (${err.message})`)
      throw err
    }
    return decode(meta, size - 8 - len)
  } finally {
    await fh.close()
  }
}

const corrupt = (what: string) => invalidFile(`the Parquet footer is corrupt (${what})`)

function num(v: unknown, what: string): number {
  if (typeof v === 'number') return v
  if (typeof v === 'bigint' && v >= 0n && v <= BigInt(Number.MAX_SAFE_INTEGER)) return Number(v)
  throw corrupt(what)
}

function list(v: unknown, what: string): unknown[] {
  if (!Array.isArray(v)) throw corrupt(what)
  return v
}

function struct(v: unknown, what: string): ThriftStruct {
  if (!(v instanceof Map)) throw corrupt(what)
  return v as ThriftStruct
}

function text(v: unknown, what: string): string {
  if (!(v instanceof Uint8Array)) throw corrupt(what)
  return utf8.decode(v)
}

function optNum(v: unknown): number | undefined {
  return typeof v === 'number' ? v : undefined
}

function decode(meta: ThriftStruct, dataEnd: number): UploadFooter {
  if (meta.has(8)) throw invalidFile('encrypted Parquet files are not supported')
  const schema = list(meta.get(2), 'schema').map((e) => struct(e, 'schema element'))
  if (schema.length === 0) throw corrupt('empty schema')
  const columns: FileColumn[] = []
  // schema: the root, then every node depth-first; skip each top-level column's subtree
  let i = 1
  const rootChildren = num(schema[0]!.get(5) ?? 0, 'root')
  for (let c = 0; c < rootChildren; c++) {
    const e = schema[i]
    if (!e) throw corrupt('schema shorter than announced')
    columns.push(column(e))
    i = skipSubtree(schema, i)
  }
  if (i !== schema.length) throw corrupt('schema longer than announced')
  const names = new Set(columns.filter((c) => c.physical !== undefined).map((c) => c.name))

  const rowGroups: RowGroupInfo[] = []
  let codec: number | null | undefined
  let sum = 0
  for (const rgv of list(meta.get(4) ?? [], 'row groups')) {
    const rg = struct(rgv, 'row group')
    const numRows = num(rg.get(3), 'row group num_rows')
    const stats = new Map<string, ChunkStats | null>()
    let compressedSize = 0
    for (const ccv of list(rg.get(1), 'column chunks')) {
      const cc = struct(ccv, 'column chunk')
      if (cc.has(1)) throw invalidFile('Parquet files whose column data is in other files are not supported')
      const md = struct(cc.get(3), 'column metadata')
      const chunkBytes = num(md.get(7), 'total_compressed_size')
      compressedSize += chunkBytes
      // parquet-wasm aborts the whole process (wasm `unreachable`) on reads past the end of
      // the file: every chunk must lie between the magic and the footer
      const dataAt = num(md.get(9), 'data_page_offset')
      const dictAt = md.has(11) ? num(md.get(11), 'dictionary_page_offset') : 0 // some writers put 0 for "none"
      const start = dictAt > 0 ? Math.min(dataAt, dictAt) : dataAt
      if (start < 4 || start + chunkBytes > dataEnd) throw invalidFile('the Parquet file is truncated or corrupt (column data outside the file)')
      const c = num(md.get(4), 'codec')
      codec = codec === undefined ? c : codec === c ? codec : null
      const path = list(md.get(3), 'path_in_schema').map((p) => text(p, 'path'))
      if (path.length === 1 && names.has(path[0]!)) stats.set(path[0]!, md.has(12) ? chunkStats(struct(md.get(12), 'statistics')) : null)
    }
    sum += numRows
    rowGroups.push({ numRows, compressedSize, stats })
  }
  const numRows = num(meta.get(3), 'num_rows')
  if (numRows !== sum) throw corrupt('num_rows differs from the sum of its row groups')
  const createdBy = meta.get(6) instanceof Uint8Array ? utf8.decode(meta.get(6) as Uint8Array) : null
  return { numRows, columns, rowGroups, typeDefinedOrder: Array.isArray(meta.get(7)), codec: codec ?? null, createdBy }
}

function column(e: ThriftStruct): FileColumn {
  const logical = e.get(10)
  return {
    name: text(e.get(4), 'column name'),
    physical: optNum(e.get(1)),
    typeLength: optNum(e.get(2)),
    repetition: optNum(e.get(3)) ?? 1,
    numChildren: optNum(e.get(5)) ?? 0,
    convertedType: optNum(e.get(6)),
    scale: optNum(e.get(7)),
    precision: optNum(e.get(8)),
    logical: logical instanceof Map ? (logical as ThriftStruct) : undefined,
  }
}

/** Index just past the subtree rooted at schema[i]. */
function skipSubtree(schema: ThriftStruct[], i: number): number {
  let pending = 1
  while (pending > 0) {
    const e = schema[i]
    if (!e) throw corrupt('schema shorter than announced')
    pending += num(e.get(5) ?? 0, 'num_children') - 1
    i++
  }
  return i
}

function chunkStats(s: ThriftStruct): ChunkStats {
  const bytes = (id: number) => (s.get(id) instanceof Uint8Array ? (s.get(id) as Uint8Array) : undefined)
  const nc = s.get(3)
  return {
    nullCount: typeof nc === 'bigint' ? nc : undefined,
    max: bytes(5), min: bytes(6), legacyMax: bytes(1), legacyMin: bytes(2),
  }
}
