/**
 * Pass 1 over a CSV file: the dialect, the column names and the type of every column,
 * inferred from EVERY row (not a sample), so that a preview reports exactly what an ingest
 * commits. Also validates type overrides against every value. Runs in worker threads.
 *
 * Header detection (when `options.header` is absent): the first row is data when each of its
 * cells fits the type the rest of the file gives its column, and at least one such column has
 * a type other than string (`1,2` over ints). Otherwise it is a header: an all-string file
 * keeps the default, header present.
 */
import { stat } from 'node:fs/promises'
import { invalidFile, invalidParameter } from '../../proto/errors.js'
import { CSV_COLUMN_TYPES, type CsvColumnType, type CsvDialect, type CsvOptions } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import { CsvScanner, RecordError, lineAt } from './csv-source.js'
import { checkDelimiter, checkOverrides, columnNames, readSample, sniffDelimiter } from './dialect.js'
import type { ProgressReporter } from './progress.js'
import {
  FLOAT, INT, INT_WIDE, NAN_INF, NULL, STRING, classify, fitsForced, fitsInferred, intKind, isStrictFloatCell, join, typeOfCode,
} from './values.js'

export interface CsvLayout {
  dialect: CsvDialect
  /** BOM bytes to skip */
  bomLength: number
  fields: Field[]
  /** data rows in the file */
  rowCount: number
  warnings: string[]
  /** the first data rows, as parsed strings (up to `keepRows`) */
  sampleRows: string[][]
  totalBytes: number
}

/** A forced type to check on one column under one header hypothesis. */
interface ForcedCheck {
  column: number
  type: CsvColumnType
  /** which hypothesis needs it: the first row is a header / is data */
  ifHeader: boolean
  ifNoHeader: boolean
  /** first failure among rows 2.. (file offset and cell), and whether row 1 fails */
  bad: { offset: number; value: string } | null
  row1Bad: boolean
}

/**
 * Infer the layout of `file`. Throws SluiceError 422: invalid_file (empty file, bad CSV or
 * UTF-8, a value that does not fit a forced type — naming the line and column),
 * invalid_parameter (bad delimiter, unknown override column or type).
 */
export async function inferCsv(file: string, options: CsvOptions, keepRows: number, progress?: ProgressReporter): Promise<CsvLayout> {
  const overrides = checkOverrides(options.columns)
  // Types of an existing table (append): like overrides, but names the file lacks are ignored.
  const tableTypes = new Map<string, CsvColumnType>()
  for (const f of options.tableFields ?? []) {
    if ((CSV_COLUMN_TYPES as readonly string[]).includes(f.type) && !overrides.has(f.name)) tableTypes.set(f.name, f.type as CsvColumnType)
  }
  const delimiterGiven = options.delimiter !== undefined && options.delimiter !== null
  if (delimiterGiven) checkDelimiter(options.delimiter!)
  const headerOpt = options.header === undefined || options.header === null ? null : Boolean(options.header)
  const totalBytes = (await stat(file)).size
  const sample = await readSample(file)
  const delimiter = delimiterGiven ? options.delimiter! : sniffDelimiter(sample.text, sample.complete)

  const scanner = new CsvScanner(file, delimiter, sample.bomLength)
  let width = 0
  let row1: string[] | null = null
  let types = new Uint8Array(0)
  let wide = new Uint8Array(0)
  let records = 0
  const kept: string[][] = []
  const checks: ForcedCheck[] = []
  let headerNames: { names: string[]; warnings: string[] } | null = null
  let plainNames: { names: string[]; warnings: string[] } | null = null

  let firstStart = 0
  const onFirstRecord = (fields: string[]): void => {
    firstStart = scanner.recordStart
    width = fields.length
    row1 = fields
    types = new Uint8Array(width)
    wide = new Uint8Array(width)
    headerNames = headerOpt === false ? null : columnNames(fields, width)
    plainNames = headerOpt === true ? null : columnNames(null, width)
    for (const [name, type, strict] of [...[...overrides].map(([n, t]) => [n, t, true] as const), ...[...tableTypes].map(([n, t]) => [n, t, false] as const)]) {
      const hIdx = headerNames ? indexOfName(headerNames.names, name) : -1
      const pIdx = plainNames ? indexOfName(plainNames.names, name) : -1
      if (hIdx < 0 && pIdx < 0) {
        if (!strict) continue
        throw invalidParameter('columns', `no column named ${JSON.stringify(name)}`)
      }
      for (const [idx, ifHeader] of [[hIdx, true], [pIdx, false]] as const) {
        if (idx < 0) continue
        let check = checks.find((c) => c.column === idx && c.type === type)
        if (!check) {
          check = { column: idx, type, ifHeader: false, ifNoHeader: false, bad: null, row1Bad: false }
          checks.push(check)
        }
        if (ifHeader) check.ifHeader = true
        else check.ifNoHeader = true
      }
    }
    for (const c of checks) {
      c.row1Bad = fields[c.column] !== '' && !fitsForced(c.type, fields[c.column]!)
      if (c.row1Bad && headerOpt === false) throw new RecordError(forcedMessage(c, plainNames!.names[c.column]!, fields[c.column]!))
    }
  }

  const onRecord = (fields: string[]): void => {
    if (records++ === 0) return onFirstRecord(fields)
    if (kept.length < keepRows) kept.push(fields)
    for (let c = 0; c < width; c++) {
      const s = fields[c]!
      if (s === '') continue
      const t = types[c]!
      if (t === STRING) continue
      if (t === INT) {
        const k = intKind(s, true)
        if (k === 1) continue
        if (k === 2) { wide[c] = 1; continue }
      } else if (t === FLOAT) {
        if (isStrictFloatCell(s)) continue
      } else if (t !== NULL && fitsInferred(t, s)) {
        continue
      }
      widen(types, wide, c, s)
    }
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!
      if (check.bad) continue
      const s = fields[check.column]!
      if (s === '' || fitsForced(check.type, s)) continue
      check.bad = { offset: scanner.recordStart, value: s }
      // with the header decided up front, this check applies for sure: stop here
      if (headerOpt !== null) throw new RecordError(forcedMessage(check, names()[check.column]!, s))
    }
  }

  let header = headerOpt ?? true
  const names = (): string[] => (header ? headerNames! : plainNames!).names

  progress?.start('inferring', totalBytes)
  await scanner.run({ onRecord, onChunk: (bytesRead) => progress?.update(bytesRead, records) })
  if (records === 0) throw invalidFile('line 1: the file is empty')

  const first = row1 as unknown as string[]
  if (headerOpt === null) header = !firstRowIsData(types, wide, first)
  if (!header) {
    for (let c = 0; c < width; c++) if (first[c] !== '' && !fitsInferred(types[c]!, first[c]!)) widen(types, wide, c, first[c]!)
    kept.unshift(first)
    if (kept.length > keepRows) kept.length = keepRows
  }
  const { names: finalNames, warnings } = header ? headerNames! : plainNames!
  const fieldTypes: CsvColumnType[] = Array.from(types, (t) => typeOfCode(t))
  for (const [name, type] of overrides) {
    const idx = indexOfName(finalNames, name)
    if (idx < 0) throw invalidParameter('columns', `no column named ${JSON.stringify(name)}`)
    fieldTypes[idx] = type
  }
  for (const [name, type] of tableTypes) {
    const idx = indexOfName(finalNames, name)
    if (idx >= 0) fieldTypes[idx] = type
  }
  // the first failing value in the file among the checks that apply
  let failure: { offset: number; message: string } | null = null
  for (const check of checks) {
    if (!(header ? check.ifHeader : check.ifNoHeader)) continue
    const name = finalNames[check.column]!
    const bad = !header && check.row1Bad ? { offset: firstStart, value: first[check.column]! } : check.bad
    if (bad && (!failure || bad.offset < failure.offset)) failure = { offset: bad.offset, message: forcedMessage(check, name, bad.value) }
  }
  if (failure) throw invalidFile(`line ${await lineAt(file, failure.offset)}: ${failure.message}`)

  return {
    dialect: { delimiter, quote: '"', escape: '"', header, encoding: 'utf-8', decimal: '.', null_values: [''], infer_types: true },
    bomLength: sample.bomLength,
    fields: finalNames.map((name, i) => ({ name, type: fieldTypes[i]!, nullable: true })),
    rowCount: records - (header ? 1 : 0),
    warnings,
    sampleRows: kept,
    totalBytes,
  }
}

function forcedMessage(check: ForcedCheck, name: string, value: string): string {
  const shown = value.length > 40 ? value.slice(0, 40) + '...' : value
  return `column ${JSON.stringify(name)}: ${JSON.stringify(shown)} is not a valid ${check.type} (the type forced in "columns" or by the table appended to)`
}

/** Widen column `c` so that cell `s` fits (the slow path of inference). */
function widen(types: Uint8Array, wide: Uint8Array, c: number, s: string): void {
  let v = classify(s)
  if (v === INT_WIDE) {
    wide[c] = 1
    v = INT
  }
  types[c] = join(types[c]!, v, wide[c] === 1)
}

/** Header detection, see the module comment. */
function firstRowIsData(types: Uint8Array, wide: Uint8Array, row: string[]): boolean {
  let typed = false
  for (let c = 0; c < types.length; c++) {
    const t = types[c]!
    if (t === STRING || t === NULL || t === NAN_INF || row[c] === '') continue
    const s = row[c]!
    if (!fitsInferred(t, s)) return false
    typed = true
  }
  return typed
}

/** Exact match first, then case-insensitive (names are unique case-insensitively). */
function indexOfName(names: string[], name: string): number {
  const i = names.indexOf(name)
  if (i >= 0) return i
  const lower = name.toLowerCase()
  return names.findIndex((n) => n.toLowerCase() === lower)
}
