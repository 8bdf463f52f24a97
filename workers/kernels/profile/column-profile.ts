/**
 * A merged ColumnState as the JSON text of a ColumnProfile (proto/profile.ts), values in
 * API.md's wire encodings: int64 exact digits, decimals as strings, dates, timestamps with 6
 * fraction digits and Z, floats shortest round-trip with NaN/±Infinity as strings, binary
 * base64. Statistics that are floats (mean, stddev, quantiles) use the float encoding too.
 * Pure; worker threads.
 */
import { typeName, type Field } from '../../../proto/types.js'
import { formatBinary, formatDate, formatFloat32, formatTime, formatTimestamp } from '../text.js'
import { compareStrings } from '../scalar.js'
import type { Key } from './hash.js'
import { keyLess, type ColumnState } from './column-state.js'
import { momentsMean, momentsStddev } from './moments.js'
import { NUMBER_TOP_LIMIT } from './top-values.js'

/** JSON text of a float64 statistic: a number, or "NaN"/"Infinity"/"-Infinity", or null. */
export function floatJson(x: number | null): string {
  if (x === null) return 'null'
  if (x - x === 0) return String(x)
  return x !== x ? '"NaN"' : x > 0 ? '"Infinity"' : '"-Infinity"'
}

/** JSON text of a key as a value of `field`'s type. */
export function wireValue(field: Field, k: Key | null): string {
  if (k === null) return 'null'
  switch (field.type) {
    case 'string': case 'json': case 'decimal': return JSON.stringify(k)
    case 'int16': case 'int32': case 'int64': return String(k)
    case 'float64': return floatJson(k as number)
    case 'float32': return (k as number) - (k as number) === 0 ? formatFloat32(k as number) : floatJson(k as number)
    case 'boolean': return k ? 'true' : 'false'
    case 'date': return '"' + formatDate(k as number) + '"'
    case 'timestamp': return '"' + formatTimestamp(BigInt(k)) + '"'
    case 'time': return '"' + formatTime(BigInt(k)) + '"'
    case 'binary': return '"' + formatBinary(Buffer.from(k as string, 'latin1')) + '"'
  }
}

/** The `top` most frequent values: count descending, ties by value ascending. */
export function topValues(s: ColumnState, top: number): { key: Key; count: number }[] | null {
  if (!s.top) return null
  const state = s.top.state()
  const m = s.top.entries()
  if (state === 'dropped' || !m) return null
  // numbers: only with at most NUMBER_TOP_LIMIT distinct values overall
  if (s.field.type !== 'boolean' && s.top.capacity === NUMBER_TOP_LIMIT && (s.distinct.approximate || s.distinct.count() > NUMBER_TOP_LIMIT)) return null
  const less = keyLess(s.field)
  const cmpKey = s.field.type === 'string' || s.field.type === 'json'
    ? (a: Key, b: Key) => compareStrings(a as string, b as string)
    : (a: Key, b: Key) => (less(a, b) ? -1 : less(b, a) ? 1 : 0)
  return [...m].map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || cmpKey(a.key, b.key))
    .slice(0, top)
}

/** The ColumnProfile of a merged state, as JSON text. `masked`: the state is over masked values. */
export function columnProfileJson(s: ColumnState, top: number, masked = false): string {
  const f = s.field
  const t = f.type
  const nonNull = s.count - s.nullCount
  const out: [string, string][] = [
    ['name', JSON.stringify(f.name)],
    ['type', JSON.stringify(typeName(f))],
    ['masked', String(masked)],
    ['count', String(s.count)],
    ['null_count', String(s.nullCount)],
    ['null_rate', String(s.count === 0 ? 0 : s.nullCount / s.count)],
    ['distinct_count', String(s.distinct.count())],
    ['distinct_approximate', String(s.distinct.approximate)],
    ['min', wireValue(f, s.min)],
    ['max', wireValue(f, s.max)],
  ]
  if (s.moments && s.quantiles) {
    out.push(['mean', floatJson(momentsMean(s.moments))], ['stddev', floatJson(momentsStddev(s.moments))])
    const [p25, p50, p75] = s.quantiles.quantiles()
    out.push(['p25', floatJson(p25!)], ['p50', floatJson(p50!)], ['p75', floatJson(p75!)])
    out.push(['quantiles_approximate', String(s.quantiles.approximate)])
  }
  if (s.lengths) {
    const l = s.lengths
    out.push(
      ['min_length', nonNull === 0 ? 'null' : String(l.min)],
      ['max_length', nonNull === 0 ? 'null' : String(l.max)],
      ['mean_length', nonNull === 0 ? 'null' : String(l.sum / nonNull)],
      ['empty_count', String(l.empty)],
    )
  }
  const tv = topValues(s, top)
  if (tv) {
    out.push(['top_values', '[' + tv.map((e) => `{"value":${wireValue(f, e.key)},"count":${e.count}}`).join(',') + ']'])
    out.push(['top_values_approximate', String(s.top!.state() === 'approximate')])
  }
  if (s.hist && s.min !== null) {
    const isDate = t === 'date'
    const toMicros = (k: Key) => (isDate ? (k as number) * 86_400_000_000 : Number(k))
    const start = isDate ? (us: number) => formatDate(Math.floor(us / 86_400_000_000)) : (us: number) => formatTimestamp(BigInt(us))
    out.push(['histogram', JSON.stringify(s.hist.finish(toMicros(s.min), toMicros(s.max!), isDate, start))])
  }
  return '{' + out.map(([k, v]) => JSON.stringify(k) + ':' + v).join(',') + '}'
}
