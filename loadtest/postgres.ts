/**
 * `npm run bench:postgres`: a 5,000,000-row, 6-column PostgreSQL table streamed whole through
 * explore as NDJSON and as Arrow, next to `psql \copy (SELECT ...) TO STDOUT` of the same query
 * in the same run (the baseline), with the server's peak RSS; then an import of the table.
 *
 * PostgreSQL: DATABASE_URL, else postgres@127.0.0.1:5432/test. ROWS overrides the row count.
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startBenchServer, type BenchServer } from './server.js'

const ROWS = Number(process.env.ROWS ?? 5_000_000)
const URL_ = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TABLE = 'sluice_bench_wide'
const QUERY = `SELECT id, name, score, at, price, flag FROM public.${TABLE}`

async function setupTable(): Promise<void> {
  const c = new pg.Client({ connectionString: URL_ })
  await c.connect()
  const have = await c.query(`SELECT count(*)::int8 AS n FROM pg_class WHERE relname = $1`, [TABLE])
  const existing = Number(have.rows[0].n) > 0 ? Number((await c.query(`SELECT count(*) AS n FROM public.${TABLE}`)).rows[0].n) : -1
  if (existing !== ROWS) {
    console.log(`creating ${TABLE} with ${ROWS} rows ...`)
    await c.query(`DROP TABLE IF EXISTS public.${TABLE}`)
    await c.query(`CREATE TABLE public.${TABLE} AS SELECT g::int8 AS id, 'name-' || (g % 10000) AS name, (g % 1000) / 7.0::float8 AS score,
      timestamptz '2024-01-01 00:00:00+00' + g * interval '1 second' AS at, ((g % 100000) / 100.0)::numeric(12,2) AS price, g % 2 = 0 AS flag
      FROM generate_series(1, ${ROWS}) g`)
    await c.query(`ANALYZE public.${TABLE}`)
  }
  await c.end()
}

function psqlCopy(): number {
  const started = process.hrtime.bigint()
  const r = spawnSync('psql', [URL_, '-X', '-q', '-c', `\\copy (${QUERY}) TO '/dev/null'`], { stdio: ['ignore', 'ignore', 'inherit'] })
  if (r.status !== 0) throw new Error('psql failed')
  return Number(process.hrtime.bigint() - started) / 1e9
}

/** Streams a result to nowhere; samples the server's RSS once a second (flat = bounded memory). */
async function drain(s: BenchServer, url: string): Promise<{ seconds: number; bytes: number; peakRss: number; rssMb: number[] }> {
  const started = process.hrtime.bigint()
  const res = await fetch(s.url + url, { headers: { authorization: `Bearer ${s.token}` } })
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  let bytes = 0
  let peakRss = s.rss()
  let n = 0
  const rssMb: number[] = []
  const timer = setInterval(() => rssMb.push(Math.round(s.rss() / 1048576)), 1000)
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    bytes += chunk.byteLength
    if (++n % 64 === 0) peakRss = Math.max(peakRss, s.rss())
  }
  clearInterval(timer)
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes, peakRss, rssMb }
}

async function post(s: BenchServer, p: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(s.url + p, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const b = await res.json() as Record<string, unknown>
  if (res.status >= 300) throw new Error(`${p}: ${res.status} ${JSON.stringify(b)}`)
  return b
}

async function main() {
  await setupTable()
  const u = new URL(URL_)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-pg-'))
  const s = await startBenchServer(dataDir)
  try {
    await post(s, '/api/connectors', { id: 'bench', type: 'postgres', config: { host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username || 'postgres'), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) } })
    await post(s, '/api/datasets', { name: 'wide', connector_id: 'bench', source_table: `public.${TABLE}` })
    const idleRss = s.rss()
    const copy = psqlCopy()
    const nd = await drain(s, '/api/datasets/wide/explore?format=ndjson')
    const arrow = await drain(s, '/api/datasets/wide/explore?format=arrow')
    const rate = (sec: number) => Math.round(ROWS / sec)
    console.log(`rows: ${ROWS}, 6 columns (int8, text, float8, timestamptz, numeric(12,2), bool)`)
    console.log(`psql \\copy TO /dev/null   ${copy.toFixed(2)} s  ${rate(copy)} rows/s  (baseline)`)
    console.log(`explore NDJSON            ${nd.seconds.toFixed(2)} s  ${rate(nd.seconds)} rows/s  ratio ${(copy / nd.seconds).toFixed(2)}  ${(nd.bytes / 1048576).toFixed(0)} MB`)
    console.log(`explore Arrow             ${arrow.seconds.toFixed(2)} s  ${rate(arrow.seconds)} rows/s  ratio ${(copy / arrow.seconds).toFixed(2)}  ${(arrow.bytes / 1048576).toFixed(0)} MB`)
    console.log(`server RSS idle ${(idleRss / 1048576).toFixed(0)} MB, peak while streaming ${(Math.max(nd.peakRss, arrow.peakRss) / 1048576).toFixed(0)} MB`)
    console.log(`  RSS each second, NDJSON (MB): ${nd.rssMb.join(' ')}`)
    console.log(`  RSS each second, Arrow (MB):  ${arrow.rssMb.join(' ')}`)

    const started = process.hrtime.bigint()
    const { job } = await post(s, '/api/datasets/import', { connector_id: 'bench', source_table: `public.${TABLE}`, name: 'wide_copy' }) as { job: { id: string } }
    let state = 'running'
    let peakImport = s.rss()
    while (state === 'running') {
      await new Promise((r) => setTimeout(r, 200))
      peakImport = Math.max(peakImport, s.rss())
      const j = await (await fetch(`${s.url}/api/jobs/${job.id}`, { headers: { authorization: `Bearer ${s.token}` } })).json() as { job: { state: string; error: unknown } }
      state = j.job.state
      if (state === 'failed') throw new Error(`import failed: ${JSON.stringify(j.job.error)}`)
    }
    const importSec = Number(process.hrtime.bigint() - started) / 1e9
    console.log(`import                    ${importSec.toFixed(2)} s  ${rate(importSec)} rows/s  ratio vs psql ${(copy / importSec).toFixed(2)}  peak RSS ${(peakImport / 1048576).toFixed(0)} MB`)
    const results = {
      at: new Date().toISOString(), rows: ROWS,
      psql_copy_rows_per_s: rate(copy), ndjson_rows_per_s: rate(nd.seconds), arrow_rows_per_s: rate(arrow.seconds),
      ndjson_vs_psql: copy / nd.seconds, arrow_vs_psql: copy / arrow.seconds,
      rss_idle_mb: Math.round(idleRss / 1048576), rss_ndjson_mb: nd.rssMb, rss_arrow_mb: arrow.rssMb,
      import_rows_per_s: rate(importSec), import_peak_rss_mb: Math.round(peakImport / 1048576),
    }
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results', 'postgres-latest.json')
    fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
  } finally {
    await s.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
