/**
 * Per-worker LRU cache of decoded Parquet columns, so repeated queries over the same files
 * (a dashboard changing a filter) skip decoding. Entries hold RAW file values (before any
 * mask: masking runs per task after the cache) and are keyed by file path + size + mtime +
 * row group + column name/type, so a file replaced in place never serves stale values; Delta
 * versions add new files. Budget in bytes: `SCAN_CACHE_BYTES` (0 disables); the default is
 * an eighth of the machine's memory divided by its cores, at most 1 GiB per worker.
 */
import os from 'node:os'
import type { Column } from '../../proto/batch.js'
import { dictionaryEncode, dictionaryOf } from './dictionary.js'
import { attachNumberView, numberViewOf } from './int64-view.js'

function defaultBudget(): number {
  const env = process.env.SCAN_CACHE_BYTES
  if (env !== undefined && env !== '' && Number.isFinite(Number(env))) return Math.max(0, Number(env))
  return Math.min(2 ** 30, Math.floor(os.totalmem() / 8 / Math.max(1, os.availableParallelism())))
}

/** Identity of a file's contents as far as we can tell without reading it. */
export interface FileStamp { path: string; size: number; mtimeMs: number }

/** What the footer says, cached with the same stamp (no file open on a full hit). */
export interface FileMeta { columns: Set<string>; rowGroupRows: number[] }

interface Entry { chunks: Column[]; bytes: number }

export class ColumnCache {
  readonly #entries = new Map<string, Entry>()
  readonly #meta = new Map<string, FileMeta>()
  #bytes = 0
  hits = 0
  misses = 0

  constructor(public budget: number) {}

  get bytes(): number { return this.#bytes }
  get size(): number { return this.#entries.size }

  static stampKey(s: FileStamp): string { return `${s.path}\u0000${s.size}\u0000${s.mtimeMs}` }

  meta(stamp: FileStamp): FileMeta | undefined {
    return this.budget > 0 ? this.#meta.get(ColumnCache.stampKey(stamp)) : undefined
  }

  setMeta(stamp: FileStamp, meta: FileMeta): void {
    if (this.budget <= 0) return
    if (this.#meta.size > 10_000) this.#meta.clear()
    this.#meta.set(ColumnCache.stampKey(stamp), meta)
  }

  static key(stamp: FileStamp, rowGroup: number, col: { name: string; type: string; scale?: number }): string {
    return `${ColumnCache.stampKey(stamp)}\u0000${rowGroup}\u0000${col.name}\u0000${col.type}\u0000${col.scale ?? ''}`
  }

  /** The chunks of a row group's column (most recently used moves to the end). */
  get(key: string): Column[] | undefined {
    const e = this.#entries.get(key)
    if (!e) { this.misses++; return undefined }
    this.#entries.delete(key)
    this.#entries.set(key, e)
    this.hits++
    return e.chunks
  }

  /**
   * Stores a row group's column chunks if they fit the budget, evicting the least recently
   * used. String columns are dictionary-encoded on the way in (repeated values share one
   * string, and kernels can work on the codes). Returns the chunks to use.
   */
  put(key: string, chunks: Column[]): Column[] {
    if (this.budget <= 0) return chunks
    // typed arrays decoded from IPC are views on the whole record batch buffer: copy them, so
    // an entry holds (and is charged for) its own column only
    const stored = chunks.map((c) => dictionaryEncode(ownValues(c)))
    for (const c of stored) attachNumberView(c)
    const bytes = stored.reduce((a, c) => a + columnBytes(c), 0)
    if (bytes > this.budget) return stored
    const old = this.#entries.get(key)
    if (old) { this.#entries.delete(key); this.#bytes -= old.bytes }
    while (this.#bytes + bytes > this.budget && this.#entries.size > 0) {
      const [k, e] = this.#entries.entries().next().value as [string, Entry]
      this.#entries.delete(k)
      this.#bytes -= e.bytes
    }
    this.#entries.set(key, { chunks: stored, bytes })
    this.#bytes += bytes
    return stored
  }

  clear(): void { this.#entries.clear(); this.#meta.clear(); this.#bytes = 0 }
}

function ownValues(c: Column): Column {
  const v = c.values
  if (Array.isArray(v) || (v.byteOffset === 0 && v.byteLength === v.buffer.byteLength)) return c
  return { ...c, values: v.slice() as Column['values'] }
}

/** Approximate heap bytes of a column (strings: a pointer plus their characters once per distinct value when dictionary-encoded). */
export function columnBytes(c: Column): number {
  const v = c.values
  let bytes = c.nulls ? c.nulls.byteLength : 0
  if (!Array.isArray(v)) return bytes + v.byteLength + (numberViewOf(v)?.byteLength ?? 0)
  const dict = dictionaryOf(c)
  if (dict) {
    bytes += v.length * 8 + dict.codes.byteLength
    for (const s of dict.values) bytes += 24 + s.length * 2
    return bytes
  }
  for (const x of v as unknown[]) bytes += 8 + (typeof x === 'string' ? 24 + x.length * 2 : x instanceof Uint8Array ? 64 + x.byteLength : 8)
  return bytes
}

/** The process-wide cache of this worker thread. */
export const columnCache = new ColumnCache(defaultBudget())
