/**
 * NDJSON: a first line {"columns":[...]}, then one row object per line; an error after the
 * first byte is a final line {"error":{...}}. Runs in worker threads.
 */
import type { Batch } from '../../proto/batch.js'
import type { ColumnMeta } from '../../proto/types.js'
import { ByteSink } from './byte-sink.js'
import type { Encoder } from './encode.js'
import { columnsJson, writeRowObjects } from './json-values.js'

const utf8 = new TextEncoder()

export class NdjsonEncoder implements Encoder {
  readonly #sink = new ByteSink()

  constructor(readonly columns: ColumnMeta[]) {}

  start(): Uint8Array {
    return utf8.encode('{"columns":' + columnsJson(this.columns) + '}\n')
  }

  batch(b: Batch): Uint8Array {
    writeRowObjects(this.#sink, b, this.columns, '', '', '\n')
    return this.#sink.take()
  }

  end(_rowCount: number): Uint8Array {
    return new Uint8Array(0)
  }

  errorTail(code: string, message: string): Uint8Array {
    return utf8.encode(JSON.stringify({ error: { error: code, message } }) + '\n')
  }
}
