/**
 * Helpers of the test/ingest-xlsx*.test.ts files: workbooks written with exceljs, hand-made
 * packages (a stored zip of given parts), and the built xlsx task module (SLUICE_DIST), called
 * in-process or in a child process (to set TZ, or to measure RSS on its own).
 */
import { execFile } from 'node:child_process'
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { crc32, deflateRawSync } from 'node:zlib'
import ExcelJS from 'exceljs'
import type { TaskResult } from '../../proto/errors.js'
import type { UploadIngestResult, UploadPreviewResult, XlsxOptions } from '../../proto/ingest.js'
import { tempDir, type TestLike } from './ingest.js'
import { DIST } from './server.js'

export const TASK_MODULE = join(DIST, 'workers', 'ingest-xlsx.js')
type Task = (task: object) => Promise<TaskResult<UploadPreviewResult | UploadIngestResult>>
let task: Task | null = null
async function runTask(t: object): Promise<TaskResult<UploadPreviewResult | UploadIngestResult>> {
  task ??= ((await import(TASK_MODULE)) as { default: Task }).default
  return task(t)
}

/** Write a workbook built by `build` (exceljs, in memory) into a temp dir. */
export async function workbookFile(t: TestLike, build: (wb: ExcelJS.Workbook) => void, name = 'upload.xlsx'): Promise<string> {
  const wb = new ExcelJS.Workbook()
  build(wb)
  const path = join(tempDir(t), name)
  await wb.xlsx.writeFile(path)
  return path
}

/** A zip of the given parts, stored (no compression) unless `deflate`. */
export function zipOf(parts: Record<string, string | Buffer>, opts: { deflate?: boolean } = {}): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const [name, content] of Object.entries(parts)) {
    const raw = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8')
    const data = opts.deflate ? deflateRawSync(raw) : raw
    const method = opts.deflate ? 8 : 0
    const nameBuf = Buffer.from(name, 'utf8')
    const crc = crc32(raw)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(method, 8); local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(data.length, 18); local.writeUInt32LE(raw.length, 22); local.writeUInt16LE(nameBuf.length, 26)
    const cd = Buffer.alloc(46)
    cd.writeUInt32LE(0x02014b50, 0); cd.writeUInt16LE(20, 4); cd.writeUInt16LE(20, 6); cd.writeUInt16LE(method, 10); cd.writeUInt32LE(crc, 16)
    cd.writeUInt32LE(data.length, 20); cd.writeUInt32LE(raw.length, 24); cd.writeUInt16LE(nameBuf.length, 28); cd.writeUInt32LE(offset, 42)
    locals.push(local, nameBuf, data)
    central.push(cd, nameBuf)
    offset += 30 + nameBuf.length + data.length
  }
  const cdBuf = Buffer.concat(central)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0); end.writeUInt16LE(Object.keys(parts).length, 8); end.writeUInt16LE(Object.keys(parts).length, 10)
  end.writeUInt32LE(cdBuf.length, 12); end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cdBuf, end])
}

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'

/**
 * A minimal hand-written package: one sheet with the given `<sheetData>` content, optional
 * shared strings (`<si>` elements), styles (`<cellXfs>` numFmtIds, custom formats), workbookPr.
 */
export function handmadeXlsx(opts: {
  sheetData: string
  sharedStrings?: string[]
  cellXfs?: number[]
  numFmts?: Record<number, string>
  workbookPr?: string
  contentTypesExtra?: string
  extraParts?: Record<string, string | Buffer>
}): Buffer {
  const parts: Record<string, string | Buffer> = {
    '[Content_Types].xml': `<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>${opts.contentTypesExtra ?? ''}</Types>`,
    'xl/workbook.xml': `<?xml version="1.0"?><workbook ${NS}>${opts.workbookPr ?? ''}<sheets><sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': '<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>',
  }
  if (opts.sharedStrings) parts['xl/sharedStrings.xml'] = `<?xml version="1.0"?><sst ${NS}>${opts.sharedStrings.join('')}</sst>`
  if (opts.cellXfs) {
    const fmts = Object.entries(opts.numFmts ?? {}).map(([id, code]) => `<numFmt numFmtId="${id}" formatCode="${code.replace(/"/g, '&quot;')}"/>`).join('')
    parts['xl/styles.xml'] = `<?xml version="1.0"?><styleSheet ${NS}><numFmts>${fmts}</numFmts><cellXfs>${opts.cellXfs.map((id) => `<xf numFmtId="${id}"/>`).join('')}</cellXfs></styleSheet>`
  }
  parts['xl/worksheets/sheet1.xml'] = `<?xml version="1.0"?><worksheet ${NS}><sheetData>${opts.sheetData}</sheetData></worksheet>`
  Object.assign(parts, opts.extraParts ?? {})
  return zipOf(parts)
}

export function fileOf(t: TestLike, content: Buffer, name = 'upload.xlsx'): string {
  const path = join(tempDir(t), name)
  writeFileSync(path, content)
  return path
}

export async function previewXlsxResult(file: string, options: XlsxOptions = {}, limit = 100): Promise<TaskResult<UploadPreviewResult>> {
  return runTask({ kind: 'xlsx-preview', file, options, limit }) as Promise<TaskResult<UploadPreviewResult>>
}

export async function previewXlsx(file: string, options: XlsxOptions = {}, limit = 100): Promise<UploadPreviewResult> {
  const r = await previewXlsxResult(file, options, limit)
  if (!r.ok) throw new Error(`preview failed: ${r.status} ${r.code} ${r.message}`)
  return r.value
}

export async function ingestXlsxResult(t: TestLike, file: string, options: XlsxOptions = {}, targetRowsPerFile?: number): Promise<TaskResult<UploadIngestResult> & { outDir: string }> {
  const outDir = tempDir(t)
  const r = await runTask({ kind: 'xlsx-ingest', file, options, outDir, ...(targetRowsPerFile ? { targetRowsPerFile } : {}) }) as TaskResult<UploadIngestResult>
  return { ...r, outDir }
}

export async function ingestXlsx(t: TestLike, file: string, options: XlsxOptions = {}, targetRowsPerFile?: number): Promise<UploadIngestResult & { outDir: string }> {
  const r = await ingestXlsxResult(t, file, options, targetRowsPerFile)
  if (!r.ok) throw new Error(`ingest failed: ${r.status} ${r.code} ${r.message}`)
  return { ...r.value, outDir: r.outDir }
}

/** Run `code` (an ES module body; `TASK` is the task module's default export) in a child node with `env`; returns its stdout JSON. */
export async function inChild(code: string, env: Record<string, string> = {}): Promise<unknown> {
  const script = `const TASK = (await import(${JSON.stringify(TASK_MODULE)})).default;\n${code}`
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], {
    env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024, cwd: join(DIST, '..'),
  })
  return JSON.parse(stdout.trim().split('\n').pop()!)
}
