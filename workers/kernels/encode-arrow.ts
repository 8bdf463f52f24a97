/**
 * Arrow IPC stream: the schema message in start() (also for zero rows), one record batch
 * message per batch, the end-of-stream marker in end(). Field metadata carries `sluice.type`
 * and `sluice.masked`. Errors after the first byte abort the connection (errorTail is null).
 * Runs in worker threads.
 *
 * apache-arrow's RecordBatchStreamWriter only hands out bytes through its async sink (or
 * all at once). A fresh writer per batch, read synchronously with toUint8Array(true), gives
 * schema + batch; we drop the schema prefix (same schema object, so the same bytes).
 */
import { RecordBatchStreamWriter, type Schema } from 'apache-arrow'
import type { Batch } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import { arrowSchemaFor, columnToData, recordBatchOf } from './arrow-to.js'
import { castColumn } from './cast.js'
import type { Encoder } from './encode.js'

/** Stream end-of-stream marker: continuation token 0xFFFFFFFF, then a zero length. */
const EOS = new Uint8Array([0xff, 0xff, 0xff, 0xff, 0, 0, 0, 0])

export class ArrowEncoder implements Encoder {
  readonly schema: Schema
  #schemaBytes = 0

  constructor(readonly columns: ColumnMeta[]) {
    this.schema = arrowSchemaFor(columns)
  }

  start(): Uint8Array {
    const w = new RecordBatchStreamWriter()
    w.reset(undefined, this.schema)
    const bytes = w.toUint8Array(true)
    this.#schemaBytes = bytes.byteLength
    return bytes.slice()
  }

  batch(b: Batch): Uint8Array {
    if (this.#schemaBytes === 0) this.start()
    const fields = this.schema.fields
    const children = b.columns.map((c, i) => {
      const m = this.columns[i]!
      // storage must match the schema's Arrow type exactly (int32 data under an Int64 field would be garbage)
      const col = c.type === m.logical ? c : castColumn(c, { name: m.name, type: m.logical, nullable: true, precision: m.precision, scale: m.scale })
      return columnToData(col, b.length, fields[i]!.type)
    })
    const w = new RecordBatchStreamWriter()
    w.write(recordBatchOf(this.schema, children, b.length))
    const all = w.toUint8Array(true)
    return all.slice(this.#schemaBytes)
  }

  end(_rowCount: number): Uint8Array {
    return EOS.slice()
  }

  errorTail(_code: string, _message: string): null {
    return null
  }
}
