/**
 * The worker's column cache (workers/kernels/column-cache.ts): a second read of a file is
 * served from the cache; a file rewritten in place (new size or mtime) is decoded again, never
 * served stale; the byte budget evicts least recently used entries; and over HTTP a registered
 * Delta table that gets a new version answers with the new rows on a repeated query.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Int32, Utf8 } from 'apache-arrow'
import type { Field } from '../proto/types.js'
import { readParquetBatches } from '../workers/kernels/parquet-read.js'
import { columnCache } from '../workers/kernels/column-cache.js'
import { drain, rowsOf } from './helpers/kernels.js'
import { makeDeltaTable, orgDir, registered, rows, writeCommit, writeParquet } from './helpers/lakehouse.js'
import { startServer } from './helpers/server.js'

const FIELDS: Field[] = [{ name: 'v', type: 'int32', nullable: true }, { name: 's', type: 'string', nullable: true }]

function tempDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-scan-cache-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return dir
}

async function read(file: string): Promise<Record<string, unknown>[]> {
  return (await drain(readParquetBatches(file, { fields: FIELDS, cache: true }))).flatMap(rowsOf)
}

t.test('a second read is served from the cache; a file changed in place is read again', async (t) => {
  columnCache.clear()
  columnCache.budget = 64 * 2 ** 20
  const file = path.join(tempDir(), 'a.parquet')
  writeParquet(file, { v: { type: new Int32(), values: [1, 2, 3] }, s: { type: new Utf8(), values: ['x', 'y', null] } })
  const first = await read(file)
  t.strictSame(first, [{ v: 1, s: 'x' }, { v: 2, s: 'y' }, { v: 3, s: null }])
  const hits = columnCache.hits
  t.strictSame(await read(file), first, 'same rows from the cache')
  t.equal(columnCache.hits - hits, 2, 'both columns were cache hits')

  // another size
  writeParquet(file, { v: { type: new Int32(), values: [10, 20, 30, 40] }, s: { type: new Utf8(), values: ['p', 'q', 'r', 's'] } })
  t.strictSame(await read(file), [{ v: 10, s: 'p' }, { v: 20, s: 'q' }, { v: 30, s: 'r' }, { v: 40, s: 's' }], 'new size: new rows')

  // the same size, another mtime
  writeParquet(file, { v: { type: new Int32(), values: [11, 21, 31, 41] }, s: { type: new Utf8(), values: ['P', 'Q', 'R', 'S'] } })
  const later = new Date(Date.now() + 60_000)
  fs.utimesSync(file, later, later)
  t.strictSame(await read(file), [{ v: 11, s: 'P' }, { v: 21, s: 'Q' }, { v: 31, s: 'R' }, { v: 41, s: 'S' }], 'new mtime: new rows')
})

t.test('the byte budget evicts the least recently used entries; budget 0 caches nothing', async (t) => {
  columnCache.clear()
  const dir = tempDir()
  const files = [0, 1, 2].map((k) => {
    const f = path.join(dir, `f${k}.parquet`)
    writeParquet(f, { v: { type: new Int32(), values: Array.from({ length: 1000 }, (_, i) => i + k) }, s: { type: new Utf8(), values: Array.from({ length: 1000 }, () => 'x') } })
    return f
  })
  columnCache.budget = 64 * 2 ** 20
  await read(files[0]!)
  const one = columnCache.bytes
  t.ok(one > 4000, `one file's columns counted (${one} bytes)`)
  columnCache.clear()
  columnCache.budget = Math.floor(one * 2.5)
  for (const f of files) await read(f)
  t.ok(columnCache.bytes <= columnCache.budget, 'within budget')
  t.equal(columnCache.size, 4, 'two files of two columns fit: the first was evicted')
  const hits = columnCache.hits
  t.strictSame((await read(files[2]!)).length, 1000)
  t.equal(columnCache.hits - hits, 2, 'the most recent file is still cached')
  columnCache.clear()
  columnCache.budget = 0
  await read(files[0]!)
  t.equal(columnCache.size, 0, 'budget 0: nothing cached')
})

t.test('a registered Delta table with a new version answers with its new rows', async (t) => {
  const s = await startServer({ SCAN_PARALLEL_MIN_ROWS: '0' })
  t.teardown(() => s.stop())
  const table = path.join(orgDir(s), 'ledger')
  makeDeltaTable(table, { 'a.parquet': [1, 2, 3], 'b.parquet': [4, 5] })
  await registered(s, 'ledger', 'ledger')
  const q = '/api/datasets/ledger/explore?select=n:count(),total:v.sum()&v=gte.2'
  t.strictSame(await rows(s, q), [{ n: 4, total: 14 }])
  t.strictSame(await rows(s, q.replace('gte.2', 'gte.3')), [{ n: 3, total: 12 }], 'a new filter value on cached columns')
  // version 1 replaces b.parquet by c.parquet
  const size = writeParquet(path.join(table, 'c.parquet'), { v: { type: new Int32(), values: [100, 200] } })
  const stats = JSON.stringify({ numRecords: 2, minValues: { v: 100 }, maxValues: { v: 200 }, nullCount: { v: 0 } })
  writeCommit(table, 1, [
    { commitInfo: { timestamp: Date.UTC(2024, 0, 2), operation: 'WRITE', operationParameters: { mode: 'Append' } } },
    { remove: { path: 'b.parquet', deletionTimestamp: Date.UTC(2024, 0, 2), dataChange: true } },
    { add: { path: 'c.parquet', partitionValues: {}, size, modificationTime: 0, dataChange: true, stats } },
  ])
  t.strictSame(await rows(s, q.replace('gte.2', 'gte.3')), [{ n: 3, total: 303 }], 'the new version, not cached rows')
  t.strictSame(await rows(s, q.replace('gte.2', 'gte.3') + '&version=0'), [{ n: 3, total: 12 }], 'version 0 still reads its files')
})
