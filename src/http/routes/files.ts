/** File upload (→ new Delta table) and file preview (nothing committed). */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError, badRequest, datasetNotFound, invalidParameter, payloadTooLarge } from '../../../proto/errors.js'
import type { CsvOptions, CsvPreviewResult } from '../../../proto/ingest.js'
import { typeName } from '../../../proto/types.js'
import { validateDatasetName } from '../../catalog/index.js'
import { assertCanCreate } from '../../auth/permissions.js'
import { assertCanWriteDataset, canRead } from '../../auth/dataset-access.js'
import { createDatasetFromUpload } from '../../jobs/upload.js'
import { jobView, type JobContext } from '../../jobs/runner.js'
import { writeUploadToDataset } from '../../jobs/upload-write.js'
import { WORKERS } from '../../pool.js'
import { receiveMultipart, type ReceivedForm } from '../multipart.js'
import type { BodyReader } from '../body.js'
import type { RequestContext } from '../context.js'
import type { Route } from '../router.js'
import type { Services } from '../services.js'
import { boolParam, enumParam, intParam } from '../params.js'
import { ENGINE_INFO } from '../../engine.js'
import { csvOptionsFrom, UPLOAD_OPTION_KEYS } from '../upload-options.js'
import { datasetView } from '../views.js'

const FORM_FIELDS = new Set(['name', 'description', 'async', 'limit', 'mode', 'schema_mode', 'run_id', ...UPLOAD_OPTION_KEYS])
const RUN_ID = /^[A-Za-z0-9._:-]{1,128}$/

/** Receives the multipart body after the cheap checks (Content-Length against the limit). */
async function receiveUpload(ctx: RequestContext, s: Services, body: BodyReader): Promise<ReceivedForm & { file: NonNullable<ReceivedForm['file']> }> {
  const max = s.config.maxUploadBytes
  const declared = ctx.header('content-length')
  // The multipart envelope adds a little to the file's size; allow 64 KiB of it.
  if (declared && Number(declared) > max + 65_536) throw payloadTooLarge(max)
  const contentType = ctx.header('content-type') ?? ''
  if (!contentType.toLowerCase().startsWith('multipart/form-data')) throw badRequest('send the file as multipart/form-data with a "file" part')
  const form = await receiveMultipart(body, contentType, { tmpDir: path.join(s.config.dataDir, 'tmp'), maxFileBytes: max })
  if (!form.file) throw badRequest('the form has no "file" part')
  return form as ReceivedForm & { file: NonNullable<ReceivedForm['file']> }
}

/** Form fields win over query parameters of the same name. */
function optionValue(ctx: RequestContext, form: ReceivedForm, key: string): string | null {
  return form.fields[key] ?? ctx.query(key)
}

function uploadOptionsOf(ctx: RequestContext, form: ReceivedForm): CsvOptions {
  for (const k of Object.keys(form.fields)) if (!FORM_FIELDS.has(k)) throw invalidParameter(k, 'unknown form field')
  return csvOptionsFrom((key) => optionValue(ctx, form, key))
}

export const fileRoutes: Route[] = [
  {
    method: 'POST', path: '/api/datasets/file/upload', auth: true, body: true,
    handler: async (ctx, s, body) => {
      const p = ctx.principal!
      // Legacy: creating and writing both need editor, so refuse before the body arrives. In
      // grants mode a viewer with a readwrite grant may append: decided once the name is known.
      if (s.config.authzMode === 'legacy') assertCanCreate(p)
      const form = await receiveUpload(ctx, s, body!)
      try {
        const name = validateDatasetName(optionValue(ctx, form, 'name'))
        const description = optionValue(ctx, form, 'description') ?? ''
        if (description.length > 10_000) throw invalidParameter('description', 'at most 10000 characters')
        const options = uploadOptionsOf(ctx, form)
        const isAsync = boolParam(optionValue(ctx, form, 'async'), 'async', false)
        const mode = enumParam(optionValue(ctx, form, 'mode'), 'mode', ['append', 'overwrite'] as const, null)
        const schemaMode = enumParam(optionValue(ctx, form, 'schema_mode'), 'schema_mode', ['strict', 'merge'] as const, 'strict')
        const runId = optionValue(ctx, form, 'run_id')
        if (runId !== null && !RUN_ID.test(runId)) throw invalidParameter('run_id', 'must be 1-128 characters of [A-Za-z0-9._:-]')
        const input = { name, description, file: form.file, options, runId }
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
        await fs.promises.rm(form.file.path, { force: true })
        throw err
      }
    },
  },
  {
    method: 'POST', path: '/api/datasets/file/preview', auth: true, body: true,
    handler: async (ctx, s, body) => {
      assertCanCreate(ctx.principal!)
      const form = await receiveUpload(ctx, s, body!)
      try {
        const options = uploadOptionsOf(ctx, form)
        const limit = intParam(optionValue(ctx, form, 'limit'), 'limit', { def: 100, min: 1, max: 10_000 })
        const r = await s.pool.run<CsvPreviewResult>(WORKERS.ingestCsv, { kind: 'csv-preview', file: form.file.path, options, limit }, { signal: ctx.signal })
        // rowsJson is produced by the worker (encoding rows is per-row work): splice it in as is.
        const head = JSON.stringify({
          dialect: r.dialect,
          columns: r.fields.map((f) => ({ name: f.name, type: typeName(f), nullable: f.nullable })),
          row_count: r.rowCount,
          warnings: r.warnings,
        })
        // The temp file goes before the answer: a client that sees the answer sees nothing left behind.
        await fs.promises.rm(form.file.path, { force: true })
        ctx.send(200, `${head.slice(0, -1)},"rows":${r.rowsJson}}`, 'application/json')
      } finally {
        await fs.promises.rm(form.file.path, { force: true })
      }
    },
  },
]
