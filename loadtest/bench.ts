/**
 * `npm run bench [-- --rows N --stream-rows N --quick]`: Sluice against a baseline in the
 * same run, printed as a table with ratios and written to loadtest/results/latest.json.
 *
 *   upload     CSV → Delta over HTTP (MB/s)       vs DuckDB COPY read_csv → Parquet (MB/s)
 *   group-by   explore group-by + filter (ms)      vs DuckDB on the very same Parquet files
 *   stream     NDJSON of every row: rows/s and the server's RSS growth over idle (no baseline yet)
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseArgs } from 'node:util'
import { fileURLToPath } from 'node:url'
import { DuckDBInstance } from '@duckdb/node-api'
import { writeBenchCsv } from './generate.js'
import { startBenchServer, type BenchServer } from './server.js'

const { values } = parseArgs({ options: { rows: { type: 'string' }, 'stream-rows': { type: 'string' }, quick: { type: 'boolean', default: false }, reps: { type: 'string' } } })
const ROWS = Number(values.rows ?? (values.quick ? 20_000 : 1_000_000))
const STREAM_ROWS = Number(values['stream-rows'] ?? (values.quick ? 50_000 : 5_000_000))
const REPS = Number(values.reps ?? (values.quick ? 2 : 5))
const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results')

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
const mb = (bytes: number) => bytes / 2 ** 20

async function upload(s: BenchServer, name: string, file: string): Promise<{ id: string; seconds: number }> {
  const form = new FormData()
  form.set('name', name)
  form.set('file', await fs.openAsBlob(file), path.basename(file))
  const t0 = performance.now()
  const r = await fetch(`${s.url}/api/datasets/file/upload`, { method: 'POST', body: form, headers: { authorization: `Bearer ${s.token}` } })
  const body = (await r.json()) as { id: string }
  if (r.status !== 201) throw new Error(`upload failed: ${r.status} ${JSON.stringify(body)}`)
  return { id: body.id, seconds: (performance.now() - t0) / 1000 }
}

async function timed(s: BenchServer, p: string): Promise<{ ms: number; bytes: number }> {
  const t0 = performance.now()
  const r = await fetch(s.url + p, { headers: { authorization: `Bearer ${s.token}` } })
  const buf = await r.arrayBuffer()
  if (r.status !== 200) throw new Error(`${p}: ${r.status} ${Buffer.from(buf).toString()}`)
  return { ms: performance.now() - t0, bytes: buf.byteLength }
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-'))
  const dataDir = path.join(work, 'data')
  const csv = path.join(work, 'bench.csv')
  const streamCsv = path.join(work, 'stream.csv')
  console.log(`generating ${ROWS} rows (+ ${STREAM_ROWS} for streaming) in ${work}`)
  const csvBytes = await writeBenchCsv(csv, ROWS)
  await writeBenchCsv(streamCsv, STREAM_ROWS, 11)
  const s = await startBenchServer(dataDir, { MAX_UPLOAD_BYTES: String(4 * 2 ** 30) })
  const duck = await (await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: String(os.availableParallelism()) })).connect()
  const results: { scenario: string; sluice: number; baseline: number | null; unit: string; ratio: number | null; note: string }[] = []
  try {
    // 1. upload
    const up = await upload(s, 'bench', csv)
    const t0 = performance.now()
    await duck.run(`COPY (FROM read_csv('${csv}')) TO '${path.join(work, 'duck.parquet')}' (FORMAT parquet)`)
    const duckSeconds = (performance.now() - t0) / 1000
    const sluiceMbs = mb(csvBytes) / up.seconds
    const duckMbs = mb(csvBytes) / duckSeconds
    results.push({ scenario: `upload ${mb(csvBytes).toFixed(0)} MB CSV`, sluice: sluiceMbs, baseline: duckMbs, unit: 'MB/s', ratio: sluiceMbs / duckMbs, note: 'higher is better; ratio = Sluice / DuckDB' })

    // 2. group-by with a filter, repeated with new filter values
    const files = path.join(dataDir, 'tables', up.id, '*.parquet')
    const statuses = ['paid', 'new', 'shipped', 'returned', 'cancelled']
    const sluiceMs: number[] = []
    const duckMs: number[] = []
    for (let i = 0; i < REPS; i++) {
      const st = statuses[i % statuses.length]
      sluiceMs.push((await timed(s, `/api/datasets/bench/explore?select=region,n:count(),revenue:amount.sum(),q:qty.avg()&group=region&status=eq.${st}`)).ms)
      const d0 = performance.now()
      await duck.runAndReadAll(`SELECT region, count(*), sum(amount), avg(qty) FROM read_parquet('${files}') WHERE status = '${st}' GROUP BY region`)
      duckMs.push(performance.now() - d0)
    }
    results.push({ scenario: `group-by ${ROWS} rows (median of ${REPS})`, sluice: median(sluiceMs), baseline: median(duckMs), unit: 'ms', ratio: median(sluiceMs) / median(duckMs), note: 'lower is better; ratio = Sluice / DuckDB' })

    // 3. stream every row as NDJSON; sample RSS
    await upload(s, 'stream', streamCsv)
    await Promise.all([1, 2].map(() => timed(s, '/api/datasets/stream/explore?limit=10')))
    const idle = s.rss()
    let peak = idle
    const timer = setInterval(() => { peak = Math.max(peak, s.rss()) }, 50)
    const st = await timed(s, '/api/datasets/stream/explore?format=ndjson')
    clearInterval(timer)
    results.push({ scenario: `stream ${STREAM_ROWS} rows NDJSON`, sluice: STREAM_ROWS / (st.ms / 1000), baseline: null, unit: 'rows/s', ratio: null, note: `${mb(st.bytes).toFixed(0)} MB body` })
    results.push({ scenario: `RSS growth while streaming ${STREAM_ROWS} rows`, sluice: mb(peak - idle), baseline: null, unit: 'MB', ratio: null, note: `idle ${mb(idle).toFixed(0)} MB, peak ${mb(peak).toFixed(0)} MB` })
  } finally {
    await s.stop()
    fs.rmSync(work, { recursive: true, force: true })
  }
  console.log('\n| scenario | Sluice | baseline | unit | ratio | note |\n|---|---|---|---|---|---|')
  for (const r of results) console.log(`| ${r.scenario} | ${r.sluice.toFixed(1)} | ${r.baseline?.toFixed(1) ?? '–'} | ${r.unit} | ${r.ratio?.toFixed(2) ?? '–'} | ${r.note} |`)
  fs.mkdirSync(RESULTS, { recursive: true })
  fs.writeFileSync(path.join(RESULTS, 'latest.json'), JSON.stringify({ machine: { cpus: os.cpus().length, node: process.version, mem_gb: Math.round(os.totalmem() / 2 ** 30) }, rows: ROWS, results }, null, 2) + '\n')
}

main().catch((err) => { console.error(err); process.exit(1) })
