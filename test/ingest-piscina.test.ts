// The task module through a real piscina pool: results and failures come back as data, and
// the progress port crosses the thread boundary (transferList).
import { readdirSync } from 'node:fs'
import { MessageChannel } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { Piscina } from 'piscina'
import type { TaskResult } from '../proto/errors.js'
import type { CsvIngestResult, CsvPreviewResult, IngestProgress } from '../proto/ingest.js'
import { csvFile, tempDir } from './helpers/ingest.js'

// under tap the TypeScript loader is inherited by worker threads, so the .ts module loads as is;
// in production the pool points at the compiled dist/workers/ingest-csv.js
const filename = fileURLToPath(new URL('../workers/ingest-csv.ts', import.meta.url))

t.test('preview, ingest and a failure through piscina', async (t) => {
  const pool = new Piscina({ filename, maxThreads: 1 })
  t.teardown(() => pool.destroy())
  const file = csvFile(t, 'id,big,when\n1,9223372036854775807,2024-01-01T00:00Z\n2,,\n')

  const p: TaskResult<CsvPreviewResult> = await pool.run({ kind: 'csv-preview', file, options: {}, limit: 10 })
  t.ok(p.ok)
  if (!p.ok) return
  t.same(p.value.fields.map((f) => f.type), ['int64', 'int64', 'timestamp'])
  t.ok(p.value.rows.columns[1]!.values instanceof BigInt64Array, 'typed arrays survive the clone')
  t.equal((p.value.rows.columns[1]!.values as BigInt64Array)[0], 9223372036854775807n)

  const outDir = tempDir(t)
  const { port1, port2 } = new MessageChannel()
  const progress: IngestProgress[] = []
  port1.on('message', (m: IngestProgress) => progress.push(m))
  const r: TaskResult<CsvIngestResult> = await pool.run({ kind: 'csv-ingest', file, options: {}, outDir, progress: port2 }, { transferList: [port2] })
  t.ok(r.ok)
  if (!r.ok) return
  t.equal(r.value.rowCount, 2)
  t.same(readdirSync(outDir), [r.value.files[0]!.name])
  await new Promise((resolve) => setTimeout(resolve, 50))
  port1.close()
  t.ok(progress.some((m) => m.phase === 'inferring') && progress.some((m) => m.phase === 'writing'), 'progress crossed threads')

  const bad = await pool.run({ kind: 'csv-preview', file: csvFile(t, 'a,b\n1,"x\n'), options: {}, limit: 1 })
  t.same(bad, { ok: false, status: 422, code: 'invalid_file', message: 'line 2: a quoted field is not closed' })
  const missing = await pool.run({ kind: 'csv-preview', file: '/nonexistent/file.csv', options: {}, limit: 1 })
  t.same(missing, { ok: false, status: 500, code: 'internal', message: 'internal error' })
})
