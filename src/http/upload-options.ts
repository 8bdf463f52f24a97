/**
 * Upload options from form fields or query parameters (a form field wins): validated into
 * the options of proto/ingest.ts. Every bad value is `422 invalid_parameter` naming it.
 */
import type { CsvOptions } from '../../proto/ingest.js'
import type { LogicalType } from '../../proto/types.js'
import { invalidParameter } from '../../proto/errors.js'
import { boolParam } from './params.js'

const CSV_TYPES: LogicalType[] = ['string', 'int64', 'float64', 'boolean', 'date', 'timestamp']
const DELIMITERS: Record<string, string> = { ',': ',', ';': ';', '|': '|', '\t': '\t', tab: '\t', '\\t': '\t' }

/** Option names an upload or preview accepts besides name/description/async/limit/mode/schema_mode/run_id. */
export const UPLOAD_OPTION_KEYS = ['delimiter', 'header', 'columns'] as const

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
