/**
 * OPTIMIZE (bin-packing compaction) planning and its commit actions.
 *
 * Plan: the active files whose partition values match `where` are grouped per partition; in
 * each partition the files smaller than the target size are packed, in table order, into bins
 * whose input bytes stay within the target; a bin of a single file is dropped (rewriting one
 * file gains nothing). Each bin becomes one new file. Table order is kept inside a bin, so a
 * table compacted into one file per partition reads its rows in the same order as before.
 *
 * Idempotent: a lone file is never rewritten, so a partition compacted into one file is left
 * alone by the next run. With several bins per partition, adjacent bins could not be merged
 * within the target and outputs are about as large as their inputs, so a next run finds
 * nothing either, unless compression made the outputs much smaller than their inputs; then
 * it merges some of them (and converges).
 *
 * Actions (PROTOCOL.md "Add File and Remove File"): one `remove` per input (dataChange false,
 * deletionTimestamp, extendedFileMetadata, partitionValues, size) and one `add` per output
 * (dataChange false, stats), with a commitInfo written as Spark writes OPTIMIZE
 * (operationParameters predicate/zOrderBy/auto, operationMetrics numAddedFiles ... as strings).
 *
 * Pure (clock and random ids aside); runs on any thread.
 */
import { randomUUID } from 'node:crypto'
import { invalidParameter } from '../../proto/errors.js'
import type { Filter, Literal } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import type { AddFile } from './actions.js'
import { parsePartitionValues } from './partition-values.js'
import { encodeAddPath, partitionDirectory } from './paths.js'
import { compareLiterals, holds } from './prune.js'
import type { ActiveFile, Snapshot } from './replay.js'
import { removeAction, sparkStringValues, type DeltaActionJson } from './write-actions.js'

/** Spark's default target (spark.databricks.delta.optimize.maxFileSize is 1 GB; we use 128 MB). */
export const DEFAULT_TARGET_FILE_SIZE = 128 * 1024 * 1024

export interface OptimizeBin {
  /** serialized partition values, as in the inputs' add actions (null for a null value) */
  partitionValues: Record<string, string | null>
  /** the partition's directory relative to the table root ('' when unpartitioned) */
  directory: string
  files: ActiveFile[]
  bytes: number
}

export interface OptimizePlan {
  readVersion: number
  targetFileSize: number
  bins: OptimizeBin[]
  /** active files matching the partition filter */
  filesConsidered: number
  /** considered files not in any bin */
  filesSkipped: number
  partitions: number
}

export interface OptimizePlanOptions {
  targetFileSize: number
  /** a filter on partition columns only (see checkPartitionFilter), or null for the whole table */
  where: Filter | null
}

/** The columns a filter reads. */
export function filterColumns(f: Filter, out = new Set<string>()): Set<string> {
  switch (f.kind) {
    case 'and': case 'or': for (const c of f.children) filterColumns(c, out); break
    case 'not': filterColumns(f.child, out); break
    default: out.add(f.column)
  }
  return out
}

/** Throws `422 invalid_parameter` (`param`) when the filter reads a column that is not a partition column. */
export function checkPartitionFilter(f: Filter, partitionColumns: string[], param = 'where'): void {
  const others = [...filterColumns(f)].filter((c) => !partitionColumns.includes(c))
  if (others.length === 0) return
  throw invalidParameter(param, partitionColumns.length === 0
    ? 'the table has no partition columns: OPTIMIZE can only be limited by partition'
    : `only partition columns (${partitionColumns.join(', ')}) may be used, not ${others.map((c) => `"${c}"`).join(', ')}`)
}

function likeRegExp(pattern: string, caseInsensitive: boolean): RegExp {
  let re = ''
  for (const ch of pattern) {
    if (ch === '*' || ch === '%') re += '.*'
    else if (ch === '_') re += '.'
    else re += ch.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')
  }
  return new RegExp(`^${re}$`, caseInsensitive ? 'isu' : 'su')
}

/**
 * SQL three-valued evaluation of `f` on one file's typed partition values: true, false, or
 * null (unknown: a comparison with a null value). A file is selected only when it is true.
 */
export function evalPartitionFilter(f: Filter, values: Record<string, Literal | null>, fields: Map<string, Field>): boolean | null {
  switch (f.kind) {
    case 'and': {
      let unknown = false
      for (const c of f.children) {
        const r = evalPartitionFilter(c, values, fields)
        if (r === false) return false
        if (r === null) unknown = true
      }
      return unknown ? null : true
    }
    case 'or': {
      let unknown = false
      for (const c of f.children) {
        const r = evalPartitionFilter(c, values, fields)
        if (r === true) return true
        if (r === null) unknown = true
      }
      return unknown ? null : false
    }
    case 'not': {
      const r = evalPartitionFilter(f.child, values, fields)
      return r === null ? null : !r
    }
    case 'is': {
      const v = values[f.column] ?? null
      return f.value === null ? v === null : v === f.value
    }
    case 'cmp': {
      const v = values[f.column] ?? null
      if (v === null) return null
      const c = compareLiterals(v, f.value, fields.get(f.column)!)
      return c === null ? null : holds(f.op, c)
    }
    case 'in': {
      const v = values[f.column] ?? null
      if (v === null) return null
      let unknown = false
      for (const x of f.values) {
        const c = compareLiterals(v, x, fields.get(f.column)!)
        if (c === 0) return true
        if (c === null) unknown = true
      }
      return unknown ? null : false
    }
    case 'like': {
      const v = values[f.column] ?? null
      if (v === null) return null
      return likeRegExp(f.pattern, f.caseInsensitive).test(String(v))
    }
  }
}

/** Partition values with '' (a null in the log) written as null. */
function normalizedPartition(add: AddFile, columns: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (const c of columns) {
    const v = add.partitionValues[c]
    out[c] = v === undefined || v === '' ? null : v
  }
  return out
}

/**
 * Plans the compaction of `snapshot`. Throws `422 invalid_parameter` for a target that is not
 * a positive integer, or a `where` on non-partition columns; `422 unsupported_table` for a
 * partition value that does not fit its column.
 */
export function planOptimize(snapshot: Snapshot, opts: OptimizePlanOptions): OptimizePlan {
  const target = opts.targetFileSize
  if (!Number.isSafeInteger(target) || target < 1) throw invalidParameter('target_file_size', 'must be a positive integer (bytes)')
  const columns = snapshot.partitionColumns
  const fields = new Map(snapshot.schema.map((f) => [f.name, f]))
  const partitionFields = columns.map((c) => fields.get(c)!).filter(Boolean)
  if (opts.where) checkPartitionFilter(opts.where, columns)

  // partition key -> files in table order
  const partitions = new Map<string, { values: Record<string, string | null>; files: ActiveFile[] }>()
  let considered = 0
  for (const f of snapshot.files) {
    if (opts.where) {
      const typed = parsePartitionValues(f.partitionValues, partitionFields)
      if (evalPartitionFilter(opts.where, typed, fields) !== true) continue
    }
    considered++
    const values = normalizedPartition(f, columns)
    const key = JSON.stringify(columns.map((c) => values[c]))
    let p = partitions.get(key)
    if (!p) partitions.set(key, (p = { values, files: [] }))
    p.files.push(f)
  }

  const bins: OptimizeBin[] = []
  let optimizedPartitions = 0
  for (const p of partitions.values()) {
    const directory = columns.length === 0 ? '' : partitionDirectory(columns, p.values)
    const before = bins.length
    let current: ActiveFile[] = []
    let bytes = 0
    const close = () => {
      if (current.length >= 2) bins.push({ partitionValues: p.values, directory, files: current, bytes })
      current = []
      bytes = 0
    }
    for (const f of p.files) {
      if (f.size >= target) continue
      if (current.length > 0 && bytes + f.size > target) close()
      current.push(f)
      bytes += f.size
    }
    close()
    if (bins.length > before) optimizedPartitions++
  }
  const inBins = bins.reduce((n, b) => n + b.files.length, 0)
  return {
    readVersion: snapshot.version,
    targetFileSize: target,
    bins,
    filesConsidered: considered,
    filesSkipped: considered - inBins,
    partitions: optimizedPartitions,
  }
}

/** A file written for a bin: its path relative to the table root (on disk, not URI-encoded). */
export interface CompactedFile {
  path: string
  size: number
  stats: string
  partitionValues: Record<string, string | null>
}

export interface OptimizeCommitOptions {
  engineInfo: string
  userName?: string
  runId?: string
  /** the `where` text as given (recorded as the predicate) */
  predicate: string | null
  timestampMs?: number
}

/** Spark's file size histogram (FileSizeStatsWithHistogram) of the added files. */
export function fileSizeMetrics(sizes: number[]): Record<string, number> {
  const s = [...sizes].sort((a, b) => a - b)
  if (s.length === 0) return { minFileSize: 0, p25FileSize: 0, p50FileSize: 0, p75FileSize: 0, maxFileSize: 0 }
  const n = s.length
  return {
    minFileSize: s[0]!,
    p25FileSize: s[Math.floor(n / 4)]!,
    p50FileSize: s[Math.floor(n / 2)]!,
    p75FileSize: s[Math.floor((n * 3) / 4)]!,
    maxFileSize: s[n - 1]!,
  }
}

/** Spark's OPTIMIZE operationMetrics, as strings. */
export function optimizeMetrics(removed: { size: number }[], added: { size: number }[]): Record<string, string> {
  return sparkStringValues({
    numRemovedFiles: removed.length,
    numRemovedBytes: removed.reduce((n, f) => n + f.size, 0),
    numAddedFiles: added.length,
    numAddedBytes: added.reduce((n, f) => n + f.size, 0),
    ...fileSizeMetrics(added.map((f) => f.size)),
    numDeletionVectorsRemoved: 0,
  }) as Record<string, string>
}

/**
 * The actions of an OPTIMIZE commit on top of `plan.readVersion`: commitInfo, a remove for
 * every input file of the plan, an add for every written file.
 */
export function optimizeActions(plan: OptimizePlan, written: CompactedFile[], o: OptimizeCommitOptions): DeltaActionJson[] {
  const now = o.timestampMs ?? Date.now()
  const removed = plan.bins.flatMap((b) => b.files)
  const metrics = optimizeMetrics(removed, written)
  const actions: DeltaActionJson[] = [{
    commitInfo: {
      timestamp: now,
      userName: o.userName,
      operation: 'OPTIMIZE',
      operationParameters: sparkStringValues({
        predicate: JSON.stringify(o.predicate === null ? [] : [o.predicate]),
        zOrderBy: '[]',
        auto: false,
        targetSize: plan.targetFileSize,
      }),
      readVersion: plan.readVersion,
      isolationLevel: 'SnapshotIsolation',
      isBlindAppend: false,
      operationMetrics: metrics,
      engineInfo: o.engineInfo,
      txnId: randomUUID(),
      runId: o.runId,
    },
  }]
  for (const f of removed) {
    const { absolutePath: _abs, ...add } = f
    actions.push(removeAction(add, { dataChange: false, timestampMs: now }))
  }
  for (const w of written) {
    actions.push({
      add: {
        path: encodeAddPath(w.path),
        partitionValues: w.partitionValues,
        size: w.size,
        modificationTime: now,
        dataChange: false,
        stats: w.stats,
      },
    })
  }
  return actions
}
