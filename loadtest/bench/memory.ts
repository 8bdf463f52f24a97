/**
 * Scenario 6: the server's RSS growth over its idle level (sampled every 50 ms)
 *   a) while one client streams `streamRows` rows as NDJSON (the target: ≤ 64 MB and flat —
 *      the RSS of the last tenth of the stream within 16 MB of the middle fifth's, median of the reps);
 *   b) while 100 clients stream at once (a fifth of them from PostgreSQL when available) and
 *      every fourth one disconnects mid-stream (a stream silent for 60 s counts as stalled).
 * Afterwards nothing may be left: no task in the worker pool (GET /healthz?detail=1), no
 * session of the bench connector in pg_stat_activity, no extra worker threads.
 */
import fs from 'node:fs'
import { api, apiJson, drain, mb, median, result, sleep, type BenchContext, type ScenarioResult } from './common.js'
import { sluiceSessions } from './pg.js'
import { ensurePgDataset, PG_CONNECTOR, PG_DATASET } from './pg-stream.js'
import type { BenchServer } from '../server.js'

export const BUDGET_MB = 64
const FLAT_MB = 16

interface Sampler { stop(): { t: number; rss: number }[] }
function sample(s: BenchServer, everyMs = 50): Sampler {
  const t0 = performance.now()
  const out: { t: number; rss: number }[] = []
  const tick = () => { try { out.push({ t: performance.now() - t0, rss: s.rss() }) } catch { /* exited */ } }
  tick()
  const timer = setInterval(tick, everyMs)
  return { stop: () => { clearInterval(timer); tick(); return out } }
}

async function idleRss(s: BenchServer): Promise<number> {
  await sleep(500)
  const xs: number[] = []
  for (let i = 0; i < 6; i++) { xs.push(s.rss()); await sleep(50) }
  return median(xs)
}

/** Median RSS of the samples between fractions `from` and `to` of the run's duration. */
function window(xs: { t: number; rss: number }[], from: number, to: number): number {
  const end = xs[xs.length - 1]!.t
  const w = xs.filter((x) => x.t >= from * end && x.t <= to * end).map((x) => x.rss)
  return median(w.length ? w : [xs[xs.length - 1]!.rss])
}

/** Least-squares slope of RSS over the second half of the run, MB/s. */
function slope(xs: { t: number; rss: number }[]): number {
  const half = xs.filter((x) => x.t >= xs[xs.length - 1]!.t / 2)
  if (half.length < 3) return 0
  const n = half.length
  const mt = half.reduce((a, x) => a + x.t, 0) / n
  const mr = half.reduce((a, x) => a + x.rss, 0) / n
  const num = half.reduce((a, x) => a + (x.t - mt) * (x.rss - mr), 0)
  const den = half.reduce((a, x) => a + (x.t - mt) ** 2, 0)
  return den ? mb(num / den) * 1000 : 0
}

const osThreads = (s: BenchServer) => fs.readdirSync(`/proc/${s.proc.pid}/task`).length
const poolStats = (s: BenchServer) => apiJson<{ pool?: { threads: number; queued: number; running: number } }>(s, '/healthz?detail=1').then((h) => h.pool ?? null)

interface ClientOutcome { status: number; bytes: number; seconds: number; aborted: boolean; stalled: boolean; error: string | null }

/**
 * Streams `p`; disconnects once `abortAfter` bytes have arrived. A stream that sends nothing for
 * `stallMs` is given up (`stalled`: the harness never hangs on a stuck server).
 */
function client(s: BenchServer, p: string, abortAfter: number | null, stallMs: number): Promise<ClientOutcome> {
  const ac = new AbortController()
  const t0 = performance.now()
  const out: ClientOutcome = { status: 0, bytes: 0, seconds: 0, aborted: false, stalled: false, error: null }
  let timer: NodeJS.Timeout | undefined
  let giveUp: () => void = () => {}
  const stalled = new Promise<void>((r) => { giveUp = r })
  const arm = () => { clearTimeout(timer); timer = setTimeout(() => { out.stalled = true; ac.abort(); giveUp() }, stallMs) }
  const run = (async () => {
    arm()
    let tail = ''
    try {
      const r = await api(s, p, { signal: ac.signal })
      out.status = r.status
      for await (const c of r.body as unknown as AsyncIterable<Uint8Array>) {
        arm()
        out.bytes += c.byteLength
        tail = Buffer.from(c.subarray(Math.max(0, c.byteLength - 300))).toString()
        if (abortAfter !== null && out.bytes >= abortAfter && !out.aborted) { out.aborted = true; ac.abort() }
      }
      // NDJSON ends with an {"error":...} line when the server failed after the first byte
      if (out.status === 200 && /\{"error":\{/.test(tail.trimEnd().split('\n').pop() ?? '')) out.error = 'error tail in the stream'
    } catch (err) {
      if (!ac.signal.aborted) out.error = String((err as Error).message ?? err)
    }
  })()
  return Promise.race([run, stalled]).then(() => {
    clearTimeout(timer)
    out.seconds = (performance.now() - t0) / 1000
    return out
  })
}

export async function memoryScenario(ctx: BenchContext): Promise<ScenarioResult> {
  const s = ctx.server
  const single = `/api/datasets/${ctx.dataset.name}/explore?format=ndjson&limit=${ctx.streamRows}`
  await drain(s, `/api/datasets/${ctx.dataset.name}/explore?format=ndjson&limit=1000`)
  const threadsBefore = osThreads(s)

  // a) one client, `reps` times
  const growth: number[] = []
  const idles: number[] = []
  const runs: { idle_mb: number; peak_mb: number; mid_mb: number; last_mb: number; slope_mb_per_s: number; flat: boolean; seconds: number; series_mb: number[] }[] = []
  for (let i = 0; i < ctx.reps; i++) {
    const idle = await idleRss(s)
    const sm = sample(s)
    const d = await drain(s, single)
    const xs = sm.stop()
    const peak = Math.max(...xs.map((x) => x.rss))
    const mid = window(xs, 0.4, 0.6)
    const last = window(xs, 0.9, 1)
    growth.push(mb(Math.max(0, peak - idle)))
    idles.push(mb(idle))
    // about one sample a second in the JSON (at least 10, at most 120), to keep it small
    const every = Math.max(1, Math.floor(xs.length / Math.min(120, Math.max(10, d.seconds))))
    runs.push({ idle_mb: mb(idle), peak_mb: mb(peak), mid_mb: mb(mid), last_mb: mb(last), slope_mb_per_s: slope(xs), flat: mb(last - mid) <= FLAT_MB, seconds: d.seconds,
      series_mb: xs.filter((_, k) => k % every === 0).map((x) => Math.round(mb(x.rss))) })
  }

  // flat over the repetitions: the median rise from the middle to the end of a stream (one GC sawtooth is not a trend)
  const flat = median(runs.map((x) => x.last_mb - x.mid_mb)) <= FLAT_MB

  // b) 100 clients, a quarter disconnecting half way
  const pg = ctx.pg !== null
  if (pg) await ensurePgDataset(ctx)
  const perClient = Math.min(ctx.rows, ctx.quick ? 5_000 : 100_000)
  const idle = await idleRss(s)
  const sm = sample(s)
  const stallMs = ctx.quick ? 15_000 : 60_000
  const clients = await Promise.all(Array.from({ length: 100 }, (_, i) => {
    const ds = pg && i % 5 === 4 ? PG_DATASET : ctx.dataset.name
    // an NDJSON row of the bench data is about 150 bytes: stop after roughly half
    return client(s, `/api/datasets/${ds}/explore?format=ndjson&limit=${perClient}`, i % 4 === 3 ? perClient * 75 : null, stallMs)
  }))
  const xs = sm.stop()
  const statuses: Record<string, number> = {}
  for (const c of clients) statuses[c.status] = (statuses[c.status] ?? 0) + 1
  const stalledClients = clients.filter((c) => c.stalled)
  const failed = clients.filter((c) => c.error !== null)
  const manyGrowth = mb(Math.max(0, Math.max(...xs.map((x) => x.rss)) - idle))

  // afterwards: nothing running, no sessions, no extra threads (give cancellation its second)
  let pool = await poolStats(s)
  let sessions = pg ? await sluiceSessions(ctx.pg!, PG_CONNECTOR) : 0
  for (let k = 0; k < 50 && ((pool && (pool.running > 0 || pool.queued > 0)) || sessions > 0); k++) {
    await sleep(100)
    pool = await poolStats(s)
    if (pg) sessions = await sluiceSessions(ctx.pg!, PG_CONNECTOR)
  }
  const threadsAfter = osThreads(s)
  const leaks: string[] = []
  if (pool === null) leaks.push('pool counts unavailable (/healthz?detail=1)')
  else if (pool.running > 0 || pool.queued > 0) leaks.push(`${pool.running} tasks running, ${pool.queued} queued 5 s after the last client`)
  if (sessions > 0) leaks.push(`${sessions} PostgreSQL sessions left`)
  if (threadsAfter > threadsBefore + 2) leaks.push(`OS threads ${threadsBefore} → ${threadsAfter}`)
  // not leaks, but failures of the run: a stream that stopped sending, or ended with an error
  const problems: string[] = []
  if (stalledClients.length) problems.push(`${stalledClients.length} clients got no byte for ${stallMs / 1000} s (stalled at ${stalledClients.map((c) => c.bytes).join(', ')} bytes)`)
  if (failed.length) problems.push(`${failed.length} streams failed: ${[...new Set(failed.map((c) => c.error))].join('; ').slice(0, 200)}`)

  const r = result({
    id: 'memory', name: `server RSS growth, one client streaming ${ctx.streamRows} rows`, unit: 'MB',
    samples: { sluice: growth, baseline: idles }, target: { on: 'sluice', op: '<=', value: BUDGET_MB },
    note: `lower is better; baseline = idle RSS; flat: ${flat ? 'yes' : 'NO'} (last − mid ${median(runs.map((x) => x.last_mb - x.mid_mb)).toFixed(1)} MB, slope ${median(runs.map((x) => x.slope_mb_per_s)).toFixed(2)} MB/s); ` +
      `100 clients: +${manyGrowth.toFixed(0)} MB, statuses ${JSON.stringify(statuses)}, slowest ${Math.max(...clients.map((c) => c.seconds)).toFixed(1)} s` +
      `${problems.length ? '; ' + problems.join('; ') : ''}; leaks: ${leaks.length ? leaks.join('; ') : 'none'}`,
    extra: {
      single: runs,
      flat,
      concurrent: {
        clients: 100, rows_per_client: perClient, postgres_clients: pg ? 20 : 0, disconnected: clients.filter((c) => c.aborted).length,
        statuses, growth_mb: manyGrowth, idle_mb: mb(idle), seconds: xs[xs.length - 1]!.t / 1000,
        stalled: stalledClients.length, failed: failed.length, slowest_client_s: Math.max(...clients.map((c) => c.seconds)),
      },
      problems,
      after: { pool, pg_sessions: sessions, os_threads_before: threadsBefore, os_threads_after: threadsAfter },
      leaks,
    },
  })
  // the target is growth ≤ budget, flat, and nothing leaked
  if (r.met !== null) r.met = r.met && flat && leaks.length === 0 && problems.length === 0
  r.ratio = null
  return r
}
