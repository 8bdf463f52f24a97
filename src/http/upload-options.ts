/**
 * Upload options from form fields or query parameters (a form field wins): validated into
 * the options of proto/ingest.ts. Every bad value is `422 invalid_parameter` naming it.
 */
import { CSV_ENCODINGS, type CsvEncoding, type CsvOptions } from '../../proto/ingest.js'
import type { LogicalType } from '../../proto/types.js'
import { invalidParameter } from '../../proto/errors.js'
import { boolParam } from './params.js'

const CSV_TYPES: LogicalType[] = ['string', 'int64', 'float64', 'boolean', 'date', 'timestamp']
const DELIMITERS: Record<string, string> = { ',': ',', ';': ';', '|': '|', '\t': '\t', tab: '\t', '\\t': '\t' }

/** Accepted spellings of the encodings (any case), besides the names in CSV_ENCODINGS. */
const ENCODING_ALIASES: Record<string, CsvEncoding> = {
  utf8: 'utf-8', utf16le: 'utf-16le', utf16be: 'utf-16be', latin1: 'iso-8859-1', 'latin-1': 'iso-8859-1',
  iso88591: 'iso-8859-1', 'iso8859-1': 'iso-8859-1', cp1252: 'windows-1252', windows1252: 'windows-1252',
}

/** Option names an upload or preview accepts besides name/description/async/limit/mode/schema_mode/run_id. */
export const UPLOAD_OPTION_KEYS = [
  'delimiter', 'header', 'columns', 'quote', 'escape', 'encoding', 'decimal', 'null_values', 'infer_types',
] as const

/** `get(key)`: the raw option text, or null when absent. */
export function csvOptionsFrom(get: (key: string) => string | null): CsvOptions {
  const opts: CsvOptions = {}
  const delimiter = get('delimiter')
  if (delimiter !== null && delimiter !== '') {
    const d = DELIMITERS[delimiter]
    if (!d) throw invalidParameter('delimiter', 'must be one of , ; | tab')
    opts.delimiter = d
  }
  const header = get('header')
  if (header !== null && header !== '') opts.header = boolParam(header, 'header', true)
  const quote = get('quote')
  if (quote !== null && quote !== '') {
    if (quote.length !== 1 || quote === '\r' || quote === '\n') throw invalidParameter('quote', 'must be one character')
    opts.quote = quote
  }
  const escape = get('escape')
  if (escape !== null && escape !== '') {
    if (escape.length !== 1 || escape === '\r' || escape === '\n') throw invalidParameter('escape', 'must be one character (e.g. \\ for \\")')
    opts.escape = escape
  }
  const encoding = get('encoding')
  if (encoding !== null && encoding !== '') {
    const e = encoding.toLowerCase()
    const known = (CSV_ENCODINGS as readonly string[]).includes(e) ? (e as CsvEncoding) : ENCODING_ALIASES[e]
    if (!known) throw invalidParameter('encoding', `must be one of ${CSV_ENCODINGS.join(', ')}`)
    opts.encoding = known
  }
  const decimal = get('decimal')
  if (decimal !== null && decimal !== '') {
    if (decimal !== '.' && decimal !== ',') throw invalidParameter('decimal', 'must be . or ,')
    opts.decimal = decimal
  }
  const nullValues = get('null_values')
  if (nullValues !== null) opts.nullValues = parseNullValues(nullValues)
  const inferTypes = get('infer_types')
  if (inferTypes !== null && inferTypes !== '') opts.inferTypes = boolParam(inferTypes, 'infer_types', true)
  const columns = get('columns')
  if (columns !== null && columns !== '') {
    let parsed: unknown
    try { parsed = JSON.parse(columns) } catch { throw invalidParameter('columns', 'must be a JSON object such as {"zip":"string"}') }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw invalidParameter('columns', 'must be a JSON object of column name to type')
    for (const [name, type] of Object.entries(parsed)) {
      if (!CSV_TYPES.includes(type as LogicalType)) throw invalidParameter('columns', `type of "${name}" must be one of ${CSV_TYPES.join(', ')}`)
    }
    opts.columns = parsed as Record<string, LogicalType>
  }
  return opts
}

/**
 * `null_values`: the complete list of cell texts that are null, replacing the default `[""]`.
 * A JSON array of strings (`[]`: nothing is null, empty cells are "" strings; `["","NA"]`), or
 * else a comma-separated list without quoting (`NA,NULL` — empty cells are then NOT null;
 * `,NA,NULL` keeps them null). An empty value is refused as ambiguous.
 */
function parseNullValues(raw: string): string[] {
  if (raw === '') throw invalidParameter('null_values', 'is empty: pass [] for no null values, or [""] for the default')
  if (raw.trimStart().startsWith('[')) {
    let parsed: unknown
    try { parsed = JSON.parse(raw) } catch { throw invalidParameter('null_values', 'must be a JSON array of strings such as ["","NA"], or a comma-separated list') }
    if (!Array.isArray(parsed) || parsed.some((v) => typeof v !== 'string')) throw invalidParameter('null_values', 'must be a JSON array of strings')
    return parsed as string[]
  }
  return raw.split(',')
}
