// targetRowsPerFile: a new Parquet file every N rows, each with its own stats; row order kept.
import { openAsBlob, readdirSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import * as pq from 'parquet-wasm'
import { ingestCsv } from '../workers/ingest/ingest.js'
import { csvFile, ingest, ingestResult, readIngested, tempDir, values } from './helpers/ingest.js'

t.test('files of targetRowsPerFile rows, in order, with per-file stats', async (t) => {
  const N = 1000
  const file = csvFile(t, 'id,name\n' + Array.from({ length: N }, (_, i) => `${i},n${i}`).join('\n') + '\n')
  const r = await ingest(t, file, {}, 300)
  t.same(r.files.map((f) => f.numRecords), [300, 300, 300, 100])
  t.same(r.files.map((f) => f.name.slice(0, 10)), ['part-00000', 'part-00001', 'part-00002', 'part-00003'])
  t.same(readdirSync(r.outDir).sort(), r.files.map((f) => f.name).sort(), 'exactly the reported files')
  r.files.forEach((f, k) => {
    const s = JSON.parse(f.stats)
    t.equal(s.numRecords, f.numRecords)
    t.equal(s.minValues.id, k * 300, `file ${k} min`)
    t.equal(s.maxValues.id, Math.min(N, (k + 1) * 300) - 1, `file ${k} max`)
  })
  const all = await readIngested(r)
  t.same(values(all.getChild('id')), Array.from({ length: N }, (_, i) => BigInt(i)))
})

t.test('file boundaries that do not align with row groups', async (t) => {
  const outDir = tempDir(t)
  const file = csvFile(t, 'v\n' + Array.from({ length: 1000 }, (_, i) => i).join('\n') + '\n')
  const r = await ingestCsv({ kind: 'csv-ingest', file, options: {}, outDir, targetRowsPerFile: 450 }, { rowGroupRows: 100 })
  t.same(r.files.map((f) => f.numRecords), [450, 450, 100])
})

t.test('an exact multiple makes no empty trailing file', async (t) => {
  const file = csvFile(t, 'v\n' + Array.from({ length: 600 }, (_, i) => i).join('\n') + '\n')
  const r = await ingest(t, file, {}, 300)
  t.same(r.files.map((f) => f.numRecords), [300, 300])
})

t.test('a bad targetRowsPerFile is invalid_parameter', async (t) => {
  const file = csvFile(t, 'v\n1\n')
  t.match(await ingestResult(t, file, {}, -5), { ok: false, status: 422, code: 'invalid_parameter' })
})

t.test('wide rows: chunks end after maxChunkBytes of CSV, row groups after rowGroupBytes', async (t) => {
  const outDir = tempDir(t)
  const wide = 'x'.repeat(200)
  const file = csvFile(t, 'id,text\n' + Array.from({ length: 100 }, (_, i) => `${i},${wide}${i}`).join('\n') + '\n')
  const r = await ingestCsv({ kind: 'csv-ingest', file, options: {}, outDir }, { maxChunkBytes: 2000, rowGroupBytes: 2000 })
  t.equal(r.files.length, 1)
  const pf = await pq.ParquetFile.fromFile(await openAsBlob(join(outDir, r.files[0]!.name)))
  const groups = pf.metadata().rowGroups().map((g) => g.numRows())
  pf.free()
  // chunks of ~10 rows (2000 CSV bytes); the encoder ends a row group once it holds 2000 bytes
  t.ok(groups.length >= 5 && groups.every((n) => n <= 20), `row groups ${groups.join(',')}`)
  t.equal(groups.reduce((a, b) => a + b, 0), 100)
  const back = values((await readIngested({ outDir, files: r.files })).getChild('id'))
  t.same(back, Array.from({ length: 100 }, (_, i) => BigInt(i)))
})
