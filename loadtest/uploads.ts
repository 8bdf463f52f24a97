/**
 * `npm run bench:uploads`: upload throughput per format over real HTTP (raw body, synchronous)
 * with the server's RSS growth over its idle level, sampled every 100 ms:
 *   - a ~100 MB CSV (loadtest/generate.ts rows), and the same CSV gzipped;
 *   - a 200k-row xlsx (8 columns, written with exceljs's streaming writer);
 *   - a ~100 MB Parquet file: the Delta data file the CSV upload wrote (its types are ours,
 *     so it is committed without a rewrite), and the same rows as a Parquet file that needs
 *     a rewrite (timestamps in ms, written by DuckDB).
 * Each reader is warmed up with a small upload first; the idle RSS is taken after that.
 * Baseline in the same run: DuckDB `COPY (FROM read_csv(...)) TO parquet` on the same CSV,
 * alternating with the Sluice CSV upload REPS times (default 3): medians and their ratio.
 * ROWS (default 1,100,000 ≈ 100 MB), XLSX_ROWS (200,000), ONLY=csv (just the CSV scenario).
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import zlib from 'node:zlib'
import { pipeline } from 'node:stream/promises'
import { fileURLToPath } from 'node:url'
import ExcelJS from 'exceljs'
import { DuckDBInstance } from '@duckdb/node-api'
import { writeBenchCsv, rng } from './generate.js'
import { startBenchServer, type BenchServer } from './server.js'

const ROWS = Number(process.env.ROWS ?? 1_100_000)
const XLSX_ROWS = Number(process.env.XLSX_ROWS ?? 200_000)
const REPS = Math.max(1, Number(process.env.REPS ?? 3))
const CSV_ONLY = process.env.ONLY === 'csv'
const median = (xs: number[]) => { const s = [...xs].sort((a, b) => a - b); return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2 }
const RESULTS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'loadtest', 'results')
const mb = (bytes: number) => bytes / 2 ** 20

interface Run { label: string; fileMb: number; seconds: number; mbPerS: number; rssGrowthMb: number; extra?: Record<string, unknown> }

/** Uploads `file` as the raw body; returns seconds and the RSS growth over `idle`. */
async function upload(s: BenchServer, name: string, file: string, contentType: string, idle: number): Promise<{ seconds: number; growth: number; body: Record<string, any> }> {
  let peak = s.rss()
  const timer = setInterval(() => { peak = Math.max(peak, s.rss()) }, 100)
  const t0 = performance.now()
  const r = await fetch(`${s.url}/api/datasets/file/upload?name=${name}&filename=${path.basename(file)}`, {
    method: 'POST', body: await fs.openAsBlob(file), headers: { authorization: `Bearer ${s.token}`, 'content-type': contentType },
  })
  const body = (await r.json()) as Record<string, any>
  const seconds = (performance.now() - t0) / 1000
  clearInterval(timer)
  if (r.status !== 201) throw new Error(`upload ${name}: ${r.status} ${JSON.stringify(body)}`)
  return { seconds, growth: Math.max(0, peak - idle), body }
}

async function writeXlsx(file: string, rows: number): Promise<void> {
  const r = rng(11)
  const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useSharedStrings: true })
  const ws = wb.addWorksheet('data')
  ws.addRow(['id', 'region', 'amount', 'qty', 'day', 'flag', 'email', 'note']).commit()
  const base = Date.UTC(2024, 0, 1)
  for (let i = 0; i < rows; i++) {
    ws.addRow([i + 1, ['EU', 'US', 'APAC', 'LATAM'][i % 4], Math.round(r() * 100000) / 100, Math.floor(r() * 20), new Date(base + (i % 365) * 86_400_000),
      r() < 0.5, `user${i % 50000}@example.com`, `note ${i}`]).commit()
  }
  ws.commit()
  await wb.commit()
}

async function main() {
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-up-'))
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-bench-up-data-'))
  const s = await startBenchServer(dataDir, { MAX_UPLOAD_BYTES: String(2 * 2 ** 30), WORKER_THREADS: '2' })
  const duck = await (await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', threads: String(os.availableParallelism()) })).connect()
  const runs: Run[] = []
  try {
    const csv = path.join(work, 'bench.csv')
    const csvBytes = await writeBenchCsv(csv, ROWS)
    // Warm-up: each reader loaded once in the workers (wasm, exceljs), so growth measures the upload.
    const small = path.join(work, 'small.csv')
    await writeBenchCsv(small, 2000)
    const w = await upload(s, 'warm_csv', small, 'text/csv', 0)
    await new Promise((r) => setTimeout(r, 1000))
    const idle = s.rss()

    const add = (label: string, file: string, u: { seconds: number; growth: number }, extra?: Record<string, unknown>) => {
      const bytes = fs.statSync(file).size
      runs.push({ label, fileMb: mb(bytes), seconds: u.seconds, mbPerS: mb(bytes) / u.seconds, rssGrowthMb: mb(u.growth), extra })
    }
    // CSV upload vs DuckDB, alternating; each Sluice upload is a new dataset (and its own files)
    const duckTimes: number[] = []
    const sluiceUps: { seconds: number; growth: number; body: Record<string, any> }[] = []
    for (let i = 0; i < REPS; i++) {
      const duckOut = path.join(work, 'duck.parquet')
      const t0 = performance.now()
      await duck.run(`COPY (FROM read_csv('${csv}')) TO '${duckOut}' (FORMAT parquet)`)
      duckTimes.push((performance.now() - t0) / 1000)
      fs.rmSync(duckOut, { force: true })
      sluiceUps.push(await upload(s, `csv_${i}`, csv, 'text/csv', idle))
      console.log(`rep ${i + 1}: DuckDB ${(mb(csvBytes) / duckTimes[i]!).toFixed(1)} MB/s, Sluice ${(mb(csvBytes) / sluiceUps[i]!.seconds).toFixed(1)} MB/s`)
    }
    const duckSeconds = median(duckTimes)
    const sluiceSeconds = median(sluiceUps.map((u) => u.seconds))
    const csvUp = sluiceUps.find((u) => u.seconds === sluiceSeconds) ?? sluiceUps[0]!
    const tableDir = path.join(dataDir, 'tables', csvUp.body.id as string)
    const parts = fs.readdirSync(tableDir).filter((f) => f.endsWith('.parquet')).map((f) => path.join(tableDir, f))
    const csvRatio = (mb(csvBytes) / sluiceSeconds) / (mb(csvBytes) / duckSeconds)
    add('CSV', csv, { seconds: sluiceSeconds, growth: Math.max(...sluiceUps.map((u) => u.growth)) }, {
      duckdb_mb_per_s: +(mb(csvBytes) / duckSeconds).toFixed(1), ratio: +csvRatio.toFixed(3), target: 0.5, met: csvRatio >= 0.5,
      parquet_mb: +mb(parts.reduce((a, f) => a + fs.statSync(f).size, 0)).toFixed(1), reps: REPS,
    })
    if (CSV_ONLY) {
      console.log(`CSV upload: Sluice ${(mb(csvBytes) / sluiceSeconds).toFixed(1)} MB/s, DuckDB ${(mb(csvBytes) / duckSeconds).toFixed(1)} MB/s, ratio ${csvRatio.toFixed(3)} (target ≥ 0.5; medians of ${REPS})`)
      return
    }
    const gz = csv + '.gz'
    await pipeline(fs.createReadStream(csv), zlib.createGzip({ level: 6 }), fs.createWriteStream(gz))
    const xlsx = path.join(work, 'bench.xlsx')
    await writeXlsx(xlsx, XLSX_ROWS)
    const msParquet = path.join(work, 'ms.parquet')
    await duck.run(`COPY (SELECT * REPLACE (CAST(CAST(ts AS TIMESTAMP) AS TIMESTAMP_MS) AS ts) FROM read_csv('${csv}')) TO '${msParquet}' (FORMAT parquet, COMPRESSION zstd)`)
    const smallXlsx = path.join(work, 'small.xlsx')
    await writeXlsx(smallXlsx, 200)
    await upload(s, 'warm_xlsx', smallXlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', 0)
    const warmPart = fs.readdirSync(path.join(dataDir, 'tables', w.body.id as string)).find((f) => f.endsWith('.parquet'))!
    fs.copyFileSync(path.join(dataDir, 'tables', w.body.id as string, warmPart), path.join(work, 'warm.parquet'))
    await upload(s, 'warm_parquet', path.join(work, 'warm.parquet'), 'application/vnd.apache.parquet', 0)
    const gzUp = await upload(s, 'csv_gz', gz, 'application/gzip', idle)
    add('CSV gzipped', gz, gzUp, { csv_mb_per_s: mb(csvBytes) / gzUp.seconds })
    const xUp = await upload(s, 'xlsx', xlsx, 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet', idle)
    add(`xlsx ${XLSX_ROWS} rows`, xlsx, xUp, { rows_per_s: XLSX_ROWS / xUp.seconds })
    // The CSV upload's own data file: our types, committed as is.
    const part = [...parts].sort((a, b) => fs.statSync(b).size - fs.statSync(a).size)[0]!
    const ours = path.join(work, 'ours.parquet')
    fs.copyFileSync(part, ours)
    const pUp = await upload(s, 'parquet_asis', ours, 'application/vnd.apache.parquet', idle)
    add('Parquet, our types (no rewrite)', ours, pUp, { rewritten: pUp.body.provenance?.rewritten })
    const mUp = await upload(s, 'parquet_ms', msParquet, 'application/vnd.apache.parquet', idle)
    add('Parquet, ms timestamps (rewrite)', msParquet, mUp, { rewritten: mUp.body.provenance?.rewritten })

    console.log(`rows: ${ROWS} CSV (${mb(csvBytes).toFixed(0)} MB), ${XLSX_ROWS} xlsx rows; DuckDB read_csv → Parquet ${(mb(csvBytes) / duckSeconds).toFixed(1)} MB/s (baseline)`)
    console.log('upload                              file MB   seconds   MB/s   RSS growth MB')
    for (const r of runs) {
      console.log(`${r.label.padEnd(34)} ${r.fileMb.toFixed(1).padStart(8)} ${r.seconds.toFixed(2).padStart(9)} ${r.mbPerS.toFixed(1).padStart(6)} ${r.rssGrowthMb.toFixed(0).padStart(10)}` +
        (r.extra ? '   ' + JSON.stringify(r.extra) : ''))
    }
    fs.writeFileSync(path.join(RESULTS, 'uploads-latest.json'), JSON.stringify({ at: new Date().toISOString(), rows: ROWS, xlsx_rows: XLSX_ROWS, duckdb_seconds: duckSeconds, runs }, null, 2) + '\n')
  } finally {
    duck.closeSync()
    await s.stop()
    fs.rmSync(work, { recursive: true, force: true })
    fs.rmSync(dataDir, { recursive: true, force: true })
  }
}

await main()
