/**
 * Typed cell values of a worksheet, their inference codes (the lattice of values.ts) and their
 * text. Pure; any thread.
 *
 * - number: int64 when it is an integer within ±(2^53 - 1) (Number.isSafeInteger), else
 *   float64. An Excel number is a double: a larger integral value may already have been
 *   rounded, so it is a float, never an int64 claiming digits the file does not have.
 * - text of a number (a number in a string column): the shortest text that reads back as the
 *   same double (`String(v)`, as the JSON wire writes float64), not Excel's General display,
 *   which rounds to the column width (15 significant digits at most) and would lose data.
 * - boolean: `TRUE` / `FALSE` as text (as Excel shows them).
 * - date: see xlsx-dates.ts; text `YYYY-MM-DD` or `YYYY-MM-DD HH:MM:SS[.mmm]` (UTC).
 * - error (`#N/A`, `#DIV/0!`, ...): null, counted for a warning.
 */
import { BOOLEAN, DATE, FLOAT, INT, NULL, STRING, TIMESTAMP, type TypeCode } from './values.js'
import { MS_PER_DAY, msText } from './xlsx-dates.js'

/** A cell shown with a date/time format: ms since 1970-01-01 UTC. */
export class XlsxDate {
  constructor(readonly ms: number) {}
}

/** An error cell (`#N/A`, `#DIV/0!`, ...). */
export class XlsxError {
  constructor(readonly code: string) {}
}

/** A non-empty cell. Empty cells (and empty strings) are `undefined` in a row. */
export type CellValue = string | number | boolean | XlsxDate | XlsxError

/** The inference code of a cell (NULL for errors: they become null). */
export function cellCode(v: CellValue): TypeCode {
  switch (typeof v) {
    case 'string': return STRING
    case 'number': return Number.isSafeInteger(v) ? INT : FLOAT
    case 'boolean': return BOOLEAN
    default: return v instanceof XlsxDate ? (v.ms % MS_PER_DAY === 0 ? DATE : TIMESTAMP) : NULL
  }
}

/** The cell as text ('' for empty and error cells, which become null). */
export function cellText(v: CellValue | undefined): string {
  switch (typeof v) {
    case 'undefined': return ''
    case 'string': return v
    case 'number': return String(v)
    case 'boolean': return v ? 'TRUE' : 'FALSE'
    default: return v instanceof XlsxDate ? msText(v.ms) : ''
  }
}
