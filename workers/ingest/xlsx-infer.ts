/**
 * Pass 1 over one sheet: its used range, the header decision, column names and types, from
 * EVERY row (as for CSV, a preview reports exactly what an ingest commits), plus the checks of
 * forced types. Pure (fed rows by xlsx-read.ts); worker threads.
 *
 * - Used range: the bounding box of the non-empty cells (leading and trailing empty rows and
 *   columns are ignored). Error cells count as non-empty (they are nulls in place).
 * - Rows with no value inside the data are skipped (as CSV skips blank lines), with a warning.
 * - Header (when `header` is absent): the first non-empty row is data when each of its cells
 *   fits the type the other rows give its column and at least one such column is not string
 *   (numbers over numbers); otherwise (text over typed columns, or an all-text sheet) it names
 *   the columns. With `inferTypes: false` it is a header unless `header: false`.
 * - Types: cell types (xlsx-cells.ts) joined as CSV joins them (values.ts `join`): int64 +
 *   float64 → float64, date + timestamp → timestamp, any other mix → string.
 * - Merged cells: the value sits in the top-left cell; the others are empty, so null. No fill.
 */
import { invalidFile, invalidParameter } from '../../proto/errors.js'
import type { CsvColumnType, SheetInfo } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import { columnNames } from './dialect.js'
import { NULL, STRING, fitsForced, join, typeOfCode } from './values.js'
import { cellCode, cellText, type CellValue } from './xlsx-cells.js'
import { cellRef, SheetCounters } from './xlsx-sheet.js'

/** The options of xlsx-options.ts, checked. */
export interface SheetRules {
  header: boolean | null
  inferTypes: boolean
  overrides: Map<string, CsvColumnType>
  /** types of the table appended to (apply when the name exists) */
  tableTypes: Map<string, CsvColumnType>
}

export interface SheetLayout {
  info: SheetInfo
  header: boolean
  /** 1-based row number of the header row, 0 without a header */
  headerRow: number
  /** 0-based sheet column of the first field */
  firstCol: number
  fields: Field[]
  rowCount: number
  warnings: string[]
  /** the first data rows as cell texts per field (for BatchBuilder) */
  sampleRows: string[][]
}

const MAX_COLUMNS = 16384
type Row = (CellValue | undefined)[]

/** First bad cell of a forced type in one column. */
interface Bad { r: number; value: string }

export class SheetInference {
  readonly counters = new SheetCounters()
  #firstRow = 0
  #lastRow = 0
  #minCol = MAX_COLUMNS
  #maxCol = -1
  #rows = 0
  #row1: Row = []
  #types: Uint8Array
  #kept: Row[] = []
  /** per forced type: column → first bad cell below the first row / in the first row */
  #bad = new Map<string, { below: Map<number, Bad>; first: Map<number, Bad> }>()

  /** `boundsOnly`: only the used range is wanted (a sheet listed, not read). */
  constructor(readonly name: string, readonly rules: SheetRules, readonly keepRows: number, readonly boundsOnly = false) {
    this.#types = new Uint8Array(boundsOnly ? 0 : MAX_COLUMNS)
    if (!boundsOnly) {
      for (const t of [...rules.overrides.values(), ...rules.tableTypes.values()]) {
        if (t !== 'string' && !this.#bad.has(t)) this.#bad.set(t, { below: new Map(), first: new Map() })
      }
    }
  }

  readonly onRow = (r: number, cells: Row): void => {
    const first = this.#firstRow === 0
    if (first) {
      this.#firstRow = r
      this.#row1 = cells
    } else {
      this.#rows++
      if (this.#kept.length < this.keepRows) this.#kept.push(cells)
    }
    this.#lastRow = r
    if (cells.length - 1 > this.#maxCol) this.#maxCol = cells.length - 1
    let c = 0
    while (cells[c] === undefined) c++
    if (c < this.#minCol) this.#minCol = c
    if (this.boundsOnly) return
    const types = this.#types
    for (; c < cells.length; c++) {
      const v = cells[c]
      if (v === undefined) continue
      if (!first) {
        const code = cellCode(v)
        if (code !== NULL && types[c] !== code) types[c] = join(types[c]!, code, false)
      }
      if (this.#bad.size > 0) this.#check(r, c, v, first)
    }
  }

  #check(r: number, c: number, v: CellValue, first: boolean): void {
    const text = cellText(v)
    if (text === '') return // an error cell: null in any type
    for (const [type, bad] of this.#bad) {
      const map = first ? bad.first : bad.below
      if (!map.has(c) && !fitsForced(type, text)) map.set(c, { r, value: text })
    }
  }

  /** The used range. */
  info(): SheetInfo {
    if (this.#firstRow === 0) return { name: this.name, rows: 0, columns: 0 }
    return { name: this.name, rows: this.#lastRow - this.#firstRow + 1, columns: this.#maxCol - this.#minCol + 1 }
  }

  /**
   * The layout of the sheet's data. Throws 422 invalid_parameter "columns" for an override
   * naming no column, invalid_file for a value that does not fit a forced type (naming the cell).
   */
  finish(): SheetLayout {
    const info = this.info()
    if (this.#firstRow === 0) throw invalidFile(`sheet ${JSON.stringify(this.name)} is empty`)
    const { rules } = this
    const lo = this.#minCol
    const width = this.#maxCol - lo + 1
    const types = this.#types
    const row1 = this.#row1
    const header = rules.header ?? (rules.inferTypes ? !this.#firstRowIsData() : true)
    if (!header) {
      for (let c = lo; c < lo + width; c++) {
        const v = row1[c]
        const code = v === undefined ? NULL : cellCode(v)
        if (code !== NULL) types[c] = join(types[c]!, code, false)
      }
    }
    const { names, warnings } = header
      ? columnNames(Array.from({ length: width }, (_, i) => cellText(row1[lo + i])), width)
      : columnNames(null, width)
    const fieldTypes: CsvColumnType[] = names.map((_, i) => (rules.inferTypes ? typeOfCode(types[lo + i]!) : 'string'))
    const forced: [number, CsvColumnType][] = []
    for (const [name, type] of rules.overrides) {
      const i = indexOfName(names, name)
      if (i < 0) throw invalidParameter('columns', `no column named ${JSON.stringify(name)}`)
      forced.push([i, type])
    }
    for (const [name, type] of rules.tableTypes) {
      const i = indexOfName(names, name)
      if (i >= 0) forced.push([i, type])
    }
    let failure: { r: number; c: number; name: string; type: string; value: string } | null = null
    for (const [i, type] of forced) {
      fieldTypes[i] = type
      const bad = this.#bad.get(type)
      if (!bad) continue
      const b = (!header ? bad.first.get(lo + i) : undefined) ?? bad.below.get(lo + i)
      if (b && (!failure || b.r < failure.r || (b.r === failure.r && lo + i < failure.c))) failure = { r: b.r, c: lo + i, name: names[i]!, type, value: b.value }
    }
    if (failure) {
      const shown = failure.value.length > 40 ? failure.value.slice(0, 40) + '...' : failure.value
      throw invalidFile(`sheet ${JSON.stringify(this.name)} cell ${cellRef(failure.r, failure.c)}: column ${JSON.stringify(failure.name)}: ${JSON.stringify(shown)} is not a valid ${failure.type} (the type forced in "columns" or by the table appended to)`)
    }
    const blank = this.#lastRow - this.#firstRow + 1 - (this.#rows + 1)
    if (blank > 0) warnings.push(`${blank} empty row${blank === 1 ? '' : 's'} inside the data skipped`)
    const k = this.counters
    if (k.errors > 0) warnings.push(`${k.errors} error cell${k.errors === 1 ? '' : 's'} (${[...k.errorCodes].join(', ')}) read as null, the first at ${k.firstError}`)
    if (k.uncached > 0) warnings.push(`${k.uncached} formula cell${k.uncached === 1 ? '' : 's'} without a cached value (the workbook was saved without calculating) read as null, the first at ${k.firstUncached}`)
    const sample = header ? this.#kept : [row1, ...this.#kept].slice(0, this.keepRows)
    return {
      info,
      header,
      headerRow: header ? this.#firstRow : 0,
      firstCol: lo,
      fields: names.map((name, i) => ({ name, type: fieldTypes[i]!, nullable: true })),
      rowCount: this.#rows + (header ? 0 : 1),
      warnings,
      sampleRows: sample.map((row) => rowTexts(row, lo, width)),
    }
  }

  /** Header detection, see the module comment. */
  #firstRowIsData(): boolean {
    let typed = false
    for (let c = this.#minCol; c <= this.#maxCol; c++) {
      const t = this.#types[c]!
      const v = this.#row1[c]
      if (t === STRING || t === NULL || v === undefined) continue
      const code = cellCode(v)
      if (code === NULL) continue
      if (join(t, code, false) !== t) return false
      typed = true
    }
    return typed
  }
}

/** The texts of a row's cells from column `lo`, `width` of them ('' = null). */
export function rowTexts(row: Row, lo: number, width: number): string[] {
  const out = new Array<string>(width)
  for (let i = 0; i < width; i++) out[i] = cellText(row[lo + i])
  return out
}

/** Exact match first, then case-insensitive (names are unique case-insensitively). */
function indexOfName(names: string[], name: string): number {
  const i = names.indexOf(name)
  if (i >= 0) return i
  const lower = name.toLowerCase()
  return names.findIndex((n) => n.toLowerCase() === lower)
}
