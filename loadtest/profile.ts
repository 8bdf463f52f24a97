/**
 * `npm run build && node dist/loadtest/profile.js [--rows 10000000] [--files 10] [--keep]`:
 * column profiles of a table of `rows` rows × 8 columns (int64, float64, low-cardinality string,
 * high-cardinality string, decimal(18,2), date, timestamp, boolean) written as `files` Parquet
 * files with Sluice's writer, profiled by the worker tasks through a real piscina pool (one
 * `profile-scan` per file group, 2 groups, then `profile-finish`), vs DuckDB
 * `SUMMARIZE SELECT * FROM read_parquet([...])` over the same files in the same run.
 * The files are kept under the OS temp folder with --keep (reused by the next run).
 * Prints seconds and the ratio; writes loadtest/results/profile-latest.json.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import type { Batch } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import type { ProfileFinishResult, ProfilePartial } from '../proto/profile.js'
import { WorkerPool, WORKERS } from '../src/pool.js'
import { writeParquetFile } from '../workers/ingest/parquet-write.js'
import { unscaledToDecimal } from '../workers/kernels/decimal.js'
import { rng } from './generate.js'

const { values } = parseArgs({ options: { rows: { type: 'string' }, files: { type: 'string' }, keep: { type: 'boolean', default: false } } })
const ROWS = Number(values.rows ?? 10_000_000)
const FILES = Number(values.files ?? 10)
const GROUPS = 2
const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results')

const FIELDS: Field[] = [
  { name: 'qty', type: 'int64', nullable: true },
  { name: 'price', type: 'float64', nullable: true },
  { name: 'region', type: 'string', nullable: true },
  { name: 'email', type: 'string', nullable: true },
  { name: 'amount', type: 'decimal', nullable: true, precision: 18, scale: 2 },
  { name: 'day', type: 'date', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
]
const REGIONS = ['EU', 'US', 'APAC', 'LATAM', 'MEA', 'Ωmega', '😀', '']

function batch(start: number, n: number, seed: number): Batch {
  const r = rng(seed)
  const qty = new BigInt64Array(n), price = new Float64Array(n), day = new Int32Array(n), ts = new BigInt64Array(n), ok = new Uint8Array(n)
  const region: string[] = new Array(n), email: string[] = new Array(n), amount: string[] = new Array(n)
  const nulls = new Uint8Array(n)
  const t0 = Date.UTC(2023, 0, 1) * 1000
  for (let i = 0; i < n; i++) {
    nulls[i] = r() < 0.05 ? 1 : 0
    qty[i] = BigInt(Math.floor(-Math.log(1 - r()) * 1000))
    price[i] = Math.round(r() * 1e6) / 100
    region[i] = REGIONS[Math.min(7, Math.floor(1 / (r() + 0.125)))]!
    email[i] = `user${start + i}@example${i % 97}.com`
    amount[i] = unscaledToDecimal(Math.floor((r() - 0.2) * 1e9), 2)
    day[i] = 19_000 + Math.floor(r() * 700)
    ts[i] = BigInt(t0 + Math.floor(r() * 365 * 86_400e6))
    ok[i] = r() < 0.6 ? 1 : 0
  }
  const col = (f: Field, v: Batch['columns'][number]['values'], withNulls = false) => ({ name: f.name, type: f.type, values: v, nulls: withNulls ? nulls : null, precision: f.precision, scale: f.scale })
  const [a, b, c, d, e, g, h, k] = FIELDS as [Field, Field, Field, Field, Field, Field, Field, Field]
  return { length: n, columns: [col(a, qty, true), col(b, price), col(c, region, true), col(d, email), col(e, amount), col(g, day, true), col(h, ts), col(k, ok, true)] }
}

async function writeFiles(dir: string): Promise<string[]> {
  const marker = path.join(dir, 'files.json')
  if (fs.existsSync(marker)) return JSON.parse(fs.readFileSync(marker, 'utf8')) as string[]
  fs.mkdirSync(dir, { recursive: true })
  const per = Math.ceil(ROWS / FILES)
  const out: string[] = []
  for (let f = 0; f < FILES; f++) {
    const rows = Math.min(per, ROWS - f * per)
    const step = 131_072
    const batches = function* () { for (let s = 0; s < rows; s += step) yield batch(f * per + s, Math.min(step, rows - s), f * 1000 + s) }
    const w = await writeParquetFile(dir, f, batches())
    out.push(path.join(dir, w.name))
    process.stdout.write(`  wrote file ${f + 1}/${FILES}\r`)
  }
  fs.writeFileSync(marker, JSON.stringify(out))
  return out
}

async function main(): Promise<void> {
  const dir = path.join(os.tmpdir(), `sluice-profile-bench-${ROWS}-${FILES}`)
  console.log(`profile bench: ${ROWS.toLocaleString()} rows × ${FIELDS.length} columns in ${FILES} files (${dir})`)
  let t = performance.now()
  const files = await writeFiles(dir)
  const bytes = files.reduce((s, f) => s + fs.statSync(f).size, 0)
  console.log(`files ready in ${((performance.now() - t) / 1000).toFixed(1)} s, ${(bytes / 2 ** 20).toFixed(0)} MiB`)

  const threads = os.availableParallelism()
  const pool = new WorkerPool(threads)
  const columns = FIELDS.map((f) => f.name)
  // warm the threads (module loading, wasm instantiation) so both engines start ready; with
  // several tasks per worker, a scan sent before the second thread is up would share the first
  await Promise.all(Array.from({ length: threads }, () => pool.run(WORKERS.profileScan, { kind: 'profile-scan', files: [], fields: FIELDS, columns })))
  for (let i = 0; i < 100 && pool.threads < threads; i++) await new Promise((r) => setTimeout(r, 50))
  t = performance.now()
  const groups = Array.from({ length: GROUPS }, (_, g) => files.filter((_, i) => i % GROUPS === g).map((p) => ({ path: p })))
  const taskS: number[] = []
  const partials = await Promise.all(groups.map(async (g, i) => {
    const p = await pool.run<ProfilePartial>(WORKERS.profileScan, { kind: 'profile-scan', files: g, fields: FIELDS, columns })
    taskS[i] = (performance.now() - t) / 1000
    return p
  }))
  const scanS = (performance.now() - t) / 1000
  const fin = await pool.run<ProfileFinishResult>(WORKERS.profileFinish, { kind: 'profile-finish', fields: FIELDS, columns, partials, top: 10 })
  const sluiceS = (performance.now() - t) / 1000
  await pool.close()
  const profiles = JSON.parse(fin.columnsJson) as { name: string; distinct_count: number; p50?: number; quantiles_approximate?: boolean }[]

  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
  const c = await db.connect()
  t = performance.now()
  const summary = (await c.runAndReadAll(`SUMMARIZE SELECT * FROM read_parquet([${files.map((f) => `'${f}'`).join(',')}])`)).getRowObjectsJson()
  const duckS = (performance.now() - t) / 1000
  c.closeSync()

  console.log(`Sluice profile (piscina, ${threads} threads, ${GROUPS} scan tasks + finish): ${sluiceS.toFixed(2)} s (scan ${scanS.toFixed(2)} s: tasks done at ${taskS.map((x) => x.toFixed(2)).join(', ')} s, finish ${(sluiceS - scanS).toFixed(2)} s), ${(ROWS / sluiceS / 1e6).toFixed(2)} M rows/s`)
  console.log(`DuckDB SUMMARIZE:                                        ${duckS.toFixed(2)} s`)
  console.log(`ratio Sluice / DuckDB: ${(sluiceS / duckS).toFixed(2)}`)
  for (const p of profiles) {
    const d = summary.find((s) => s.column_name === p.name)
    console.log(`  ${p.name.padEnd(7)} distinct ${p.distinct_count} (DuckDB approx_unique ${d?.approx_unique}), p50 ${p.p50 ?? '-'} (DuckDB q50 ${d?.q50 ?? '-'})`)
  }
  fs.mkdirSync(RESULTS, { recursive: true })
  fs.writeFileSync(path.join(RESULTS, 'profile-latest.json'), JSON.stringify({ rows: ROWS, files: FILES, columns: FIELDS.length, threads, sluice_s: sluiceS, scan_s: scanS, duckdb_summarize_s: duckS, ratio: sluiceS / duckS, at: new Date().toISOString() }, null, 2) + '\n')
  if (!values.keep) fs.rmSync(dir, { recursive: true, force: true })
}

await main()
