/**
 * `node dist/loadtest/pg-source.js [--rows 5000000] [--reps 3] [--url postgres://...] [--keep]`:
 * rows/s of the PostgreSQL sources of the worker tasks (workers/pg/source.ts) on a table of
 * `rows` rows and 6 columns (int8, text, float8, timestamptz, numeric(12,2), bool):
 *
 *   psql       `psql -c "\copy (SELECT ...) TO '/dev/null'"`: the ceiling (C client, no decode)
 *   source     rows → decoded Batches only, cursor vs COPY
 *   ndjson     the whole pg-scan task in a worker thread (decode + encode + credit protocol),
 *              NDJSON out, this thread granting credit as chunks arrive
 *   arrow      the same, Arrow IPC out
 *
 * Best of `reps` runs each. The table is created in the database of `--url` (default the
 * local `test` database) and dropped at the end unless `--keep`.
 */
import { spawn } from 'node:child_process'
import { MessageChannel } from 'node:worker_threads'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import pg from 'pg'
import { Piscina } from 'piscina'
import type { ColumnMeta } from '../proto/types.js'
import type { PgConnection, PgScanTask, PgSource } from '../proto/postgres.js'
import type { OutputFormat } from '../proto/plan.js'
import { openConnection } from '../proto/pg-session.js'
import { beginReadOnly, pgBatches } from '../workers/pg/source.js'

const { values } = parseArgs({ options: {
  rows: { type: 'string' }, reps: { type: 'string' }, url: { type: 'string' }, keep: { type: 'boolean', default: false },
  batch: { type: 'string' },
} })
const ROWS = Number(values.rows ?? 5_000_000)
const REPS = Number(values.reps ?? 3)
const BATCH_ROWS = Number(values.batch ?? 1000)
const URL_ = new URL(values.url ?? 'postgres://postgres@127.0.0.1:5432/test')
const TABLE = 'sluice_bench_pg_source'
const SELECT = `SELECT id, name, score, at, amount, flag FROM ${TABLE}`

const conn: PgConnection = {
  host: URL_.hostname, port: Number(URL_.port || 5432), database: URL_.pathname.slice(1) || 'postgres',
  user: decodeURIComponent(URL_.username || 'postgres'), password: URL_.password ? decodeURIComponent(URL_.password) : null,
  ssl: false, statementTimeoutMs: 0, connectTimeoutMs: 5000, applicationName: 'sluice-bench',
}
const meta = (name: string, logical: ColumnMeta['logical'], type: string = logical, extra: Partial<ColumnMeta> = {}): ColumnMeta =>
  ({ name, type, logical, masked: false, ...extra })
const COLUMNS: ColumnMeta[] = [
  meta('id', 'int64'), meta('name', 'string'), meta('score', 'float64'), meta('at', 'timestamp'),
  meta('amount', 'decimal', 'decimal(12,2)', { precision: 12, scale: 2 }), meta('flag', 'boolean'),
]
const FIELDS = COLUMNS.map((c) => ({ name: c.name, type: c.logical, precision: c.precision, scale: c.scale }))

async function setup(): Promise<void> {
  const c = new pg.Client({ connectionString: URL_.toString() })
  await c.connect()
  try {
    const { rows } = await c.query(`SELECT count(*)::int8 AS n FROM pg_class WHERE relname = $1`, [TABLE])
    if (Number(rows[0].n) > 0) {
      const { rows: r } = await c.query(`SELECT count(*)::int8 AS n FROM ${TABLE}`)
      if (Number(r[0].n) === ROWS) return
      await c.query(`DROP TABLE ${TABLE}`)
    }
    const t0 = performance.now()
    await c.query(`CREATE TABLE ${TABLE} (id int8, name text, score float8, at timestamptz, amount numeric(12,2), flag bool)`)
    await c.query(`INSERT INTO ${TABLE}
      SELECT g, 'customer ' || md5(g::text), (g % 100000) / 7.0, timestamptz '2020-01-01 00:00:00+00' + g * interval '1.234567 second',
             ((g % 1000000) - 500000) / 100.0, g % 3 = 0
      FROM generate_series(1, $1::int8) g`, [ROWS])
    await c.query(`VACUUM ANALYZE ${TABLE}`)
    console.log(`created ${TABLE} (${ROWS} rows) in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
  } finally {
    await c.end()
  }
}

async function drop(): Promise<void> {
  const c = new pg.Client({ connectionString: URL_.toString() })
  await c.connect()
  await c.query(`DROP TABLE IF EXISTS ${TABLE}`)
  await c.end()
}

async function timeIt(fn: () => Promise<number>): Promise<{ seconds: number; rows: number }> {
  let best = Infinity
  let rows = 0
  for (let i = 0; i < REPS; i++) {
    const t0 = performance.now()
    rows = await fn()
    best = Math.min(best, (performance.now() - t0) / 1000)
  }
  return { seconds: best, rows }
}

function psqlCopy(): Promise<number> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, PGPASSWORD: conn.password ?? '' }
    const p = spawn('psql', ['-X', '-q', '-h', conn.host, '-p', String(conn.port), '-U', conn.user, '-d', conn.database,
      '-c', `\\copy (${SELECT}) TO '/dev/null'`], { env, stdio: ['ignore', 'ignore', 'inherit'] })
    p.on('error', reject)
    p.on('exit', (code) => code === 0 ? resolve(ROWS) : reject(new Error(`psql exited with ${code}`)))
  })
}

async function sourceOnly(source: PgSource): Promise<number> {
  const client = await openConnection(conn)
  try {
    await beginReadOnly(client)
    let n = 0
    for await (const b of pgBatches(client, { sql: SELECT, params: [], fields: FIELDS, batchRows: BATCH_ROWS, source })) n += b.length
    return n
  } finally {
    await client.end()
  }
}

/** The pg-scan task in a worker thread, as the server runs it; this thread plays a fast client. */
const pool = new Piscina({ filename: fileURLToPath(new URL('../workers/pg-scan.js', import.meta.url)), minThreads: 1, maxThreads: 1 })

async function scanTask(source: PgSource, format: OutputFormat): Promise<number> {
  const { port1, port2 } = new MessageChannel()
  let rows = -1
  let failure: unknown = null
  port1.on('message', (m: { type: string; rowCount?: number; failure?: unknown }) => {
    if (m.type === 'chunk') port1.postMessage({ type: 'credit', chunks: 1 })
    else if (m.type === 'done') rows = m.rowCount!
    else failure = m.failure
  })
  const task: PgScanTask = { kind: 'pg-scan', connection: conn, sql: SELECT, params: [], columns: COLUMNS, format, batchRows: BATCH_ROWS, initialCredit: 4, port: port2, source }
  await pool.run(task, { transferList: [port2] })
  await new Promise((r) => setImmediate(r))
  port1.close()
  if (failure) throw new Error(`scan failed: ${JSON.stringify(failure)}`)
  return rows
}

async function main(): Promise<void> {
  await setup()
  const results: { name: string; seconds: number; rowsPerSecond: number }[] = []
  const run = async (name: string, fn: () => Promise<number>) => {
    const { seconds, rows } = await timeIt(fn)
    if (rows !== ROWS) throw new Error(`${name}: ${rows} rows, expected ${ROWS}`)
    results.push({ name, seconds, rowsPerSecond: rows / seconds })
    console.log(`${name.padEnd(16)} ${seconds.toFixed(2).padStart(7)} s ${(rows / seconds / 1e6).toFixed(2).padStart(6)} M rows/s`)
  }
  try {
    await run('psql \\copy', psqlCopy)
    for (const source of ['cursor', 'copy'] as const) await run(`source ${source}`, () => sourceOnly(source))
    for (const format of ['ndjson', 'arrow'] as const) {
      for (const source of ['cursor', 'copy'] as const) await run(`${format} ${source}`, () => scanTask(source, format))
    }
  } finally {
    await pool.destroy()
    if (!values.keep) await drop()
  }
  const rate = (name: string) => results.find((r) => r.name === name)!.rowsPerSecond
  const psql = rate('psql \\copy')
  console.log('\nratios')
  for (const what of ['source', 'ndjson', 'arrow']) {
    const cur = rate(`${what} cursor`)
    const cp = rate(`${what} copy`)
    console.log(`${what.padEnd(7)} copy/cursor ${(cp / cur).toFixed(2)}x   cursor/psql ${(cur / psql).toFixed(2)}   copy/psql ${(cp / psql).toFixed(2)}`)
  }
}

await main()
