/**
 * The common first step of a Parquet preview and ingest: decode the footer, map the columns,
 * plan names, types and the rewrite decision. Runs in worker threads.
 */
import type { CommonUploadOptions } from '../../proto/ingest.js'
import { readUploadFooter, type UploadFooter } from './parquet-upload-footer.js'
import { planUpload, type UploadPlan } from './parquet-upload-plan.js'
import { arrowFieldsOf } from './parquet-upload-read.js'
import { columnShapes } from './parquet-upload-schema.js'

export interface OpenedUpload {
  footer: UploadFooter
  plan: UploadPlan
}

/** Throws 422 invalid_file (not Parquet, truncated, unsupported column) or invalid_parameter (columns). */
export async function openUpload(path: string, options: CommonUploadOptions | undefined): Promise<OpenedUpload> {
  // our footer reader first: it refuses files parquet-wasm could crash on
  const footer = await readUploadFooter(path)
  const shapes = columnShapes(footer.columns, await arrowFieldsOf(path))
  return { footer, plan: planUpload(shapes, footer, options ?? {}) }
}
