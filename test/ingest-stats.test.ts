// Delta per-file stats JSON, checked against statistics computed here independently from the
// CSV text (BigInt for ints, UTF-8 byte order for strings, Date for timestamps).
import t from 'tap'
import { DeltaStats, compareCodePoints, stringUpperBound } from '../workers/ingest/stats.js'
import { csvFile, ingest } from './helpers/ingest.js'

const utf8Order = (a: string, b: string): number => Buffer.compare(Buffer.from(a), Buffer.from(b))

interface Expect { min?: unknown; max?: unknown; nulls: number }

/** Independent stats of one column of text cells. */
function expected(type: string, cells: string[]): Expect {
  const present = cells.filter((c) => c !== '')
  const nulls = cells.length - present.length
  if (present.length === 0 || type === 'boolean') return { nulls }
  switch (type) {
    case 'int64': {
      const v = present.map(BigInt).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      return { min: v[0], max: v[v.length - 1], nulls }
    }
    case 'float64': {
      const v = present.map(Number).filter((x) => !Number.isNaN(x)).sort((a, b) => a - b)
      return { min: Number.isFinite(v[0]) ? v[0] : undefined, max: Number.isFinite(v[v.length - 1]) ? v[v.length - 1] : undefined, nulls }
    }
    case 'date': {
      const v = [...present].sort()
      return { min: v[0], max: v[v.length - 1], nulls }
    }
    case 'timestamp': {
      // all test timestamps are UTC with a 'Z' and 6 fractional digits: µs = ms * 1000 + last 3 digits
      const us = present.map((s) => BigInt(Date.parse(s.slice(0, 23) + 'Z')) * 1000n + BigInt(s.slice(23, 26)))
      us.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))
      const iso = (x: bigint) => new Date(Number((x - (((x % 1000n) + 1000n) % 1000n)) / 1000n)).toISOString()
      return { min: iso(us[0]!), max: iso(us[us.length - 1]!), nulls }
    }
    default: {
      const v = [...present].sort(utf8Order)
      const min = Array.from(v[0]!).slice(0, 32).join('')
      const maxFull = v[v.length - 1]!
      return { min, max: Array.from(maxFull).length <= 32 ? maxFull : 'UPPER_BOUND', nulls }
    }
  }
}

const COLUMNS: [string, string][] = [['i', 'int64'], ['big', 'int64'], ['f', 'float64'], ['b', 'boolean'], ['d', 'date'], ['ts', 'timestamp'], ['s', 'string'], ['empty', 'string']]

function row(i: number): string[] {
  return [
    i % 5 === 0 ? '' : String((i * 7919) % 1000 - 500),
    String(9007199254740993n + BigInt(i) * 1000000007n),
    i === 3 ? 'NaN' : i % 4 === 0 ? '' : String(i / 8 - 3),
    i % 3 === 0 ? 'true' : 'false',
    `20${String(10 + (i % 15)).padStart(2, '0')}-0${1 + (i % 9)}-1${i % 10}`,
    i % 6 === 0 ? '' : new Date(Date.UTC(2024, 0, 1) + i * 3_600_123).toISOString().slice(0, 23) + String(i % 1000).padStart(3, '0') + 'Z',
    ['\uFFFD', 'apple', '😀 grin', 'Zebra', 'éclair', ''][i % 6]!,
    '',
  ]
}

t.test('stats JSON matches independently computed statistics', async (t) => {
  const N = 1000
  const rows = Array.from({ length: N }, (_, i) => row(i))
  const file = csvFile(t, COLUMNS.map((c) => c[0]).join(',') + '\n' + rows.map((r) => r.join(',')).join('\n') + '\n')
  const r = await ingest(t, file, { columns: { empty: 'string' } })
  t.same(r.fields.map((f) => f.type), COLUMNS.map((c) => c[1]))
  const text = r.files[0]!.stats
  t.match(text, /^\{"numRecords":1000,"minValues":\{.*\},"maxValues":\{.*\},"nullCount":\{.*\}\}$/, 'key order as Spark writes it')
  const stats = JSON.parse(text) as {
    numRecords: number; minValues: Record<string, unknown>; maxValues: Record<string, unknown>; nullCount: Record<string, number>
  }
  t.equal(stats.numRecords, N)
  COLUMNS.forEach(([name, type], c) => {
    const want = expected(type, rows.map((r) => r[c]!))
    t.equal(stats.nullCount[name], want.nulls, `nullCount ${name}`)
    if (type === 'int64') {
      // exact digits in the JSON text (not through a double)
      if (want.min !== undefined) t.match(text, new RegExp(`"minValues":\\{[^}]*"${name}":${want.min}[,}]`), `min ${name} digits`)
      if (want.max !== undefined) t.match(text, new RegExp(`"maxValues":\\{[^}]*"${name}":${want.max}[,}]`), `max ${name} digits`)
    } else {
      t.same(stats.minValues[name], want.min, `min ${name}`)
      if (want.max !== 'UPPER_BOUND') t.same(stats.maxValues[name], want.max, `max ${name}`)
    }
  })
  t.notOk('b' in stats.minValues || 'b' in stats.maxValues, 'no min/max for booleans')
  t.notOk('empty' in stats.minValues || 'empty' in stats.maxValues, 'no min/max for an all-null column')
  t.equal(stats.maxValues.s, '😀 grin', 'code point order: U+1F600 sorts after U+FFFD')
  t.match(text, /"big":9007199254740993[,}]/, 'int64 beyond 2^53 written exactly')
})

t.test('timestamps are floored to the millisecond (max too: readers add 1 ms)', async (t) => {
  const file = csvFile(t, 'ts\n2024-03-01T10:00:00.123999Z\n1969-12-31T23:59:59.999999Z\n')
  const stats = JSON.parse((await ingest(t, file)).files[0]!.stats)
  t.same(stats.minValues, { ts: '1969-12-31T23:59:59.999Z' })
  t.same(stats.maxValues, { ts: '2024-03-01T10:00:00.123Z' })
})

t.test('float bounds skip NaN and leave out infinities', async (t) => {
  const file = csvFile(t, 'f\nNaN\n2.5\ninf\n-1e-7\n')
  const stats = JSON.parse((await ingest(t, file)).files[0]!.stats)
  t.same(stats.minValues, { f: -1e-7 })
  t.same(stats.maxValues, {}, 'Infinity cannot be written as JSON')
  t.same(stats.nullCount, { f: 0 })
})

t.test('long strings: min is a 32-character prefix, max a correct upper bound', async (t) => {
  const long = 'm'.repeat(40)
  const file = csvFile(t, `s\n${'a'.repeat(50)}\n${long}\nb\n`)
  const stats = JSON.parse((await ingest(t, file)).files[0]!.stats)
  t.equal(stats.minValues.s, 'a'.repeat(32))
  t.equal(stats.maxValues.s, 'm'.repeat(31) + 'n')
  t.ok(utf8Order(stats.maxValues.s, long) > 0, 'bound is above the real max')
})

t.test('string bound helpers', async (t) => {
  t.equal(stringUpperBound('short'), 'short')
  t.equal(stringUpperBound('x'.repeat(31) + '\uD7FF' + 'tail'), 'x'.repeat(31) + '\uE000', 'skips the surrogate range')
  t.equal(stringUpperBound('x'.repeat(31) + '\u{10FFFF}' + 'tail'), 'x'.repeat(30) + 'y', 'carries past U+10FFFF')
  t.equal(stringUpperBound('\u{10FFFF}'.repeat(33)), null, 'no bound possible')
  t.equal(stringUpperBound('😀'.repeat(32)), '😀'.repeat(32), '32 code points (64 UTF-16 units) is exact')
  t.ok(compareCodePoints('\uFFFD', '😀') < 0)
  t.ok(compareCodePoints('abc', 'abd') < 0)
  t.ok(compareCodePoints('ab', 'abc') < 0)
  t.equal(compareCodePoints('é', 'é'), 0)
})

t.test('DeltaStats on batches directly: several batches, an all-null chunk', async (t) => {
  const st = new DeltaStats([{ name: 'n', type: 'int64' }, { name: 'x', type: 'string' }])
  st.add({ length: 2, columns: [{ name: 'n', type: 'int64', values: new BigInt64Array([5n, 0n]), nulls: new Uint8Array([0, 1]) }, { name: 'x', type: 'string', values: ['', ''], nulls: new Uint8Array([1, 1]) }] })
  st.add({ length: 1, columns: [{ name: 'n', type: 'int64', values: new BigInt64Array([-3n]), nulls: null }, { name: 'x', type: 'string', values: ['q'], nulls: null }] })
  t.equal(st.toJSON(), '{"numRecords":3,"minValues":{"n":-3,"x":"q"},"maxValues":{"n":5,"x":"q"},"nullCount":{"n":1,"x":2}}')
})
