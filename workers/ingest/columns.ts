/**
 * Build typed Batch columns (proto/batch.ts) from CSV records of strings, in chunks of a fixed
 * capacity (one chunk = one Parquet row group). Converts text to values by hand; no csv-parse
 * `cast`. Pure; any thread.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { CsvColumnType } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import { RecordError } from './csv-source.js'
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

  constructor(readonly kind: number, capacity: number) {
    this.nulls = new Uint8Array(capacity)
    const empty = new ArrayBuffer(0)
    this.i32 = kind === K_DATE ? new Int32Array(capacity) : new Int32Array(empty)
    this.f64 = kind === K_FLOAT ? new Float64Array(capacity) : new Float64Array(empty)
    this.u8 = kind === K_BOOLEAN ? new Uint8Array(capacity) : new Uint8Array(empty)
    this.big = kind === K_INT || kind === K_TIMESTAMP ? new BigInt64Array(capacity) : new BigInt64Array(empty)
    this.lo = new Uint32Array(this.big.buffer)
    this.hi = new Int32Array(this.big.buffer)
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

  /**
   * `text.nullValues`: the cell texts that mean null (default `[""]`); `text.decimalComma`:
   * floats are written `3,5` (values.ts).
   */
  constructor(readonly fields: Field[], capacity: number, text: { nullValues?: readonly string[]; decimalComma?: boolean } = {}) {
    const nv = text.nullValues
    this.#nulls = nv === undefined || (nv.length === 1 && nv[0] === '') ? null : new Set(nv)
    this.#comma = text.decimalComma === true
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

  /** Start a new chunk of `capacity` rows (the previous chunk's arrays are left to its Batch). */
  reset(capacity: number): void {
    this.#capacity = capacity
    this.length = 0
    this.#cols = this.fields.map((f) => new ColumnBuffer(KIND[f.type as CsvColumnType] ?? K_STRING, capacity))
  }

  append(row: string[]): void {
    const i = this.length
    const cols = this.#cols
    const nulls = this.#nulls
    const check = this.#check
    const strictInt = this.#strictInt
    const strictFloat = this.#strictFloat
    for (let c = 0; c < cols.length; c++) {
      const s = row[c]!
      const col = cols[c]!
      if (nulls === null ? s === '' : nulls.has(s)) {
        col.nulls[i] = 1
        col.nullCount++
        if (col.kind === K_STRING) col.strings.push('')
        continue
      }
      if (check !== null && check[c]! >= 0 && !fitsInferred(check[c]!, s, this.#comma)) this.#mismatch(c, s)
      switch (col.kind) {
        case K_STRING:
          col.strings.push(s)
          break
        case K_INT: {
          const k = intKind(s, strictInt !== null && strictInt[c] === 1)
          if (k === 1) col.setInt64(i, Number(s))
          else if (k === 2) col.big[i] = BigInt(s)
          else this.#fail(c, s)
          break
        }
        case K_FLOAT: {
          // guarded and sampled as float64: the strict check and the value in one go
          const v = strictFloat !== null && strictFloat[c] === 1 ? strictFloatCell(s, this.#comma) : floatValue(s, false, this.#comma)
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
        case K_TIMESTAMP: {
          if (!timestampParts(s, true)) this.#fail(c, s)
          const { seconds, micros } = tsOut
          if (seconds > -SAFE_SECONDS && seconds < SAFE_SECONDS) col.setInt64(i, seconds * 1_000_000 + micros)
          else col.big[i] = BigInt(seconds) * 1_000_000n + BigInt(micros)
          break
        }
      }
    }
    this.length = i + 1
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
   * structured clone of a subarray copies its whole buffer).
   */
  finish(nextCapacity: number, exact = false): Batch {
    const n = this.length
    const columns: Column[] = this.fields.map((f, c) => {
      const col = this.#cols[c]!
      const cut = <T extends { subarray(a: number, b: number): T; slice(a: number, b: number): T }>(a: T): T =>
        exact ? a.slice(0, n) : a.subarray(0, n)
      let values: Column['values']
      switch (col.kind) {
        case K_STRING: values = col.strings; break
        case K_INT: case K_TIMESTAMP: values = cut(col.big); break
        case K_FLOAT: values = cut(col.f64); break
        case K_BOOLEAN: values = cut(col.u8); break
        default: values = cut(col.i32)
      }
      return { name: f.name, type: f.type, values, nulls: col.nullCount > 0 ? cut(col.nulls) : null }
    })
    this.reset(nextCapacity)
    return { length: n, columns }
  }
}
