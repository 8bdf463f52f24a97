/**
 * `npm run bench:masking`: the cost of column masking on explore. The same rows sit in a
 * PostgreSQL table (behind a connector) and in the lakehouse (imported from it); each query
 * runs for a caller who may unmask (raw values: the baseline) and for one who may not
 * (email hashed, amount rounded, ts truncated to the day), alternating, REPS times each, in
 * one run. Reports median seconds, rows/s and the masked ÷ unmasked throughput ratio.
 *
 * PostgreSQL: DATABASE_URL, else postgres@127.0.0.1:5432/test. ROWS (default 2,000,000), REPS (3).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import pg from 'pg'
import { startBenchServer, type BenchServer } from './server.js'

const ROWS = Number(process.env.ROWS ?? 2_000_000)
const REPS = Number(process.env.REPS ?? 3)
const URL_ = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test'
const TABLE = 'sluice_bench_masking'

const RULES = [
  { column: 'email', strategy: 'hash', params: {}, unmask_roles: ['pii_reader'] },
  { column: 'amount', strategy: 'round', params: { step: 10 }, unmask_roles: ['pii_reader'] },
  { column: 'ts', strategy: 'date_trunc', params: { unit: 'day' }, unmask_roles: ['pii_reader'] },
]

const QUERIES: { label: string; query: string; rows: number | null }[] = [
  { label: 'whole table, NDJSON', query: 'format=ndjson', rows: ROWS },
  { label: 'whole table, Arrow', query: 'format=arrow', rows: ROWS },
  { label: 'group by day, 3 aggregates', query: 'select=d:ts.trunc(day),n:count(),a:amount.sum(),e:email.count_distinct()&group=ts.trunc(day)&format=json', rows: null },
]

async function setupTable(): Promise<void> {
  const c = new pg.Client({ connectionString: URL_ })
  await c.connect()
  const have = await c.query(`SELECT count(*)::int8 AS n FROM pg_class WHERE relname = $1`, [TABLE])
  const existing = Number(have.rows[0].n) > 0 ? Number((await c.query(`SELECT count(*) AS n FROM public.${TABLE}`)).rows[0].n) : -1
  if (existing !== ROWS) {
    console.log(`creating ${TABLE} with ${ROWS} rows ...`)
    await c.query(`DROP TABLE IF EXISTS public.${TABLE}`)
    await c.query(`CREATE TABLE public.${TABLE} AS SELECT g::int8 AS id, 'user' || (g % 200000) || '@example' || (g % 7) || '.com' AS email,
      (g % 100000) / 100.0::float8 AS amount, timestamptz '2024-01-01 00:00:00+00' + g * interval '7 seconds' AS ts, g % 5 AS status
      FROM generate_series(1, ${ROWS}) g`)
    await c.query(`ANALYZE public.${TABLE}`)
  }
  await c.end()
}

async function call(s: BenchServer, token: string, method: string, p: string, body?: object): Promise<Record<string, unknown>> {
  const res = await fetch(s.url + p, {
    method, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  })
  const b = await res.json() as Record<string, unknown>
  if (res.status >= 300) throw new Error(`${p}: ${res.status} ${JSON.stringify(b)}`)
  return b
}

async function waitJob(s: BenchServer, id: string): Promise<void> {
  for (;;) {
    await new Promise((r) => setTimeout(r, 200))
    const j = await call(s, s.token, 'GET', `/api/jobs/${id}`) as { job: { state: string; error: unknown } }
    if (j.job.state === 'succeeded') return
    if (j.job.state !== 'running' && j.job.state !== 'queued') throw new Error(`job ${id}: ${j.job.state} ${JSON.stringify(j.job.error)}`)
  }
}

/** Seconds to stream one result to nowhere. */
async function timed(s: BenchServer, token: string, url: string): Promise<number> {
  const started = process.hrtime.bigint()
  const res = await fetch(s.url + url, { headers: { authorization: `Bearer ${token}` } })
  if (res.status !== 200) throw new Error(`${url}: ${res.status} ${await res.text()}`)
  for await (const _ of res.body as unknown as AsyncIterable<Uint8Array>) { /* drain */ }
  return Number(process.hrtime.bigint() - started) / 1e9
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function main() {
  await setupTable()
  const u = new URL(URL_)
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-mask-'))
  const s = await startBenchServer(dataDir)
  try {
    await call(s, s.token, 'POST', '/api/connectors', { id: 'bench', type: 'postgres', config: { host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: decodeURIComponent(u.username || 'postgres'), ...(u.password ? { password: decodeURIComponent(u.password) } : {}) } })
    await call(s, s.token, 'POST', '/api/datasets', { name: 'pg_people', connector_id: 'bench', source_table: `public.${TABLE}` })
    const { job } = await call(s, s.token, 'POST', '/api/datasets/import', { connector_id: 'bench', source_table: `public.${TABLE}`, name: 'lake_people' }) as { job: { id: string } }
    await waitJob(s, job.id)
    for (const name of ['pg_people', 'lake_people']) await call(s, s.token, 'PATCH', `/api/datasets/${name}`, { settings: { masking: RULES } })
    const raw = await s.tokenFor(['editor', 'pii_reader'])
    const masked = await s.tokenFor(['editor'])

    const results: Record<string, unknown>[] = []
    console.log(`rows: ${ROWS}; masked: email hash, amount round(10), ts date_trunc(day); median of ${REPS}, alternating`)
    console.log('dataset       query                              unmasked s  masked s  masked/unmasked throughput')
    for (const name of ['lake_people', 'pg_people']) {
      for (const q of QUERIES) {
        const url = `/api/datasets/${name}/explore?${q.query}`
        await timed(s, raw, url) // warm-up (caches of decoded metadata, connections)
        const a: number[] = []
        const b: number[] = []
        for (let i = 0; i < REPS; i++) {
          a.push(await timed(s, raw, url))
          b.push(await timed(s, masked, url))
        }
        const ra = median(a)
        const rb = median(b)
        const ratio = ra / rb
        console.log(`${name.padEnd(13)} ${q.label.padEnd(34)} ${ra.toFixed(2).padStart(10)}  ${rb.toFixed(2).padStart(8)}  ${ratio.toFixed(2)}` +
          (q.rows ? `  (${Math.round(q.rows / ra)} vs ${Math.round(q.rows / rb)} rows/s)` : ''))
        results.push({ dataset: name, query: q.label, unmasked_s: ra, masked_s: rb, masked_over_unmasked_throughput: ratio,
          ...(q.rows ? { unmasked_rows_per_s: Math.round(q.rows / ra), masked_rows_per_s: Math.round(q.rows / rb) } : {}) })
      }
    }
    const out = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results', 'masking-latest.json')
    fs.writeFileSync(out, JSON.stringify({ at: new Date().toISOString(), rows: ROWS, reps: REPS, rules: RULES, results }, null, 2) + '\n')
  } finally {
    await s.stop()
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
