// Cancelling a pool task (proto/cancel.ts): the task sees its cancel flag, deletes what it
// wrote and ends by itself before the caller hears of it, with the caller's reason; its thread
// is not terminated and takes the next task. Piscina's abort would terminate the thread
// mid-write and leave the files.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { WorkerPool } from '../src/pool.js'
import { SluiceError } from '../proto/errors.js'
import type { CsvIngestResult, CsvIngestTask } from '../proto/ingest.js'
import { DIST } from './helpers/server.js'

const INGEST_CSV = path.join(DIST, 'workers', 'ingest-csv.js')
const ROWS = 1_500_000

t.test('a cancelled task deletes its files and ends by itself; its thread goes on', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pool-cancel-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  const lines = ['id,text,amount']
  for (let i = 0; i < ROWS; i++) lines.push(`${i},row number ${i},${i * 0.5}`)
  const file = path.join(dir, 'in.csv')
  fs.writeFileSync(file, lines.join('\n') + '\n')
  // one thread per file: a split file's helper thread notices the flag only once it has
  // started (modules and wasm, up to ~2 s); ingest-split-http.test.ts cancels a split upload
  process.env.CSV_PARALLEL_MIN_BYTES = '-1'
  const pool = new WorkerPool(1)
  t.teardown(() => pool.close())
  const task = (name: string): CsvIngestTask => {
    fs.mkdirSync(path.join(dir, name))
    return { kind: 'csv-ingest', file, options: {}, outDir: path.join(dir, name), targetRowsPerFile: 100_000 }
  }

  const ac = new AbortController()
  const { port1, port2 } = new MessageChannel()
  let filesAtCancel = 0
  let cancelledAt = 0
  port1.on('message', (m: { phase: string; rowsParsed: number }) => {
    // cancel once a part file has been written, so there is something to take back
    if (cancelledAt === 0 && m.phase === 'writing' && (filesAtCancel = fs.readdirSync(path.join(dir, 'doomed')).length) > 0) {
      cancelledAt = Date.now()
      ac.abort(new SluiceError(499, 'cancelled', 'the job was cancelled'))
    }
  })
  const err = await pool.run<CsvIngestResult>(INGEST_CSV, { ...task('doomed'), progress: port2 }, { signal: ac.signal, transferList: [port2] })
    .then(() => null, (e: unknown) => e)
  port1.close()
  t.ok(filesAtCancel > 0, `cancelled with ${filesAtCancel} part file(s) written`)
  t.match(err, { status: 499, code: 'cancelled', message: 'the job was cancelled' }, "the caller's own reason")
  const stopping = Date.now() - cancelledAt
  t.same(fs.readdirSync(path.join(dir, 'doomed')), [], 'its files were deleted before the caller heard')

  const whole = Date.now()
  const next = await pool.run<CsvIngestResult>(INGEST_CSV, task('next'))
  t.equal(next.rowCount, ROWS, 'the thread takes the next task')
  t.ok(stopping < (Date.now() - whole) / 2, `it stopped soon after the cancel (${stopping} ms), not after writing the file`)
  t.equal(pool.stats.threads, 1)
})

t.test('a task cancelled before it is run never starts', async (t) => {
  const pool = new WorkerPool(1)
  t.teardown(() => pool.close())
  const ac = new AbortController()
  ac.abort(new SluiceError(499, 'cancelled', 'too late'))
  const err = await pool.run(INGEST_CSV, { kind: 'csv-ingest', file: '/nonexistent', options: {}, outDir: '/nonexistent' }, { signal: ac.signal }).catch((e: unknown) => e)
  t.match(err, { code: 'cancelled', message: 'too late' })
  t.equal(pool.stats.running, 0)
})
