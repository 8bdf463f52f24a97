/**
 * CSV: a header row of column names, RFC 4180 quoting, CRLF line ends; null is an empty
 * field and the empty string is "". Values use their canonical text (text.ts). Errors after
 * the first byte abort the connection (errorTail is null). Runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import type { Encoder } from './encode.js'
import { textGetter } from './text.js'

const utf8 = new TextEncoder()
const NEEDS_QUOTES = /[",\r\n]/

/** One CSV field for a text value: quoted when it holds `"` `,` CR or LF, or is empty. */
export function csvField(s: string): string {
  if (s === '') return '""'
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

function fieldWriter(col: Column): (i: number) => string {
  const get = textGetter(col)
  // only text can hold separators, quotes or line breaks; other canonical forms never do
  const quoted = col.type === 'string' || col.type === 'json'
  if (quoted) return (i) => { const s = get(i); return s === null ? '' : csvField(s) }
  // empty bytes encode as "" so that they differ from null
  return (i) => { const s = get(i); return s === null ? '' : s === '' ? '""' : s }
}

export class CsvEncoder implements Encoder {
  constructor(readonly columns: ColumnMeta[]) {}

  start(): Uint8Array {
    return utf8.encode(this.columns.map((c) => csvField(c.name)).join(',') + '\r\n')
  }

  batch(b: Batch): Uint8Array {
    const writers = b.columns.map(fieldWriter)
    const m = writers.length
    let s = ''
    for (let i = 0; i < b.length; i++) {
      let row = m > 0 ? writers[0]!(i) : ''
      for (let k = 1; k < m; k++) row += ',' + writers[k]!(i)
      s += row + '\r\n'
    }
    return utf8.encode(s)
  }

  end(_rowCount: number): Uint8Array {
    return new Uint8Array(0)
  }

  errorTail(_code: string, _message: string): null {
    return null
  }
}
