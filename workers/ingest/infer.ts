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
import { throwIfCancelled, type CancelFlag } from '../../proto/cancel.js'
import { invalidFile, invalidParameter } from '../../proto/errors.js'
import { CSV_COLUMN_TYPES, type CsvColumnType, type CsvDialect, type CsvEncoding, type CsvOptions } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import { CsvScanner, RecordError, lineAt } from './csv-source.js'
import { checkDelimiter, checkNullValues, checkOverrides, checkQuoteChar, columnNames, readSample, sniffDelimiter } from './dialect.js'
import { checkEncoding, openCsvSource, type CsvSource } from './encoding.js'
import type { ProgressReporter } from './progress.js'
import {
  FLOAT, INT, INT_WIDE, NAN_INF, NULL, STRING, classify, fitsForced, fitsInferred, intKind, isStrictFloatCell, join, typeOfCode,
} from './values.js'

export interface CsvLayout {
  dialect: CsvDialect
  /** the UTF-8 file parsed (the upload, or its transcoded copy: CsvSource.path) */
  path: string
  /** BOM bytes to skip */
  bomLength: number
  fields: Field[]
  /** data rows in the file */
  rowCount: number
  warnings: string[]
  /** the first data rows, as parsed strings (up to `keepRows`) */
  sampleRows: string[][]
  totalBytes: number
  /** false: inferred from a sample (the start of the file) only, see inferCsv's sampleBytes */
  complete: boolean
  /** per column, the inference lattice code (values.ts) behind the layout */
  codes: Uint8Array
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

/** CsvOptions validated, with their defaults (the delimiter and header may stay undecided). */
export interface TextOptions {
  delimiter: string | null
  quote: string
  escape: string
  encoding: CsvEncoding | undefined
  decimal: '.' | ','
  nullValues: string[]
  inferTypes: boolean
}

/** Validate the text options of `options`. Throws 422 invalid_parameter naming the option. */
export function textOptions(options: CsvOptions): TextOptions {
  const given = (v: unknown): boolean => v !== undefined && v !== null
  const quote = given(options.quote) ? checkQuoteChar(options.quote, 'quote') : '"'
  const escape = given(options.escape) ? checkQuoteChar(options.escape, 'escape') : quote
  const delimiter = given(options.delimiter) ? checkDelimiter(options.delimiter!, quote) : null
  if (delimiter !== null && escape === delimiter) throw invalidParameter('escape', 'must differ from the delimiter')
  const decimal = given(options.decimal) ? options.decimal! : '.'
  if (decimal !== '.' && decimal !== ',') throw invalidParameter('decimal', 'must be . or ,')
  if (decimal === ',' && delimiter === ',') throw invalidParameter('decimal', 'a decimal comma needs a delimiter other than ,')
  return {
    delimiter,
    quote,
    escape,
    encoding: given(options.encoding) ? checkEncoding(options.encoding) : undefined,
    decimal,
    nullValues: given(options.nullValues) ? checkNullValues(options.nullValues) : [''],
    inferTypes: given(options.inferTypes) ? Boolean(options.inferTypes) : true,
  }
}

/**
 * Infer the layout of `file`. Throws SluiceError 422: invalid_file (empty file, bad CSV or
 * bytes not valid in the encoding, a value that does not fit a forced type — naming the line
 * and column), invalid_parameter (a bad option, unknown override column or type).
 * `source`: the file already opened with openCsvSource (the caller cleans it up); absent, it
 * is opened and cleaned up here.
 */
export async function inferCsv(
  file: string, options: CsvOptions, keepRows: number, progress?: ProgressReporter, source?: CsvSource, sampleBytes = Infinity, cancel?: CancelFlag,
): Promise<CsvLayout> {
  const text = textOptions(options)
  if (source) return inferSource(source, text, options, keepRows, progress, sampleBytes, cancel)
  const own = await openCsvSource(file, text.encoding)
  try {
    return await inferSource(own, text, options, keepRows, progress, sampleBytes, cancel)
  } finally {
    await own.cleanup()
  }
}

/**
 * `sampleBytes`: read only about this many bytes (whole records) and infer from them; the
 * layout then says `complete: false` unless that reached the end of the file.
 */
async function inferSource(
  source: CsvSource, text: TextOptions, options: CsvOptions, keepRows: number, progress: ProgressReporter | undefined, sampleBytes: number, cancel: CancelFlag | undefined,
): Promise<CsvLayout> {
  const file = source.path
  const comma = text.decimal === ','
  const nullSet = text.nullValues.length === 1 && text.nullValues[0] === '' ? null : new Set(text.nullValues)
  const isNull = (s: string): boolean => (nullSet === null ? s === '' : nullSet.has(s))
  const overrides = checkOverrides(options.columns)
  // Types of an existing table (append): like overrides, but names the file lacks are ignored.
  const tableTypes = new Map<string, CsvColumnType>()
  for (const f of options.tableFields ?? []) {
    if ((CSV_COLUMN_TYPES as readonly string[]).includes(f.type) && !overrides.has(f.name)) tableTypes.set(f.name, f.type as CsvColumnType)
  }
  const headerOpt = options.header === undefined || options.header === null ? null : Boolean(options.header)
  const totalBytes = (await stat(file)).size
  const sample = await readSample(file, source.bomLength)
  // a decimal comma rules `,` out as the delimiter; the quote and escape cannot be one either
  const exclude = [...(comma ? [','] : []), text.quote, text.escape]
  const delimiter = text.delimiter ?? sniffDelimiter(sample.text, sample.complete, text.quote, exclude, text.escape)

  const scanner = new CsvScanner(file, delimiter, sample.bomLength, text.quote, text.escape)
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
      c.row1Bad = !isNull(fields[c.column]!) && !fitsForced(c.type, fields[c.column]!, comma)
      if (c.row1Bad && headerOpt === false) throw new RecordError(forcedMessage(c, plainNames!.names[c.column]!, fields[c.column]!))
    }
  }

  const onRecord = (fields: string[]): void => {
    if (records++ === 0) return onFirstRecord(fields)
    if (kept.length < keepRows) kept.push(fields)
    for (let c = 0; c < width; c++) {
      const s = fields[c]!
      if (nullSet === null ? s === '' : nullSet.has(s)) continue
      const t = types[c]!
      if (t === STRING) continue
      if (t === INT) {
        const k = intKind(s, true)
        if (k === 1) continue
        if (k === 2) { wide[c] = 1; continue }
      } else if (t === FLOAT) {
        if (isStrictFloatCell(s, comma)) continue
      } else if (t !== NULL && fitsInferred(t, s, comma)) {
        continue
      }
      widen(types, wide, c, s, comma)
    }
    for (let i = 0; i < checks.length; i++) {
      const check = checks[i]!
      if (check.bad) continue
      const s = fields[check.column]!
      if (isNull(s) || fitsForced(check.type, s, comma)) continue
      check.bad = { offset: scanner.recordStart, value: s }
      // with the header decided up front, this check applies for sure: stop here
      if (headerOpt !== null) throw new RecordError(forcedMessage(check, names()[check.column]!, s))
    }
  }

  let header = headerOpt ?? true
  const names = (): string[] => (header ? headerNames! : plainNames!).names

  progress?.start('inferring', totalBytes)
  const onChunk = (bytesRead: number) => {
    throwIfCancelled(cancel)
    progress?.update(bytesRead, records)
  }
  const complete = await scanner.run({ onRecord, onChunk }, sampleBytes)
  if (records === 0) throw invalidFile('line 1: the file is empty')

  const first = row1 as unknown as string[]
  if (headerOpt === null) header = !firstRowIsData(types, first, isNull, comma)
  if (!header) {
    for (let c = 0; c < width; c++) if (!isNull(first[c]!) && !fitsInferred(types[c]!, first[c]!, comma)) widen(types, wide, c, first[c]!, comma)
    kept.unshift(first)
    if (kept.length > keepRows) kept.length = keepRows
  }
  const { names: finalNames, warnings } = header ? headerNames! : plainNames!
  // infer_types=false: every column a string, unless forced (header detection still used the types)
  const fieldTypes: CsvColumnType[] = Array.from(types, (t) => (text.inferTypes ? typeOfCode(t) : 'string'))
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
    dialect: {
      delimiter, quote: text.quote, escape: text.escape, header,
      encoding: source.encoding, encoding_detected: source.detected,
      decimal: text.decimal, null_values: text.nullValues, infer_types: text.inferTypes,
    },
    path: file,
    bomLength: sample.bomLength,
    fields: finalNames.map((name, i) => ({ name, type: fieldTypes[i]!, nullable: true })),
    rowCount: records - (header ? 1 : 0),
    warnings: [...source.warnings, ...warnings],
    sampleRows: kept,
    totalBytes,
    complete,
    codes: types,
  }
}

/** The BatchBuilder text options of a dialect. */
export function textOf(d: CsvDialect): { nullValues: string[]; decimalComma: boolean } {
  return { nullValues: d.null_values, decimalComma: d.decimal === ',' }
}

function forcedMessage(check: ForcedCheck, name: string, value: string): string {
  const shown = value.length > 40 ? value.slice(0, 40) + '...' : value
  return `column ${JSON.stringify(name)}: ${JSON.stringify(shown)} is not a valid ${check.type} (the type forced in "columns" or by the table appended to)`
}

/** Widen column `c` so that cell `s` fits (the slow path of inference). */
function widen(types: Uint8Array, wide: Uint8Array, c: number, s: string, comma: boolean): void {
  let v = classify(s, comma)
  if (v === INT_WIDE) {
    wide[c] = 1
    v = INT
  }
  types[c] = join(types[c]!, v, wide[c] === 1)
}

/** Header detection, see the module comment. */
function firstRowIsData(types: Uint8Array, row: string[], isNull: (s: string) => boolean, comma: boolean): boolean {
  let typed = false
  for (let c = 0; c < types.length; c++) {
    const t = types[c]!
    if (t === STRING || t === NULL || t === NAN_INF || isNull(row[c]!)) continue
    const s = row[c]!
    if (!fitsInferred(t, s, comma)) return false
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
