/**
 * Pass 1 over a workbook: check the options, look at the package (xlsx-package.ts), stream it
 * once to list every sheet's used range and infer the layout of the sheet to read: the one
 * named by `sheet` (exact name, else case-insensitive), or the first non-empty visible sheet in
 * workbook order (else the first non-empty hidden one). Worker threads.
 */
import { stat } from 'node:fs/promises'
import { invalidFile, invalidParameter } from '../../proto/errors.js'
import { CSV_COLUMN_TYPES, type CsvColumnType, type SheetInfo, type XlsxOptions } from '../../proto/ingest.js'
import { checkOverrides } from './dialect.js'
import type { ProgressReporter } from './progress.js'
import { SheetInference, type SheetLayout, type SheetRules } from './xlsx-infer.js'
import { inspectXlsx, type XlsxPackage } from './xlsx-package.js'
import { readWorkbook } from './xlsx-read.js'

export interface WorkbookLayout {
  pkg: XlsxPackage
  /** every sheet, in workbook order */
  sheets: SheetInfo[]
  /** index of the sheet read, in `sheets` */
  index: number
  layout: SheetLayout
  totalBytes: number
}

function optionalBoolean(v: unknown, param: string): boolean | null {
  if (v === undefined || v === null) return null
  if (typeof v !== 'boolean') throw invalidParameter(param, 'must be true or false')
  return v
}

export function sheetRules(options: XlsxOptions): SheetRules {
  const overrides = checkOverrides(options.columns)
  const tableTypes = new Map<string, CsvColumnType>()
  for (const f of options.tableFields ?? []) {
    if ((CSV_COLUMN_TYPES as readonly string[]).includes(f.type) && !overrides.has(f.name)) tableTypes.set(f.name, f.type as CsvColumnType)
  }
  return {
    header: optionalBoolean(options.header, 'header'),
    inferTypes: optionalBoolean(options.inferTypes, 'infer_types') ?? true,
    overrides,
    tableTypes,
  }
}

function findSheet(pkg: XlsxPackage, name: string): number {
  const exact = pkg.sheets.findIndex((s) => s.name === name)
  if (exact >= 0) return exact
  // Excel sheet names are unique case-insensitively
  const lower = name.toLowerCase()
  const i = pkg.sheets.findIndex((s) => s.name.toLowerCase() === lower)
  if (i >= 0) return i
  const have = pkg.sheets.map((s) => JSON.stringify(s.name)).join(', ')
  throw invalidParameter('sheet', `no sheet named ${JSON.stringify(name)} (the workbook has ${have || 'no sheets'})`)
}

/**
 * Infer the layout of the sheet to read, keeping its first `keepRows` data rows. `listAll`:
 * also measure the other sheets (a preview lists them); without it and with `sheet` given,
 * the other sheets are skipped unparsed. Throws SluiceError 422 (invalid_parameter `sheet`,
 * `header`, `infer_types`, `columns`; invalid_file).
 */
export async function inferXlsx(file: string, options: XlsxOptions, keepRows: number, listAll: boolean, progress?: ProgressReporter): Promise<WorkbookLayout> {
  const rules = sheetRules(options)
  if (options.sheet !== undefined && options.sheet !== null && typeof options.sheet !== 'string') throw invalidParameter('sheet', 'must be a sheet name')
  const totalBytes = (await stat(file)).size
  const pkg = await inspectXlsx(file)
  const wanted = typeof options.sheet === 'string' ? findSheet(pkg, options.sheet) : -1
  const states = new Map<number, SheetInference>()
  let rows = 0
  progress?.start('inferring', totalBytes)
  await readWorkbook(file, pkg, (i) => {
    if (wanted >= 0 && i !== wanted && !listAll) return null
    const state = new SheetInference(pkg.sheets[i]!.name, rules, keepRows, wanted >= 0 && i !== wanted)
    states.set(i, state)
    return { counters: state.counters, onRow: (r, cells) => { rows++; state.onRow(r, cells) } }
  }, (bytes) => progress?.update(bytes, rows))
  const sheets = pkg.sheets.map((s, i) => states.get(i)?.info() ?? { name: s.name, rows: 0, columns: 0 })
  let index = wanted
  if (index < 0) {
    const nonEmpty = (i: number): boolean => sheets[i]!.rows > 0
    index = pkg.sheets.findIndex((s, i) => s.state === 'visible' && nonEmpty(i))
    if (index < 0) index = pkg.sheets.findIndex((_, i) => nonEmpty(i))
    if (index < 0) throw invalidFile('the workbook has no data: every sheet is empty')
  }
  const state = states.get(index)
  if (!state) throw invalidFile(`sheet ${JSON.stringify(pkg.sheets[index]!.name)} is empty (or not a worksheet)`)
  return { pkg, sheets, index, layout: state.finish(), totalBytes }
}
