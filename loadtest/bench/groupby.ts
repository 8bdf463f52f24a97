/**
 * Scenario 2: lakehouse explore, a group-by with a filter and three aggregates, vs DuckDB
 * (`@duckdb/node-api`) on the very same Parquet files of the Delta table. The first call of
 * each, then repeated calls of the same shape with a new filter value every time (a dashboard
 * user changing a filter: never a result-cache hit; cached decoded columns are fair). The
 * result-cache hit (`If-None-Match` → 304) is reported on its own.
 */
import { alternate, duckFiles, median, result, tableFiles, timedGet, type BenchContext, type ScenarioResult } from './common.js'

const STATUSES = ['paid', 'new', 'shipped', 'returned', 'cancelled']
/** Rep i's filter: a status and an amount floor no other rep uses (so every call is a new query). */
const filter = (i: number) => ({ status: STATUSES[i % STATUSES.length]!, amount: Number((1 + i * 0.37).toFixed(2)) })

export async function groupbyScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.server
  const files = duckFiles(tableFiles(s.dataDir, ctx.dataset.id))
  const sluicePath = (f: { status: string; amount: number }) =>
    `/api/datasets/${ctx.dataset.name}/explore?select=region,n:count(),revenue:amount.sum(),q:qty.avg()&group=region&status=eq.${f.status}&amount=gte.${f.amount}&format=json`
  const duckSql = `SELECT region, count(*) AS n, sum(amount) AS revenue, avg(qty) AS q FROM read_parquet(${files}) WHERE status = $1 AND amount >= $2 GROUP BY region`
  const sluiceCall = async (f: { status: string; amount: number }) => {
    const r = await timedGet(s, sluicePath(f))
    const body = JSON.parse(r.body.toString()) as { rows: { n: number }[] }
    return { ms: r.ms, n: body.rows.reduce((t, x) => t + Number(x.n), 0), etag: r.etag, path: sluicePath(f) }
  }
  const duckCall = async (f: { status: string; amount: number }) => {
    const t0 = performance.now()
    const rows = (await ctx.duck.runAndReadAll(duckSql, [f.status, f.amount])).getRowObjectsJson()
    return { ms: performance.now() - t0, n: rows.reduce((t, x) => t + Number(x.n), 0) }
  }

  // first calls: the filter of "rep -1", used by neither side again
  const first = filter(1000)
  const s0 = await sluiceCall(first)
  const d0 = await duckCall(first)
  const mismatch = s0.n !== d0.n ? `; ROW COUNTS DIFFER: Sluice ${s0.n}, DuckDB ${d0.n}` : ''

  let last = s0
  const { a, b } = await alternate(ctx.reps, async (i) => { last = await sluiceCall(filter(i)); return last.ms }, async (i) => (await duckCall(filter(i))).ms)

  // the result-cache hit: the last query again with its ETag
  let hit: { status: 'ok'; median_ms: number; reps: number } | { status: 'not_available'; reason: string }
  if (!last.etag) hit = { status: 'not_available', reason: 'the server sent no ETag' }
  else {
    const ms: number[] = []
    let other: number | null = null
    for (let i = 0; i < Math.max(3, ctx.reps); i++) {
      const r = await timedGet(s, last.path, { 'if-none-match': last.etag })
      if (r.status !== 304) { other = r.status; break }
      ms.push(r.ms)
    }
    hit = other !== null ? { status: 'not_available', reason: `If-None-Match answered ${other}, not 304` } : { status: 'ok', median_ms: median(ms), reps: ms.length }
  }
  return result({
    id: 'groupby', name: `lakehouse group-by + filter, ${ctx.rows} rows, new filter each call`, unit: 'ms',
    samples: { sluice: a, baseline: b }, target: { on: 'ratio', op: '<=', value: 2.0 },
    note: `lower is better; first call Sluice ${s0.ms.toFixed(0)} ms vs DuckDB ${d0.ms.toFixed(0)} ms; ` +
      (hit.status === 'ok' ? `304 cache hit ${hit.median_ms.toFixed(1)} ms` : `304 cache hit not available (${hit.reason})`) + mismatch,
    extra: { first_call: { sluice_ms: s0.ms, duckdb_ms: d0.ms }, cache_hit_304: hit, rows_matched: s0.n, row_counts_agree: s0.n === d0.n },
  })
}
