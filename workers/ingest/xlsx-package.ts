/**
 * Look at an .xlsx package before streaming it: refuse what is not an xlsx workbook (legacy
 * .xls and encrypted workbooks are OLE2 files; macro-enabled .xlsm; zips without
 * xl/workbook.xml), and read the small parts every pass needs: the sheets in workbook order
 * with their part paths, the date system (`date1904`), and which cell styles are date formats.
 * Reading these here (by offset) rather than from exceljs's stream makes the result
 * independent of the order of the entries inside the zip. Worker threads.
 */
import { open } from 'node:fs/promises'
import { invalidFile } from '../../proto/errors.js'
import { isDateFormat } from './xlsx-dates.js'
import { attr, localName, parseSax } from './xlsx-sax.js'
import { listZip, readZipEntry, type ZipEntry } from './xlsx-zip.js'

export interface PackageSheet {
  name: string
  /** zip path of the part, e.g. `xl/worksheets/sheet1.xml` (null: not found in the rels) */
  path: string | null
  /** `visible`, `hidden` or `veryHidden` */
  state: string
}

export interface XlsxPackage {
  /** every entry of the zip, by name (from the central directory) */
  entries: Map<string, ZipEntry>
  sheets: PackageSheet[]
  /** zip path of the shared strings part, null when the workbook has none */
  sharedStrings: string | null
  date1904: boolean
  /** per cell style index (`s=`), 1 when its number format is a date/time format */
  dateStyles: Uint8Array
}

const OLE2_MAGIC = Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1])
const SMALL_PART_BYTES = 64 * 1024 * 1024
/** Built-in number formats that are dates or times (ECMA-376 18.8.30, plus the CJK ids 27-36, 50-58). */
const BUILTIN_DATE_FORMATS = new Set([14, 15, 16, 17, 18, 19, 20, 21, 22, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 45, 46, 47, 50, 51, 52, 53, 54, 55, 56, 57, 58])

export async function inspectXlsx(file: string): Promise<XlsxPackage> {
  const fh = await open(file, 'r')
  try {
    const { size } = await fh.stat()
    const head = Buffer.alloc(8)
    await fh.read(head, 0, 8, 0)
    if (head.equals(OLE2_MAGIC)) {
      throw invalidFile('this is a legacy Excel 97-2003 (.xls) or password-protected workbook; save it as .xlsx without a password')
    }
    if (head.readUInt32LE(0) !== 0x04034b50) throw invalidFile('the file is not an .xlsx workbook (not a zip file)')
    const entries = await listZip(fh, size)
    const part = async (name: string): Promise<Buffer | null> => {
      const e: ZipEntry | undefined = entries.get(name)
      return e ? readZipEntry(fh, e, SMALL_PART_BYTES) : null
    }
    const types = (await part('[Content_Types].xml'))?.toString('utf8') ?? ''
    if (entries.has('xl/vbaProject.bin') || /macroEnabled/i.test(types)) {
      throw invalidFile('macro-enabled workbooks (.xlsm) are not accepted; save it as .xlsx (Excel Workbook) without macros')
    }
    const workbook = await part('xl/workbook.xml')
    if (!workbook) throw invalidFile('the file is a zip but not an .xlsx workbook (no xl/workbook.xml)')
    const rels = await part('xl/_rels/workbook.xml.rels')
    const styles = await part('xl/styles.xml')
    const { targets, sharedStrings } = rels ? await readRels(rels) : { targets: new Map<string, string>(), sharedStrings: null }
    const { sheets, date1904 } = await readWorkbook(workbook, targets)
    const sst = sharedStrings ?? 'xl/sharedStrings.xml'
    return { entries, sheets, sharedStrings: entries.has(sst) ? sst : null, date1904, dateStyles: styles ? await readDateStyles(styles) : new Uint8Array(0) }
  } finally {
    await fh.close()
  }
}

async function* events(xml: Buffer, what: string) {
  try {
    for await (const batch of parseSax([xml])) yield* batch
  } catch {
    throw invalidFile(`the workbook's ${what} is not valid XML`)
  }
}

/** relationship id → zip path of its target, and the target of the shared strings relationship */
async function readRels(xml: Buffer): Promise<{ targets: Map<string, string>; sharedStrings: string | null }> {
  const targets = new Map<string, string>()
  let sharedStrings: string | null = null
  for await (const ev of events(xml, 'relationships')) {
    if (ev.eventType !== 'opentag' || localName(ev.value.name) !== 'Relationship') continue
    const id = attr(ev.value, 'Id')
    const target = attr(ev.value, 'Target')
    if (!id || !target) continue
    // targets are relative to xl/ or absolute from the package root
    const path = target.startsWith('/') ? target.slice(1) : `xl/${target}`
    targets.set(id, path)
    if (attr(ev.value, 'Type')?.endsWith('/sharedStrings')) sharedStrings = path
  }
  return { targets, sharedStrings }
}

async function readWorkbook(xml: Buffer, rels: Map<string, string>): Promise<{ sheets: PackageSheet[]; date1904: boolean }> {
  const sheets: PackageSheet[] = []
  let date1904 = false
  for await (const ev of events(xml, 'workbook.xml')) {
    if (ev.eventType !== 'opentag') continue
    const name = localName(ev.value.name)
    if (name === 'workbookPr') {
      const v = attr(ev.value, 'date1904')
      date1904 = v === '1' || v === 'true' // xsd:boolean
    } else if (name === 'sheet') {
      const rid = attr(ev.value, 'id')
      sheets.push({ name: attr(ev.value, 'name') ?? `Sheet${sheets.length + 1}`, path: (rid && rels.get(rid)) ?? null, state: attr(ev.value, 'state') ?? 'visible' })
    }
  }
  return { sheets, date1904 }
}

/** The `cellXfs` list (the styles cells point at with `s=`), as "is a date format" flags. */
async function readDateStyles(xml: Buffer): Promise<Uint8Array> {
  const custom = new Map<number, string>()
  const xfFormats: number[] = []
  let inCellXfs = false
  for await (const ev of events(xml, 'styles.xml')) {
    const name = localName(ev.value instanceof Object && 'name' in ev.value ? ev.value.name : '')
    if (ev.eventType === 'opentag') {
      if (name === 'numFmt') custom.set(Number(attr(ev.value, 'numFmtId')), attr(ev.value, 'formatCode') ?? '')
      else if (name === 'cellXfs') inCellXfs = true
      else if (name === 'xf' && inCellXfs) xfFormats.push(Number(attr(ev.value, 'numFmtId') ?? 0))
    } else if (ev.eventType === 'closetag' && name === 'cellXfs') {
      inCellXfs = false
    }
  }
  return Uint8Array.from(xfFormats, (id) => {
    const code = custom.get(id)
    // a custom format may redefine a built-in id
    if (code !== undefined) return isDateFormat(code) ? 1 : 0
    return BUILTIN_DATE_FORMATS.has(id) ? 1 : 0
  })
}
