/**
 * CSV dialect: delimiter detection from the start of the file, header names, and validation
 * of the caller's CsvOptions. Pure except readSample(); any thread.
 */
import { open } from 'node:fs/promises'
import { invalidFile, invalidParameter } from '../../proto/errors.js'
import { CSV_COLUMN_TYPES, type CsvColumnType, type CsvOptions } from '../../proto/ingest.js'

export const DELIMITER_CANDIDATES = [',', ';', '\t', '|'] as const
/** Bytes read from the start of the file to detect the delimiter. */
export const SAMPLE_BYTES = 64 * 1024
const SAMPLE_LINES = 100

const UTF8_BOM = [0xef, 0xbb, 0xbf]

export interface FileSample {
  /** the sample text (BOM removed; a multi-byte character cut at the end may be garbled) */
  text: string
  /** 3 when the file starts with a UTF-8 BOM, else 0 */
  bomLength: number
  /** the sample reaches the end of the file */
  complete: boolean
}

/** Read the first SAMPLE_BYTES of a UTF-8 file (see encoding.ts). Throws 422 invalid_file for a UTF-16 BOM. */
export async function readSample(file: string, bomLength?: number): Promise<FileSample> {
  const fh = await open(file, 'r')
  try {
    const buf = Buffer.alloc(SAMPLE_BYTES + 1)
    const { bytesRead } = await fh.read(buf, 0, buf.length, 0)
    const bytes = buf.subarray(0, Math.min(bytesRead, SAMPLE_BYTES))
    if (bytes.length >= 2 && ((bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff))) {
      throw invalidFile('line 1: the file is UTF-16 encoded (it starts with a UTF-16 byte order mark); leave encoding out or pass encoding=utf-16le / utf-16be')
    }
    bomLength ??= bytes.length >= 3 && UTF8_BOM.every((b, i) => bytes[i] === b) ? 3 : 0
    return { text: bytes.toString('utf8', bomLength), bomLength, complete: bytesRead <= SAMPLE_BYTES }
  } finally {
    await fh.close()
  }
}

/**
 * The delimiter among `,` `;` tab `|` that splits the sample's lines most consistently:
 * per candidate, count occurrences outside quotes on each of the first 100 lines; the first
 * line must contain it; the winner has the most lines with the first line's count, then the
 * highest count, then comes first in the list. No candidate at all: `,` (one column).
 */
export function sniffDelimiter(sample: string, complete: boolean, quote = '"', exclude: readonly string[] = [], escape = quote): string {
  const lines: number[][] = []
  let counts = [0, 0, 0, 0]
  let inQuotes = false
  let lineHasText = false
  for (let i = 0; i < sample.length && lines.length < SAMPLE_LINES; i++) {
    const c = sample[i]
    if (inQuotes && c === escape && escape !== quote && (sample[i + 1] === quote || sample[i + 1] === escape)) i++ // an escaped quote
    else if (c === quote) inQuotes = !inQuotes
    else if (!inQuotes && (c === '\n' || c === '\r')) {
      if (lineHasText) lines.push(counts)
      counts = [0, 0, 0, 0]
      lineHasText = false
      continue
    } else if (!inQuotes) {
      const k = DELIMITER_CANDIDATES.indexOf(c as never)
      if (k >= 0) counts[k]!++
    }
    lineHasText = true
  }
  // the last line of an incomplete sample is cut short: use it only when it is all we have
  if (lineHasText && (complete || lines.length === 0) && lines.length < SAMPLE_LINES) lines.push(counts)
  let best = -1
  let bestScore = -1
  let bestCount = -1
  DELIMITER_CANDIDATES.forEach((d, k) => {
    if (exclude.includes(d)) return
    const first = lines[0]?.[k] ?? 0
    if (first === 0) return
    const score = lines.filter((l) => l[k] === first).length
    if (score > bestScore || (score === bestScore && first > bestCount)) {
      best = k
      bestScore = score
      bestCount = first
    }
  })
  if (best >= 0) return DELIMITER_CANDIDATES[best]!
  return DELIMITER_CANDIDATES.find((d) => !exclude.includes(d))!
}

/** Check a caller-given delimiter: one character, not the quote or a line break. */
export function checkDelimiter(d: string, quote = '"'): string {
  if (typeof d !== 'string' || [...d].length !== 1 || d === quote || d === '\r' || d === '\n') {
    throw invalidParameter('delimiter', 'must be one character other than the quote or a line break')
  }
  return d
}

/** Check a caller-given quote or escape character: one UTF-16 unit, not a line break. */
export function checkQuoteChar(c: unknown, name: 'quote' | 'escape'): string {
  if (typeof c !== 'string' || c.length !== 1 || c === '\r' || c === '\n') {
    throw invalidParameter(name, 'must be one character other than a line break')
  }
  return c
}

/** Check caller-given null values: an array of strings. */
export function checkNullValues(v: unknown): string[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw invalidParameter('null_values', 'must be a list of strings')
  return [...new Set(v as string[])]
}

/** Check the type overrides' types (names are checked once the header is known). */
export function checkOverrides(columns: CsvOptions['columns']): Map<string, CsvColumnType> {
  const out = new Map<string, CsvColumnType>()
  if (columns === undefined || columns === null) return out
  if (typeof columns !== 'object' || Array.isArray(columns)) throw invalidParameter('columns', 'must be an object of column name to type')
  for (const [name, type] of Object.entries(columns)) {
    if (!CSV_COLUMN_TYPES.includes(type as CsvColumnType)) {
      throw invalidParameter('columns', `type ${JSON.stringify(type)} of column ${JSON.stringify(name)} is not one of ${CSV_COLUMN_TYPES.join(', ')}`)
    }
    out.set(name, type as CsvColumnType)
  }
  return out
}

/**
 * Column names from a header row (or `column_1..N` when `header` is null). Empty names become
 * `column_N` (1-based position); duplicates, compared case-insensitively because Delta column
 * names are case-insensitive, get `_2`, `_3`, ... Every change is reported as a warning.
 */
export function columnNames(header: string[] | null, n: number): { names: string[]; warnings: string[] } {
  const names: string[] = []
  const warnings: string[] = []
  const taken = new Set<string>()
  for (let i = 0; i < n; i++) {
    const raw = header ? header[i]! : null
    let base = raw
    if (base === null || base === '') {
      base = `column_${i + 1}`
      if (raw === '') warnings.push(`column ${i + 1} has an empty name; named it "${base}"`)
    }
    let name = base
    for (let k = 2; taken.has(name.toLowerCase()); k++) name = `${base}_${k}`
    if (name !== base) warnings.push(`column ${i + 1}: duplicate name "${base}" renamed to "${name}"`)
    taken.add(name.toLowerCase())
    names.push(name)
  }
  return { names, warnings }
}
