/**
 * Count, mean and M2 (sum of squared deviations) in float64: Welford's update per value and
 * Chan et al.'s parallel merge, so partials from several workers give what one pass would.
 * Sample standard deviation = sqrt(M2 / (n − 1)), as DuckDB's stddev_samp. Pure; any thread.
 */
export interface Moments { n: number; mean: number; m2: number }

export function newMoments(): Moments {
  return { n: 0, mean: 0, m2: 0 }
}

export function momentsAdd(m: Moments, x: number): void {
  const n = ++m.n
  const d = x - m.mean
  m.mean += d / n
  m.m2 += d * (x - m.mean)
}

/** Chan's merge of `b` into `a`. */
export function momentsMerge(a: Moments, b: Moments): void {
  if (b.n === 0) return
  if (a.n === 0) { a.n = b.n; a.mean = b.mean; a.m2 = b.m2; return }
  const n = a.n + b.n
  const d = b.mean - a.mean
  a.mean += (d * b.n) / n
  a.m2 += b.m2 + (d * d * a.n * b.n) / n
  a.n = n
}

/** Mean, or null without values. */
export function momentsMean(m: Moments): number | null {
  return m.n === 0 ? null : m.mean
}

/** Sample standard deviation (n − 1), or null for fewer than 2 values. */
export function momentsStddev(m: Moments): number | null {
  return m.n < 2 ? null : Math.sqrt(m.m2 / (m.n - 1))
}
