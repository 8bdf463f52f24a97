/**
 * File pruning (data skipping): the active files of a snapshot that may hold a row matching a
 * filter, judged from partition values (exact) and per-file stats (min/max/nullCount bounds).
 * Conservative: a file is dropped only when no row of it can match. `like` never prunes.
 *
 * Masked columns MUST be passed in `skipColumns`: a filter on a masked column compares masked
 * values, and pruning by raw stats would both drop files wrongly and leak raw values.
 *
 * Pure; runs on any thread.
 */
import * as path from 'node:path'
import type { CmpOp, Filter, Literal } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import { parsePartitionValues } from './partition-values.js'
import type { ActiveFile, Snapshot } from './replay.js'
import { parseStats, type ColumnStats, type FileStats } from './stats.js'
import { normalizeDecimal } from './temporal.js'

export interface PlannedFile {
  /** the add path decoded once, relative to the table root (`path.join(tablePath, path)` is the file) */
  path: string
  absolutePath: string
  size: number
  /** from stats, when present */
  numRecords: number | null
  /** partition column values of this file, typed like Literal */
  typedPartitionValues: Record<string, Literal | null>
  add: ActiveFile
}

export interface PruneOptions {
  /** columns whose values must not be used for pruning (masked columns) */
  skipColumns?: Iterable<string>
}

type Cmp = -1 | 0 | 1

function cmpCodePoints(a: string, b: string): Cmp {
  const ia = a[Symbol.iterator]()
  const ib = b[Symbol.iterator]()
  for (;;) {
    const x = ia.next()
    const y = ib.next()
    if (x.done || y.done) return x.done && y.done ? 0 : x.done ? -1 : 1
    const cx = x.value.codePointAt(0)!
    const cy = y.value.codePointAt(0)!
    if (cx !== cy) return cx < cy ? -1 : 1
  }
}

function decimalUnits(s: string, scale: number): bigint | null {
  const n = normalizeDecimal(s, scale)
  return n === null ? null : BigInt(n.replace('.', ''))
}

/** Orders two literals of one column's type; null when they cannot be compared (NaN, mixed types). */
export function compareLiterals(a: Literal, b: Literal, field: Field): Cmp | null {
  if (field.type === 'decimal' && typeof a === 'string' && typeof b === 'string') {
    const scale = Math.max(field.scale ?? 0, (a.split('.')[1] ?? '').length, (b.split('.')[1] ?? '').length)
    const x = decimalUnits(a, scale)
    const y = decimalUnits(b, scale)
    if (x === null || y === null) return null
    return x < y ? -1 : x > y ? 1 : 0
  }
  if (typeof a === 'string' && typeof b === 'string') return cmpCodePoints(a, b)
  if (typeof a === 'boolean' && typeof b === 'boolean') return a === b ? 0 : a ? 1 : -1
  if ((typeof a === 'number' || typeof a === 'bigint') && (typeof b === 'number' || typeof b === 'bigint')) {
    if (typeof a === 'number' && Number.isNaN(a)) return null
    if (typeof b === 'number' && Number.isNaN(b)) return null
    return a < b ? -1 : a > b ? 1 : 0
  }
  return null
}

const NEGATED: Record<CmpOp, CmpOp> = { eq: 'neq', neq: 'eq', gt: 'lte', gte: 'lt', lt: 'gte', lte: 'gt' }

/** Whether a comparison result satisfies `op` (c: sign of value − literal). */
export function holds(op: CmpOp, c: number): boolean {
  switch (op) {
    case 'eq': return c === 0
    case 'neq': return c !== 0
    case 'gt': return c > 0
    case 'gte': return c >= 0
    case 'lt': return c < 0
    case 'lte': return c <= 0
  }
}

interface FileFacts {
  partition: Record<string, Literal | null>
  stats: Record<string, ColumnStats>
  numRecords: number | null
}

type ColumnInfo = { kind: 'partition'; value: Literal | null } | { kind: 'stats'; s: ColumnStats } | { kind: 'unknown' }

/** May some row satisfy `op value` (a non-null comparison) given min/max? */
function statsMayCmp(s: ColumnStats, op: CmpOp, value: Literal, f: Field, numRecords: number | null): boolean {
  if (s.nullCount !== undefined && numRecords !== null && s.nullCount >= numRecords) return false // all null
  const { min, max } = s
  const vsMin = min === undefined ? null : compareLiterals(value, min, f) // sign(value - min)
  const vsMax = max === undefined ? null : compareLiterals(value, max, f)
  switch (op) {
    case 'eq': return !(vsMin === -1 || vsMax === 1)
    case 'neq': return !(vsMin === 0 && vsMax === 0)
    case 'gt': return vsMax === null || vsMax === -1 // max > value
    case 'gte': return vsMax === null || vsMax <= 0
    case 'lt': return vsMin === null || vsMin === 1 // min < value
    case 'lte': return vsMin === null || vsMin >= 0
  }
}

function mayMatch(flt: Filter, negated: boolean, facts: FileFacts, fields: Map<string, Field>, skip: Set<string>): boolean {
  const info = (column: string): { f: Field; c: ColumnInfo } | null => {
    const f = fields.get(column)
    if (!f || skip.has(column)) return null
    if (column in facts.partition) return { f, c: { kind: 'partition', value: facts.partition[column] ?? null } }
    const s = facts.stats[column]
    return { f, c: s ? { kind: 'stats', s } : { kind: 'unknown' } }
  }
  switch (flt.kind) {
    case 'and':
    case 'or': {
      const all = (flt.kind === 'and') !== negated
      return all
        ? flt.children.every((c) => mayMatch(c, negated, facts, fields, skip))
        : flt.children.some((c) => mayMatch(c, negated, facts, fields, skip))
    }
    case 'not':
      return mayMatch(flt.child, !negated, facts, fields, skip)
    case 'cmp': {
      const i = info(flt.column)
      if (!i) return true
      const op = negated ? NEGATED[flt.op] : flt.op
      if (i.c.kind === 'partition') {
        if (i.c.value === null) return false // NULL compared is never true, negated or not
        const c = compareLiterals(i.c.value, flt.value, i.f)
        return c === null ? true : holds(op, c)
      }
      if (i.c.kind === 'stats') return statsMayCmp(i.c.s, op, flt.value, i.f, facts.numRecords)
      return true
    }
    case 'in': {
      const i = info(flt.column)
      if (!i) return true
      if (i.c.kind === 'partition') {
        const v = i.c.value
        if (v === null) return false
        const found = flt.values.map((x) => compareLiterals(v, x, i.f))
        if (found.includes(null)) return true
        return negated ? !found.includes(0) : found.includes(0)
      }
      if (i.c.kind === 'stats') {
        const s = i.c.s
        if (negated) return flt.values.every((x) => statsMayCmp(s, 'neq', x, i.f, facts.numRecords))
        return flt.values.some((x) => statsMayCmp(s, 'eq', x, i.f, facts.numRecords))
      }
      return true
    }
    case 'is': {
      const i = info(flt.column)
      if (!i) return true
      if (i.c.kind === 'partition') {
        const v = i.c.value
        const r = flt.value === null ? v === null : v === flt.value
        return negated ? !r : r
      }
      if (i.c.kind === 'stats') {
        const { nullCount, min, max } = i.c.s
        const n = facts.numRecords
        if (flt.value === null) {
          if (nullCount === undefined) return true
          return negated ? n === null || nullCount < n : nullCount > 0
        }
        // is true / is false on a boolean column
        if (negated) return true // "is not true" also matches nulls
        if (nullCount !== undefined && n !== null && nullCount >= n) return false
        return flt.value ? max !== false : min !== true
      }
      return true
    }
    case 'like':
      return true
  }
}

// Parsed stats per active file object (files are immutable and shared across snapshots by the
// snapshot cache), so repeated queries do not re-parse every file's stats JSON.
const statsCache = new WeakMap<ActiveFile, { schemaKey: string; stats: FileStats | null }>()

function cachedStats(add: ActiveFile, statsFields: Field[], schemaKey: string): FileStats | null {
  const hit = statsCache.get(add)
  if (hit && hit.schemaKey === schemaKey) return hit.stats
  const stats = parseStats(add.stats, statsFields)
  statsCache.set(add, { schemaKey, stats })
  return stats
}

/**
 * The active files of `snapshot` that may contain rows matching `filter` (all of them when
 * `filter` is null), with typed partition values. Throws `422 unsupported_table` when a
 * partition value in the log does not fit its column's type.
 */
export function pruneFiles(snapshot: Snapshot, filter: Filter | null, opts: PruneOptions = {}): PlannedFile[] {
  const fields = new Map(snapshot.schema.map((f) => [f.name, f]))
  const partitionFields = snapshot.partitionColumns.map((c) => fields.get(c)).filter((f): f is Field => f !== undefined)
  const statsFields = snapshot.schema.filter((f) => !snapshot.partitionColumns.includes(f.name))
  const schemaKey = snapshot.metadata.schemaString + '\u0000' + snapshot.partitionColumns.join('\u0000')
  const skip = new Set(opts.skipColumns ?? [])
  const out: PlannedFile[] = []
  for (const add of snapshot.files) {
    const partition = parsePartitionValues(add.partitionValues, partitionFields)
    const parsed = cachedStats(add, statsFields, schemaKey)
    const numRecords = parsed?.numRecords ?? null
    if (filter && !mayMatch(filter, false, { partition, stats: parsed?.columns ?? {}, numRecords }, fields, skip)) continue
    out.push({
      path: path.relative(snapshot.tablePath, add.absolutePath),
      absolutePath: add.absolutePath,
      size: add.size,
      numRecords,
      typedPartitionValues: partition,
      add,
    })
  }
  return out
}
