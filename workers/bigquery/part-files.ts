/**
 * Batches → Parquet part files in a work folder, as an import writes them (the pattern of
 * workers/pg-import.ts): small batches gathered into writes of WRITE_ROWS rows (each write
 * costs a conversion to Arrow IPC and into wasm), a new file every `targetRowsPerFile` rows
 * (a batch crossing the boundary is split), Delta stats per file. `abort()` deletes every
 * file written. Runs in worker threads.
 */
import { stat } from 'node:fs/promises'
import type { Batch } from '../../proto/batch.js'
import type { IngestedFile } from '../../proto/ingest.js'
import type { Field } from '../../proto/types.js'
import { DEFAULT_ROW_GROUP_ROWS, ParquetPartWriter } from '../ingest/parquet-write.js'
import { DeltaStats } from '../ingest/stats.js'
import { concatBatches, sliceBatch } from '../kernels/column.js'

/** rows per write to the Parquet encoder (at most a row group) */
export const WRITE_ROWS = 16 * 1024

interface OpenFile { writer: ParquetPartWriter; stats: DeltaStats; rows: number }

export class PartFiles {
  readonly files: IngestedFile[] = []
  readonly #written: ParquetPartWriter[] = []
  readonly #rowGroupRows: number
  readonly #writeRows: number
  #open: OpenFile | null = null
  #gathered: Batch[] = []
  #gatheredRows = 0
  #closedBytes = 0

  constructor(private readonly outDir: string, private readonly fields: Field[], private readonly targetRowsPerFile: number) {
    this.#rowGroupRows = Math.min(DEFAULT_ROW_GROUP_ROWS, targetRowsPerFile)
    this.#writeRows = Math.min(WRITE_ROWS, this.#rowGroupRows)
  }

  /** Takes a batch; writes once enough rows are gathered. */
  async add(batch: Batch): Promise<void> {
    if (batch.length === 0) return
    this.#gathered.push(batch)
    this.#gatheredRows += batch.length
    if (this.#gatheredRows >= this.#writeRows || this.#gatheredRows >= this.targetRowsPerFile - (this.#open?.rows ?? 0)) await this.#flush()
  }

  /** Writes what is gathered and closes the open file: `files` is then complete. */
  async finish(): Promise<IngestedFile[]> {
    await this.#flush()
    await this.#closeFile()
    return this.files
  }

  /** Bytes on disk so far (closed files, plus the open one's current size). */
  async bytesWritten(): Promise<number> {
    const current = this.#open ? await stat(this.#open.writer.path).then((s) => s.size, () => 0) : 0
    return this.#closedBytes + current
  }

  /** Deletes every file written (failure or cancel). Never throws. */
  async abort(): Promise<void> {
    await Promise.all(this.#written.map((w) => w.abort().catch(() => {})))
  }

  async #flush(): Promise<void> {
    if (this.#gatheredRows === 0) return
    const batch = concatBatches(this.#gathered)
    this.#gathered = []
    this.#gatheredRows = 0
    for (let start = 0; start < batch.length;) {
      const room = this.targetRowsPerFile - (this.#open?.rows ?? 0)
      const end = Math.min(batch.length, start + room)
      await this.#write(sliceBatch(batch, start, end))
      start = end
    }
  }

  async #write(batch: Batch): Promise<void> {
    if (!this.#open) {
      const writer = await ParquetPartWriter.create(this.outDir, this.files.length, { rows: this.#rowGroupRows })
      this.#written.push(writer)
      this.#open = { writer, stats: new DeltaStats(this.fields), rows: 0 }
    }
    const open = this.#open
    open.stats.add(batch)
    await open.writer.write(batch)
    open.rows += batch.length
    if (open.rows >= this.targetRowsPerFile) await this.#closeFile()
  }

  async #closeFile(): Promise<void> {
    const open = this.#open
    if (!open) return
    const f = await open.writer.close()
    this.files.push({ name: f.name, size: f.size, numRecords: f.numRecords, stats: open.stats.toJSON() })
    this.#closedBytes += f.size
    this.#open = null
  }
}
