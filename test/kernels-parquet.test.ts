import t from 'tap'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Table, tableToIPC } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import { batchToRecordBatch } from '../workers/kernels/arrow-to.js'
import { readParquetBatches, readParquetRowCount } from '../workers/kernels/parquet-read.js'
import type { Field } from '../proto/types.js'
import { ALL_FIELDS, drain, randomBatch, rowsOf } from './helpers/kernels.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-kernels-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

function writeParquetFile(name: string, fields: Field[], n: number, rowGroupRows: number, seed: number) {
  const batch = randomBatch(fields, n, seed)
  const ipc = tableToIPC(new Table([batchToRecordBatch(batch)]), 'stream')
  const props = new pq.WriterPropertiesBuilder().setMaxRowGroupSize(rowGroupRows).setCompression(pq.Compression.SNAPPY).build()
  const bytes = pq.writeParquet(pq.Table.fromIPCStream(ipc), props)
  const path = join(dir, name)
  writeFileSync(path, bytes)
  return { path, batch }
}

t.test('round trip through a Parquet file with a column subset', async (t) => {
  const { path, batch } = writeParquetFile('all.parquet', ALL_FIELDS, 2500, 1000, 3)
  t.equal(await readParquetRowCount(path), 2500)
  const wanted: Field[] = [
    ALL_FIELDS.find((f) => f.name === 'ts')!,
    ALL_FIELDS.find((f) => f.name === 's')!,
    ALL_FIELDS.find((f) => f.name === 'dec')!,
    { name: 'not_in_file', type: 'int64', nullable: true },
    ALL_FIELDS.find((f) => f.name === 'bin')!,
  ]
  const batches = await drain(readParquetBatches(path, { fields: wanted }))
  // one row group at a time: 1000 + 1000 + 500
  t.same(batches.map((b) => b.length), [1000, 1000, 500])
  const rows = batches.flatMap(rowsOf)
  const expected = rowsOf(batch).map((r) => ({ ts: r.ts, s: r.s, dec: r.dec, not_in_file: null, bin: r.bin }))
  t.same(rows, expected)
  for (const b of batches) t.same(b.columns.map((c) => c.name), ['ts', 's', 'dec', 'not_in_file', 'bin'])
})

t.test('every type survives Parquet', async (t) => {
  const { path, batch } = writeParquetFile('types.parquet', ALL_FIELDS, 300, 10_000, 5)
  const batches = await drain(readParquetBatches(path, { fields: ALL_FIELDS }))
  t.same(batches.flatMap(rowsOf), rowsOf(batch))
})

t.test('only absent columns: row counts come from the footer', async (t) => {
  const { path } = writeParquetFile('few.parquet', ALL_FIELDS.slice(0, 2), 30, 20, 9)
  const batches = await drain(readParquetBatches(path, { fields: [{ name: 'zz', type: 'date', nullable: true }] }))
  t.same(batches.map((b) => b.length), [20, 10])
  t.same([...batches[0]!.columns[0]!.nulls!].every((x) => x === 1), true)
})

t.test('limit: exactly the first rows, within and across row groups', async (t) => {
  const { path, batch } = writeParquetFile('limit.parquet', ALL_FIELDS, 2500, 1000, 11)
  const all = rowsOf(batch)
  for (const limit of [1, 7, 999, 1000, 1001, 2345, 2500, 9999]) {
    const batches = await drain(readParquetBatches(path, { fields: ALL_FIELDS, limit }))
    t.same(batches.flatMap(rowsOf), all.slice(0, limit), `limit ${limit}`)
  }
  t.same(await drain(readParquetBatches(path, { fields: ALL_FIELDS, limit: 0 })), [], 'limit 0 reads nothing')
  // with a row group filter: the first rows of the row groups read
  const second = await drain(readParquetBatches(path, { fields: ALL_FIELDS, limit: 10, rowGroupFilter: (i) => i === 1 }))
  t.same(second.flatMap(rowsOf), all.slice(1000, 1010))
  // only absent columns: the footer's counts, cut at the limit
  const absent = await drain(readParquetBatches(path, { fields: [{ name: 'zz', type: 'date', nullable: true }], limit: 1500 }))
  t.same(absent.map((b) => b.length), [1000, 500])
})

t.test('abort between row groups', async (t) => {
  const { path } = writeParquetFile('abort.parquet', ALL_FIELDS.slice(0, 3), 100, 10, 1)
  const ac = new AbortController()
  const seen: number[] = []
  await t.rejects(async () => {
    for await (const b of readParquetBatches(path, { fields: ALL_FIELDS.slice(0, 3), signal: ac.signal })) {
      seen.push(b.length)
      if (seen.length === 2) ac.abort(new Error('stop'))
    }
  }, { message: 'stop' })
  t.equal(seen.length, 2)
})

t.test('a missing file rejects', async (t) => {
  await t.rejects(drain(readParquetBatches(join(dir, 'nope.parquet'), { fields: ALL_FIELDS })))
})
