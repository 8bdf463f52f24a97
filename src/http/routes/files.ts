/** File upload (→ new Delta table) and file preview (nothing committed). */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError, datasetNotFound, invalidParameter } from '../../../proto/errors.js'
import type { UploadFormat, UploadPreviewResult } from '../../../proto/ingest.js'
import { typeName } from '../../../proto/types.js'
import { validateDatasetName } from '../../catalog/index.js'
import { assertCanCreate } from '../../auth/permissions.js'
import { assertCanWriteDataset, canRead } from '../../auth/dataset-access.js'
import { createDatasetFromUpload } from '../../jobs/upload.js'
import { jobView, type JobContext } from '../../jobs/runner.js'
import { writeUploadToDataset } from '../../jobs/upload-write.js'
import { receiveUpload } from '../upload-receive.js'
import { detectUploadFormat } from '../../jobs/upload-format.js'
import { previewTask, type UploadOptions } from '../../jobs/upload-tasks.js'
import type { UploadInput } from '../../jobs/upload.js'
import type { BodyReader } from '../body.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { boolParam, enumParam, intParam } from '../params.js'
import { ENGINE_INFO } from '../../engine.js'
import { csvOptionsFrom, UPLOAD_OPTION_KEYS } from '../upload-options.js'
import { datasetView } from '../views.js'

/** Options that are not CSV options (the format override, the workbook sheet, a raw body's file name). */
const OTHER_OPTIONS = ['format', 'sheet', 'filename']
const FORM_FIELDS = new Set(['name', 'description', 'async', 'limit', 'mode', 'schema_mode', 'run_id', ...UPLOAD_OPTION_KEYS, ...OTHER_OPTIONS])
const RUN_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Receives the upload (multipart or raw body; gzip undone) and detects its format. */
async function receive(ctx: RequestContext, s: Services, body: BodyReader): Promise<Received> {
  const rawFilename = ctx.query('filename')
  if (rawFilename !== null && (rawFilename.length > 255 || /[\/\u0000-\u001f]/.test(rawFilename))) throw invalidParameter('filename', 'must be a plain file name of at most 255 characters')
  const got = await receiveUpload(body, {
    contentType: ctx.header('content-type') ?? '', contentEncoding: ctx.header('content-encoding'), contentLength: ctx.header('content-length'),
  }, { tmpDir: path.join(s.config.dataDir, 'tmp'), maxBytes: s.config.maxUploadBytes, rawFilename: rawFilename ?? 'upload' })
  try {
    const get = (key: string) => got.fields[key] ?? ctx.query(key)
    for (const k of Object.keys(got.fields)) if (!FORM_FIELDS.has(k)) throw invalidParameter(k, 'unknown form field')
    for (const [k] of ctx.queryEntries()) if (!FORM_FIELDS.has(k)) throw invalidParameter(k, 'unknown parameter')
    const format = await detectUploadFormat(got.file.path, get('format'))
    const options: UploadOptions = csvOptionsFrom(get)
    const sheet = get('sheet')
    if (sheet !== null && sheet !== '') {
      if (sheet.length > 255) throw invalidParameter('sheet', 'at most 255 characters')
      options.sheet = sheet
    }
    return { get, format, options, file: { ...got.file, format } }
  } catch (err) {
    await fs.promises.rm(got.file.path, { force: true })
    throw err
  }
}

interface Received {
  /** an option's raw text: the form field, else the query parameter */
  get: (key: string) => string | null
  format: UploadFormat
  options: UploadOptions
  file: UploadInput['file'] & { decompressed: boolean }
}

export const fileRoutes: Route[] = [
  {
    method: 'POST', path: '/api/datasets/file/upload', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const p = ctx.principal!
      // Legacy: creating and writing both need editor, so refuse before the body arrives. In
      // grants mode a viewer with a readwrite grant may append: decided once the name is known.
      if (s.config.authzMode === 'legacy') assertCanCreate(p)
      const up = await receive(ctx, s, body!)
      try {
        const name = validateDatasetName(up.get('name'))
        const description = up.get('description') ?? ''
        if (description.length > 10_000) throw invalidParameter('description', 'at most 10000 characters')
        const isAsync = boolParam(up.get('async'), 'async', false)
        const mode = enumParam(up.get('mode'), 'mode', ['append', 'overwrite'] as const, null)
        const schemaMode = enumParam(up.get('schema_mode'), 'schema_mode', ['strict', 'merge'] as const, 'strict')
        const runId = up.get('run_id')
        if (runId !== null && !RUN_ID.test(runId)) throw invalidParameter('run_id', 'must be 1-128 characters of [A-Za-z0-9._:-]')
        const input = { name, description, file: up.file, options: up.options, runId }
        const deps = { dataDir: s.config.dataDir, pool: s.pool, datasets: s.datasets, engineInfo: ENGINE_INFO, rowsPerFile: s.config.rowsPerFile, classifications: s.classifications, log: s.log }
        const found = s.datasets.get(p.org, name)
        // A dataset the caller may not read is 404 (a new upload may not take its name either).
        if (found && !canRead(s, p, found)) throw datasetNotFound(name)
        const existing = found
        if (existing && !mode) throw new SluiceError(409, 'dataset_name_taken', `a dataset named "${name}" already exists (use mode=append or mode=overwrite to add a version)`)
        if (existing) assertCanWriteDataset(s, p, existing)
        else assertCanCreate(p)
        // Appending to a name that does not exist yet creates it, as Spark's append mode does.
        const work = (jc: JobContext | null, signal: AbortSignal) => existing
          ? writeUploadToDataset(deps, p, existing, input, { mode: mode!, schemaMode, runId }, jc, signal)
          : createDatasetFromUpload(deps, p, input, jc, signal)
        if (isAsync) {
          const job = s.jobs.start(p, 'upload', name, (jc) => work(jc, jc.signal).then((d) => datasetView(d, p)))
          ctx.sendJson(202, { job: jobView(job) })
          return
        }
        const dataset = await work(null, ctx.signal)
        ctx.sendJson(existing ? 200 : 201, datasetView(dataset, p))
      } catch (err) {
        await fs.promises.rm(up.file.path, { force: true })
        throw err
      }
    },
  },
  {
    method: 'POST', path: '/api/datasets/file/preview', auth: true, body: true,
    handler: async (ctx, s, body) => {
      assertCanCreate(ctx.principal!)
      const up = await receive(ctx, s, body!)
      try {
        const limit = intParam(up.get('limit'), 'limit', { def: 100, min: 1, max: 10_000 })
        const { worker, task } = previewTask(up.format, up.file.path, up.options, limit)
        const r = await s.pool.run<UploadPreviewResult>(worker, task, { signal: ctx.signal })
        // rowsJson is produced by the worker (encoding rows is per-row work): splice it in as is.
        const head = JSON.stringify({
          format: up.format,
          ...(r.dialect ? { dialect: r.dialect } : {}),
          ...(r.sheets ? { sheets: r.sheets, sheet: r.sheet } : {}),
          file: { name: up.file.filename, bytes: up.file.bytes, received_bytes: up.file.receivedBytes, decompressed: up.file.decompressed },
          columns: r.fields.map((f) => ({ name: f.name, type: typeName(f), nullable: f.nullable })),
          row_count: r.rowCount,
          warnings: r.warnings,
        })
        // The temp file goes before the answer: a client that sees the answer sees nothing left behind.
        await fs.promises.rm(up.file.path, { force: true })
        ctx.send(200, `${head.slice(0, -1)},"rows":${r.rowsJson}}`, 'application/json')
      } finally {
        await fs.promises.rm(up.file.path, { force: true })
      }
    },
  },
]
