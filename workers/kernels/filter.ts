/**
 * Row filters with SQL three-valued logic. Each node evaluates to a truth array over the
 * batch: FALSE (0), TRUE (1) or UNKNOWN (2). A comparison with a null is UNKNOWN; NOT keeps
 * UNKNOWN; AND/OR follow SQL; IS [NOT] NULL/TRUE/FALSE is never UNKNOWN. A row passes when
 * the filter is TRUE. Pure; runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { CmpOp, Filter, Literal } from '../../proto/plan.js'
import { takeBatch } from './column.js'
import { decimalKey } from './decimal.js'
import { compileLike } from './like.js'
import { compareStrings } from './scalar.js'
import { textGetter } from './text.js'
import { dictionaryOf } from './dictionary.js'
import { numberViewOf } from './int64-view.js'

export const FALSE = 0
export const TRUE = 1
export const UNKNOWN = 2

/** Rows of `batch` where `filter` is TRUE (the batch itself when every row passes). */
export function filterBatch(batch: Batch, filter: Filter): Batch {
  const truth = evaluateFilter(batch, filter)
  const n = batch.length
  const idx = new Int32Array(n)
  let k = 0
  for (let i = 0; i < n; i++) if (truth[i] === TRUE) idx[k++] = i
  if (k === n) return batch
  return takeBatch(batch, idx, k)
}

/** Truth value per row (FALSE / TRUE / UNKNOWN). Throws TypeError for a column not in the batch. */
export function evaluateFilter(batch: Batch, f: Filter): Uint8Array {
  const n = batch.length
  switch (f.kind) {
    case 'and': case 'or': {
      const isAnd = f.kind === 'and'
      // AND: any FALSE wins, else any UNKNOWN, else TRUE. OR: mirror image.
      const out = new Uint8Array(n).fill(isAnd ? TRUE : FALSE)
      const win = isAnd ? FALSE : TRUE
      for (const child of f.children) {
        const t = evaluateFilter(batch, child)
        for (let i = 0; i < n; i++) {
          const o = out[i]!
          if (o === win) continue
          const c = t[i]!
          if (c === win) out[i] = win
          else if (c === UNKNOWN) out[i] = UNKNOWN
        }
      }
      return out
    }
    case 'not': {
      const t = evaluateFilter(batch, f.child)
      for (let i = 0; i < n; i++) t[i] = t[i] === UNKNOWN ? UNKNOWN : t[i]! ^ 1
      return t
    }
    case 'is': {
      const col = columnOf(batch, f.column)
      const out = new Uint8Array(n)
      const nulls = col.nulls
      if (f.value === null) {
        if (nulls) for (let i = 0; i < n; i++) out[i] = nulls[i]!
        return out
      }
      const want = f.value ? 1 : 0
      const v = col.values as Uint8Array
      for (let i = 0; i < n; i++) out[i] = !nulls?.[i] && (v[i] ? 1 : 0) === want ? TRUE : FALSE
      return out
    }
    case 'cmp': {
      const col = columnOf(batch, f.column)
      const out = compareColumn(col, f.value, n)
      applyOp(out, f.op, n)
      return withNulls(out, col.nulls, n)
    }
    case 'in': {
      const col = columnOf(batch, f.column)
      return withNulls(inColumn(col, f.values, n), col.nulls, n)
    }
    case 'like': {
      const col = columnOf(batch, f.column)
      const match = compileLike(f.pattern, f.caseInsensitive)
      const out = new Uint8Array(n)
      const dict = dictionaryOf(col)
      if (dict) {
        const r = Uint8Array.from(dict.values, (x) => (match(x) ? TRUE : FALSE))
        for (let i = 0; i < n; i++) out[i] = r[dict.codes[i]!]!
      } else if (col.type === 'string' || col.type === 'json') {
        const v = col.values as string[]
        for (let i = 0; i < n; i++) out[i] = match(v[i]!) ? TRUE : FALSE
      } else {
        const get = textGetter(col)
        for (let i = 0; i < n; i++) { const s = get(i); out[i] = s !== null && match(s) ? TRUE : FALSE }
      }
      return withNulls(out, col.nulls, n)
    }
  }
}

function columnOf(batch: Batch, name: string): Column {
  const c = batch.columns.find((x) => x.name === name)
  if (!c) throw new TypeError(`filter column "${name}" is not in the batch`)
  return c
}

function withNulls(out: Uint8Array, nulls: Uint8Array | null, n: number): Uint8Array {
  if (nulls) for (let i = 0; i < n; i++) if (nulls[i]) out[i] = UNKNOWN
  return out
}

/**
 * Comparison of every row with the literal, as (sign + 1): 0 less, 1 equal, 2 greater.
 * Floats use a total order where NaN equals NaN and sorts above every number (as PostgreSQL).
 */
function compareColumn(col: Column, lit: Literal, n: number): Uint8Array {
  const out = new Uint8Array(n)
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': {
      const a = v as string[]
      const s = String(lit)
      const dict = dictionaryOf(col)
      if (dict) {
        // compare each distinct value once, then look the result up per row
        const r = Uint8Array.from(dict.values, (x) => (x === s ? 1 : compareStrings(x, s) + 1))
        const codes = dict.codes
        for (let i = 0; i < n; i++) out[i] = r[codes[i]!]!
        return out
      }
      for (let i = 0; i < n; i++) { const x = a[i]!; out[i] = x === s ? 1 : compareStrings(x, s) + 1 }
      return out
    }
    case 'decimal': {
      const a = v as string[]
      const s = String(lit)
      const scale = Math.max(col.scale ?? 0, fracLen(s))
      const l = decimalKey(s, scale)
      for (let i = 0; i < n; i++) {
        if (col.nulls?.[i]) continue
        const x = decimalKey(a[i]!, scale)
        out[i] = x < l ? 0 : x > l ? 2 : 1
      }
      return out
    }
    case 'int16': case 'int32': case 'date': {
      const a = v as Int32Array
      const l = Number(lit)
      for (let i = 0; i < n; i++) { const x = a[i]!; out[i] = x < l ? 0 : x > l ? 2 : 1 }
      return out
    }
    case 'int64': case 'timestamp': case 'time': {
      const a = v as BigInt64Array
      const l = typeof lit === 'bigint' ? lit : BigInt(lit as number)
      const small = numberViewOf(a)
      if (small && l <= 2n ** 52n && l >= -(2n ** 52n)) {
        // both sides exact doubles: compare without a BigInt per row
        const ln = Number(l)
        for (let i = 0; i < n; i++) { const x = small[i]!; out[i] = x < ln ? 0 : x > ln ? 2 : 1 }
        return out
      }
      for (let i = 0; i < n; i++) { const x = a[i]!; out[i] = x < l ? 0 : x > l ? 2 : 1 }
      return out
    }
    case 'float32': case 'float64': {
      const a = v as Float64Array
      const l = Number(lit)
      for (let i = 0; i < n; i++) out[i] = compareFloats(a[i]!, l) + 1
      return out
    }
    case 'boolean': {
      const a = v as Uint8Array
      const l = lit === true || lit === 'true' ? 1 : 0
      for (let i = 0; i < n; i++) { const x = a[i] ? 1 : 0; out[i] = x - l + 1 }
      return out
    }
    case 'binary': {
      const a = v as Uint8Array[]
      const l = Buffer.from(String(lit), 'base64')
      for (let i = 0; i < n; i++) { const x = a[i]!; out[i] = Buffer.compare(Buffer.from(x.buffer, x.byteOffset, x.byteLength), l) + 1 }
      return out
    }
  }
}

/** Total order on floats: NaN = NaN, NaN above everything, -0 = 0. */
export function compareFloats(x: number, y: number): number {
  if (x < y) return -1
  if (x > y) return 1
  if (x === y) return 0
  const xn = x !== x
  const yn = y !== y
  return xn === yn ? 0 : xn ? 1 : -1
}

function fracLen(s: string): number {
  const d = s.indexOf('.')
  return d < 0 ? 0 : s.length - d - 1
}

/** Turn comparison results (0 <, 1 =, 2 >) into TRUE/FALSE in place. */
function applyOp(c: Uint8Array, op: CmpOp, n: number): void {
  switch (op) {
    case 'eq': for (let i = 0; i < n; i++) c[i] = c[i] === 1 ? TRUE : FALSE; break
    case 'neq': for (let i = 0; i < n; i++) c[i] = c[i] !== 1 ? TRUE : FALSE; break
    case 'lt': for (let i = 0; i < n; i++) c[i] = c[i] === 0 ? TRUE : FALSE; break
    case 'lte': for (let i = 0; i < n; i++) c[i] = c[i] !== 2 ? TRUE : FALSE; break
    case 'gt': for (let i = 0; i < n; i++) c[i] = c[i] === 2 ? TRUE : FALSE; break
    case 'gte': for (let i = 0; i < n; i++) c[i] = c[i] !== 0 ? TRUE : FALSE; break
  }
}

function inColumn(col: Column, lits: Literal[], n: number): Uint8Array {
  const out = new Uint8Array(n)
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': {
      const set = new Set(lits.map(String))
      const a = v as string[]
      const dict = dictionaryOf(col)
      if (dict) {
        const r = Uint8Array.from(dict.values, (x) => (set.has(x) ? TRUE : FALSE))
        const codes = dict.codes
        for (let i = 0; i < n; i++) out[i] = r[codes[i]!]!
        return out
      }
      for (let i = 0; i < n; i++) out[i] = set.has(a[i]!) ? TRUE : FALSE
      return out
    }
    case 'decimal': {
      // compare unscaled values at one common scale, as digit text (numbers and bigints print alike)
      const a = v as string[]
      const texts = lits.map(String)
      const scale = Math.max(col.scale ?? 0, ...texts.map(fracLen))
      const set = new Set(texts.map((t) => String(decimalKey(t, scale))))
      for (let i = 0; i < n; i++) {
        if (col.nulls?.[i]) continue
        out[i] = set.has(String(decimalKey(a[i]!, scale))) ? TRUE : FALSE
      }
      return out
    }
    case 'int16': case 'int32': case 'date': case 'float32': case 'float64': {
      // Set uses SameValueZero: NaN matches NaN, -0 matches 0
      const set = new Set(lits.map(Number))
      const a = v as Int32Array | Float64Array
      for (let i = 0; i < n; i++) out[i] = set.has(a[i]!) ? TRUE : FALSE
      return out
    }
    case 'int64': case 'timestamp': case 'time': {
      const set = new Set(lits.map((l) => (typeof l === 'bigint' ? l : BigInt(l as number))))
      const a = v as BigInt64Array
      for (let i = 0; i < n; i++) out[i] = set.has(a[i]!) ? TRUE : FALSE
      return out
    }
    case 'boolean': {
      const set = new Set(lits.map((l) => (l === true || l === 'true' ? 1 : 0)))
      const a = v as Uint8Array
      for (let i = 0; i < n; i++) out[i] = set.has(a[i] ? 1 : 0) ? TRUE : FALSE
      return out
    }
    case 'binary': {
      const set = new Set(lits.map((l) => Buffer.from(String(l), 'base64').toString('base64')))
      const get = textGetter(col)
      for (let i = 0; i < n; i++) out[i] = set.has(get(i) ?? '') ? TRUE : FALSE
      return out
    }
  }
}
