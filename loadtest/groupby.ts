/**
 * `node <dist>/loadtest/groupby.js [--rows N] [--reps N] [--data DIR]`: the lakehouse
 * group-by scenario alone. Generates N rows (default 10 M; `--reps` ≤ 9), uploads them through a real
 * server, then alternates Sluice explore and DuckDB on the very same Parquet files: the first
 * call, then repeated calls of the same shape with a new filter value each time (no result
 * cache hit). Prints medians and the ratio Sluice / DuckDB (target ≤ 2.0).
 * `--data DIR` keeps (or reuses) the generated data directory between runs.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { DuckDBInstance } from '@duckdb/node-api'
import { writeBenchCsv } from './generate.js'
import { startBenchServer, type BenchServer } from './server.js'

const { values } = parseArgs({ options: { rows: { type: 'string' }, reps: { type: 'string' }, data: { type: 'string' } } })
const ROWS = Number(values.rows ?? 10_000_000)
const REPS = Math.min(9, Number(values.reps ?? 9))
/** Distinct filter values (the server's result cache must never answer): eq then neq per status. */
const STATUSES = ['paid', 'new', 'shipped', 'returned', 'cancelled']
const FILTERS = [...STATUSES.map((s) => ['eq', s] as const), ...STATUSES.map((s) => ['neq', s] as const)]

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!

async function upload(s: BenchServer, name: string, file: string): Promise<string> {
  const r = await fetch(`${s.url}/api/datasets/file/upload?name=${name}&filename=${path.basename(file)}`, {
    method: 'POST', body: await fs.openAsBlob(file), headers: { authorization: `Bearer ${s.token}`, 'content-type': 'text/csv' },
  })
  const body = (await r.json()) as { id: string }
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(body)}`)
  return body.id
}

async function explore(s: BenchServer, [op, status]: readonly [string, string]): Promise<{ ms: number; body: unknown }> {
  const q = `select=region,n:count(),revenue:amount.sum(),q:qty.avg()&group=region&status=${op}.${status}&order=region`
  const t0 = performance.now()
  const r = await fetch(`${s.url}/api/datasets/bench/explore?${q}`, { headers: { authorization: `Bearer ${s.token}` } })
  const body = await r.json()
  if (r.status !== 200) throw new Error(`explore: ${r.status} ${JSON.stringify(body)}`)
  return { ms: performance.now() - t0, body }
}

async function main() {
  const work = values.data ?? fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-groupby-'))
  const dataDir = path.join(work, 'data')
  const fresh = !fs.existsSync(path.join(work, 'dataset-id'))
  const s = await startBenchServer(dataDir, { MAX_UPLOAD_BYTES: String(4 * 2 ** 30) })
  const duck = await (await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: String(os.availableParallelism()) })).connect()
  try {
    if (fresh) {
      const csv = path.join(work, 'bench.csv')
      console.log(`generating ${ROWS} rows in ${work}`)
      await writeBenchCsv(csv, ROWS)
      const t0 = performance.now()
      const id = await upload(s, 'bench', csv)
      console.log(`uploaded in ${((performance.now() - t0) / 1000).toFixed(1)} s`)
      fs.writeFileSync(path.join(work, 'dataset-id'), id)
      fs.rmSync(csv)
    }
    const id = fs.readFileSync(path.join(work, 'dataset-id'), 'utf8')
    const dir = path.join(dataDir, 'tables', id)
    const parquet = fs.readdirSync(dir).filter((f) => f.endsWith('.parquet'))
    console.log(`${parquet.length} Parquet files, ${(parquet.reduce((a, f) => a + fs.statSync(path.join(dir, f)).size, 0) / 2 ** 20).toFixed(0)} MB`)
    const files = path.join(dir, '*.parquet')
    const duckQuery = ([op, st]: readonly [string, string]) => duck.runAndReadAll(`SELECT region, count(*), sum(amount), avg(qty) FROM read_parquet('${files}') WHERE status ${op === 'eq' ? '=' : '<>'} '${st}' GROUP BY region ORDER BY region`)

    const first = await explore(s, FILTERS[0]!)
    const d0 = performance.now()
    await duckQuery(FILTERS[0]!)
    const duckFirst = performance.now() - d0
    const sluiceMs: number[] = []
    const duckMs: number[] = []
    for (let i = 1; i <= REPS; i++) {
      const st = FILTERS[i]!
      sluiceMs.push((await explore(s, st)).ms)
      const t = performance.now()
      await duckQuery(st)
      duckMs.push(performance.now() - t)
    }
    console.log(JSON.stringify(first.body).slice(0, 300))
    console.log('\n| group-by | Sluice ms | DuckDB ms | ratio |\n|---|---|---|---|')
    console.log(`| first call | ${first.ms.toFixed(0)} | ${duckFirst.toFixed(0)} | ${(first.ms / duckFirst).toFixed(2)} |`)
    console.log(`| repeated, new filter (median of ${REPS}) | ${median(sluiceMs).toFixed(0)} | ${median(duckMs).toFixed(0)} | ${(median(sluiceMs) / median(duckMs)).toFixed(2)} |`)
    console.log(`sluice: ${sluiceMs.map((x) => x.toFixed(0)).join(' ')}\nduckdb: ${duckMs.map((x) => x.toFixed(0)).join(' ')}`)
  } finally {
    await s.stop()
    if (!values.data) fs.rmSync(work, { recursive: true, force: true })
  }
}

main().catch((err) => { console.error(err); process.exit(1) })
