import t from 'tap'
import { compareStrings, truncColumn, truncDateDays, truncTimestampMicros } from '../workers/kernels/scalar.js'
import type { TruncUnit } from '../proto/plan.js'
import { rng } from './helpers/kernels.js'

const DAY_MS = 86_400_000

/** Reference: JS Date (UTC) arithmetic, independent of the kernel's calendar code. */
function refTruncDays(days: number, unit: TruncUnit): number {
  const d = new Date(days * DAY_MS)
  const y = d.getUTCFullYear()
  const m = d.getUTCMonth()
  const at = (yy: number, mm: number) => { const x = new Date(0); x.setUTCFullYear(yy, mm, 1); x.setUTCHours(0, 0, 0, 0); return Math.round(x.getTime() / DAY_MS) }
  switch (unit) {
    case 'week': return days - ((d.getUTCDay() + 6) % 7)
    case 'month': return at(y, m)
    case 'quarter': return at(y, m - (m % 3))
    case 'year': return at(y, 0)
    default: return days
  }
}

const day = (iso: string) => Math.round(Date.parse(iso + 'T00:00:00Z') / DAY_MS)
const us = (iso: string) => BigInt(Date.parse(iso)) * 1000n

t.test('trunc of dates around year boundaries and before 1970', async (t) => {
  // 2021-01-01 is a Friday: its ISO week starts Monday 2020-12-28
  t.equal(truncDateDays(day('2021-01-01'), 'week'), day('2020-12-28'))
  t.equal(truncDateDays(day('2021-01-04'), 'week'), day('2021-01-04'))
  t.equal(truncDateDays(day('2021-01-03'), 'week'), day('2020-12-28'))
  // 1970-01-01 (Thursday) and the Monday before it
  t.equal(truncDateDays(0, 'week'), day('1969-12-29'))
  t.equal(truncDateDays(day('1969-12-28'), 'week'), day('1969-12-22'))
  t.equal(truncDateDays(day('1969-12-31'), 'quarter'), day('1969-10-01'))
  t.equal(truncDateDays(day('1969-02-15'), 'month'), day('1969-02-01'))
  t.equal(truncDateDays(day('1900-03-01'), 'year'), day('1900-01-01'))
  t.equal(truncDateDays(day('2024-12-31'), 'quarter'), day('2024-10-01'))
  t.equal(truncDateDays(day('2025-01-01'), 'quarter'), day('2025-01-01'))
  t.equal(truncDateDays(day('2000-02-29'), 'month'), day('2000-02-01'))
  t.equal(truncDateDays(day('0001-01-01'), 'week'), day('0001-01-01')) // a Monday
  t.equal(truncDateDays(day('2024-03-05'), 'day'), day('2024-03-05'))
  const r = rng(42)
  for (const unit of ['week', 'month', 'quarter', 'year'] as const) {
    for (let i = 0; i < 3000; i++) {
      const d = Math.floor(r() * 1_400_000) - 900_000
      if (truncDateDays(d, unit) !== refTruncDays(d, unit)) { t.fail(`${unit} of day ${d}`); return }
    }
  }
})

t.test('trunc of timestamps', async (t) => {
  t.equal(truncTimestampMicros(us('2024-03-01T10:17:33.123Z') + 456n, 'second'), us('2024-03-01T10:17:33Z'))
  t.equal(truncTimestampMicros(us('2024-03-01T10:17:33Z'), 'minute'), us('2024-03-01T10:17:00Z'))
  t.equal(truncTimestampMicros(us('2024-03-01T10:17:33Z'), 'hour'), us('2024-03-01T10:00:00Z'))
  t.equal(truncTimestampMicros(us('2024-03-01T10:17:33Z'), 'day'), us('2024-03-01T00:00:00Z'))
  t.equal(truncTimestampMicros(us('2021-01-01T23:59:59Z'), 'week'), us('2020-12-28T00:00:00Z'))
  t.equal(truncTimestampMicros(us('2021-01-01T23:59:59Z'), 'year'), us('2021-01-01T00:00:00Z'))
  // before 1970 floors, not truncates toward zero
  t.equal(truncTimestampMicros(-1n, 'second'), -1_000_000n)
  t.equal(truncTimestampMicros(-1n, 'day'), us('1969-12-31T00:00:00Z'))
  t.equal(truncTimestampMicros(-1n, 'week'), us('1969-12-29T00:00:00Z'))
  t.equal(truncTimestampMicros(-1n, 'month'), us('1969-12-01T00:00:00Z'))
  t.equal(truncTimestampMicros(-1n, 'quarter'), us('1969-10-01T00:00:00Z'))
  t.equal(truncTimestampMicros(-1n, 'year'), us('1969-01-01T00:00:00Z'))
  t.equal(truncTimestampMicros(us('1969-07-20T20:17:40Z'), 'quarter'), us('1969-07-01T00:00:00Z'))
  // far outside the safe-integer range of µs: the bigint path
  const far = 10n ** 17n + 12_345n // year ~5138
  t.equal(truncTimestampMicros(far, 'second'), far - (far % 1_000_000n))
  const farDay = Number(far / 86_400_000_000n)
  t.equal(truncTimestampMicros(far, 'month'), BigInt(refTruncDays(farDay, 'month')) * 86_400_000_000n)
  // the column kernel (bucket memo) agrees with the scalar one on random values
  const r = rng(5)
  const vals = BigInt64Array.from({ length: 5000 }, () => BigInt(Math.floor((r() - 0.5) * 2 ** 52)))
  vals.sort()
  for (const unit of ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const) {
    const col = truncColumn({ name: 'x', type: 'timestamp', values: vals, nulls: null }, unit)
    const out = col.values as BigInt64Array
    let ok = true
    for (let i = 0; i < vals.length; i++) {
      const ms = Math.floor(Number(vals[i]!) / 1000)
      const days = Math.floor(ms / DAY_MS)
      let ref: number
      switch (unit) {
        case 'second': ref = Math.floor(ms / 1000) * 1e6; break
        case 'minute': ref = Math.floor(ms / 60_000) * 60e6; break
        case 'hour': ref = Math.floor(ms / 3_600_000) * 3600e6; break
        default: ref = refTruncDays(days, unit) * DAY_MS * 1000
      }
      if (out[i] !== BigInt(ref)) { ok = false; t.fail(`${unit} of ${vals[i]}: ${out[i]} != ${ref}`); break }
    }
    t.ok(ok, unit)
  }
})

/** Reference: lexicographic order of code point arrays. */
function refCompare(a: string, b: string): number {
  const x = Array.from(a, (c) => c.codePointAt(0)!)
  const y = Array.from(b, (c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! < y[i]! ? -1 : 1
  return Math.sign(x.length - y.length)
}

t.test('strings compare by code point', async (t) => {
  // JS < says '\uffff' > '😀' (code units D83D...), code points say the opposite
  t.ok('\uffff' > '😀')
  t.equal(compareStrings('\uffff', '😀'), -1)
  t.equal(compareStrings('😀', '\ue000'), 1)
  t.equal(compareStrings('a😀', 'a\uffff'), 1)
  t.equal(compareStrings('abc', 'abd'), -1)
  t.equal(compareStrings('ab', 'abc'), -1)
  t.equal(compareStrings('', ''), 0)
  t.equal(compareStrings('\ud7ff', '😀'), -1)
  const alphabet = ['a', 'Z', 'é', '\ud7ff', '\ue000', '\uffff', '😀', '𝄞', '\u0000', '~']
  const r = rng(9)
  const strs = Array.from({ length: 400 }, () => Array.from({ length: Math.floor(r() * 4) }, () => alphabet[Math.floor(r() * alphabet.length)]).join(''))
  let bad = 0
  for (const a of strs) for (const b of strs) if (compareStrings(a, b) !== refCompare(a, b)) bad++
  t.equal(bad, 0)
  // and the order agrees with comparing UTF-8 bytes
  const sorted = [...strs].sort(compareStrings)
  const byBytes = [...strs].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
  t.same(sorted, byBytes)
})
