/**
 * Counts of dates/timestamps per calendar bucket. The final bucket (hour, day, week, month or
 * year: the finest giving at most ~100 bins between min and max) is known only once every
 * partial is merged, so counts are kept at the finest level that stays bounded: per hour
 * (timestamps) or per day (dates) until more than HISTOGRAM_KEYS distinct buckets, then per
 * day, month, year. That never coarsens past what the answer needs: more than 1,000 distinct
 * hours span more than 100 hours, more than 1,000 days more than 100 weeks, more than 1,000
 * months more than 100 months. Pure; any thread.
 */
import { civilFromDays, daysFromCivil, MICROS_PER_DAY } from '../calendar.js'

export const HISTOGRAM_KEYS = 1000
export const HISTOGRAM_BINS = 100
const MICROS_PER_HOUR = 3_600_000_000

export type HistLevel = 'hour' | 'day' | 'month' | 'year'
const LEVELS: HistLevel[] = ['hour', 'day', 'month', 'year']

export interface HistPartial { level: HistLevel; keys: Float64Array; counts: Float64Array }

function coarser(key: number, from: HistLevel): number {
  switch (from) {
    case 'hour': return Math.floor(key / 24)
    case 'day': { const { y, m } = civilFromDays(key); return y * 12 + m - 1 }
    case 'month': return Math.floor(key / 12)
    case 'year': return key
  }
}

export class Histogram {
  #counts = new Map<number, number>()
  constructor(public level: HistLevel) {}

  /** Add `by` at a key of the current level. */
  #add(key: number, by: number): void {
    const m = this.#counts
    m.set(key, (m.get(key) ?? 0) + by)
    if (m.size > HISTOGRAM_KEYS && this.level !== 'year') this.coarsen()
  }

  coarsen(): void {
    const next = new Map<number, number>()
    for (const [k, c] of this.#counts) { const j = coarser(k, this.level); next.set(j, (next.get(j) ?? 0) + c) }
    this.level = LEVELS[LEVELS.indexOf(this.level) + 1]!
    this.#counts = next
  }

  #keyOf(key: number, level: HistLevel): number {
    let k = key
    for (let l = LEVELS.indexOf(level); LEVELS[l] !== this.level; l++) k = coarser(k, LEVELS[l]!)
    return k
  }

  addDay(day: number): void {
    this.#add(this.level === 'day' ? day : this.#keyOf(day, 'day'), 1)
  }

  /** µs since epoch (as a number; sub-µs rounding of extreme values does not move buckets that matter). */
  addMicros(us: number): void {
    const hour = Math.floor(us / MICROS_PER_HOUR)
    this.#add(this.level === 'hour' ? hour : this.#keyOf(hour, 'hour'), 1)
  }

  merge(p: HistPartial): void {
    while (LEVELS.indexOf(this.level) < LEVELS.indexOf(p.level)) this.coarsen()
    for (let i = 0; i < p.keys.length; i++) this.#add(this.#keyOf(p.keys[i]!, p.level), p.counts[i]!)
  }

  toPartial(): HistPartial {
    return { level: this.level, keys: Float64Array.from(this.#counts.keys()), counts: Float64Array.from(this.#counts.values()) }
  }

  /**
   * Bins from the bucket of `minDay`/`minMicros` to that of the max, empty ones included.
   * `start` gives the wire text of a bin's first instant (µs since epoch).
   */
  finish(minMicros: number, maxMicros: number, isDate: boolean, start: (us: number) => string):
    { bucket: 'hour' | 'day' | 'week' | 'month' | 'year'; bins: { start: string; count: number }[] } {
    const hourOf = (us: number) => Math.floor(us / MICROS_PER_HOUR)
    const dayOf = (us: number) => Math.floor(us / MICROS_PER_DAY)
    const weekOf = (us: number) => Math.floor((dayOf(us) + 3) / 7) // ISO weeks: 1970-01-01 is a Thursday
    const monthOf = (us: number) => { const { y, m } = civilFromDays(dayOf(us)); return y * 12 + m - 1 }
    const yearOf = (us: number) => civilFromDays(dayOf(us)).y
    const fits = (f: (us: number) => number) => f(maxMicros) - f(minMicros) + 1 <= HISTOGRAM_BINS
    let bucket: 'hour' | 'day' | 'week' | 'month' | 'year'
    if (!isDate && fits(hourOf)) bucket = 'hour'
    else if (fits(dayOf)) bucket = 'day'
    else if (fits(weekOf)) bucket = 'week'
    else if (fits(monthOf)) bucket = 'month'
    else bucket = 'year'
    // counts at the bucket, from the stored level (never coarser than the bucket, see above)
    const toBucket = (key: number): number => {
      let k = key
      let l = this.level
      const target: HistLevel = bucket === 'week' ? 'day' : bucket
      while (l !== target) { k = coarser(k, l); l = LEVELS[LEVELS.indexOf(l) + 1]! }
      return bucket === 'week' ? Math.floor((k + 3) / 7) : k
    }
    if (LEVELS.indexOf(this.level) > LEVELS.indexOf(bucket === 'week' ? 'day' : bucket)) throw new Error('histogram coarsened past its bucket')
    const counts = new Map<number, number>()
    for (const [k, c] of this.#counts) { const b = toBucket(k); counts.set(b, (counts.get(b) ?? 0) + c) }
    const first = { hour: hourOf, day: dayOf, week: weekOf, month: monthOf, year: yearOf }[bucket]
    const lo = first(minMicros)
    const hi = first(maxMicros)
    const startOf = (b: number): number => {
      switch (bucket) {
        case 'hour': return b * MICROS_PER_HOUR
        case 'day': return b * MICROS_PER_DAY
        case 'week': return (b * 7 - 3) * MICROS_PER_DAY
        case 'month': return daysFromCivil(Math.floor(b / 12), (b % 12 + 12) % 12 + 1, 1) * MICROS_PER_DAY
        case 'year': return daysFromCivil(b, 1, 1) * MICROS_PER_DAY
      }
    }
    const bins: { start: string; count: number }[] = []
    for (let b = lo; b <= hi; b++) bins.push({ start: start(startOf(b)), count: counts.get(b) ?? 0 })
    return { bucket, bins }
  }
}
