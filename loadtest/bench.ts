/**
 * `npm run bench [-- --rows N --reps N --only upload,groupby --quick --out DIR]`: the six
 * scenarios of issue 9, each Sluice (a real server process over loopback HTTP) against its
 * baseline in the same run, alternating, medians of `reps` repetitions, ratio, target, met:
 *
 *   1 upload       CSV upload → Delta (MB/s)               vs DuckDB COPY read_csv → Parquet
 *   2 groupby      explore group-by + filter, new filter    vs DuckDB on the same Parquet files
 *   3 pg-stream    PostgreSQL table whole as NDJSON/Arrow   vs psql \copy (SELECT ...) TO STDOUT
 *   4 profile      /profile of every column                 vs DuckDB SUMMARIZE
 *   5 concurrency  small explore answer, 64 connections     vs uWS hello-world (and node:http)
 *   6 memory       RSS growth streaming 5 M rows; 100 clients with disconnects; leak check
 *
 * Prints a Markdown table; writes JSON + an SVG chart to loadtest/results/latest.{json,svg}.
 * `--quick` (CI smoke: small N, 2 reps, short loads) writes to <os.tmpdir()>/sluice-bench-quick/
 * quick.{json,svg} so it never overwrites the real figures; `--out DIR` overrides the folder.
 * PostgreSQL: DATABASE_URL, else 127.0.0.1:5432/test, else an embedded server (loadtest/bench/pg.ts).
 * `--cpu-prof DIR` runs the server under `node --cpu-prof` (where the time goes when a target is missed).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { writeBenchCsv } from './generate.js'
import { startBenchServer } from './server.js'
import { SCENARIOS, uploadCsv, type BenchContext, type ScenarioId, type ScenarioResult } from './bench/common.js'
import { benchPostgres, type BenchPostgres } from './bench/pg.js'
import { uploadScenario } from './bench/upload.js'
import { groupbyScenario } from './bench/groupby.js'
import { pgStreamScenario } from './bench/pg-stream.js'
import { profileScenario } from './bench/profile.js'
import { concurrencyScenario } from './bench/concurrency.js'
import { memoryScenario } from './bench/memory.js'
import { machine, table, writeReport, type BenchReport } from './bench/report.js'

const { values } = parseArgs({ options: {
  rows: { type: 'string' }, reps: { type: 'string' }, only: { type: 'string' }, quick: { type: 'boolean', default: false },
  out: { type: 'string' }, 'stream-rows': { type: 'string' }, 'cpu-prof': { type: 'string' },
} })
const QUICK = values.quick!
const ROWS = Number(values.rows ?? (QUICK ? 20_000 : 10_000_000))
const REPS = Number(values.reps ?? (QUICK ? 2 : 3))
const STREAM_ROWS = Math.min(ROWS, Number(values['stream-rows'] ?? 5_000_000))
const ONLY = (values.only?.split(',').map((x) => x.trim()).filter(Boolean) ?? [...SCENARIOS]) as ScenarioId[]
for (const o of ONLY) if (!SCENARIOS.includes(o)) throw new Error(`--only: unknown scenario "${o}"; use ${SCENARIOS.join(', ')}`)
if (!(ROWS > 0 && REPS > 0)) throw new Error('--rows and --reps must be positive numbers')
const OUT = values.out ? path.resolve(values.out)
  : QUICK ? path.join(os.tmpdir(), 'sluice-bench-quick')
    : path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results')

const RUNNERS: Record<ScenarioId, (ctx: BenchContext) => Promise<ScenarioResult>> = {
  upload: uploadScenario, groupby: groupbyScenario, 'pg-stream': pgStreamScenario,
  profile: profileScenario, concurrency: concurrencyScenario, memory: memoryScenario,
}
const log = (m: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${m}`)

async function main(): Promise<number> {
  const started = performance.now()
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'))
  const csv = path.join(work, 'bench.csv')
  log(`generating ${ROWS} rows in ${csv}`)
  const csvBytes = await writeBenchCsv(csv, ROWS)
  // the 10 M-row CSV is about 1 GB: far over the default upload limit
  // --cpu-prof DIR: the server writes .cpuprofile files (main thread and workers) there when it stops
  // (node flags, not NODE_OPTIONS: node refuses --cpu-prof there)
  const prof = values['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(values['cpu-prof'])}`] : []
  const server = await startBenchServer(path.join(work, 'data'), { MAX_UPLOAD_BYTES: String(Math.max(4 * 2 ** 30, csvBytes * 2)) }, prof)
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false', threads: String(os.availableParallelism()) })
  const duck = await instance.connect()
  const needPg = ONLY.includes('pg-stream') || ONLY.includes('memory')
  const results: ScenarioResult[] = []
  const report = (): BenchReport => ({
    date: new Date().toISOString(), machine: machine(),
    options: { rows: ROWS, stream_rows: STREAM_ROWS, reps: REPS, quick: QUICK, only: ONLY },
    seconds: (performance.now() - started) / 1000, scenarios: results,
  })
  let pg: BenchPostgres | null = null
  try {
    pg = needPg ? await benchPostgres(csv, ROWS, QUICK, log) : null
    if (pg && !pg.psql) log('psql not found: scenario 3 has no baseline')
    log(`uploading the dataset the read scenarios use (${(csvBytes / 2 ** 20).toFixed(0)} MB)`)
    const up = await uploadCsv(server, 'bench', csv)
    const ctx: BenchContext = { server, duck, work, csv, csvBytes, rows: ROWS, streamRows: STREAM_ROWS, reps: REPS, quick: QUICK, dataset: { name: 'bench', id: up.id }, pg }
    for (const id of SCENARIOS) {
      if (!ONLY.includes(id)) continue
      log(`scenario ${id}`)
      try {
        const r = await RUNNERS[id](ctx)
        results.push(r)
        log(`  ${r.name}: Sluice ${r.sluice.toFixed(2)} ${r.unit}, baseline ${r.baseline?.toFixed(2) ?? '–'}, ratio ${r.ratio?.toFixed(2) ?? '–'}, met ${r.met}`)
      } catch (err) {
        log(`  ${id} FAILED: ${(err as Error).stack ?? err}`)
        results.push({ id, name: id, sluice: NaN, baseline: null, unit: '', ratio: null, target: { on: 'ratio', op: '>=', value: 1 }, met: null, note: '', reps: 0, samples: { sluice: [], baseline: [] }, extra: {}, error: String((err as Error).message ?? err) })
      }
      // written after every scenario, so an interrupted run keeps what it measured
      writeReport(report(), OUT, QUICK ? 'quick' : 'latest')
    }
  } finally {
    duck.closeSync()
    instance.closeSync()
    await server.stop()
    await pg?.close().catch((err) => log(`closing PostgreSQL: ${err}`))
    fs.rmSync(work, { recursive: true, force: true })
  }
  const final = report()
  console.log('\n' + table(final) + '\n')
  const files = writeReport(final, OUT, QUICK ? 'quick' : 'latest')
  log(`wrote ${files.json} and ${files.svg} (${final.seconds.toFixed(0)} s)`)
  return results.some((r) => r.error) ? 1 : 0
}

main().then((code) => process.exit(code), (err) => { console.error(err); process.exit(1) })
