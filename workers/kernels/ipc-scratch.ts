/**
 * The Arrow IPC stream of one RecordBatch, written into a buffer that is kept and reused.
 *
 * `tableToIPC` collects the stream as a list of chunks and then joins them into a new
 * Uint8Array on every call: for a 128 Ki-row row group of the bench CSV that is ~11 MB
 * allocated, zeroed and filled per row group (with the join, ~8 % of an ingest thread). Here the same
 * writer (apache-arrow's RecordBatchStreamWriter, so the bytes are exactly tableToIPC's)
 * copies each chunk into one buffer owned by the caller, which grows to the largest stream
 * and then stays. Pure; any thread.
 */
import { RecordBatchStreamWriter, type RecordBatch } from 'apache-arrow'

export class IpcScratch {
  #buf = new Uint8Array(0)
  #len = 0

  /** The IPC stream (schema, the batch, end of stream) of `batch`: valid until the next call. */
  streamOf(batch: RecordBatch): Uint8Array {
    this.#len = 0
    const writer = new ScratchStreamWriter(this)
    writer.write(batch)
    writer.finish()
    return this.#buf.subarray(0, this.#len)
  }

  /** Bytes held (the largest stream so far). */
  get capacity(): number {
    return this.#buf.byteLength
  }

  /** Append `bytes` (ScratchStreamWriter's sink). */
  append(bytes: Uint8Array): void {
    const end = this.#len + bytes.byteLength
    if (end > this.#buf.byteLength) {
      const bigger = new Uint8Array(Math.max(end, this.#buf.byteLength * 2, 1 << 16))
      bigger.set(this.#buf.subarray(0, this.#len))
      this.#buf = bigger
    }
    this.#buf.set(bytes, this.#len)
    this.#len = end
  }
}

/**
 * The stream writer with its one output method redirected: every chunk it would queue for
 * the join (message prefixes, flatbuffers, padding, body buffers) goes to the scratch.
 */
class ScratchStreamWriter extends RecordBatchStreamWriter {
  readonly #sink: IpcScratch

  constructor(sink: IpcScratch) {
    super()
    this.#sink = sink
  }

  protected override _write(chunk: ArrayBufferView | ArrayBuffer | string): this {
    if (!this._started) return this
    if (typeof chunk === 'string' || chunk instanceof ArrayBuffer) throw new TypeError('IpcScratch: unexpected chunk type')
    if (chunk.byteLength > 0) {
      this.#sink.append(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength))
      this._position += chunk.byteLength
    }
    return this
  }
}
