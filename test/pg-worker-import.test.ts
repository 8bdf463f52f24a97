// The pg-import task (workers/pg-import.ts) against a real server: Parquet files of
// targetRowsPerFile rows that read back equal to the source, Delta stats, throttled progress,
// and cancel / failure leaving nothing in outDir.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import t from 'tap'
import { Piscina } from 'piscina'
import type { Batch } from '../proto/batch.js'
import type { TaskResult } from '../proto/errors.js'
import type { PgImportProgress, PgImportResult, PgImportTask, PgSource } from '../proto/postgres.js'
import type { Field } from '../proto/types.js'
import pgImport from '../workers/pg-import.js'
import { readParquetBatches } from '../workers/kernels/parquet-read.js'
import { openConnection } from '../proto/pg-session.js'
import { beginReadOnly, pgBatches } from '../workers/pg/source.js'
import { pgTestDatabase, type PgTestDatabase } from './helpers/pg.js'
import { pgConnectionOf, sessionsOf, within } from './helpers/pg-worker.js'

const SOURCES: PgSource[] = ['cursor', 'copy']

function outDir(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'sluice-pg-import-'))
  t.teardown(() => rmSync(dir, { recursive: true, force: true }))
  return dir
}

interface Run {
  result: Promise<TaskResult<PgImportResult>>
  progress: (PgImportProgress & { atMs: number })[]
  cancel(): void
}

function startImport(db: PgTestDatabase, task: Omit<PgImportTask, 'kind' | 'connection' | 'port' | 'batchRows'> & { batchRows?: number; applicationName?: string }): Run {
  const { port1, port2 } = new MessageChannel()
  const progress: Run['progress'] = []
  const t0 = performance.now()
  port1.on('message', (m: { type: string } & PgImportProgress) => { if (m.type === 'progress') progress.push({ rows: m.rows, bytesWritten: m.bytesWritten, atMs: performance.now() - t0 }) })
  const result = pgImport({
    kind: 'pg-import', connection: pgConnectionOf(db, { applicationName: task.applicationName ?? 'sluice-import' }),
    batchRows: 1000, ...task, port: port2,
  }).finally(() => setTimeout(() => port1.close(), 20))
  return { result, progress, cancel: () => port1.postMessage({ type: 'cancel' }) }
}

/** Rows as arrays of plain values (null for nulls), in order. */
function rowsOf(batches: Batch[]): unknown[][] {
  const out: unknown[][] = []
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(b.columns.map((c) => {
        if (c.nulls?.[i]) return null
        const v = (c.values as ArrayLike<unknown>)[i]
        return v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v
      }))
    }
  }
  return out
}

const FIELDS: Field[] = [
  { name: 'id', type: 'int64', nullable: false }, { name: 'small', type: 'int32', nullable: true },
  { name: 'name', type: 'string', nullable: true }, { name: 'score', type: 'float64', nullable: true },
  { name: 'at', type: 'timestamp', nullable: true }, { name: 'day', type: 'date', nullable: true },
  { name: 'amount', type: 'decimal', precision: 12, scale: 2, nullable: true }, { name: 'flag', type: 'boolean', nullable: true },
  { name: 'raw', type: 'binary', nullable: true }, { name: 'tod', type: 'time', nullable: true },
]
const SQL = `SELECT g::int8 AS id, (g % 1000)::int4 AS small, CASE WHEN g % 10 = 0 THEN NULL ELSE 'name ' || g || E'\\t😀' END AS name,
  CASE WHEN g = 7 THEN 'NaN'::float8 WHEN g % 13 = 0 THEN NULL ELSE g / 3.0 END AS score,
  timestamptz '2000-01-01 00:00:00+00' + g * interval '1.000001 second' AS at, date '1999-12-31' - g AS day,
  ((g % 10000) - 5000) / 100.0 AS amount, g % 2 = 0 AS flag, decode(lpad(to_hex(g), 8, '0'), 'hex') AS raw,
  time '00:00:00' + g * interval '1.5 second' AS tod
  FROM generate_series(1, $1::int) g ORDER BY g`

t.test('rows land in Parquet files of targetRowsPerFile rows, equal to the source, with stats', async (t) => {
  const db = await pgTestDatabase(t)
  // the oracle: the same rows through the (separately tested) decoder
  const client = await openConnection(pgConnectionOf(db))
  await beginReadOnly(client)
  const expected: Batch[] = []
  for await (const b of pgBatches(client, { sql: SQL, params: ['2500'], fields: FIELDS, batchRows: 1000, source: 'cursor' })) expected.push(b)
  await client.end()

  for (const source of SOURCES) {
    const dir = outDir(t)
    const r = await startImport(db, { sql: SQL, params: ['2500'], fields: FIELDS, outDir: dir, targetRowsPerFile: 1000, batchRows: 300, source }).result
    t.ok(r.ok, `${source}: ${JSON.stringify(r)}`)
    if (!r.ok) continue
    t.equal(r.value.rowCount, 2500)
    t.same(r.value.files.map((f) => f.numRecords), [1000, 1000, 500], `${source}: batches split at file boundaries`)
    t.same(readdirSync(dir).sort(), r.value.files.map((f) => f.name).sort(), 'exactly the reported files')
    const back: Batch[] = []
    for (const f of r.value.files) for await (const b of readParquetBatches(join(dir, f.name), { fields: FIELDS })) back.push(b)
    const got = rowsOf(back)
    const want = rowsOf(expected)
    t.equal(got.length, 2500)
    t.ok(Number.isNaN(got[6]![3]), 'NaN survives')
    got[6]![3] = want[6]![3] = 'NaN'
    t.same(got, want, `${source}: read back equal`)

    const stats = r.value.files.map((f) => JSON.parse(f.stats) as { numRecords: number; minValues: Record<string, unknown>; maxValues: Record<string, unknown>; nullCount: Record<string, number> })
    t.same(stats.map((s) => s.numRecords), [1000, 1000, 500])
    t.same(stats.map((s) => [s.minValues.id, s.maxValues.id]), [[1, 1000], [1001, 2000], [2001, 2500]])
    t.same(stats.map((s) => s.nullCount.name), [100, 100, 50])
    t.equal(stats[0]!.nullCount.id, 0)
    t.equal(stats[0]!.minValues.at, '2000-01-01T00:00:01.000Z')
    t.equal(stats[0]!.minValues.day, '1997-04-05')
    t.equal(stats[0]!.maxValues.day, '1999-12-30')
  }
})

t.test('progress at most every 250 ms, with rows and bytes growing (in a worker thread, through piscina)', async (t) => {
  const db = await pgTestDatabase(t)
  const dir = outDir(t)
  // in a worker, so that this thread receives each message as it is sent
  const pool = new Piscina({ filename: fileURLToPath(new URL('../workers/pg-import.ts', import.meta.url)), maxThreads: 1 })
  t.teardown(() => pool.destroy())
  const { port1, port2 } = new MessageChannel()
  const progress: (PgImportProgress & { atMs: number })[] = []
  const t0 = performance.now()
  port1.on('message', (m: { type: string } & PgImportProgress) => { if (m.type === 'progress') progress.push({ rows: m.rows, bytesWritten: m.bytesWritten, atMs: performance.now() - t0 }) })
  const task: PgImportTask = {
    kind: 'pg-import', connection: pgConnectionOf(db), sql: SQL, params: ['300000'], fields: FIELDS, outDir: dir,
    targetRowsPerFile: 100_000, batchRows: 1000, port: port2,
  }
  const r: TaskResult<PgImportResult> = await pool.run(task, { transferList: [port2] })
  port1.close()
  t.ok(r.ok)
  t.ok(r.ok && r.value.files.length === 3)
  t.ok(progress.length >= 2, `${progress.length} progress messages`)
  for (let i = 1; i < progress.length; i++) {
    const [a, b] = [progress[i - 1]!, progress[i]!]
    t.ok(b.rows > a.rows && b.bytesWritten >= a.bytesWritten, 'growing')
  }
  // at most one post per 250 ms: counted over the whole run, since one late delivery followed
  // by an on-time one would shorten a single measured gap on a busy machine
  const span = progress.at(-1)!.atMs - progress[0]!.atMs
  t.ok(progress.length - 1 <= Math.ceil(span / 250) + 1, `${progress.length} posts over ${span.toFixed(0)} ms`)
  t.ok(progress.at(-1)!.bytesWritten > 0)
})

t.test('cancel: the query stops on the server and no file is left', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    // mid-stream: files already written
    const dir = outDir(t)
    const app = `sluice-import-cancel-${source}`
    const run = startImport(db, { sql: SQL, params: ['2000000'], fields: FIELDS, outDir: dir, targetRowsPerFile: 20_000, source, applicationName: app })
    t.not(await within(30_000, async () => run.progress.length > 0 && readdirSync(dir).length > 1), null, `${source}: files being written`)
    const t0 = performance.now()
    run.cancel()
    const r = await run.result
    t.ok(performance.now() - t0 < 1000, `${source}: ended ${(performance.now() - t0).toFixed(0)} ms after cancel`)
    t.match(r, { ok: false, status: 499, code: 'cancelled' })
    t.same(readdirSync(dir), [], `${source}: nothing left in outDir`)
    t.not(await within(1000, async () => (await sessionsOf(db, app)).length === 0), null, `${source}: session gone`)

    // before the first row
    const dir2 = outDir(t)
    const run2 = startImport(db, { sql: 'SELECT pg_sleep(30)::text AS x', params: [], fields: [{ name: 'x', type: 'string', nullable: true }], outDir: dir2, targetRowsPerFile: 10, source, applicationName: `${app}-sleep` })
    t.not(await within(5000, async () => (await sessionsOf(db, `${app}-sleep`)).some((s) => s.state === 'active')), null)
    const t1 = performance.now()
    run2.cancel()
    t.match(await run2.result, { ok: false, code: 'cancelled' })
    t.ok(performance.now() - t1 < 1000, `${source}: ended within a second of cancel during pg_sleep`)
    t.not(await within(1000, async () => !(await sessionsOf(db, `${app}-sleep`)).some((s) => s.state === 'active')), null, `${source}: pg_sleep cancelled on the server`)
    t.same(readdirSync(dir2), [])
  }
})

t.test('a failure midway deletes the files already written', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    const dir = outDir(t)
    const r = await startImport(db, {
      sql: 'SELECT (10 / (5000 - g))::int8 AS id FROM generate_series(1, 6000) g', params: [],
      fields: [{ name: 'id', type: 'int64', nullable: true }], outDir: dir, targetRowsPerFile: 1000, batchRows: 500, source,
    }).result
    t.match(r, { ok: false, status: 422, code: 'invalid_query', message: 'division by zero' })
    t.same(readdirSync(dir), [], `${source}: no file left`)

    const bad = await startImport(db, { sql: 'SELECT nope', params: [], fields: [{ name: 'x', type: 'string', nullable: true }], outDir: dir, targetRowsPerFile: 10, source }).result
    t.match(bad, { ok: false, status: 422, code: 'invalid_query', message: 'column "nope" does not exist' })
    const zero = await startImport(db, { sql: 'SELECT 1', params: [], fields: [{ name: 'x', type: 'string', nullable: true }], outDir: dir, targetRowsPerFile: 0, source }).result
    t.match(zero, { ok: false, status: 422, code: 'invalid_parameter' })
  }
  const empty = await startImport(db, { sql: 'SELECT 1::int8 AS id WHERE false', params: [], fields: [{ name: 'id', type: 'int64', nullable: true }], outDir: outDir(t), targetRowsPerFile: 10 }).result
  t.same(empty, { ok: true, value: { rowCount: 0, files: [] } })
})
