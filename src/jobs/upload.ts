/**
 * Uploaded file → new Delta table (version 0) → catalog entry of kind `upload`.
 * Parsing and Parquet writing run in a worker into a temp folder; only a complete table is
 * moved into place, committed and then registered, and any failure removes everything it
 * made (temp folder, table folder, uploaded file), so nothing is left half-written.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../proto/errors.js'
import type { UploadFormat, UploadIngestResult } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import type { Principal } from '../auth/principal.js'
import type { Dataset, DatasetStore } from '../catalog/index.js'
import { commitNewTable } from './managed-table.js'
import type { WorkerPool } from '../pool.js'
import { ingestProgressChannel, ingestTask, removeReadUpload, type UploadOptions } from './upload-tasks.js'
import type { JobContext } from './runner.js'
import { testPause } from '../test-hooks.js'
import { classifyAfterWrite, type ClassifyHookDeps } from '../governance/classify-dataset.js'

export interface UploadInput {
  name: string
  description: string
  /** the received file (decompressed), its detected format, and the bytes that came over the wire */
  file: { path: string; filename: string; bytes: number; format: UploadFormat; receivedBytes?: number; decompressed?: boolean }
  options: UploadOptions
  /** the upstream run (recipe) that produced the file, recorded in commitInfo */
  runId?: string | null
}

export interface UploadDeps extends ClassifyHookDeps { dataDir: string; pool: WorkerPool; datasets: DatasetStore; engineInfo: string; rowsPerFile: number }

export async function createDatasetFromUpload(deps: UploadDeps, p: Principal, input: UploadInput, job: JobContext | null, signal: AbortSignal): Promise<Dataset> {
  const id = deps.datasets.newId()
  const workDir = path.join(deps.dataDir, 'tmp', `ingest-${id}`)
  const tableDir = path.join(deps.dataDir, 'tables', id)
  let committed = false
  const progress = ingestProgressChannel(job, input.file.receivedBytes ?? input.file.bytes)
  let removingUpload: Promise<void> | null = null
  try {
    fs.mkdirSync(workDir, { recursive: true })
    await testPause('upload.before-data')
    job?.progress({ phase: 'parsing', percent: 0, bytes_received: input.file.receivedBytes ?? input.file.bytes })
    const { worker, task } = ingestTask(input.file.format, input.file.path, input.options, { outDir: workDir, progress: progress.port2, targetRowsPerFile: deps.rowsPerFile })
    const result = await deps.pool.run<UploadIngestResult>(worker, task, { signal, transferList: [progress.port2] })
    removingUpload = removeReadUpload(input.file.path)
    signal.throwIfAborted()
    job?.progress({ phase: 'committing', percent: 96, rows_parsed: result.rowCount })
    if (deps.datasets.isNameTaken(p.org, input.name)) throw new SluiceError(409, 'dataset_name_taken', `a dataset named "${input.name}" already exists`)

    fs.mkdirSync(tableDir, { recursive: true })
    for (const f of result.files) fs.renameSync(path.join(workDir, f.name), path.join(tableDir, f.name))
    signal.throwIfAborted()
    await testPause('upload.after-data')
    await commitNewTable(tableDir, {
      fields: result.fields, files: result.files, rowCount: result.rowCount, operation: 'WRITE',
      engineInfo: deps.engineInfo, userName: p.sub, description: input.description, ...(input.runId ? { runId: input.runId } : {}),
    })
    const now = new Date().toISOString()
    const dataset: Dataset = {
      id, org: p.org, name: input.name, kind: 'upload', description: input.description,
      schema: result.fields as Field[], settings: {},
      provenance: {
        source: 'upload', ...uploadProvenance(input, result),
        ...(job ? { job: job.id } : {}),
      },
      tablePath: tableDir, currentVersion: 0, rowCount: result.rowCount,
      createdBy: p.sub, createdAt: now, updatedAt: now,
    }
    signal.throwIfAborted()
    deps.datasets.insert(dataset)
    committed = true
    await classifyAfterWrite(deps, dataset)
    return dataset
  } finally {
    progress.port1.close()
    await fs.promises.rm(workDir, { recursive: true, force: true })
    await (removingUpload ?? fs.promises.rm(input.file.path, { force: true }))
    if (!committed) await fs.promises.rm(tableDir, { recursive: true, force: true })
  }
}

/** What the dataset records about the file it came from. */
export function uploadProvenance(input: UploadInput, result: UploadIngestResult): Record<string, unknown> {
  return {
    // compressed uploads also record what came over the wire
    file: { name: input.file.filename, bytes: input.file.bytes, ...(input.file.decompressed ? { received_bytes: input.file.receivedBytes } : {}) },
    format: input.file.format,
    ...(result.dialect ? { dialect: result.dialect } : {}),
    ...(result.sheet !== undefined ? { sheet: result.sheet } : {}),
    ...(result.rewritten !== undefined ? { rewritten: result.rewritten } : {}),
    warnings: result.warnings,
  }
}
