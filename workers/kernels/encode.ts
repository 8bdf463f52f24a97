/**
 * Output encoders (API.md, "Values on the wire"): each turns Batches into the bytes of one
 * output format, incrementally. Runs in worker threads; the main thread only forwards bytes.
 */
import type { Batch } from '../../proto/batch.js'
import type { OutputFormat } from '../../proto/plan.js'
import type { ColumnMeta } from '../../proto/types.js'
import { ArrowEncoder } from './encode-arrow.js'
import { CsvEncoder } from './encode-csv.js'
import { JsonEncoder } from './encode-json.js'
import { NdjsonEncoder } from './encode-ndjson.js'

export interface Encoder {
  /** bytes before any row: JSON up to `"rows":[`, the NDJSON columns line, the CSV header, the Arrow schema */
  start(): Uint8Array
  /** the bytes of a batch's rows (columns in the order of `columns`) */
  batch(b: Batch): Uint8Array
  /** the closing bytes of a successful stream */
  end(rowCount: number): Uint8Array
  /** the closing bytes after a failure, or null when the format cannot say (abort the connection) */
  errorTail(code: string, message: string): Uint8Array | null
}

/** An encoder for `format` whose batches have `columns` (same order). */
export function createEncoder(format: OutputFormat, columns: ColumnMeta[]): Encoder {
  switch (format) {
    case 'json': return new JsonEncoder(columns)
    case 'ndjson': return new NdjsonEncoder(columns)
    case 'csv': return new CsvEncoder(columns)
    case 'arrow': return new ArrowEncoder(columns)
  }
}
