/**
 * CSV: a header row of column names, RFC 4180 quoting, CRLF line ends; null is an empty
 * field, and an empty value (the empty string, empty bytes) is "". Values use their
 * canonical text (API.md). Errors after the first byte abort the connection (errorTail is
 * null). Runs in worker threads.
 */
import type { Batch, Column } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import { ByteSink } from './byte-sink.js'
import type { Encoder } from './encode.js'
import { formatBinary, formatFloat32 } from './text.js'

const utf8 = new TextEncoder()
const NEEDS_QUOTES = /[",\r\n]/

/** One CSV field for a text value: quoted when it holds `"` `,` CR or LF, or is empty. */
export function csvField(s: string): string {
  if (s === '') return '""'
  return NEEDS_QUOTES.test(s) ? '"' + s.replace(/"/g, '""') + '"' : s
}

/** Row index -> writes the field for that row (nothing for null). */
function fieldWriter(col: Column, out: ByteSink): (i: number) => void {
  const f = rawWriter(col, out)
  const nulls = col.nulls
  return nulls ? (i) => { if (!nulls[i]) f(i) } : f
}

function rawWriter(col: Column, out: ByteSink): (i: number) => void {
  const v = col.values
  switch (col.type) {
    case 'string': case 'json': { const a = v as string[]; return (i) => out.csvString(a[i]!, csvField) }
    case 'decimal': { const a = v as string[]; return (i) => out.ascii(a[i]!) }
    case 'int16': case 'int32': { const a = v as Int32Array; return (i) => out.int(a[i]!) }
    case 'int64': { const a = v as BigInt64Array; return (i) => out.bigint(a[i]!) }
    case 'float64': { const a = v as Float64Array; return (i) => { const x = a[i]!; if (x - x === 0) out.float(x); else out.ascii(String(x)) } }
    case 'float32': { const a = v as Float64Array; return (i) => out.ascii(formatFloat32(a[i]!)) }
    case 'boolean': { const a = v as Uint8Array; return (i) => out.ascii(a[i] ? 'true' : 'false') }
    case 'date': { const a = v as Int32Array; return (i) => out.date(a[i]!) }
    case 'timestamp': { const a = v as BigInt64Array; return (i) => out.timestamp(a[i]!) }
    case 'time': { const a = v as BigInt64Array; return (i) => out.timeOfDay(Number(a[i]!)) }
    // empty bytes are "" so that they differ from null
    case 'binary': { const a = v as Uint8Array[]; return (i) => out.ascii(a[i]!.byteLength === 0 ? '""' : formatBinary(a[i]!)) }
  }
}

export class CsvEncoder implements Encoder {
  readonly #sink = new ByteSink()

  constructor(readonly columns: ColumnMeta[]) {}

  start(): Uint8Array {
    return utf8.encode(this.columns.map((c) => csvField(c.name)).join(',') + '\r\n')
  }

  batch(b: Batch): Uint8Array {
    const out = this.#sink
    const writers = b.columns.map((c) => fieldWriter(c, out))
    const m = writers.length
    for (let i = 0; i < b.length; i++) {
      for (let k = 0; k < m; k++) {
        if (k > 0) out.byte(44)
        writers[k]!(i)
      }
      out.byte(13)
      out.byte(10)
    }
    return out.take()
  }

  end(_rowCount: number): Uint8Array {
    return new Uint8Array(0)
  }

  errorTail(_code: string, _message: string): null {
    return null
  }
}
