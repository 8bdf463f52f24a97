/**
 * The profile sketches on their own: HyperLogLog error and union, exact-set → HLL switch on
 * merge, KLL rank error (uniform and skewed, one sketch and merged), Welford/Chan merge
 * equals one pass, value counts exact while small and bounded (Misra–Gries) past that, and
 * the histogram's bucket choice.
 */
import t from 'tap'
import { rng } from './helpers/kernels.js'
import { hllAdd, hllEstimate, hllMerge, newHll } from '../workers/kernels/profile/hll.js'
import { DISTINCT_EXACT_LIMIT, DistinctCounter } from '../workers/kernels/profile/distinct.js'
import { kllAdd, kllMerge, kllQuantiles, newKll } from '../workers/kernels/profile/kll.js'
import { momentsAdd, momentsMerge, momentsStddev, newMoments } from '../workers/kernels/profile/moments.js'
import { TopCounter, kthSmallest } from '../workers/kernels/profile/top-values.js'
import { Histogram } from '../workers/kernels/profile/histogram.js'
import { QuantileState } from '../workers/kernels/profile/quantiles.js'

// p = 14: standard error 1.04 / 128 = 0.81 %; allow 3 sigma
const HLL_SIGMA = 1.04 / 128

t.test('HyperLogLog: error within 3 standard errors (< 2.5 %), several seeds', async (t) => {
  const errs: number[] = []
  for (const n of [100_000, 1_000_000]) {
    for (const seed of [1, 2, 3]) {
      const regs = newHll()
      for (let i = 0; i < n; i++) hllAdd(regs, `${seed}:${i}`)
      const err = hllEstimate(regs) / n - 1
      errs.push(err)
      t.ok(Math.abs(err) < 3 * HLL_SIGMA, `n=${n} seed=${seed} strings: error ${(err * 100).toFixed(2)} %`)
    }
    for (const seed of [4, 5]) {
      const regs = newHll()
      const r = rng(seed)
      const base = Math.floor(r() * 1e12)
      for (let i = 0; i < n; i++) hllAdd(regs, base + i * 7)
      const err = hllEstimate(regs) / n - 1
      errs.push(err)
      t.ok(Math.abs(err) < 3 * HLL_SIGMA, `n=${n} seed=${seed} numbers: error ${(err * 100).toFixed(2)} %`)
    }
  }
  const rms = Math.sqrt(errs.reduce((s, e) => s + e * e, 0) / errs.length)
  t.ok(rms < 0.02, `rms error ${(rms * 100).toFixed(2)} % ≤ 2 %`)
})

t.test('HyperLogLog: merge is the sketch of the union; duplicates do not count', async (t) => {
  const a = newHll(), b = newHll(), u = newHll()
  for (let i = 0; i < 300_000; i++) { hllAdd(a, i); hllAdd(u, i) }
  for (let i = 200_000; i < 500_000; i++) { hllAdd(b, i); hllAdd(b, i); hllAdd(u, i) }
  hllMerge(a, b)
  t.same(a, u)
  t.ok(Math.abs(hllEstimate(a) / 500_000 - 1) < 3 * HLL_SIGMA)
  // bigints (int64 beyond ±2^53) hash too
  const big = newHll()
  for (let i = 0n; i < 200_000n; i++) hllAdd(big, (1n << 62n) + i)
  t.ok(Math.abs(hllEstimate(big) / 200_000 - 1) < 3 * HLL_SIGMA)
})

t.test('distinct: exact under the limit; two exact sets whose union passes it become an HLL', async (t) => {
  const a = new DistinctCounter(), b = new DistinctCounter()
  for (let i = 0; i < 70_000; i++) a.add(`v${i}`)
  for (let i = 50_000; i < 120_000; i++) b.add(`v${i}`)
  t.equal(a.count(), 70_000)
  t.notOk(a.approximate)
  const m = new DistinctCounter()
  m.merge(a.toPartial()); m.merge(b.toPartial())
  t.ok(m.approximate, 'union 120,000 > 100,000: HLL')
  t.ok(Math.abs(m.count() / 120_000 - 1) < 3 * HLL_SIGMA, `estimate ${m.count()}`)
  const small = new DistinctCounter()
  small.merge(a.toPartial()); small.merge(a.toPartial())
  t.equal(small.count(), 70_000)
  t.notOk(small.approximate)
  const edge = new DistinctCounter()
  for (let i = 0; i < DISTINCT_EXACT_LIMIT; i++) edge.add(i)
  t.notOk(edge.approximate, 'exactly the limit stays exact')
  edge.add(-1)
  t.ok(edge.approximate)
})

/** Distance of q from the interval of normalized ranks [count(< v), count(<= v)] / n in sorted data. */
function rankError(sorted: Float64Array, v: number, q: number): number {
  let lo = 0, hi = sorted.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! < v) lo = mid + 1; else hi = mid }
  const below = lo
  hi = sorted.length
  while (lo < hi) { const mid = (lo + hi) >> 1; if (sorted[mid]! <= v) lo = mid + 1; else hi = mid }
  const n = sorted.length
  const r0 = below / n, r1 = lo / n
  return q < r0 ? r0 - q : q > r1 ? q - r1 : 0
}

t.test('KLL: rank error ≤ 1 % on 5,000,000 values, uniform and skewed, one sketch and merged', async (t) => {
  const N = 5_000_000
  const QS = [0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.99]
  const gens: [string, (r: () => number, i: number) => number][] = [
    ['uniform', (r) => r()],
    ['exponential', (r) => -Math.log(1 - r())],
    ['zipf-like (heavy ties)', (r) => Math.floor(1 / (r() + 1e-9))],
    ['sorted ascending', (_r, i) => i],
  ]
  for (const [name, gen] of gens) {
    const r = rng(7)
    const data = new Float64Array(N)
    for (let i = 0; i < N; i++) data[i] = gen(r, i)
    const one = newKll(), a = newKll(1024, 11), b = newKll(1024, 13)
    for (let i = 0; i < N; i++) { kllAdd(one, data[i]!); kllAdd(i % 3 === 0 ? a : b, data[i]!) }
    kllMerge(a, b)
    t.equal(a.n, N)
    const sorted = data.slice().sort()
    for (const [label, s] of [['one', one], ['merged', a]] as const) {
      const qv = kllQuantiles(s, QS)
      const worst = Math.max(...QS.map((q, i) => rankError(sorted, qv[i]!, q)))
      t.ok(worst <= 0.01, `${name} (${label}): worst rank error ${(worst * 100).toFixed(3)} %; held ${s.size} items`)
    }
  }
})

t.test('quantiles: exact interpolation (quantile_cont) under the limit, sketch past it', async (t) => {
  const q = new QuantileState()
  for (const x of [10, 1, 4, 3, 2]) q.add(x)
  t.same(q.quantiles(), [2, 3, 4])
  const even = QuantileState.merge([q.toPartial(), (() => { const s = new QuantileState(); s.add(100); return s.toPartial() })()])
  // sorted 1 2 3 4 10 100: pos 1.25, 2.5, 3.75
  t.same(even.quantiles(), [2.25, 3.5, 8.5])
  t.notOk(even.approximate)
  const big = [new QuantileState(), new QuantileState()]
  for (let i = 0; i < 1_200_000; i++) big[i & 1]!.add(i)
  t.notOk(big[0]!.approximate, 'each partial alone is under the limit')
  const merged = QuantileState.merge(big.map((s) => s.toPartial()))
  t.ok(merged.approximate, 'the total is past it')
  const [p25] = merged.quantiles()
  t.ok(Math.abs(p25! / 1_200_000 - 0.25) <= 0.01)
})

t.test('Welford / Chan merge equals one pass', async (t) => {
  const r = rng(3)
  const xs = Array.from({ length: 200_000 }, () => 1e6 + r() * 1000 * (r() < 0.01 ? 100 : 1))
  const one = newMoments()
  for (const x of xs) momentsAdd(one, x)
  const parts = [newMoments(), newMoments(), newMoments(), newMoments()]
  xs.forEach((x, i) => momentsAdd(parts[Math.min(3, Math.floor(i / 37_000))]!, x))
  const m = newMoments()
  for (const p of parts) momentsMerge(m, p)
  t.equal(m.n, one.n)
  t.ok(Math.abs(m.mean / one.mean - 1) < 1e-12)
  t.ok(Math.abs(momentsStddev(m)! / momentsStddev(one)! - 1) < 1e-9)
  // two-pass reference
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length
  const sd = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (xs.length - 1))
  t.ok(Math.abs(momentsStddev(m)! / sd - 1) < 1e-9)
  t.equal(momentsStddev({ n: 1, mean: 5, m2: 0 }), null)
})

t.test('value counts: exact while small, Misra–Gries bounds past the capacity, numbers give up', async (t) => {
  const r = rng(5)
  const exact = new Map<string, number>()
  const a = new TopCounter(100, false), b = new TopCounter(100, false)
  for (let i = 0; i < 50_000; i++) {
    const k = `k${Math.floor(r() * 60)}`
    exact.set(k, (exact.get(k) ?? 0) + 1);
    (i & 1 ? a : b).add(k)
  }
  const m = new TopCounter(100, false)
  m.merge(a.toPartial()); m.merge(b.toPartial())
  t.equal(m.state(), 'exact')
  t.same(new Map([...m.entries()!].sort()), new Map([...exact].sort()))
  // zipf-ish stream with 100,000 distinct values and 10 counters: heavy hitters survive, counts are lower bounds
  const z = new TopCounter(10, false)
  const truth = new Map<number, number>()
  const N = 300_000
  for (let i = 0; i < N; i++) {
    const k = Math.floor(1 / (r() + 1e-5)) % 100_000
    truth.set(k, (truth.get(k) ?? 0) + 1)
    z.add(k)
  }
  t.equal(z.state(), 'approximate')
  const top = [...z.entries()!].sort((x, y) => y[1] - x[1])
  t.equal(top[0]![0], 1, 'the most frequent value comes first')
  for (const [k, c] of z.entries()!) {
    const tc = truth.get(k as number)!
    t.ok(c <= tc && tc - c <= N / 11, `count of ${k}: ${c} vs ${tc}`)
  }
  const nums = new TopCounter(1000, true)
  for (let i = 0; i < 1001; i++) nums.add(i)
  t.equal(nums.state(), 'dropped')
})

t.test('histogram: bucket from the span, counts kept bounded and coarsened', async (t) => {
  const day = 86_400_000_000
  const fmt = (us: number) => String(us)
  const h = new Histogram('hour')
  for (let i = 0; i < 50; i++) h.addMicros(i * 3_600_000_000 + 17)
  let r = h.finish(17, 49 * 3_600_000_000 + 17, false, fmt)
  t.equal(r.bucket, 'hour'); t.equal(r.bins.length, 50)
  const d = new Histogram('hour')
  const start = 19_000 * day
  for (let i = 0; i < 20_000; i++) d.addMicros(start + i * 3_600_000_000) // 833 days
  t.equal(d.level, 'day', 'coarsened past 1,000 distinct hours')
  r = d.finish(start, start + 19_999 * 3_600_000_000, false, fmt)
  t.equal(r.bucket, 'month')
  t.ok(r.bins.length <= 100)
  t.equal(r.bins.reduce((s, b) => s + b.count, 0), 20_000)
  const w = new Histogram('day')
  for (let i = 0; i < 300; i++) w.addDay(19_000 + i)
  const wr = w.finish(19_000 * day, 19_299 * day, true, fmt)
  t.equal(wr.bucket, 'week')
  t.equal(wr.bins.reduce((s, b) => s + b.count, 0), 300)
  // ISO weeks start on Monday: 19_000 days is 2022-01-08 (Saturday) → its week starts 2022-01-03
  t.equal(wr.bins[0]!.start, String(18_995 * day))
})

t.test('KLL: merging a small sketch with a much deeper one (regression: levels it lacks)', async (t) => {
  const small = newKll(), deep = newKll()
  for (let i = 0; i < 10; i++) kllAdd(small, i)
  for (let i = 0; i < 1_000_000; i++) kllAdd(deep, i)
  t.ok(deep.levels.length > small.levels.length + 1)
  kllMerge(small, deep)
  t.equal(small.n, 1_000_010)
  const [p50] = kllQuantiles(small, [0.5])
  t.ok(Math.abs(p50! / 500_000 - 1) < 0.02, `p50 ${p50}`)
})

t.test('kthSmallest (Misra–Gries cut) equals the sorted array at k, ties and runs included', async (t) => {
  const r = rng(4242)
  let checked = 0
  for (let round = 0; round < 3000; round++) {
    const n = 1 + Math.floor(r() * 400)
    // few distinct counts (ties), sorted runs, or spread values
    const shape = round % 3
    const a = Float64Array.from({ length: n }, (_, i) => shape === 0 ? Math.floor(r() * 4) : shape === 1 ? (i < n / 2 ? i : n - i) : Math.floor(r() * 1e6))
    const k = Math.floor(r() * n)
    const want = Float64Array.from(a).sort()[k]
    if (kthSmallest(Float64Array.from(a), k) !== want) { t.fail(`round ${round}: n ${n}, k ${k}`); return }
    checked++
  }
  t.equal(checked, 3000, 'every round matched')
})
