/**
 * Column plumbing shared by the kernels: allocate, take rows, slice, concatenate, build from
 * plain JS values. Pure; any thread.
 */
import type { Batch, Column, ColumnValues } from '../../proto/batch.js'
import type { LogicalType } from '../../proto/types.js'

/** A plain JS value of one cell: string, number, bigint, Uint8Array; null for SQL null. */
export type Cell = string | number | bigint | Uint8Array | null

/** Values storage of `n` placeholder slots for a logical type (see proto/batch.ts). */
export function allocValues(type: LogicalType, n: number): ColumnValues {
  switch (type) {
    case 'string': case 'json': case 'decimal': return new Array<string>(n).fill('')
    case 'int16': case 'int32': case 'date': return new Int32Array(n)
    case 'int64': case 'timestamp': case 'time': return new BigInt64Array(n)
    case 'float32': case 'float64': return new Float64Array(n)
    case 'boolean': return new Uint8Array(n)
    case 'binary': return new Array<Uint8Array>(n).fill(EMPTY_BYTES)
  }
}

const EMPTY_BYTES = new Uint8Array(0)

/** A column of `n` nulls. */
export function nullColumn(name: string, type: LogicalType, n: number, precision?: number, scale?: number): Column {
  return withDecimal({ name, type, values: allocValues(type, n), nulls: new Uint8Array(n).fill(1) }, precision, scale)
}

export function withDecimal(col: Column, precision?: number, scale?: number): Column {
  if (precision !== undefined) col.precision = precision
  if (scale !== undefined) col.scale = scale
  return col
}

/** The same column with another name (values shared). */
export function renamed(col: Column, name: string): Column {
  return col.name === name ? col : { ...col, name }
}

/** Rows `idx[0..n)` of `col`, in that order. */
export function takeColumn(col: Column, idx: ArrayLike<number>, n = idx.length): Column {
  const v = col.values
  let out: ColumnValues
  if (Array.isArray(v)) {
    const a = new Array(n)
    for (let i = 0; i < n; i++) a[i] = v[idx[i]!]
    out = a
  } else {
    const a = new (v.constructor as new (n: number) => typeof v)(n)
    for (let i = 0; i < n; i++) a[i] = v[idx[i]!]!
    out = a
  }
  let nulls: Uint8Array | null = null
  if (col.nulls) {
    const src = col.nulls
    nulls = new Uint8Array(n)
    let any = 0
    for (let i = 0; i < n; i++) any |= nulls[i] = src[idx[i]!]!
    if (!any) nulls = null
  }
  return { ...col, values: out, nulls }
}

/** Rows [start, end) of `col` (typed arrays are views, not copies). */
export function sliceColumn(col: Column, start: number, end: number): Column {
  const v = col.values
  const values = Array.isArray(v) ? v.slice(start, end) : v.subarray(start, end)
  return { ...col, values: values as ColumnValues, nulls: col.nulls ? col.nulls.subarray(start, end) : null }
}

export function takeBatch(batch: Batch, idx: ArrayLike<number>, n = idx.length): Batch {
  return { length: n, columns: batch.columns.map((c) => takeColumn(c, idx, n)) }
}

export function sliceBatch(batch: Batch, start: number, end: number): Batch {
  if (start === 0 && end >= batch.length) return batch
  end = Math.min(end, batch.length)
  return { length: Math.max(0, end - start), columns: batch.columns.map((c) => sliceColumn(c, start, end)) }
}

/** Concatenate batches with the same columns (the first batch's names and types). */
export function concatBatches(batches: Batch[]): Batch {
  if (batches.length === 1) return batches[0]!
  const total = batches.reduce((s, b) => s + b.length, 0)
  if (batches.length === 0) return { length: 0, columns: [] }
  const columns = batches[0]!.columns.map((c0, ci) => {
    const values = allocValues(c0.type, total)
    let nulls: Uint8Array | null = null
    let pos = 0
    for (const b of batches) {
      const c = b.columns[ci]!
      const src = c.values
      if (Array.isArray(values)) {
        const a = src as unknown[]
        for (let i = 0; i < b.length; i++) (values as unknown[])[pos + i] = a[i]
      } else {
        (values as Int32Array).set((src as Int32Array).subarray(0, b.length), pos)
      }
      if (c.nulls) {
        nulls ??= new Uint8Array(total)
        nulls.set(c.nulls.subarray(0, b.length), pos)
      }
      pos += b.length
    }
    return { ...c0, values, nulls }
  })
  return { length: total, columns }
}

/** The JS value of row `i` (null for a null row). */
export function cellAt(col: Column, i: number): Cell {
  if (col.nulls?.[i]) return null
  return col.values[i]!
}

/** A column from plain JS values (null = SQL null). Numbers/bigints are converted to the type's storage. */
export function buildColumn(name: string, type: LogicalType, cells: ArrayLike<Cell>, precision?: number, scale?: number): Column {
  const n = cells.length
  const values = allocValues(type, n)
  let nulls: Uint8Array | null = null
  const big = values instanceof BigInt64Array
  for (let i = 0; i < n; i++) {
    const c = cells[i]
    if (c === null || c === undefined) {
      nulls ??= new Uint8Array(n)
      nulls[i] = 1
    } else if (big) {
      (values as BigInt64Array)[i] = typeof c === 'bigint' ? c : BigInt(c as number)
    } else if (Array.isArray(values)) {
      (values as unknown[])[i] = c
    } else {
      (values as Float64Array)[i] = typeof c === 'bigint' ? Number(c) : (c as number)
    }
  }
  return withDecimal({ name, type, values, nulls }, precision, scale)
}
