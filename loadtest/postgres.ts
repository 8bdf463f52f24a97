/**
 * `npm run bench:postgres`: a 5,000,000-row, 6-column PostgreSQL table streamed whole through
 * explore as NDJSON and as Arrow, next to `psql \copy (SELECT ...) TO '/dev/null'` of the same
 * query (the baseline), in one run: REPS rounds of psql, NDJSON, Arrow in turn, medians and
 * ratios (Sluice rows/s ÷ psql rows/s), with the server's RSS; then an import of the table.
 *
 * The HTTP client is node:http counting bytes (what psql does with /dev/null: nothing).
 *
 * Environment: DATABASE_URL (default postgres@127.0.0.1:5432/test), ROWS (default 5,000,000),
 * REPS (default 3), SKIP_IMPORT=1 (no import), RESULTS (the JSON file written; default
 * loadtest/results/postgres-latest.json).
 */
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startBenchServer, type BenchServer } from './server.js'

const ROWS = Number(process.env.ROWS ?? 5_000_000)
const REPS = Math.max(1, Number(process.env.REPS ?? 3))
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

interface Drained { seconds: number; bytes: number; peakRss: number; rssMb: number[] }

/** Streams a result to nowhere; samples the server's RSS once a second (flat = bounded memory). */
function drain(s: BenchServer, url: string): Promise<Drained> {
  const started = process.hrtime.bigint()
  let peakRss = s.rss()
  const rssMb: number[] = []
  const timer = setInterval(() => { const r = s.rss(); peakRss = Math.max(peakRss, r); rssMb.push(Math.round(r / 1048576)) }, 1000)
  return new Promise<Drained>((resolve, reject) => {
    const req = http.get(s.url + url, { headers: { authorization: `Bearer ${s.token}` } }, (res) => {
      let bytes = 0
      if (res.statusCode !== 200) {
        let body = ''
        res.setEncoding('utf8').on('data', (c: string) => { body += c }).on('end', () => reject(new Error(`${url}: ${res.statusCode} ${body}`)))
        return
      }
      res.on('data', (c: Buffer) => { bytes += c.length })
      res.on('error', reject)
      res.on('end', () => {
        if (!res.complete) return reject(new Error(`${url}: the stream was cut`))
        resolve({ seconds: Number(process.hrtime.bigint() - started) / 1e9, bytes, peakRss: Math.max(peakRss, s.rss()), rssMb })
      })
    })
    req.on('error', reject)
  }).finally(() => clearInterval(timer))
}

async function post(s: BenchServer, p: string, body: object): Promise<Record<string, unknown>> {
  const res = await fetch(s.url + p, { method: 'POST', headers: { authorization: `Bearer ${s.token}`, 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const b = await res.json() as Record<string, unknown>
  if (res.status >= 300) throw new Error(`${p}: ${res.status} ${JSON.stringify(b)}`)
  return b
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2
}

async function runImport(s: BenchServer): Promise<{ seconds: number; peakRss: number }> {
  const started = process.hrtime.bigint()
  const { job } = await post(s, '/api/datasets/import', { connector_id: 'bench', source_table: `public.${TABLE}`, name: 'wide_copy' }) as { job: { id: string } }
  let state = 'running'
  let peakRss = s.rss()
  while (state === 'running') {
    await new Promise((r) => setTimeout(r, 200))
    peakRss = Math.max(peakRss, s.rss())
    const j = await (await fetch(`${s.url}/api/jobs/${job.id}`, { headers: { authorization: `Bearer ${s.token}` } })).json() as { job: { state: string; error: unknown } }
    state = j.job.state
    if (state === 'failed') throw new Error(`import failed: ${JSON.stringify(j.job.error)}`)
  }
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, peakRss }
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
    const copies: number[] = []
    const nds: Drained[] = []
    const arrows: Drained[] = []
    const rate = (sec: number) => Math.round(ROWS / sec)
    for (let r = 0; r < REPS; r++) {
      copies.push(psqlCopy())
      nds.push(await drain(s, '/api/datasets/wide/explore?format=ndjson'))
      arrows.push(await drain(s, '/api/datasets/wide/explore?format=arrow'))
      console.log(`round ${r + 1}/${REPS}: psql ${rate(copies[r]!)}  ndjson ${rate(nds[r]!.seconds)}  arrow ${rate(arrows[r]!.seconds)} rows/s`)
    }
    const copy = median(copies)
    const nd = median(nds.map((d) => d.seconds))
    const arrow = median(arrows.map((d) => d.seconds))
    console.log(`rows: ${ROWS}, 6 columns (int8, text, float8, timestamptz, numeric(12,2), bool); median of ${REPS} alternating rounds`)
    console.log(`psql \\copy TO /dev/null   ${copy.toFixed(2)} s  ${rate(copy)} rows/s  (baseline)`)
    console.log(`explore NDJSON            ${nd.toFixed(2)} s  ${rate(nd)} rows/s  ratio ${(copy / nd).toFixed(2)}  ${(nds[0]!.bytes / 1048576).toFixed(0)} MB`)
    console.log(`explore Arrow             ${arrow.toFixed(2)} s  ${rate(arrow)} rows/s  ratio ${(copy / arrow).toFixed(2)}  ${(arrows[0]!.bytes / 1048576).toFixed(0)} MB`)
    const peak = Math.max(...nds.map((d) => d.peakRss), ...arrows.map((d) => d.peakRss))
    console.log(`server RSS idle ${(idleRss / 1048576).toFixed(0)} MB, peak while streaming ${(peak / 1048576).toFixed(0)} MB`)
    console.log(`  RSS each second, NDJSON round 1 (MB): ${nds[0]!.rssMb.join(' ')}`)
    console.log(`  RSS each second, Arrow round 1 (MB):  ${arrows[0]!.rssMb.join(' ')}`)

    const results: Record<string, unknown> = {
      at: new Date().toISOString(), rows: ROWS, reps: REPS,
      psql_copy_rows_per_s: rate(copy), ndjson_rows_per_s: rate(nd), arrow_rows_per_s: rate(arrow),
      ndjson_vs_psql: copy / nd, arrow_vs_psql: copy / arrow, ndjson_target: 0.67, ndjson_met: copy / nd >= 0.67,
      runs: { psql_s: copies, ndjson_s: nds.map((d) => d.seconds), arrow_s: arrows.map((d) => d.seconds) },
      rss_idle_mb: Math.round(idleRss / 1048576), rss_peak_mb: Math.round(peak / 1048576), rss_ndjson_mb: nds[0]!.rssMb, rss_arrow_mb: arrows[0]!.rssMb,
    }
    if (process.env.SKIP_IMPORT !== '1') {
      const imp = await runImport(s)
      console.log(`import                    ${imp.seconds.toFixed(2)} s  ${rate(imp.seconds)} rows/s  ratio vs psql ${(copy / imp.seconds).toFixed(2)}  peak RSS ${(imp.peakRss / 1048576).toFixed(0)} MB`)
      results.import_rows_per_s = rate(imp.seconds)
      results.import_peak_rss_mb = Math.round(imp.peakRss / 1048576)
    }
    const out = process.env.RESULTS ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results', 'postgres-latest.json')
    fs.writeFileSync(out, JSON.stringify(results, null, 2) + '\n')
  } finally {
    await s.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
