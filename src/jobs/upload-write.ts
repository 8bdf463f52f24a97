/**
 * Uploaded file → a new version of an existing Delta-backed dataset (`mode=append` or
 * `mode=overwrite`). The file is parsed with the table's column types, so new data files
 * match the table; the schema must then match (422 schema_mismatch listing the
 * differences) unless `schema_mode=merge`, which adds new nullable columns.
 *
 * Data files are written to a temp folder, moved into the table folder, then committed with
 * retry (a concurrent blind append is retried at the next version). A crash between the move
 * and the commit leaves untracked files that VACUUM (full mode) removes; readers never see them.
 */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../proto/errors.js'
import type { UploadIngestResult } from '../../proto/ingest.js'
import type { Principal } from '../auth/principal.js'
import type { Dataset } from '../catalog/index.js'
import {
  appendActions, commitWithRetry, compareSchemas, fieldsToSchemaString, isDeltaTable, loadSnapshot, mergeSchemas,
  overwriteActions,
} from '../lakehouse/index.js'
import { ingestProgressChannel, ingestTask, removeReadUpload } from './upload-tasks.js'
import { statsRowCount } from '../connectors/lakehouse.js'
import type { JobContext } from './runner.js'
import type { UploadDeps, UploadInput } from './upload.js'
import { testPause } from '../test-hooks.js'
import { classifyAfterWrite } from '../governance/classify-dataset.js'

export type WriteMode = 'append' | 'overwrite'
export type SchemaMode = 'strict' | 'merge'

export interface WriteOptions { mode: WriteMode; schemaMode: SchemaMode; runId: string | null }

export async function writeUploadToDataset(
  deps: UploadDeps, p: Principal, dataset: Dataset, input: UploadInput, opts: WriteOptions, job: JobContext | null, signal: AbortSignal,
): Promise<Dataset> {
  const tableDir = dataset.tablePath
  if (!tableDir || !(await isDeltaTable(tableDir))) throw new SluiceError(422, 'not_a_delta_table', `dataset "${dataset.name}" is not a Delta table: it cannot be appended to or overwritten`)
  const snapshot = await loadSnapshot(tableDir)
  const workDir = path.join(deps.dataDir, 'tmp', `ingest-${deps.datasets.newId()}`)
  const moved: string[] = []
  let committed = false
  const progress = ingestProgressChannel(job, input.file.receivedBytes ?? input.file.bytes)
  let removingUpload: Promise<void> | null = null
  try {
    fs.mkdirSync(workDir, { recursive: true })
    await testPause('upload.before-data')
    // An appended CSV has a header unless the caller says otherwise (its names match columns).
    const options = input.file.format === 'csv' ? { header: true, ...input.options } : input.options
    const { worker, task } = ingestTask(input.file.format, input.file.path, options, {
      outDir: workDir, progress: progress.port2, targetRowsPerFile: deps.rowsPerFile, tableFields: snapshot.schema,
    })
    const result = await deps.pool.run<UploadIngestResult>(worker, task, { signal, transferList: [progress.port2] })
    removingUpload = removeReadUpload(input.file.path)
    signal.throwIfAborted()

    const differences = compareSchemas(snapshot.schema, result.fields)
    const schema = differences.length === 0 ? snapshot.schema
      : opts.schemaMode === 'merge' ? mergeSchemas(snapshot.schema, result.fields)
      : schemaMismatch(differences)
    const schemaChanged = fieldsToSchemaString(schema) !== fieldsToSchemaString(snapshot.schema)

    job?.progress({ phase: 'committing', percent: 96 })
    for (const f of result.files) {
      fs.renameSync(path.join(workDir, f.name), path.join(tableDir, f.name))
      moved.push(path.join(tableDir, f.name))
    }
    await testPause('upload.after-data')
    const common = {
      files: result.files.map((f) => ({ path: f.name, size: f.size, stats: f.stats })),
      engineInfo: deps.engineInfo, userName: p.sub, ...(opts.runId ? { runId: opts.runId } : {}),
    }
    let actions: object[]
    if (opts.mode === 'overwrite') {
      actions = overwriteActions(snapshot, { ...common, ...(schemaChanged ? { schema } : {}) })
    } else {
      actions = appendActions(snapshot, common)
      if (schemaChanged) actions.splice(1, 0, { metaData: { ...snapshot.metadata, schemaString: fieldsToSchemaString(schema) } })
    }
    signal.throwIfAborted()
    const { version } = await commitWithRetry(tableDir, {
      actions, readVersion: snapshot.version,
      readPaths: opts.mode === 'overwrite' ? snapshot.files.map((f) => f.path) : [],
      blindAppend: opts.mode === 'append' && !schemaChanged,
      changesMetadata: schemaChanged,
    }, { signal })
    committed = true

    const now = await loadSnapshot(tableDir, { version })
    dataset.schema = now.schema
    dataset.currentVersion = version
    dataset.rowCount = statsRowCount(now)
    dataset.updatedAt = new Date().toISOString()
    deps.datasets.update(dataset)
    await classifyAfterWrite(deps, dataset)
    return dataset
  } finally {
    progress.port1.close()
    await fs.promises.rm(workDir, { recursive: true, force: true })
    await (removingUpload ?? fs.promises.rm(input.file.path, { force: true }))
    if (!committed) for (const f of moved) await fs.promises.rm(f, { force: true })
  }
}

function schemaMismatch(differences: unknown[]): never {
  const list = differences.map((d) => (d as { message?: string }).message ?? JSON.stringify(d))
  throw new SluiceError(422, 'schema_mismatch', `the file does not match the table's schema: ${list.join('; ')} (use schema_mode=merge to add new columns)`, { differences })
}
