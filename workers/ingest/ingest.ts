/**
 * The csv-ingest task. The layout (dialect, header, types) is inferred from a sample (the
 * first DEFAULT_SAMPLE_BYTES); the file is then written in one pass that holds every cell to
 * the sampled types, split into two byte ranges written by two threads when it is large
 * (ingest-split.ts). Any surprise (a cell that would widen a column, any 422) drops that
 * attempt and the exact way runs: inference over every row (infer.ts), then a second pass
 * that writes (write-pass.ts). Runs in worker threads. On failure every file written is deleted.
 */
import { stat } from 'node:fs/promises'
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { CsvIngestResult, CsvIngestTask } from '../../proto/ingest.js'
import { LayoutMismatch } from './columns.js'
import { openCsvSource, type CsvSource } from './encoding.js'
import { inferCsv, textOptions, type CsvLayout } from './infer.js'
import { RangeHelper, findSplit, parallelMinBytes, writeSplit } from './ingest-split.js'
import { ProgressReporter } from './progress.js'
import { writePass, type IngestTuning } from './write-pass.js'

export { MAX_CHUNK_CSV_BYTES, type IngestTuning } from './write-pass.js'
export const DEFAULT_TARGET_ROWS_PER_FILE = 1_000_000
/**
 * Bytes of CSV the layout is first inferred from (env CSV_INFER_SAMPLE_BYTES; 0: always two
 * passes). The file is then written in one pass that checks every cell against the sampled
 * types; a cell that would widen a column (or any 422) drops that attempt and the file is
 * ingested the exact way, inference over every row first, so the result never differs.
 */
export const DEFAULT_SAMPLE_BYTES = 4 * 1024 * 1024

function sampleBytes(tuning: IngestTuning): number {
  if (tuning.sampleBytes !== undefined) return tuning.sampleBytes
  const env = Number(process.env.CSV_INFER_SAMPLE_BYTES)
  return process.env.CSV_INFER_SAMPLE_BYTES !== undefined && Number.isFinite(env) && env >= 0 ? env : DEFAULT_SAMPLE_BYTES
}

/**
 * Ingest a CSV file into Parquet files in `task.outDir`. Returns the files in order; none for
 * a file without data rows. Throws SluiceError 422 (see inferCsv; invalid_parameter for a
 * bad targetRowsPerFile) and file system / parquet-wasm errors.
 */
export async function ingestCsv(task: CsvIngestTask, tuning: IngestTuning = {}): Promise<CsvIngestResult> {
  const target = task.targetRowsPerFile ?? DEFAULT_TARGET_ROWS_PER_FILE
  if (!Number.isSafeInteger(target) || target < 1) throw invalidParameter('targetRowsPerFile', 'must be a positive integer')
  const progress = task.progress ? new ProgressReporter(task.progress) : undefined

  // non-UTF-8 files are transcoded once into a temp file that both passes parse; a file that
  // starts as UTF-8 is taken as UTF-8 by the one-pass attempt, which validates every byte
  const first = await openCsvSource(task.file, textOptions(task.options ?? {}).encoding, sampleBytes(tuning) > 0)
  let source = first
  try {
    const done = await onePass(task, first, tuning, target, progress)
    if (done) return done
    if (first.provisional) source = await openCsvSource(task.file, textOptions(task.options ?? {}).encoding)
    // the exact way below gives the answer (or the error) the file really calls for
    const layout = await inferCsv(task.file, task.options ?? {}, 0, progress, source, Infinity, task.cancel)
    return await writePass(task, layout, null, tuning, target, progress)
  } finally {
    await first.cleanup()
    if (source !== first) await source.cleanup()
  }
}

/**
 * The layout from a sample, then one pass (two threads for a large file). null when that does
 * not decide (a cell that would widen a column, any 422): the caller takes the exact way.
 */
async function onePass(task: CsvIngestTask, source: CsvSource, tuning: IngestTuning, target: number, progress?: ProgressReporter): Promise<CsvIngestResult | null> {
  const options = task.options ?? {}
  const sample = sampleBytes(tuning)
  if (sample <= 0) return null
  // a file large enough to be split gets its helper thread now, to start during inference
  const min = parallelMinBytes(tuning)
  const helper = min >= 0 && (await stat(source.path)).size >= min ? new RangeHelper() : undefined
  try {
    const layout = await inferCsv(task.file, options, 0, progress, source, sample, task.cancel)
    if (layout.complete) return await writePass(task, layout, null, tuning, target, progress)
    const guard = guardCodes(layout, options)
    const split = await findSplit(layout, tuning)
    if (split !== null) return await writeSplit(task, layout, guard, tuning, target, split, progress, helper)
    return await writePass(task, layout, guard, tuning, target, progress)
  } catch (err) {
    if (!(err instanceof LayoutMismatch) && !(err instanceof SluiceError && err.status === 422)) throw err
    return null
  } finally {
    helper?.close()
  }
}

/**
 * The lattice codes a one-pass ingest must hold every cell to: all of them, except when the
 * header is given and types are not inferred (then only the forced types, which converting
 * checks). Checking a forced column too is merely conservative: a miss costs a fallback.
 */
function guardCodes(layout: CsvLayout, options: CsvIngestTask['options'] & object): Int8Array {
  const codes = Int8Array.from(layout.codes)
  const headerGiven = options.header !== undefined && options.header !== null
  if (headerGiven && !layout.dialect.infer_types) codes.fill(-1)
  return codes
}

