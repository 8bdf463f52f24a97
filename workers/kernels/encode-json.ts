/**
 * JSON body: {"columns":[...],"rows":[{...},...],"row_count":N}, written as a stream.
 * Runs in worker threads.
 */
import type { Batch } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import { ByteSink } from './byte-sink.js'
import type { Encoder } from './encode.js'
import { columnsJson, writeRowObjects } from './json-values.js'

const utf8 = new TextEncoder()

export class JsonEncoder implements Encoder {
  #rows = 0
  readonly #sink = new ByteSink()

  constructor(readonly columns: ColumnMeta[]) {}

  start(): Uint8Array {
    return utf8.encode('{"columns":' + columnsJson(this.columns) + ',"rows":[')
  }

  batch(b: Batch): Uint8Array {
    // the first row overall has no comma before it; every later row does
    writeRowObjects(this.#sink, b, this.columns, this.#rows === 0 ? '' : ',', ',', '')
    this.#rows += b.length
    return this.#sink.take()
  }

  end(rowCount: number): Uint8Array {
    return utf8.encode('],"row_count":' + rowCount + '}')
  }

  errorTail(code: string, message: string): Uint8Array {
    return utf8.encode('],"error":' + JSON.stringify({ error: code, message }) + '}')
  }
}
