/**
 * Dictionary encoding of string columns, kept beside the column (a WeakMap on its values
 * array, so the Column shape of proto/batch.ts is unchanged and any kernel that copies or
 * slices values simply loses the encoding). Filters and group keys use the codes: one
 * comparison or hash lookup per distinct value instead of per row. Pure; any thread.
 */
import type { Column } from '../../proto/batch.js'

export interface Dictionary {
  /** per row: index into `values` (any index on a null row) */
  codes: Int32Array
  /** distinct non-null values */
  values: string[]
}

const dictionaries = new WeakMap<object, Dictionary>()

/** Most distinct values worth encoding (per chunk). */
const MAX_DISTINCT = 1 << 16

export function dictionaryOf(col: Column): Dictionary | undefined {
  return Array.isArray(col.values) ? dictionaries.get(col.values) : undefined
}

/**
 * The column with its strings deduplicated and a dictionary attached, when it is a string
 * column of few distinct values; otherwise the column itself.
 */
export function dictionaryEncode(col: Column): Column {
  if ((col.type !== 'string' && col.type !== 'json') || dictionaryOf(col)) return col
  const v = col.values as string[]
  const n = v.length
  const nulls = col.nulls
  const index = new Map<string, number>()
  const values: string[] = []
  const codes = new Int32Array(n)
  const out = new Array<string>(n)
  for (let i = 0; i < n; i++) {
    if (nulls?.[i]) { out[i] = ''; continue }
    const s = v[i]!
    let c = index.get(s)
    if (c === undefined) {
      if (values.length >= MAX_DISTINCT) return col
      c = values.length
      values.push(s)
      index.set(s, c)
    }
    codes[i] = c
    out[i] = values[c]!
  }
  dictionaries.set(out, { codes, values })
  return { ...col, values: out }
}

const utf8 = new TextDecoder('utf-8', { ignoreBOM: true })

/**
 * Strings of a Utf8 column (Int32 offsets) decoded through a dictionary built on the bytes:
 * each distinct value is decoded once and shared, and the codes are attached. Returns null
 * (the caller decodes plainly) as soon as the values look mostly distinct.
 */
export function decodeUtf8Dictionary(offsets: Int32Array, bytes: Uint8Array, n: number): string[] | null {
  let cap = 64
  let table = new Int32Array(cap).fill(-1)
  let starts = new Int32Array(32)
  let ends = new Int32Array(32)
  let hashes = new Int32Array(32)
  let count = 0
  const codes = new Int32Array(n)
  for (let i = 0; i < n; i++) {
    const s = offsets[i]!
    const e = offsets[i + 1]!
    // a cheap hash (length and three sample bytes): every candidate is compared byte by byte
    const len = e - s
    const h = len === 0 ? 0 : ((len * 31 + bytes[s]!) * 31 + bytes[e - 1]!) * 31 + bytes[s + (len >> 1)]!
    let slot = h & (cap - 1)
    let code = -1
    // bounded probing: many values sharing a hash (adversarial or unlucky data) decode plainly
    for (let probes = 0; ; probes++) {
      if (probes > 16) return null
      const c = table[slot]!
      if (c < 0) break
      if (hashes[c] === h) {
        const cs = starts[c]!
        let k = 0
        if (ends[c]! - cs === len) while (k < len && bytes[cs + k] === bytes[s + k]) k++
        if (k === len && ends[c]! - cs === len) { code = c; break }
      }
      slot = (slot + 1) & (cap - 1)
    }
    if (code < 0) {
      code = count
      if (code >= MAX_DISTINCT || code > 64 + (i >> 3)) return null
      if (count === starts.length) {
        const grow = (a: Int32Array) => { const b = new Int32Array(a.length * 2); b.set(a); return b }
        starts = grow(starts); ends = grow(ends); hashes = grow(hashes)
      }
      starts[count] = s; ends[count] = e; hashes[count] = h
      count++
      table[slot] = code
      if (count * 2 > cap) {
        cap *= 2
        table = new Int32Array(cap).fill(-1)
        for (let c = 0; c < count; c++) {
          let sl = hashes[c]! & (cap - 1)
          while (table[sl]! >= 0) sl = (sl + 1) & (cap - 1)
          table[sl] = c
        }
      }
    }
    codes[i] = code
  }
  const values: string[] = []
  for (let c = 0; c < count; c++) values.push(utf8.decode(bytes.subarray(starts[c], ends[c])))
  const out = new Array<string>(n)
  for (let i = 0; i < n; i++) out[i] = values[codes[i]!]!
  dictionaries.set(out, { codes, values })
  return out
}
