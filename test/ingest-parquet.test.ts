// The written Parquet files, read back directly with parquet-wasm + apache-arrow: Arrow types,
// values, nulls, Parquet physical/logical types in the footer, compression, row groups, names.
import { existsSync, openAsBlob, statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { DataType, TimeUnit } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import { ingestCsv } from '../workers/ingest/ingest.js'
import { ParquetPartWriter, writeParquetFile } from '../workers/ingest/parquet-write.js'
import { readUploadFooter } from '../workers/ingest/parquet-upload-footer.js'
import { csvFile, ingest, parquetSchema, readIngested, readParquet, tempDir, values, type Thrift } from './helpers/ingest.js'

const CSV = [
  'i,f,b,d,ts,s',
  '1,1.5,true,2024-01-01,2024-03-01T10:00:00.123456Z,héllo',
  ',NaN,,,,',
  '-9223372036854775808,-2e10,false,1969-12-31,1969-12-31T23:59:59.999999Z,"a,b"',
  '9223372036854775807,.5,TRUE,9999-12-31,2024-03-01 10:00+02:00,x',
  '',
].join('\n')

t.test('Arrow types and values read back', async (t) => {
  const r = await ingest(t, csvFile(t, CSV))
  t.equal(r.files.length, 1)
  const path = join(r.outDir, r.files[0]!.name)
  const table = await readParquet(path)
  const type = (name: string): DataType => table.schema.fields.find((f) => f.name === name)!.type
  t.ok(DataType.isInt(type('i')) && (type('i') as never as { bitWidth: number }).bitWidth === 64, 'i: Int64')
  t.ok(DataType.isFloat(type('f')), 'f: Float')
  t.equal(String(type('f')), 'Float64')
  t.ok(DataType.isBool(type('b')), 'b: Bool')
  t.ok(DataType.isDate(type('d')), 'd: Date')
  const ts = type('ts') as never as { unit: TimeUnit; timezone: string | null }
  t.ok(DataType.isTimestamp(type('ts')), 'ts: Timestamp')
  t.equal(ts.unit, TimeUnit.MICROSECOND)
  t.ok(ts.timezone === 'UTC' || ts.timezone === '+00:00', `UTC zone (${ts.timezone})`)
  t.ok(DataType.isUtf8(type('s')), 's: Utf8')

  t.same(values(table.getChild('i')), [1n, null, -9223372036854775808n, 9223372036854775807n])
  const f = values(table.getChild('f')) as number[]
  t.equal(f[0], 1.5)
  t.ok(Number.isNaN(f[1]), 'NaN is a value, not a null')
  t.same(f.slice(2), [-2e10, 0.5])
  t.same(values(table.getChild('b')), [true, null, false, true])
  t.same(values(table.getChild('d')), [19723, null, -1, 2932896])
  t.same(values(table.getChild('ts')), [1709287200123456n, null, -1n, 1709280000000000n])
  t.same(values(table.getChild('s')), ['héllo', null, 'a,b', 'x'])
})

t.test('Parquet footer: physical and logical types', async (t) => {
  const r = await ingest(t, csvFile(t, CSV))
  const schema = parquetSchema(join(r.outDir, r.files[0]!.name))
  const el = (name: string) => schema.find((e) => e.name === name)!
  // physical types: 0 BOOLEAN, 1 INT32, 2 INT64, 5 DOUBLE, 6 BYTE_ARRAY
  t.equal(el('i').type, 2, 'int64 → INT64')
  t.equal(el('f').type, 5, 'float64 → DOUBLE')
  t.equal(el('b').type, 0, 'boolean → BOOLEAN')
  t.equal(el('d').type, 1, 'date → INT32')
  t.ok(el('d').logicalType?.has(6), 'date → DATE logical type')
  t.equal(el('s').type, 6, 'string → BYTE_ARRAY')
  t.ok(el('s').logicalType?.has(1), 'string → STRING logical type')
  const ts = el('ts')
  t.equal(ts.type, 2, 'timestamp → INT64')
  const tsType = ts.logicalType?.get(8) as Thrift | undefined
  t.ok(tsType, 'timestamp → TIMESTAMP logical type')
  t.equal(tsType?.get(1), true, 'isAdjustedToUTC=true')
  t.ok((tsType?.get(2) as Thrift | undefined)?.has(2), 'unit MICROS')
})

t.test('Snappy compression, file name, size, row groups of the chunk size', async (t) => {
  const outDir = tempDir(t)
  const rows = Array.from({ length: 2500 }, (_, i) => `${i},name ${i % 7}`).join('\n')
  const r = await ingestCsv({ kind: 'csv-ingest', file: csvFile(t, 'id,name\n' + rows + '\n'), options: {}, outDir }, { rowGroupRows: 1000 })
  t.equal(r.files.length, 1)
  const f = r.files[0]!
  t.match(f.name, /^part-00000-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.c000\.snappy\.parquet$/)
  t.equal(f.size, statSync(join(outDir, f.name)).size)
  t.equal(f.numRecords, 2500)
  const file = await pq.ParquetFile.fromFile(await openAsBlob(join(outDir, f.name)))
  const meta = file.metadata()
  t.same(meta.rowGroups().map((g) => g.numRows()), [1000, 1000, 500])
  t.equal(meta.fileMetadata().numRows(), 2500)
  t.equal(meta.rowGroup(0).column(0).compression(), pq.Compression.SNAPPY)
  meta.free()
  file.free()
})

t.test('encodings: no dictionary and delta encoding for high-cardinality integers, a dictionary for repetitive columns', async (t) => {
  const outDir = tempDir(t)
  const rows = Array.from({ length: 5000 }, (_, i) => `${i * 7919},${1700000000 + i}.5,2024-01-01T00:00:${String(i % 60).padStart(2, '0')}Z,k${i % 5},${i % 3}`).join('\n')
  const r = await ingestCsv({ kind: 'csv-ingest', file: csvFile(t, 'id,f,ts,key,small\n' + rows + '\n'), options: {}, outDir })
  const file = await pq.ParquetFile.fromFile(await openAsBlob(join(outDir, r.files[0]!.name)))
  const meta = file.metadata()
  const enc = (c: number): pq.Encoding[] => meta.rowGroup(0).column(c).encodings()
  t.ok(enc(0).includes(pq.Encoding.DELTA_BINARY_PACKED), 'distinct int64: delta')
  t.notOk(enc(0).includes(pq.Encoding.RLE_DICTIONARY), 'distinct int64: no dictionary')
  t.ok(enc(1).includes(pq.Encoding.PLAIN) && !enc(1).includes(pq.Encoding.RLE_DICTIONARY), 'distinct floats: plain')
  t.ok(enc(3).includes(pq.Encoding.RLE_DICTIONARY), 'five strings: a dictionary')
  t.ok(enc(4).includes(pq.Encoding.RLE_DICTIONARY) && !enc(4).includes(pq.Encoding.DELTA_BINARY_PACKED), 'three ints: a dictionary, no delta')
  meta.free()
  file.free()
  const back = await readIngested({ outDir, files: r.files })
  t.same(values(back.getChild('id')).slice(0, 3), [0n, 7919n, 15838n], 'delta-encoded values read back')

  // row-group statistics for every column but strings (parquet-write.ts noStatistics)
  const footer = await readUploadFooter(join(outDir, r.files[0]!.name))
  const stats = footer.rowGroups[0]!.stats
  for (const name of ['id', 'f', 'ts', 'small']) {
    const st = stats.get(name)
    t.ok(st?.min && st?.max && st.nullCount === 0n, `${name}: min, max and null count in the row group`)
  }
  t.equal(stats.get('key'), null, 'the string column: no row-group statistics (its min/max are in the Delta stats)')
  const le = (b: Uint8Array) => Buffer.from(b).readBigInt64LE(0)
  t.equal(le(stats.get('id')!.min!), 0n, 'int64 min')
  t.equal(le(stats.get('id')!.max!), 4999n * 7919n, 'int64 max')
})

t.test('ParquetPartWriter: abort removes the file; writeParquetFile writes batches', async (t) => {
  const dir = tempDir(t)
  const batch = { length: 2, columns: [{ name: 'x', type: 'int64' as const, values: new BigInt64Array([1n, 2n]), nulls: null }] }
  const w = await ParquetPartWriter.create(dir, 0)
  await w.write(batch)
  t.ok(existsSync(w.path))
  await w.abort()
  t.notOk(existsSync(w.path), 'aborted file deleted')

  const written = await writeParquetFile(dir, 1, [batch, batch])
  t.match(written.name, /^part-00001-/)
  t.equal(written.numRecords, 4)
  t.same(values((await readParquet(join(dir, written.name))).getChild('x')), [1n, 2n, 1n, 2n])
})
