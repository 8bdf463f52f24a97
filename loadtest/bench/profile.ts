/**
 * Scenario 4: GET /api/datasets/{name}/profile of the bench dataset (every column) vs DuckDB
 * `SUMMARIZE` on the same Parquet files, alternating. Profiles are cached per Delta version,
 * columns and `top`: each call asks a `top` no call asked before, so every call computes.
 */
import { alternate, duckFiles, result, tableFiles, timedGet, type BenchContext, type ScenarioResult } from './common.js'

export async function profileScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const files = duckFiles(tableFiles(ctx.server.dataDir, ctx.dataset.id))
  let cachedSeen = false
  const { a, b } = await alternate(ctx.reps, async (i) => {
    const r = await timedGet(ctx.server, `/api/datasets/${ctx.dataset.name}/profile?top=${10 + i}`)
    if ((JSON.parse(r.body.toString()) as { cached?: boolean }).cached) cachedSeen = true
    return r.ms / 1000
  }, async () => {
    const t0 = performance.now()
    await ctx.duck.runAndReadAll(`SUMMARIZE SELECT * FROM read_parquet(${files})`)
    return (performance.now() - t0) / 1000
  })
  return result({
    id: 'profile', name: `profile, ${ctx.rows} rows × 9 columns`, unit: 's',
    samples: { sluice: a, baseline: b }, target: { on: 'ratio', op: '<=', value: 3.0 },
    note: 'lower is better; vs DuckDB SUMMARIZE on the same files' + (cachedSeen ? '; WARNING: a profile answer said cached' : ''),
    extra: { cached_answer_seen: cachedSeen },
  })
}
