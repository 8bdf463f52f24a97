/**
 * The parquet-ingest task: a file whose columns are already the canonical Parquet types of
 * the final fields (and need no renaming) becomes the table's data file as it is
 * (`rewritten: false`); any other is rewritten row group by row group. Runs in worker threads.
 */
import { stat } from 'node:fs/promises'
import { invalidParameter } from '../../proto/errors.js'
import type { IngestedFile, ParquetIngestTask, UploadIngestResult } from '../../proto/ingest.js'
import { DEFAULT_TARGET_ROWS_PER_FILE } from './ingest.js'
import { linkUpload } from './parquet-upload-link.js'
import { openUpload } from './parquet-upload-open.js'
import { rewriteUpload } from './parquet-upload-rewrite.js'
import { ProgressReporter } from './progress.js'

export interface ParquetIngestTuning {
  /** rows per row group of rewritten files (default: parquet-write's) */
  rowGroupRows?: number
}

export async function ingestParquet(task: ParquetIngestTask, tuning: ParquetIngestTuning = {}): Promise<UploadIngestResult> {
  const target = task.targetRowsPerFile ?? DEFAULT_TARGET_ROWS_PER_FILE
  if (!Number.isSafeInteger(target) || target < 1) throw invalidParameter('targetRowsPerFile', 'must be a positive integer')
  const progress = task.progress ? new ProgressReporter(task.progress) : undefined
  const { footer, plan } = await openUpload(task.file, task.options)
  const totalBytes = (await stat(task.file)).size
  progress?.start('writing', totalBytes)
  const rewritten = plan.rewriteReasons.length > 0
  let files: IngestedFile[] = []
  if (footer.numRows > 0) {
    files = rewritten
      ? await rewriteUpload({ path: task.file, outDir: task.outDir, footer, reads: plan.reads, fields: plan.fields, targetRowsPerFile: target, totalBytes, progress, rowGroupRows: tuning.rowGroupRows, cancel: task.cancel })
      : [await linkUpload(task.file, task.outDir, footer, plan.fields, progress)]
  }
  progress?.update(totalBytes, footer.numRows)
  return { format: 'parquet', fields: plan.fields, rowCount: footer.numRows, warnings: plan.warnings, files, rewritten }
}
