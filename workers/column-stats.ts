/**
 * Column-stats task module (proto/column-stats.ts), three kinds:
 * - `column-stats`: read the time column and the requested columns of some Parquet files and
 *   return the mergeable per-bucket state;
 * - `column-stats-max`: the newest value of the time column (the default window's anchor
 *   when file stats cannot tell);
 * - `column-stats-finish`: merge partials, fill empty buckets, add rolling means and return
 *   the response body (JSON or NDJSON) as bytes ready for the socket.
 * Runs in worker threads; returns failures as data.
 */
import type { Batch, Column } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import type { Literal } from '../proto/plan.js'
import { toTaskFailure, type TaskResult } from '../proto/errors.js'
import type { ScanFile } from '../proto/scan.js'
import type { TaskMasks } from '../proto/masks.js'
import { throwIfCancelled, type CancelFlag } from '../proto/cancel.js'
import { typeName } from '../proto/types.js'
import {
  BUCKET_MICROS, DAY_MICROS,
  type ColumnBucketState, type ColumnStatsFinishTask, type ColumnStatsMaxTask, type ColumnStatsPartial, type ColumnStatsTask,
} from '../proto/column-stats.js'
import { readParquetBatches } from './kernels/parquet-read.js'
import { constantColumn } from './kernels/constant.js'
import { addRow, distinctCount, jsonNumber, mergeStates, newWorkingState, toBucketState, wireValue, type WorkingState } from './kernels/column-stats-state.js'
import { formatTimestamp } from './kernels/text.js'
import { maskBatch, maskRuleMap } from './kernels/mask-batch.js'

type Task = ColumnStatsTask | ColumnStatsMaxTask | ColumnStatsFinishTask

/**
 * Batches of `files` shaped like `wanted` (partition columns filled in from the file's values),
 * masked with `masks` before anything else sees them (partition columns included).
 */
async function* fileBatches(files: ScanFile[], wanted: Field[], masks: TaskMasks | undefined, cancel: CancelFlag | undefined): AsyncGenerator<Batch> {
  const rules = maskRuleMap(masks)
  const salt = masks?.salt ?? ''
  for (const file of files) {
    const pv = file.partitionValues ?? {}
    const fromFile = wanted.filter((f) => !(f.name in pv))
    for await (const batch of readParquetBatches(file.path, { fields: fromFile })) {
      throwIfCancelled(cancel)
      const byName = new Map(batch.columns.map((c) => [c.name, c]))
      const cols: Column[] = wanted.map((f) => byName.get(f.name) ?? constantColumn(f, (pv[f.name] ?? null) as Literal | null, batch.length))
      yield maskBatch({ length: batch.length, columns: cols }, rules, salt)
    }
  }
}

/** µs since epoch of row i of a date or timestamp column; null for a null row. */
function timeReader(col: Column): (i: number) => number | null {
  const nulls = col.nulls
  if (col.type === 'date') {
    const v = col.values as Int32Array
    return (i) => (nulls?.[i] ? null : v[i]! * DAY_MICROS)
  }
  const v = col.values as BigInt64Array
  return (i) => (nulls?.[i] ? null : Number(v[i]!))
}

function fieldsOf(all: Field[], names: string[]): Field[] {
  return names.map((n) => {
    const f = all.find((x) => x.name === n)
    if (!f) throw new Error(`unknown column ${n}`)
    return f
  })
}

async function scanBuckets(task: ColumnStatsTask): Promise<ColumnStatsPartial> {
  const width = BUCKET_MICROS[task.bucket]
  const names = [task.timeColumn, ...task.columns.filter((c) => c !== task.timeColumn)]
  const wanted = fieldsOf(task.fields, names)
  const work = new Map<number, WorkingState[]>()
  for await (const batch of fileBatches(task.files, wanted, task.masks, task.cancel)) {
    const time = timeReader(batch.columns[0]!)
    const cols = task.columns.map((c) => batch.columns[names.indexOf(c)]!)
    for (let i = 0; i < batch.length; i++) {
      const t = time(i)
      if (t === null || t < task.fromMicros || t >= task.toMicros) continue
      const b = Math.floor((t - task.fromMicros) / width)
      let states = work.get(b)
      if (!states) work.set(b, (states = cols.map(() => newWorkingState())))
      for (let c = 0; c < cols.length; c++) addRow(states[c]!, cols[c]!, i)
    }
  }
  const buckets: ColumnStatsPartial['buckets'] = {}
  for (const [b, states] of work) {
    const out: Record<string, ColumnBucketState> = {}
    task.columns.forEach((c, k) => { out[c] = toBucketState(states[k]!) })
    buckets[b] = out
  }
  return { buckets }
}

async function newestValue(task: ColumnStatsMaxTask): Promise<number | null> {
  const wanted = fieldsOf(task.fields, [task.timeColumn])
  let max: number | null = null
  for await (const batch of fileBatches(task.files, wanted, task.masks, task.cancel)) {
    const time = timeReader(batch.columns[0]!)
    for (let i = 0; i < batch.length; i++) {
      const t = time(i)
      if (t !== null && (max === null || t > max)) max = t
    }
  }
  return max
}

const EMPTY: ColumnBucketState = { count: 0, nullCount: 0, min: null, max: null, sum: 0, n: 0, distinct: { kind: 'set', keys: [] } }

interface Finished { count: number; nullCount: number; nullRate: number; distinct: number; min: string; max: string; mean: number | null }

/** Mean of the non-null numbers of `xs`, or null when there are none. */
function meanOf(xs: (number | null)[]): number | null {
  let s = 0
  let n = 0
  for (const x of xs) if (x !== null) { s += x; n++ }
  return n === 0 ? null : s / n
}

function finish(task: ColumnStatsFinishTask): ArrayBuffer {
  const width = BUCKET_MICROS[task.bucket]
  const nBuckets = Math.round((task.toMicros - task.fromMicros) / width)
  const table: Finished[][] = []
  for (let b = 0; b < nBuckets; b++) {
    table.push(task.fields.map((f) => {
      let s: ColumnBucketState | null = null
      for (const p of task.partials) {
        const x = p.buckets[b]?.[f.name]
        if (x) s = s ? mergeStates(f.type, s, x) : x
      }
      s ??= EMPTY
      return {
        count: s.count, nullCount: s.nullCount, nullRate: s.count === 0 ? 0 : s.nullCount / s.count,
        distinct: distinctCount(s.distinct), min: wireValue(f, s.min), max: wireValue(f, s.max),
        mean: s.n === 0 ? null : s.sum / s.n,
      }
    }))
  }
  const masked = new Set(task.masked ?? [])
  const meta = task.fields.map((f) => `{"name":${JSON.stringify(f.name)},"type":${JSON.stringify(typeName(f))},"masked":${masked.has(f.name)}}`).join(',')
  const header = `"time_column":${JSON.stringify(task.timeColumn)},"time_column_masked":${task.timeColumnMasked === true},"bucket":"${task.bucket}","from":"${formatTimestamp(BigInt(task.fromMicros))}","to":"${formatTimestamp(BigInt(task.toMicros))}","columns":[${meta}]`
  const parts: string[] = [task.format === 'json' ? `{${header},"buckets":[` : `{${header}}\n`]
  for (let b = 0; b < nBuckets; b++) {
    const cols: string[] = task.fields.map((f, k) => {
      const x = table[b]![k]!
      let rolling = ''
      if (task.rolling !== null) {
        const win = table.slice(Math.max(0, b - task.rolling + 1), b + 1).map((row) => row[k]!)
        rolling = `,"rolling":{"null_rate":${jsonNumber(meanOf(win.map((w) => w.nullRate)))},"distinct_count":${jsonNumber(meanOf(win.map((w) => w.distinct)))},"mean":${jsonNumber(meanOf(win.map((w) => w.mean)))}}`
      }
      return `${JSON.stringify(f.name)}:{"count":${x.count},"null_count":${x.nullCount},"null_rate":${jsonNumber(x.nullRate)},"distinct_count":${x.distinct},"min":${x.min},"max":${x.max},"mean":${jsonNumber(x.mean)}${rolling}}`
    })
    const line = `{"start":"${formatTimestamp(BigInt(task.fromMicros + b * width))}","columns":{${cols.join(',')}}}`
    parts.push(task.format === 'json' ? (b === 0 ? line : ',' + line) : line + '\n')
  }
  if (task.format === 'json') parts.push(']}')
  const buf = Buffer.from(parts.join(''))
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer
}

export default async function columnStats(task: Task): Promise<TaskResult<ColumnStatsPartial | number | null | ArrayBuffer>> {
  try {
    switch (task.kind) {
      case 'column-stats': return { ok: true, value: await scanBuckets(task) }
      case 'column-stats-max': return { ok: true, value: await newestValue(task) }
      case 'column-stats-finish': return { ok: true, value: finish(task) }
    }
  } catch (err) {
    return toTaskFailure(err)
  }
}
