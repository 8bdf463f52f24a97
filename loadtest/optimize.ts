/**
 * `node dist/loadtest/optimize.js [--rows N] [--files 200] [--reps 5] [--runs 3] [--quick]`:
 * OPTIMIZE of a table of many small files, and what it buys readers.
 *
 *   optimize   200 small files → 1 (or more) over HTTP: MB/s of input Parquet, rows/s, the
 *              server's RSS growth while compacting (median of `runs`, one fresh table each)
 *              vs DuckDB COPY of the same 200 files into one Parquet file (MB/s)
 *   group-by   explore group-by + filter on the same data before and after OPTIMIZE
 *              (median of `reps`), ratio after / before; DuckDB on both layouts for reference
 *
 * Printed as a table; written to loadtest/results/optimize-latest.json.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { writeBenchCsv } from './generate.js'
import { startBenchServer, type BenchServer } from './server.js'

const { values } = parseArgs({ options: {
  rows: { type: 'string' }, files: { type: 'string' }, reps: { type: 'string' }, runs: { type: 'string' }, quick: { type: 'boolean', default: false },
} })
const FILES = Number(values.files ?? 200)
const ROWS = Number(values.rows ?? (values.quick ? 100_000 : 1_000_000))
const REPS = Number(values.reps ?? (values.quick ? 3 : 5))
const RUNS = Number(values.runs ?? (values.quick ? 1 : 3))
const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results')

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const mb = (bytes: number) => bytes / 2 ** 20
const auth = (s: BenchServer) => ({ authorization: `Bearer ${s.token}` })

async function upload(s: BenchServer, name: string, file: string): Promise<string> {
  const form = new FormData()
  form.set('name', name)
  form.set('file', await fs.openAsBlob(file), path.basename(file))
  const r = await fetch(`${s.url}/api/datasets/file/upload`, { method: 'POST', body: form, headers: auth(s) })
  const body = (await r.json()) as { id: string }
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(body)}`)
  return body.id
}

async function timed(s: BenchServer, p: string): Promise<number> {
  const t0 = performance.now()
  const r = await fetch(s.url + p, { headers: auth(s) })
  const text = await r.text()
  if (r.status !== 200) throw new Error(`${p}: ${r.status} ${text}`)
  return performance.now() - t0
}

interface OptimizeRun { seconds: number; inputBytes: number; outputBytes: number; filesRemoved: number; filesAdded: number; rssGrowth: number }

async function optimize(s: BenchServer, name: string): Promise<OptimizeRun> {
  const idle = s.rss()
  let peak = idle
  const timer = setInterval(() => { peak = Math.max(peak, s.rss()) }, 20)
  const t0 = performance.now()
  const r = await fetch(`${s.url}/api/datasets/${name}/optimize`, { method: 'POST', headers: auth(s) })
  const seconds = (performance.now() - t0) / 1000
  clearInterval(timer)
  const body = (await r.json()) as { committed: boolean; bytes_removed: number; bytes_added: number; files_removed: number; files_added: number }
  if (r.status !== 200 || !body.committed) throw new Error(`optimize: ${r.status} ${JSON.stringify(body)}`)
  return { seconds, inputBytes: body.bytes_removed, outputBytes: body.bytes_added, filesRemoved: body.files_removed, filesAdded: body.files_added, rssGrowth: peak - idle }
}

const parquetFiles = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.parquet')).map((f) => path.join(dir, f))

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-optimize-'))
  const dataDir = path.join(work, 'data')
  const csv = path.join(work, 'bench.csv')
  console.log(`generating ${ROWS} rows as ${FILES} files per table in ${work}`)
  await writeBenchCsv(csv, ROWS)
  const s = await startBenchServer(dataDir, { MAX_UPLOAD_BYTES: String(4 * 2 ** 30), PARQUET_ROWS_PER_FILE: String(Math.ceil(ROWS / FILES)) })
  const duck = await (await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: String(os.availableParallelism()) })).connect()
  const results: { scenario: string; sluice: number; baseline: number | null; unit: string; ratio: number | null; note: string }[] = []
  try {
    // 1. OPTIMIZE throughput, one fresh table per run
    const runs: OptimizeRun[] = []
    const ids: string[] = []
    for (let i = 0; i < RUNS; i++) {
      const id = await upload(s, `t${i}`, csv)
      ids.push(id)
      const n = parquetFiles(path.join(dataDir, 'tables', id)).length
      if (n !== FILES) console.warn(`table t${i} has ${n} files, not ${FILES}`)
      // warm the pool's workers (wasm) on an unrelated query first
      await timed(s, `/api/datasets/t${i}/explore?limit=1`)
      runs.push(await optimize(s, `t${i}`))
    }
    const inputBytes = runs[0]!.inputBytes
    const sec = median(runs.map((r) => r.seconds))
    // DuckDB compacting the same input files (the first table's, now tombstoned but still on disk)
    const log = fs.readFileSync(path.join(dataDir, 'tables', ids[0]!, '_delta_log', `${'1'.padStart(20, '0')}.json`), 'utf8')
    const removed = log.trim().split('\n').map((l) => JSON.parse(l)).filter((a) => a.remove).map((a) => path.join(dataDir, 'tables', ids[0]!, decodeURIComponent(a.remove.path)))
    const added = log.trim().split('\n').map((l) => JSON.parse(l)).filter((a) => a.add).map((a) => path.join(dataDir, 'tables', ids[0]!, decodeURIComponent(a.add.path)))
    const duckRuns: number[] = []
    for (let i = 0; i < RUNS; i++) {
      const out = path.join(work, `duck-${i}.parquet`)
      const t0 = performance.now()
      await duck.run(`COPY (FROM read_parquet([${removed.map((f) => `'${f}'`).join(',')}])) TO '${out}' (FORMAT parquet, COMPRESSION snappy)`)
      duckRuns.push((performance.now() - t0) / 1000)
    }
    const duckSec = median(duckRuns)
    results.push({
      scenario: `OPTIMIZE ${runs[0]!.filesRemoved} files → ${runs[0]!.filesAdded} (${ROWS} rows, median of ${RUNS})`,
      sluice: mb(inputBytes) / sec, baseline: mb(inputBytes) / duckSec, unit: 'MB/s in', ratio: (mb(inputBytes) / sec) / (mb(inputBytes) / duckSec),
      note: `${mb(inputBytes).toFixed(1)} MB in, ${mb(runs[0]!.outputBytes).toFixed(1)} MB out, ${sec.toFixed(2)} s; baseline DuckDB COPY to one snappy file (the codec OPTIMIZE writes)`,
    })
    results.push({ scenario: 'OPTIMIZE rows/s', sluice: ROWS / sec, baseline: null, unit: 'rows/s', ratio: null, note: '' })
    results.push({ scenario: 'RSS growth while compacting', sluice: mb(median(runs.map((r) => r.rssGrowth))), baseline: null, unit: 'MB', ratio: null, note: 'server process, sampled every 20 ms' })

    // 2. group-by before and after: a fresh table of the same data, read as 200 files, then as 1
    await upload(s, 'reads', csv)
    const q = (st: string) => `/api/datasets/reads/explore?select=region,n:count(),revenue:amount.sum(),q:qty.avg()&group=region&status=eq.${st}`
    const statuses = ['paid', 'new', 'shipped', 'returned', 'cancelled']
    const measure = async () => {
      await timed(s, q('paid')) // warm-up (snapshot cache, stats parsing, workers)
      const xs: number[] = []
      for (let i = 0; i < REPS; i++) xs.push(await timed(s, q(statuses[i % statuses.length]!)))
      return median(xs)
    }
    const duckGroupBy = async (files: string[]) => {
      const list = `[${files.map((f) => `'${f}'`).join(',')}]`
      await duck.runAndReadAll(`SELECT region, count(*) FROM read_parquet(${list}) GROUP BY region`)
      const xs: number[] = []
      for (let i = 0; i < REPS; i++) {
        const t0 = performance.now()
        await duck.runAndReadAll(`SELECT region, count(*), sum(amount), avg(qty) FROM read_parquet(${list}) WHERE status = '${statuses[i % statuses.length]}' GROUP BY region`)
        xs.push(performance.now() - t0)
      }
      return median(xs)
    }
    const before = await measure()
    const duckBefore = await duckGroupBy(removed)
    await optimize(s, 'reads')
    const after = await measure()
    const duckAfter = await duckGroupBy(added)
    results.push({ scenario: `group-by on ${FILES} small files (median of ${REPS})`, sluice: before, baseline: duckBefore, unit: 'ms', ratio: before / duckBefore, note: 'ratio = Sluice / DuckDB' })
    results.push({ scenario: `group-by after OPTIMIZE (median of ${REPS})`, sluice: after, baseline: duckAfter, unit: 'ms', ratio: after / duckAfter, note: 'ratio = Sluice / DuckDB' })
    results.push({ scenario: 'group-by after / before OPTIMIZE', sluice: after / before, baseline: duckAfter / duckBefore, unit: '×', ratio: null, note: 'below 1: OPTIMIZE made reads faster' })
  } finally {
    await s.stop()
    fs.rmSync(work, { recursive: true, force: true })
  }
  console.log('\n| scenario | Sluice | baseline | unit | ratio | note |\n|---|---|---|---|---|---|')
  for (const r of results) console.log(`| ${r.scenario} | ${r.sluice.toFixed(r.unit === '×' ? 2 : 1)} | ${r.baseline?.toFixed(r.unit === '×' ? 2 : 1) ?? '–'} | ${r.unit} | ${r.ratio?.toFixed(2) ?? '–'} | ${r.note} |`)
  fs.mkdirSync(RESULTS, { recursive: true })
  fs.writeFileSync(path.join(RESULTS, 'optimize-latest.json'), JSON.stringify({
    machine: { cpus: os.cpus().length, node: process.version, mem_gb: Math.round(os.totalmem() / 2 ** 30) }, rows: ROWS, files: FILES, results,
  }, null, 2) + '\n')
}

main().catch((err) => { console.error(err); process.exit(1) })
