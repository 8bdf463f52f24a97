/**
 * Shared helpers of the test/ingest-*.test.ts files: temp CSV files, calling the task module
 * directly, reading written Parquet files back with parquet-wasm + apache-arrow, and a tiny
 * Thrift compact decoder for the Parquet footer (parquet-wasm exposes no logical types).
 */
import { mkdtempSync, openAsBlob, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Type, makeVector, tableFromIPC, type Table, type Vector } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import type { TaskResult } from '../../proto/errors.js'
import type { CsvIngestResult, CsvOptions, CsvPreviewResult } from '../../proto/ingest.js'
import runTask from '../../workers/ingest-csv.js'

export interface TestLike {
  teardown(fn: () => void | Promise<void>): void
}

/** A fresh temp directory, removed after the test. */
export function tempDir(t: TestLike): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-ingest-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

/** Write a CSV (text or bytes) into a fresh temp dir; returns its path. */
export function csvFile(t: TestLike, content: string | Uint8Array, name = 'upload.csv'): string {
  const path = join(tempDir(t), name)
  writeFileSync(path, content)
  return path
}

export async function previewResult(file: string, options: CsvOptions = {}, limit = 100): Promise<TaskResult<CsvPreviewResult>> {
  return runTask({ kind: 'csv-preview', file, options, limit })
}

export async function preview(file: string, options: CsvOptions = {}, limit = 100): Promise<CsvPreviewResult> {
  const r = await previewResult(file, options, limit)
  if (!r.ok) throw new Error(`preview failed: ${r.status} ${r.code} ${r.message}`)
  return r.value
}

export async function ingestResult(t: TestLike, file: string, options: CsvOptions = {}, targetRowsPerFile?: number): Promise<TaskResult<CsvIngestResult> & { outDir: string }> {
  const outDir = tempDir(t)
  const r = await runTask({ kind: 'csv-ingest', file, options, outDir, ...(targetRowsPerFile ? { targetRowsPerFile } : {}) })
  return { ...r, outDir }
}

export async function ingest(t: TestLike, file: string, options: CsvOptions = {}, targetRowsPerFile?: number): Promise<CsvIngestResult & { outDir: string }> {
  const r = await ingestResult(t, file, options, targetRowsPerFile)
  if (!r.ok) throw new Error(`ingest failed: ${r.status} ${r.code} ${r.message}`)
  return { ...r.value, outDir: r.outDir }
}

/** Map of column name → type of a result's fields. */
export function typesOf(r: { fields: { name: string; type: string }[] }): Record<string, string> {
  return Object.fromEntries(r.fields.map((f) => [f.name, f.type]))
}

/** Read a whole Parquet file into an apache-arrow Table (through parquet-wasm). */
export async function readParquet(path: string): Promise<Table> {
  const file = await pq.ParquetFile.fromFile(await openAsBlob(path))
  try {
    const wasmTable = await file.read()
    return tableFromIPC(wasmTable.intoIPCStream())
  } finally {
    file.free()
  }
}

/** Read all part files of an ingest, in order, concatenated. */
export async function readIngested(r: { outDir: string; files: { name: string }[] }): Promise<Table> {
  let all: Table | null = null
  for (const f of r.files) {
    const t = await readParquet(join(r.outDir, f.name))
    all = all ? all.concat(t) : t
  }
  if (!all) throw new Error('no files')
  return all
}

/**
 * Values of an Arrow column as plain JS values: null for nulls, bigint for Int64, raw µs
 * (bigint) for timestamps, days for dates, 0/1 booleans as true/false.
 */
export function values(v: Vector | null): unknown[] {
  if (!v) throw new Error('no such column')
  const out: unknown[] = []
  for (const d of v.data) {
    const one = makeVector(d)
    for (let i = 0; i < d.length; i++) {
      if (!d.getValid(i)) out.push(null)
      else if (d.typeId === Type.Timestamp) out.push((d.values as BigInt64Array)[i])
      else if (d.typeId === Type.Date) out.push((d.values as Int32Array)[i])
      else out.push(one.get(i))
    }
  }
  return out
}

/** Decoded Parquet footer (FileMetaData) as nested objects keyed by Thrift field id. */
export type Thrift = Map<number, unknown>

/** Parse the Thrift-compact FileMetaData at the end of a Parquet file. */
export function parquetFooter(path: string): Thrift {
  const buf = readFileSync(path)
  if (buf.toString('latin1', buf.length - 4) !== 'PAR1') throw new Error('not a Parquet file')
  const len = buf.readUInt32LE(buf.length - 8)
  const r = new CompactReader(buf.subarray(buf.length - 8 - len, buf.length - 8))
  return r.struct()
}

class CompactReader {
  pos = 0
  constructor(readonly b: Buffer) {}

  varint(): bigint {
    let shift = 0n
    let out = 0n
    for (;;) {
      const byte = this.b[this.pos++]!
      out |= BigInt(byte & 0x7f) << shift
      if (!(byte & 0x80)) return out
      shift += 7n
    }
  }

  zigzag(): bigint {
    const n = this.varint()
    return (n >> 1n) ^ -(n & 1n)
  }

  value(type: number): unknown {
    switch (type) {
      case 1: return true
      case 2: return false
      case 3: return this.b.readInt8(this.pos++)
      case 4: case 5: return Number(this.zigzag())
      case 6: return this.zigzag()
      case 7: { const d = this.b.readDoubleLE(this.pos); this.pos += 8; return d }
      case 8: { const n = Number(this.varint()); const s = this.b.subarray(this.pos, this.pos + n); this.pos += n; return s }
      case 9: case 10: {
        const h = this.b[this.pos++]!
        let size = h >> 4
        if (size === 15) size = Number(this.varint())
        const et = h & 0x0f
        const out: unknown[] = []
        for (let i = 0; i < size; i++) out.push(et === 1 || et === 2 ? this.b[this.pos++] === 1 : this.value(et))
        return out
      }
      case 11: {
        const size = Number(this.varint())
        const m = new Map<unknown, unknown>()
        if (size === 0) return m
        const kv = this.b[this.pos++]!
        for (let i = 0; i < size; i++) m.set(this.value(kv >> 4), this.value(kv & 0x0f))
        return m
      }
      case 12: return this.struct()
      default: throw new Error(`thrift type ${type}`)
    }
  }

  struct(): Thrift {
    const out: Thrift = new Map()
    let id = 0
    for (;;) {
      const h = this.b[this.pos++]!
      if (h === 0) return out
      const delta = h >> 4
      id = delta === 0 ? Number(this.zigzag()) : id + delta
      out.set(id, this.value(h & 0x0f))
    }
  }
}

/** The schema elements of a Parquet footer: name, physical type, converted type, logical type. */
export function parquetSchema(path: string): { name: string; type?: number; convertedType?: number; logicalType?: Thrift }[] {
  const meta = parquetFooter(path)
  return (meta.get(2) as Thrift[]).map((e) => ({
    name: (e.get(4) as Buffer).toString('utf8'),
    type: e.get(1) as number | undefined,
    convertedType: e.get(6) as number | undefined,
    logicalType: e.get(10) as Thrift | undefined,
  }))
}

/** CSV text from rows (fields quoted when needed). */
export function csvText(rows: (string | number)[][], eol = '\n'): string {
  return rows.map((r) => r.map((v) => {
    const s = String(v)
    return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
  }).join(',')).join(eol) + eol
}
