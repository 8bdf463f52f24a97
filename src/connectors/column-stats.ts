/**
 * GET /api/datasets/{name}/column-stats: parameters → a validated request, the bucket range
 * (default window anchored at the newest value), and the run over file-backed datasets
 * (uploads, imports, registered Delta tables): files pruned by the time range, split into up
 * to two groups, one `column-stats` task per group, then one `column-stats-finish` task that
 * merges, fills empty buckets, adds rolling means and returns the body bytes. The main
 * thread never touches a row. PostgreSQL datasets: column-stats-postgres.ts.
 *
 * Masking: parameters are validated against the caller's view (masked types), the tasks mask
 * every batch right after the read, and a masked time column never uses Delta/Parquet stats
 * (neither for the newest value nor for file pruning): those describe raw values.
 *
 * I/O; main thread.
 */
import path from 'node:path'
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { Filter, Literal } from '../../proto/plan.js'
import type { ScanFile } from '../../proto/scan.js'
import {
  BUCKET_MICROS, BUCKET_SIZES, DAY_MICROS, HOUR_MICROS, MAX_BUCKETS, MAX_CELLS, MAX_ROLLING, WEEK_MICROS, bucketOrigin,
  type BucketSize, type ColumnStatsFinishTask, type ColumnStatsFormat, type ColumnStatsMaxTask, type ColumnStatsPartial, type ColumnStatsTask,
} from '../../proto/column-stats.js'
import type { Dataset } from '../catalog/index.js'
import { assertVersionFilesPresent, parseStats, pruneFiles, type PlannedFile, type Snapshot } from '../lakehouse/index.js'
import { folderSnapshot } from './parquet-folder.js'
import { parseDateDays, parseTimestampMicros } from '../lakehouse/temporal.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { confineTableFiles, loadTableSnapshot, tableRefOf } from './lakehouse.js'
import { maskedNames, taskMasksOf, type MaskingView } from './profile-masking.js'

/** The caller's masking view of the dataset and the org's hash salt (secret). */
export interface ColumnStatsMasking { view: MaskingView; salt: string }

export const DEFAULT_WINDOW_MICROS = 30 * DAY_MICROS
const PARAMS = new Set(['time_column', 'window', 'from', 'to', 'bucket', 'columns', 'rolling', 'format'])

export interface ColumnStatsRequest {
  timeColumn: Field
  /** the columns to report, in order */
  columns: Field[]
  bucket: BucketSize
  /** explicit bounds in µs since epoch (from inclusive, to exclusive), null when not given */
  from: number | null
  to: number | null
  /** window length in µs (default 30 days) */
  windowMicros: number
  rolling: number | null
  format: ColumnStatsFormat
}

// Bucket arithmetic runs on doubles: instants stay where µs are exact integers (about 1685–2255).
const MAX_SAFE_MICROS = Number.MAX_SAFE_INTEGER

function parseInstant(raw: string, name: string): number {
  const trimmed = raw.trim()
  if (/^[+-]?\d{4,6}-\d{1,2}-\d{1,2}$/.test(trimmed)) {
    const days = parseDateDays(trimmed)
    if (days !== null && Math.abs(days * DAY_MICROS) <= MAX_SAFE_MICROS) return days * DAY_MICROS
  } else if (/^[+-]?\d{4,6}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(trimmed)) {
    const us = parseTimestampMicros(trimmed)
    if (us !== null && us <= BigInt(MAX_SAFE_MICROS) && us >= -BigInt(MAX_SAFE_MICROS)) return Number(us)
  }
  throw invalidParameter(name, `expected an ISO date (YYYY-MM-DD) or timestamp (YYYY-MM-DDTHH:MM:SS[.ffffff]Z), got "${raw.slice(0, 40)}"`)
}

/**
 * Validates the query parameters against the dataset schema. Throws `422 invalid_parameter`
 * naming the parameter (unknown ones included). `format` is the negotiated one.
 */
export function parseColumnStatsParams(entries: [string, string][], schema: readonly Field[], format: ColumnStatsFormat): ColumnStatsRequest {
  const one = new Map<string, string>()
  for (const [k, v] of entries) {
    if (!PARAMS.has(k)) throw invalidParameter(k, `unknown parameter; column-stats takes ${[...PARAMS].join(', ')}`)
    if (one.has(k)) throw invalidParameter(k, 'given more than once')
    one.set(k, v)
  }
  const byName = new Map(schema.map((f) => [f.name, f]))
  const isTime = (f: Field) => f.type === 'date' || f.type === 'timestamp'
  let timeColumn: Field
  const tc = one.get('time_column')
  if (tc !== undefined && tc !== '') {
    const f = byName.get(tc)
    if (!f) throw invalidParameter('time_column', `no column "${tc.slice(0, 128)}"`)
    if (!isTime(f)) throw invalidParameter('time_column', `column "${tc}" is ${f.type}, not a date or timestamp`)
    timeColumn = f
  } else {
    const f = schema.find(isTime)
    if (!f) throw invalidParameter('time_column', 'the dataset has no date or timestamp column; name one with time_column')
    timeColumn = f
  }
  const b = one.get('bucket') ?? '1d'
  if (!(BUCKET_SIZES as readonly string[]).includes(b)) throw invalidParameter('bucket', `expected one of ${BUCKET_SIZES.join(', ')}, got "${b.slice(0, 40)}"`)
  const bucket = b as BucketSize
  let windowMicros = DEFAULT_WINDOW_MICROS
  const w = one.get('window')
  if (w !== undefined) {
    const m = /^([1-9]\d{0,6})([hdw])$/.exec(w)
    if (!m) throw invalidParameter('window', `expected a length like 30d, 12h or 4w, got "${w.slice(0, 40)}"`)
    windowMicros = Number(m[1]) * (m[2] === 'h' ? HOUR_MICROS : m[2] === 'd' ? DAY_MICROS : WEEK_MICROS)
  }
  const from = one.has('from') ? parseInstant(one.get('from')!, 'from') : null
  const to = one.has('to') ? parseInstant(one.get('to')!, 'to') : null
  if (from !== null && to !== null) {
    if (from >= to) throw invalidParameter('from', 'must be before to')
    if (w !== undefined) throw invalidParameter('window', 'give window, or from and to, not all three')
  }
  let rolling: number | null = null
  const r = one.get('rolling')
  if (r !== undefined) {
    if (!/^\d{1,3}$/.test(r) || Number(r) < 1 || Number(r) > MAX_ROLLING) throw invalidParameter('rolling', `expected a number of buckets from 1 to ${MAX_ROLLING}, got "${r.slice(0, 40)}"`)
    rolling = Number(r)
  }
  let columns: Field[] = [...schema]
  const cs = one.get('columns')
  if (cs !== undefined) {
    const names = cs.split(',').map((s) => s.trim())
    if (names.length === 0 || names.some((n) => n === '')) throw invalidParameter('columns', 'expected a comma-separated list of column names')
    columns = []
    for (const n of names) {
      const f = byName.get(n)
      if (!f) throw invalidParameter('columns', `no column "${n.slice(0, 128)}"`)
      if (!columns.includes(f)) columns.push(f)
    }
  }
  return { timeColumn, columns, bucket, from, to, windowMicros, rolling, format }
}

/** True when the window needs the newest value of the time column (neither from nor to given). */
export function needsNewest(req: ColumnStatsRequest): boolean {
  return req.from === null && req.to === null
}

/**
 * The bucket-aligned range `[from, to)`. Explicit bounds are rounded outwards (`from` down,
 * `to` up to a bucket boundary). With one bound, `window` extends from the rounded bound; with
 * neither, the range ends at the end of the bucket holding the newest value (now when there is
 * none) and reaches `window` back, so `window=30d&bucket=1d` is 30 buckets, the last one
 * holding the newest value. Throws `422 query_too_expensive` above MAX_BUCKETS buckets.
 */
export function bucketRange(req: ColumnStatsRequest, newest: number | null): { from: number; to: number } {
  const width = BUCKET_MICROS[req.bucket]
  const origin = bucketOrigin(req.bucket)
  const down = (us: number) => origin + Math.floor((us - origin) / width) * width
  const up = (us: number) => origin + Math.ceil((us - origin) / width) * width
  let from: number
  let to: number
  if (req.from !== null && req.to !== null) {
    from = down(req.from)
    to = up(req.to)
  } else if (req.from !== null) {
    from = down(req.from)
    to = up(from + req.windowMicros)
  } else {
    to = up(req.to ?? (newest ?? Date.now() * 1000) + 1)
    from = down(to - req.windowMicros)
  }
  const n = (to - from) / width
  if (n > MAX_BUCKETS) throw new SluiceError(422, 'query_too_expensive', `the range holds ${n} buckets of ${req.bucket}; at most ${MAX_BUCKETS} are allowed (use a larger bucket or a shorter window)`)
  if (n * req.columns.length > MAX_CELLS) throw new SluiceError(422, 'query_too_expensive', `${n} buckets × ${req.columns.length} columns is more than ${MAX_CELLS} (ask for fewer columns, a larger bucket or a shorter window)`)
  return { from, to }
}

/** A filter on the time column for `[from, to)` (µs), typed for its column (days for dates). */
function rangeFilter(f: Field, from: number, to: number): Filter {
  const lit = (us: number, up: boolean): Literal => f.type === 'date'
    ? (up ? Math.ceil(us / DAY_MICROS) : Math.floor(us / DAY_MICROS))
    : BigInt(us)
  return { kind: 'and', children: [
    { kind: 'cmp', column: f.name, op: 'gte', value: lit(from, false) },
    { kind: 'cmp', column: f.name, op: 'lt', value: lit(to, true) },
  ] }
}

/** The newest time value from Delta stats / partition values, or undefined when some file cannot tell. */
function newestFromStats(snapshot: Snapshot, files: PlannedFile[], f: Field): number | null | undefined {
  let max: number | null = null
  const partition = snapshot.partitionColumns.includes(f.name)
  for (const file of files) {
    let v: Literal | null | undefined
    if (partition) {
      v = file.typedPartitionValues[f.name]
      if (v === null) continue
    } else {
      const st = parseStats(file.add.stats, [f])
      if (st?.numRecords === 0) continue
      v = st?.columns[f.name]?.max
      if (v === undefined && st?.columns[f.name]?.nullCount !== undefined && st.columns[f.name]!.nullCount === st.numRecords) continue
    }
    if (v === undefined || v === null) return undefined
    const us = f.type === 'date' ? Number(v) * DAY_MICROS : Number(v)
    if (max === null || us > max) max = us
  }
  return max
}

function splitGroups<T>(xs: T[], n: number): T[][] {
  const groups: T[][] = Array.from({ length: Math.min(n, xs.length) }, () => [])
  xs.forEach((x, i) => groups[i % groups.length]!.push(x))
  return groups
}

/**
 * Streams the column-stats body of a Delta-backed dataset (at its latest version) or of a
 * plain Parquet folder (its current files). Throws what the snapshot load and the workers throw.
 */
export async function* columnStatsTable(pool: WorkerPool, dataDir: string, d: Dataset, req: ColumnStatsRequest, masking: ColumnStatsMasking, signal: AbortSignal): AsyncGenerator<Uint8Array> {
  const ref = await tableRefOf(dataDir, d)
  let snapshot: Snapshot
  if (ref.kind === 'parquet') {
    // Parquet folders are only ever registered tables, so they always have an org folder.
    if (!ref.confineTo) throw new SluiceError(500, 'internal', 'internal error')
    snapshot = await folderSnapshot(ref.confineTo, ref.tablePath, d.schema)
  } else {
    snapshot = await loadTableSnapshot(ref)
    await assertVersionFilesPresent(snapshot)
  }
  const fields = snapshot.schema
  const have = new Set(fields.map((f) => f.name))
  for (const f of [req.timeColumn, ...req.columns]) {
    if (!have.has(f.name)) throw invalidParameter(f.name === req.timeColumn.name ? 'time_column' : 'columns', `the table has no column "${f.name}"`)
  }
  const toScanFile = (f: PlannedFile): ScanFile => ({ path: path.join(snapshot.tablePath, f.path), partitionValues: f.typedPartitionValues })
  const masks = taskMasksOf(masking.view, masking.salt)
  // stats and partition values are of raw times: a masked time column is always scanned
  const timeMasked = masking.view.rules.has(req.timeColumn.name)
  let newest: number | null = null
  if (needsNewest(req)) {
    const all = pruneFiles(snapshot, null)
    const fromStats = timeMasked ? undefined : newestFromStats(snapshot, all, req.timeColumn)
    if (fromStats !== undefined) newest = fromStats
    else {
      await confineTableFiles(ref, all.map((f) => f.absolutePath))
      const task: ColumnStatsMaxTask = { kind: 'column-stats-max', files: all.map(toScanFile), fields, timeColumn: req.timeColumn.name, ...(masks ? { masks } : {}) }
      newest = await pool.run<number | null>(WORKERS.columnStats, task, { signal })
    }
  }
  const { from, to } = bucketRange(req, newest)
  const files = pruneFiles(snapshot, timeMasked ? null : rangeFilter(req.timeColumn, from, to))
  await confineTableFiles(ref, files.map((f) => f.absolutePath))
  const columns = req.columns.map((f) => f.name)
  const partials = await Promise.all(splitGroups(files, 2).map((group) => {
    const task: ColumnStatsTask = {
      kind: 'column-stats', files: group.map(toScanFile), fields, timeColumn: req.timeColumn.name, columns,
      bucket: req.bucket, fromMicros: from, toMicros: to, ...(masks ? { masks } : {}),
    }
    return pool.run<ColumnStatsPartial>(WORKERS.columnStats, task, { signal })
  }))
  yield await finishColumnStats(pool, req, masking.view, partials, from, to, signal)
}

/** Runs the finish task: the whole body as bytes (`req.columns` are the caller's masked fields). */
export async function finishColumnStats(pool: WorkerPool, req: ColumnStatsRequest, view: MaskingView, partials: ColumnStatsPartial[], from: number, to: number, signal: AbortSignal): Promise<Uint8Array> {
  const task: ColumnStatsFinishTask = {
    kind: 'column-stats-finish', partials, fields: req.columns, timeColumn: req.timeColumn.name, bucket: req.bucket,
    masked: maskedNames(view, req.columns.map((f) => f.name)), timeColumnMasked: view.rules.has(req.timeColumn.name),
    fromMicros: from, toMicros: to, rolling: req.rolling, format: req.format,
  }
  return new Uint8Array(await pool.run<ArrayBuffer>(WORKERS.columnStats, task, { signal }))
}
