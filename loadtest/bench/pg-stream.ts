/**
 * Scenario 3: the PostgreSQL table of the bench rows streamed whole through explore as
 * NDJSON (the target) and as Arrow, vs `psql -c "\copy (SELECT ...) TO STDOUT"` of the same
 * columns, alternating; rows/s.
 */
import { alternate, drain, median, postJson, result, type BenchContext, type ScenarioResult } from './common.js'
import { psqlCopy } from './pg.js'

/** The connector and dataset over ctx.pg, created once per run. The connector id names our sessions in pg_stat_activity. */
export const PG_CONNECTOR = `bench_${process.pid}`
export const PG_DATASET = 'bench_pg'
let registered: Promise<void> | null = null

export function ensurePgDataset(ctx: BenchContext): Promise<void> {
  const p = ctx.pg
  if (!p) throw new Error('no PostgreSQL')
  registered ??= (async () => {
    await postJson(ctx.server, '/api/connectors', {
      id: PG_CONNECTOR, type: 'postgres',
      config: {
        host: p.host, port: p.port, database: p.database, user: p.user, ...(p.password ? { password: p.password } : {}),
        // a whole 10 M-row stream outlives the 30 s default; the memory scenario queues 20 clients
        statement_timeout: '1h', queue_timeout: '10m',
      },
    })
    await postJson(ctx.server, '/api/datasets', { name: PG_DATASET, connector_id: PG_CONNECTOR, source_table: p.table.replaceAll('"', '') })
  })()
  return registered
}

export async function pgStreamScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const p = ctx.pg!
  await ensurePgDataset(ctx)
  const rate = (sec: number) => ctx.rows / sec
  const ndjson = `/api/datasets/${PG_DATASET}/explore?format=ndjson`
  const arrow = `/api/datasets/${PG_DATASET}/explore?format=arrow`
  // warm both paths once (worker modules, connector health check)
  await drain(ctx.server, `/api/datasets/${PG_DATASET}/explore?format=ndjson&limit=10`)
  const arrowRates: number[] = []
  let ndBytes = 0
  let psqlBytes = 0
  const { a, b } = await alternate(ctx.reps, async () => {
    const nd = await drain(ctx.server, ndjson)
    ndBytes = nd.bytes
    arrowRates.push(rate((await drain(ctx.server, arrow)).seconds))
    return rate(nd.seconds)
  }, p.psql ? async () => { const r = await psqlCopy(p); psqlBytes = r.bytes; return rate(r.seconds) } : null)
  const base = b.length ? median(b) : null
  return result({
    id: 'pg-stream', name: `PostgreSQL ${ctx.rows} rows streamed whole, NDJSON`, unit: 'rows/s',
    samples: { sluice: a, baseline: b }, target: { on: 'ratio', op: '>=', value: 0.67 },
    note: p.psql
      ? `higher is better; vs psql \\copy TO STDOUT (drained through a pipe); Arrow ${(median(arrowRates) / 1e6).toFixed(2)} M rows/s, ratio ${base ? (median(arrowRates) / base).toFixed(2) : '–'}`
      : 'psql is not installed: no baseline',
    extra: {
      arrow_rows_per_s: median(arrowRates), arrow_samples: arrowRates, arrow_ratio: base ? median(arrowRates) / base : null,
      ndjson_bytes: ndBytes, psql_bytes: psqlBytes, postgres: p.origin, table: p.table,
    },
  })
}
