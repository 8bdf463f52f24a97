/**
 * Build typed Batch columns (proto/batch.ts) from CSV records, in chunks of a fixed capacity
 * (one chunk = one Parquet row group). Converts text to values by hand; no csv-parse `cast`.
 * Records come as strings (`append`: inference, previews, Excel) or as byte ranges
 * (`appendBytes`: the CSV write pass), where the common spellings are parsed from the bytes
 * (values-bytes.ts), string columns are kept as UTF-8, and any other cell is decoded and
 * converted exactly as `append` would. Pure; any thread.
 */
import type { Batch, Column, WriteBatch, WriteColumn } from '../../proto/batch.js'
import type { CsvColumnType } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import type { ByteRecord } from './csv-bytes.js'
import { RecordError } from './csv-source.js'
import { booleanFast, dateFast, floatFast, intFast, timestampFast } from './values-bytes.js'
import { BOOLEAN, DATE, FLOAT, INT, STRING, TIMESTAMP, booleanValue, dateValue, fitsInferred, floatValue, intKind, strictFloatCell, timestampParts, tsOut } from './values.js'

const K_STRING = 0
const K_INT = 1
const K_FLOAT = 2
const K_BOOLEAN = 3
const K_DATE = 4
const K_TIMESTAMP = 5

const KIND: Record<CsvColumnType, number> = {
  string: K_STRING, int64: K_INT, float64: K_FLOAT, boolean: K_BOOLEAN, date: K_DATE, timestamp: K_TIMESTAMP,
}

/** |seconds| below this: seconds * 1e6 + µs stays below 2^53, exact in a double */
const SAFE_SECONDS = 9_000_000_000
const TWO_POW_32 = 4294967296
/** setInt64 writes the two halves little-endian; elsewhere every value goes through BigInt */
const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1

/** One column being built; every field is always present so that the shape stays monomorphic. */
class ColumnBuffer {
  nulls: Uint8Array
  nullCount = 0
  strings: string[] = []
  i32: Int32Array
  f64: Float64Array
  u8: Uint8Array
  big: BigInt64Array
  /** little-endian 32-bit halves of `big`, to store safe integers without making a BigInt */
  lo: Uint32Array
  hi: Int32Array
  /** UTF-8 string storage (a string column of a builder with `utf8`): value i is bytes[offsets[i], offsets[i + 1]) */
  offsets: Int32Array
  bytes: Uint8Array
  used = 0

  constructor(readonly kind: number, readonly capacity: number, utf8: boolean) {
    this.nulls = new Uint8Array(capacity)
    const text = utf8 && kind === K_STRING
    this.offsets = new Int32Array(text ? capacity + 1 : 0)
    this.bytes = new Uint8Array(text ? capacity * 16 : 0)
    const empty = new ArrayBuffer(0)
    this.i32 = kind === K_DATE ? new Int32Array(capacity) : new Int32Array(empty)
    this.f64 = kind === K_FLOAT ? new Float64Array(capacity) : new Float64Array(empty)
    this.u8 = kind === K_BOOLEAN ? new Uint8Array(capacity) : new Uint8Array(empty)
    this.big = kind === K_INT || kind === K_TIMESTAMP ? new BigInt64Array(capacity) : new BigInt64Array(empty)
    this.lo = new Uint32Array(this.big.buffer)
    this.hi = new Int32Array(this.big.buffer)
  }

  /**
   * Empty again, to back a new chunk, holding what a new buffer holds: zeros (null flags are
   * only ever set, and a null leaves its value untouched). Offsets are all written (offsets[0]
   * stays 0); bytes past `used` are not part of a chunk.
   */
  clear(): void {
    this.nulls.fill(0)
    this.i32.fill(0)
    this.f64.fill(0)
    this.u8.fill(0)
    this.big.fill(0n)
    this.nullCount = 0
    this.strings = []
    this.used = 0
  }

  /** Append b[s, e) as the next UTF-8 value (value i: offsets[i] is where it starts). */
  pushBytes(i: number, b: Uint8Array, s: number, e: number): void {
    const at = this.used
    const end = at + (e - s)
    if (end > this.bytes.length) this.#growBytes(end)
    const dst = this.bytes
    // short values (most cells) byte by byte: a subarray for set() costs more than the copy
    if (e - s <= 64) for (let k = s, w = at; k < e; k++, w++) dst[w] = b[k]!
    else dst.set(b.subarray(s, e), at)
    this.used = end
    this.offsets[i + 1] = end
  }

  /** Append a string as the next UTF-8 value. */
  pushString(i: number, v: string): void {
    const at = this.used
    const max = at + v.length * 3
    if (max > this.bytes.length) this.#growBytes(max)
    this.used = at + Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.bytes.length).write(v, at, 'utf8')
    this.offsets[i + 1] = this.used
  }

  #growBytes(min: number): void {
    const bigger = new Uint8Array(Math.max(min, this.bytes.length * 2))
    bigger.set(this.bytes.subarray(0, this.used))
    this.bytes = bigger
  }

  setInt64(i: number, n: number): void {
    if (!LITTLE_ENDIAN) {
      this.big[i] = BigInt(n)
      return
    }
    const hi = Math.floor(n / TWO_POW_32)
    this.lo[2 * i] = n - hi * TWO_POW_32
    this.hi[2 * i + 1] = hi
  }
}

/**
 * Thrown by a guarded BatchBuilder (see `guard`) for a cell that does not keep the type the
 * layout was inferred with: the layout came from a sample and the whole file must be read.
 */
export class LayoutMismatch extends Error {}

/** The lattice code (values.ts) that each storage kind checks by converting a cell. */
const CODE_OF_KIND = [STRING, INT, -1, BOOLEAN, DATE, TIMESTAMP]

/**
 * Accumulates records into typed columns. `append` throws RecordError when a cell does not
 * convert to its column's type (only possible if the file changed since inference), or
 * LayoutMismatch when guarded.
 */
export class BatchBuilder {
  length = 0
  #cols: ColumnBuffer[] = []
  /** the columns behind each finished batch not yet recycled, and recycled ones to reuse */
  readonly #lent = new WeakMap<WriteBatch, ColumnBuffer[]>()
  #spare: ColumnBuffer[][] = []
  #capacity = 0
  /** guarded: per column, a lattice code every non-null cell must fit (fitsInferred), or -1 */
  #check: Int8Array | null = null
  /** guarded: per column, 1 when int64 cells are read strictly (inference's rules) */
  #strictInt: Uint8Array | null = null
  /** guarded: per column, 1 when float64 cells are read strictly (isStrictFloatCell) */
  #strictFloat: Uint8Array | null = null
  /** cell texts that are null; null: only the empty cell (the default, the fast path) */
  readonly #nulls: ReadonlySet<string> | null
  readonly #comma: boolean
  /** byte of the decimal separator */
  readonly #dec: number
  /** string columns are kept as UTF-8 (finishWrite gives Utf8Values) */
  readonly #utf8: boolean

  /**
   * `text.nullValues`: the cell texts that mean null (default `[""]`); `text.decimalComma`:
   * floats are written `3,5` (values.ts). `utf8`: keep string columns as UTF-8 bytes (for
   * `appendBytes`; such a builder is finished with `finishWrite`).
   */
  constructor(readonly fields: Field[], capacity: number, text: { nullValues?: readonly string[]; decimalComma?: boolean } = {}, utf8 = false) {
    const nv = text.nullValues
    this.#nulls = nv === undefined || (nv.length === 1 && nv[0] === '') ? null : new Set(nv)
    this.#comma = text.decimalComma === true
    this.#dec = this.#comma ? 44 : 46
    this.#utf8 = utf8
    this.reset(capacity)
  }

  /**
   * From now on, every non-null cell of column c must fit lattice code `codes[c]` (-1: no
   * check) exactly as inference would see it (no widening); any other cell throws
   * LayoutMismatch, as does a cell that does not convert.
   */
  guard(codes: ArrayLike<number>): void {
    const n = this.fields.length
    this.#check = new Int8Array(n).fill(-1)
    this.#strictInt = new Uint8Array(n)
    this.#strictFloat = new Uint8Array(n)
    for (let c = 0; c < n; c++) {
      const code = codes[c]!
      const kind = KIND[this.fields[c]!.type as CsvColumnType] ?? K_STRING
      if (code < 0) continue
      if (kind === K_INT && code === INT) this.#strictInt[c] = 1
      else if (kind === K_FLOAT && code === FLOAT) this.#strictFloat[c] = 1
      else if (CODE_OF_KIND[kind] !== code) this.#check[c] = code // converting checks the rest
    }
  }

  get capacity(): number {
    return this.#capacity
  }

  /**
   * Start a new chunk of `capacity` rows. The previous chunk's arrays are left to its Batch;
   * arrays given back with `recycle` are used again when large enough.
   */
  reset(capacity: number): void {
    this.#capacity = capacity
    this.length = 0
    const spare = this.#spare.pop()
    if (spare !== undefined && spare[0] !== undefined && spare[0].capacity >= capacity) {
      for (const col of spare) col.clear()
      this.#cols = spare
      return
    }
    this.#cols = this.fields.map((f) => new ColumnBuffer(KIND[f.type as CsvColumnType] ?? K_STRING, capacity, this.#utf8))
  }

  /**
   * The caller is done with `batch` (finished by this builder, not copied): its arrays may
   * back a later chunk. A writer that encodes a chunk and drops it saves allocating and
   * zeroing a chunk's arrays (~15 MB per 128 Ki bench rows) and the garbage collections
   * that follow. Anything still holding the batch would see it overwritten.
   */
  recycle(batch: WriteBatch): void {
    const cols = this.#lent.get(batch)
    if (cols === undefined) return
    this.#lent.delete(batch)
    this.#spare.push(cols)
  }

  append(row: string[]): void {
    const i = this.length
    for (let c = 0; c < this.#cols.length; c++) this.#cell(c, i, row[c]!)
    this.length = i + 1
  }

  /**
   * Append one record of byte ranges (CsvByteScanner). The common spellings are converted
   * from the bytes; any other cell, and every cell when null texts are configured or the
   * column is checked against another type, goes through the string path (#cell).
   */
  appendBytes(rec: ByteRecord): void {
    const i = this.length
    const cols = this.#cols
    const { buf, starts, ends } = rec
    const plain = this.#nulls === null
    const check = this.#check
    const dec = this.#dec
    for (let c = 0; c < cols.length; c++) {
      const s = starts[c]!
      const e = ends[c]!
      const col = cols[c]!
      if (!plain || (check !== null && check[c]! >= 0)) { this.#cellBytes(c, i, buf, s, e); continue }
      if (s === e) {
        col.nulls[i] = 1
        col.nullCount++
        if (col.kind === K_STRING) this.#pushNull(col, i)
        continue
      }
      switch (col.kind) {
        case K_STRING:
          if (this.#utf8) col.pushBytes(i, buf, s, e)
          else col.strings.push(decode(buf, s, e))
          continue
        case K_INT: {
          const v = intFast(buf, s, e)
          if (v === v) { col.setInt64(i, v); continue }
          break
        }
        case K_FLOAT: {
          const v = floatFast(buf, s, e, dec)
          if (v === v) { col.f64[i] = v; continue }
          break
        }
        case K_BOOLEAN: {
          const v = booleanFast(buf, s, e)
          if (v >= 0) { col.u8[i] = v; continue }
          break
        }
        case K_DATE: {
          const v = dateFast(buf, s, e)
          if (v === v) { col.i32[i] = v; continue }
          break
        }
        case K_TIMESTAMP:
          if (timestampFast(buf, s, e)) { this.#setTimestamp(col, i); continue }
          break
      }
      this.#cell(c, i, decode(buf, s, e))
    }
    this.length = i + 1
  }

  /** A cell of bytes through the string path; a string column keeps the bytes themselves. */
  #cellBytes(c: number, i: number, b: Uint8Array, s: number, e: number): void {
    const col = this.#cols[c]!
    const text = decode(b, s, e)
    if (col.kind !== K_STRING || !this.#utf8) { this.#cell(c, i, text); return }
    const nulls = this.#nulls
    if (nulls === null ? s === e : nulls.has(text)) { this.#cell(c, i, text); return }
    const check = this.#check
    if (check !== null && check[c]! >= 0 && !fitsInferred(check[c]!, text, this.#comma)) this.#mismatch(c, text)
    col.pushBytes(i, b, s, e)
  }

  #pushNull(col: ColumnBuffer, i: number): void {
    if (this.#utf8) col.offsets[i + 1] = col.used
    else col.strings.push('')
  }

  #setTimestamp(col: ColumnBuffer, i: number): void {
    const { seconds, micros } = tsOut
    if (seconds > -SAFE_SECONDS && seconds < SAFE_SECONDS) col.setInt64(i, seconds * 1_000_000 + micros)
    else col.big[i] = BigInt(seconds) * 1_000_000n + BigInt(micros)
  }

  /** Convert cell `s` of column c, row i (the definition: values.ts). */
  #cell(c: number, i: number, s: string): void {
    const col = this.#cols[c]!
    const nulls = this.#nulls
    const check = this.#check
    if (nulls === null ? s === '' : nulls.has(s)) {
      col.nulls[i] = 1
      col.nullCount++
      if (col.kind === K_STRING) this.#pushNull(col, i)
      return
    }
    if (check !== null && check[c]! >= 0 && !fitsInferred(check[c]!, s, this.#comma)) this.#mismatch(c, s)
    switch (col.kind) {
      case K_STRING:
        if (this.#utf8) col.pushString(i, s)
        else col.strings.push(s)
        break
      case K_INT: {
        const k = intKind(s, this.#strictInt !== null && this.#strictInt[c] === 1)
        if (k === 1) col.setInt64(i, Number(s))
        else if (k === 2) col.big[i] = BigInt(s)
        else this.#fail(c, s)
        break
      }
      case K_FLOAT: {
        // guarded and sampled as float64: the strict check and the value in one go
        const strict = this.#strictFloat !== null && this.#strictFloat[c] === 1
        const v = strict ? strictFloatCell(s, this.#comma) : floatValue(s, false, this.#comma)
        if (v === undefined) this.#fail(c, s)
        else col.f64[i] = v
        break
      }
      case K_BOOLEAN: {
        const b = booleanValue(s)
        if (b < 0) this.#fail(c, s)
        col.u8[i] = b
        break
      }
      case K_DATE: {
        const d = dateValue(s)
        if (Number.isNaN(d)) this.#fail(c, s)
        col.i32[i] = d
        break
      }
      case K_TIMESTAMP:
        if (!timestampParts(s, true)) this.#fail(c, s)
        this.#setTimestamp(col, i)
        break
    }
  }

  #mismatch(c: number, s: string): never {
    throw new LayoutMismatch(`column ${JSON.stringify(this.fields[c]!.name)}: ${JSON.stringify(s.slice(0, 40))} does not fit the sampled layout`)
  }

  #fail(c: number, s: string): never {
    if (this.#check !== null) this.#mismatch(c, s)
    const f = this.fields[c]!
    throw new RecordError(`column ${JSON.stringify(f.name)}: ${JSON.stringify(s.slice(0, 40))} is not a valid ${f.type} (the file changed while it was read?)`)
  }

  /**
   * The rows appended since the last reset as a Batch, then a reset to `nextCapacity`.
   * `exact`: copy into arrays of exactly `length` (for batches sent across threads: a
   * structured clone of a subarray copies its whole buffer). Not for a `utf8` builder.
   */
  finish(nextCapacity: number, exact = false): Batch {
    if (this.#utf8) throw new Error('a utf8 BatchBuilder is finished with finishWrite')
    return this.finishWrite(nextCapacity, exact) as Batch
  }

  /** As finish, for a writer: string columns of a `utf8` builder are Utf8Values. */
  finishWrite(nextCapacity: number, exact = false): WriteBatch {
    const n = this.length
    const columns: WriteColumn[] = this.fields.map((f, c) => {
      const col = this.#cols[c]!
      const cut = <T extends { subarray(a: number, b: number): T; slice(a: number, b: number): T }>(a: T): T =>
        exact ? a.slice(0, n) : a.subarray(0, n)
      let values: WriteColumn['values']
      switch (col.kind) {
        case K_STRING:
          values = this.#utf8
            ? { offsets: exact ? col.offsets.slice(0, n + 1) : col.offsets.subarray(0, n + 1), bytes: exact ? col.bytes.slice(0, col.used) : col.bytes.subarray(0, col.used) }
            : col.strings
          break
        case K_INT: case K_TIMESTAMP: values = cut(col.big); break
        case K_FLOAT: values = cut(col.f64); break
        case K_BOOLEAN: values = cut(col.u8); break
        default: values = cut(col.i32)
      }
      return { name: f.name, type: f.type, values, nulls: col.nullCount > 0 ? cut(col.nulls) : null }
    })
    const batch = { length: n, columns }
    if (!exact) this.#lent.set(batch, this.#cols)
    this.reset(nextCapacity)
    return batch
  }
}

/** The text of b[s, e) (valid UTF-8: the scanner checked it). */
function decode(b: Uint8Array, s: number, e: number): string {
  return (Buffer.isBuffer(b) ? b : Buffer.from(b.buffer, b.byteOffset, b.byteLength)).toString('utf8', s, e)
}
