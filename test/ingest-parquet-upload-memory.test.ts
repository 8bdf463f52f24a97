// A larger Parquet upload (8 typed columns, ~8 MB, several row groups) in bounded memory:
// RSS and heap growth while ingesting it with and without a rewrite are reported (t.comment),
// and only checked against a loose bound far below the file's decoded size.
import { mkdtempSync, rmSync, statSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t from 'tap'
import type { Batch } from '../proto/batch.js'
import type { TaskResult } from '../proto/errors.js'
import type { UploadIngestResult } from '../proto/ingest.js'
import { DIST } from './helpers/server.js'

type Task = (task: object) => Promise<TaskResult<UploadIngestResult>>
interface Writer { path: string; write(b: Batch): Promise<void>; close(): Promise<{ name: string; size: number }> }
const task = (await import(join(DIST, 'workers/ingest-parquet.js'))).default as Task
const { ParquetPartWriter } = (await import(join(DIST, 'workers/ingest/parquet-write.js'))) as { ParquetPartWriter: { create(dir: string, i: number): Promise<Writer> } }

const dir = mkdtempSync(join(tmpdir(), 'sluice-pq-mem-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
const MiB = 2 ** 20

t.test('a larger file ingests in bounded memory', async (t) => {
  const N = 64 * 1024
  let seed = 1
  const rnd = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32
  const w = await ParquetPartWriter.create(dir, 0)
  let rows = 0
  while (statSync(w.path).size < 8e6) {
    await w.write({
      length: N, columns: [
        { name: 'id', type: 'int64', values: BigInt64Array.from({ length: N }, (_, i) => BigInt(rows + i) * 7919n), nulls: null },
        { name: 'qty', type: 'int32', values: Int32Array.from({ length: N }, () => Math.floor(rnd() * 2e9)), nulls: null },
        { name: 'price', type: 'float64', values: Float64Array.from({ length: N }, () => rnd() * 1000), nulls: null },
        { name: 'name', type: 'string', values: Array.from({ length: N }, () => Math.floor(rnd() * 2 ** 52).toString(36)), nulls: null },
        { name: 'ok', type: 'boolean', values: Uint8Array.from({ length: N }, () => (rnd() < 0.5 ? 1 : 0)), nulls: null },
        { name: 'day', type: 'date', values: Int32Array.from({ length: N }, () => Math.floor(rnd() * 20000)), nulls: null },
        { name: 'at', type: 'timestamp', values: BigInt64Array.from({ length: N }, () => BigInt(Math.floor(rnd() * 1.7e15))), nulls: null },
        { name: 'small', type: 'int16', values: Int32Array.from({ length: N }, () => Math.floor(rnd() * 60000) - 30000), nulls: Uint8Array.from({ length: N }, () => (rnd() < 0.1 ? 1 : 0)) },
      ],
    })
    rows += N
  }
  const f = await w.close()
  const file = join(dir, f.name)
  const mb = f.size / 1e6

  for (const [label, options] of [['no rewrite', {}], ['rewrite', { columns: { qty: 'int64' } }]] as const) {
    const base = process.memoryUsage()
    let peakRss = base.rss
    let peakHeap = base.heapUsed
    const timer = setInterval(() => {
      const m = process.memoryUsage()
      peakRss = Math.max(peakRss, m.rss)
      peakHeap = Math.max(peakHeap, m.heapUsed)
    }, 10)
    const outDir = mkdtempSync(join(dir, 'out-'))
    const t0 = performance.now()
    const r = await task({ kind: 'parquet-ingest', file, options, outDir, targetRowsPerFile: 1_000_000 })
    const s = (performance.now() - t0) / 1000
    clearInterval(timer)
    t.ok(r.ok, label)
    if (!r.ok) return
    t.equal(r.value.rowCount, rows)
    t.equal(r.value.rewritten, label === 'rewrite')
    t.equal(r.value.files.reduce((n, x) => n + x.numRecords, 0), rows)
    const rssGrowth = (peakRss - base.rss) / MiB
    t.comment(`${label}: ${mb.toFixed(1)} MB, ${rows} rows in ${s.toFixed(2)} s (${(mb / s).toFixed(1)} MB/s); RSS +${rssGrowth.toFixed(0)} MiB, heap +${((peakHeap - base.heapUsed) / MiB).toFixed(0)} MiB`)
    // decoded, the file is ~8x its size: a bound far below that shows it is not held whole
    t.ok(rssGrowth < 300, `RSS growth ${rssGrowth.toFixed(0)} MiB stays bounded`)
    rmSync(outDir, { recursive: true })
  }
})
