/**
 * A large CSV written by two threads: this one writes the first half of the file, a helper
 * thread (range-worker.ts) the second, each with the sampled layout and its guard. Runs in
 * worker threads.
 *
 * Record boundary: the split is the byte after a `\n` near the middle (findSplit). It is a
 * record boundary exactly when the first range, parsed from the start of the file as if the
 * file ended there, ends without an unclosed quote: the tokenizer is the same state machine
 * up to that byte, so a `\n` inside a quoted field leaves the quote open (422 → the caller
 * falls back to one thread). Any failure of either range drops both ranges' files.
 */
import { open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { Worker } from 'node:worker_threads'
import type { CsvIngestResult, CsvIngestTask, IngestedFile } from '../../proto/ingest.js'
import { LayoutMismatch } from './columns.js'
import type { CsvLayout } from './infer.js'
import { partFileName } from './parquet-write.js'
import { writePass, type IngestTuning, type ProgressSink } from './write-pass.js'

/** Files at least this large are split (env CSV_PARALLEL_MIN_BYTES; -1: never). */
export const DEFAULT_PARALLEL_MIN_BYTES = 32 * 1024 * 1024
const PROBE_BYTES = 1024 * 1024

export function parallelMinBytes(tuning: IngestTuning): number {
  if (tuning.parallelMinBytes !== undefined) return tuning.parallelMinBytes
  const raw = process.env.CSV_PARALLEL_MIN_BYTES
  const env = Number(raw)
  return raw !== undefined && raw !== '' && Number.isFinite(env) ? env : DEFAULT_PARALLEL_MIN_BYTES
}

/**
 * The split offset for `layout`'s file, or null: too small, one column (blank lines are data
 * there, and trailing ones are dropped: not decidable per range), an escape other than the
 * quote or a non-ASCII quote, or no `\n` outside quotes in the MiB after the middle. The
 * first `\n` after the middle at an even count of quotes since the start (quote parity: the
 * tokenizer's in-quotes state when quotes only open and close fields); a stray quote inside
 * an unquoted field can mislead it, which the first range then reports (see above).
 */
export async function findSplit(layout: CsvLayout, tuning: IngestTuning): Promise<number | null> {
  const min = parallelMinBytes(tuning)
  const { quote, escape } = layout.dialect
  if (min < 0 || layout.totalBytes < min || layout.fields.length < 2) return null
  if (escape !== quote || quote.charCodeAt(0) >= 0x80) return null
  const q = quote.charCodeAt(0)
  const mid = layout.bomLength + Math.floor((layout.totalBytes - layout.bomLength) / 2)
  const fh = await open(layout.path, 'r')
  try {
    const buf = Buffer.alloc(PROBE_BYTES)
    let odd = false
    for (let pos = layout.bomLength; pos < mid;) {
      const { bytesRead } = await fh.read(buf, 0, Math.min(PROBE_BYTES, mid - pos), pos)
      if (bytesRead === 0) return null
      for (let i = buf.indexOf(q); i >= 0 && i < bytesRead; i = buf.indexOf(q, i + 1)) odd = !odd
      pos += bytesRead
    }
    const { bytesRead } = await fh.read(buf, 0, PROBE_BYTES, mid)
    for (let i = 0; i < bytesRead; i++) {
      const c = buf[i]!
      if (c === q) odd = !odd
      else if (c === 10 && !odd) return mid + i + 1 < layout.totalBytes ? mid + i + 1 : null
    }
    return null
  } finally {
    await fh.close()
  }
}

/** Message from range-worker.ts. */
export type RangeMessage =
  | { kind: 'progress'; bytes: number; rows: number }
  | { kind: 'done'; ok: true; value: CsvIngestResult }
  | { kind: 'done'; ok: false; message: string }

/** What range-worker.ts gets as workerData. */
export interface RangeJob {
  task: Omit<CsvIngestTask, 'progress'>
  layout: CsvLayout
  guard: Int8Array
  tuning: IngestTuning
  target: number
  start: number
}

const RANGE_WORKER = new URL(`./range-worker${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url)

/**
 * The helper thread of a split write, started before it is needed: a thread takes ~0.3 s to
 * start (modules, wasm), which then overlaps the sample inference. `close` stops it when it
 * was not used (no split, or a fallback before it); a used helper ends by itself.
 */
export class RangeHelper {
  readonly #worker = new Worker(RANGE_WORKER)
  #used = false

  constructor() {
    this.#worker.on('error', () => {}) // reported by run(), or irrelevant when never used
  }

  /** Write `job`'s range there; rejects with LayoutMismatch on any failure. */
  run(job: RangeJob, onProgress: (bytes: number, rows: number) => void): Promise<CsvIngestResult> {
    this.#used = true
    const w = this.#worker
    return new Promise<CsvIngestResult>((resolve, reject) => {
      let settled = false
      w.on('message', (m: RangeMessage) => {
        if (m.kind === 'progress') { onProgress(m.bytes, m.rows); return }
        settled = true
        // whatever went wrong there, the exact way on one thread decides
        if (m.ok) resolve(m.value)
        else reject(new LayoutMismatch(`CSV range worker: ${m.message}`))
      })
      w.on('error', (err) => { settled = true; reject(new LayoutMismatch(`CSV range worker: ${err.message}`)) })
      w.on('exit', (code) => { if (!settled) reject(new LayoutMismatch(`CSV range worker exited with ${code}`)) })
      w.postMessage(job)
    })
  }

  close(): void {
    if (!this.#used) void this.#worker.terminate()
  }
}

/**
 * Write the file as two ranges [bom, split) here and [split, end) in a helper thread. Throws
 * LayoutMismatch or a 422 for the caller to fall back to the exact way (after both ranges'
 * files are deleted), or what writePass throws.
 */
export async function writeSplit(
  task: CsvIngestTask, layout: CsvLayout, guard: Int8Array, tuning: IngestTuning, target: number, split: number, progress?: ProgressSink,
  helperThread: RangeHelper = new RangeHelper(),
): Promise<CsvIngestResult> {
  const { progress: _port, ...plain } = task
  const job: RangeJob = { task: plain, layout, guard, tuning, target, start: split }
  let helperBytes = 0
  let helperRows = 0
  let ownBytes = 0
  let ownRows = 0
  const sink: ProgressSink = {
    start: (phase, total) => progress?.start(phase, total),
    update: (bytes, rows) => { ownBytes = bytes; ownRows = rows; progress?.update(ownBytes + helperBytes, ownRows + helperRows) },
  }
  const helper = helperThread.run(job, (bytes, rows) => { helperBytes = bytes; helperRows = rows })
  helper.catch(() => {}) // awaited below
  const own = await writePass(task, layout, guard, tuning, target, sink, { start: layout.bomLength, end: split, header: layout.dialect.header })
    .then((value) => ({ value }), (error: unknown) => ({ error }))
  const other = await helper.then((value) => ({ value }), (error: unknown) => ({ error }))
  if ('error' in own || 'error' in other) {
    // a range that succeeded leaves files: delete them (a failed range deleted its own)
    for (const r of [own, other]) if ('value' in r) for (const f of r.value.files) await unlink(join(task.outDir, f.name)).catch(() => {})
    const err = 'error' in own ? own.error : (other as { error: unknown }).error
    throw err
  }
  // the helper's files follow ours: renumber them
  const files: IngestedFile[] = [...own.value.files]
  for (const f of other.value.files) {
    const name = partFileName(files.length)
    await rename(join(task.outDir, f.name), join(task.outDir, name))
    files.push({ ...f, name })
  }
  progress?.done?.(layout.totalBytes, own.value.rowCount + other.value.rowCount)
  return { ...own.value, rowCount: own.value.rowCount + other.value.rowCount, files }
}

