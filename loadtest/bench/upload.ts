/**
 * Scenario 1: CSV upload → Delta over HTTP (MB/s of the CSV) vs DuckDB
 * `COPY (FROM read_csv(...)) TO '...parquet'` on the same file, alternating.
 */
import fs from 'node:fs'
import path from 'node:path'
import { alternate, api, mb, result, uploadCsv, type BenchContext, type ScenarioResult } from './common.js'

export async function uploadScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const size = mb(ctx.csvBytes)
  const out = path.join(ctx.work, 'duck.parquet')
  const { a, b } = await alternate(ctx.reps, async (i) => {
    const name = `bench_up_${i}`
    const up = await uploadCsv(ctx.server, name, ctx.csv)
    // only the dataset the read scenarios use stays on disk
    await (await api(ctx.server, `/api/datasets/${name}`, { method: 'DELETE' })).arrayBuffer()
    return size / up.seconds
  }, async () => {
    const t0 = performance.now()
    await ctx.duck.run(`COPY (FROM read_csv('${ctx.csv}')) TO '${out}' (FORMAT parquet)`)
    const s = (performance.now() - t0) / 1000
    fs.rmSync(out, { force: true })
    return size / s
  })
  return result({
    id: 'upload', name: `CSV upload → Delta, ${size.toFixed(0)} MB`, unit: 'MB/s',
    samples: { sluice: a, baseline: b }, target: { on: 'ratio', op: '>=', value: 0.5 },
    note: 'higher is better; Sluice raw-body upload to the 201 vs DuckDB COPY read_csv → Parquet',
    extra: { csv_mb: size, rows: ctx.rows },
  })
}
