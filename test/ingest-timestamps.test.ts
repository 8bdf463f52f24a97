// Timestamps: separators, optional seconds and fractions, zones (none = UTC), dates widened to
// midnight, the whole year range; stored as µs since the epoch.
import t from 'tap'
import { csvFile, ingest, preview, readIngested, typesOf, values } from './helpers/ingest.js'

/** µs of a UTC wall time, computed independently with Date (setUTCFullYear for years < 100). */
function micros(y: number, mo: number, d: number, h = 0, mi = 0, s = 0, frac = 0, offsetMin = 0): bigint {
  const dt = new Date(0)
  dt.setUTCFullYear(y, mo - 1, d)
  dt.setUTCHours(h, mi, s, 0)
  return BigInt(dt.getTime() - offsetMin * 60_000) * 1000n + BigInt(frac)
}

const CASES: [string, bigint][] = [
  ['2024-03-01T10:00', micros(2024, 3, 1, 10)],
  ['2024-03-01 10:00:59', micros(2024, 3, 1, 10, 0, 59)],
  ['2024-03-01T10:00:00Z', micros(2024, 3, 1, 10)],
  ['2024-03-01T10:00:00.1', micros(2024, 3, 1, 10, 0, 0, 100_000)],
  ['2024-03-01T10:00:00.123456', micros(2024, 3, 1, 10, 0, 0, 123_456)],
  ['2024-03-01T10:00:00.000001Z', micros(2024, 3, 1, 10, 0, 0, 1)],
  ['2024-03-01T10:00:00+02:00', micros(2024, 3, 1, 10, 0, 0, 0, 120)],
  ['2024-03-01T10:00-05:30', micros(2024, 3, 1, 10, 0, 0, 0, -330)],
  ['2024-03-01T00:30:00+01:00', micros(2024, 2, 29, 23, 30)],
  ['2024-03-01', micros(2024, 3, 1)],
  ['1969-12-31T23:59:59.999999Z', -1n],
  ['1900-02-28T12:00', micros(1900, 2, 28, 12)],
  ['0001-01-01T00:00:00Z', micros(1, 1, 1)],
  ['9999-12-31T23:59:59.999999', micros(9999, 12, 31, 23, 59, 59, 999_999)],
  ['0050-06-15 08:00', micros(50, 6, 15, 8)],
]

t.test('timestamp forms and zones → µs since epoch (UTC)', async (t) => {
  const file = csvFile(t, 'ts\n' + CASES.map(([s]) => s).join('\n') + '\n\n')
  const p = await preview(file)
  t.same(typesOf(p), { ts: 'timestamp' })
  const got = Array.from(p.rows.columns[0]!.values as BigInt64Array)
  CASES.forEach(([s, want], i) => t.equal(got[i], want, s))

  const r = await ingest(t, file)
  const back = values((await readIngested(r)).getChild('ts'))
  CASES.forEach(([s, want], i) => t.equal(back[i], want, `parquet ${s}`))
})

t.test('more than 6 fractional digits keeps the column string', async (t) => {
  const file = csvFile(t, 'ts\n2024-03-01T10:00:00.123456\n2024-03-01T10:00:00.1234567\n')
  t.same(typesOf(await preview(file)), { ts: 'string' })
})

t.test('a date column that meets a timestamp becomes timestamp; dates land at midnight UTC', async (t) => {
  const file = csvFile(t, 'd\n2024-01-01\n2024-01-02T06:00+06:00\n\n2024-01-03\n')
  const p = await preview(file)
  t.same(typesOf(p), { d: 'timestamp' })
  const col = p.rows.columns[0]!
  t.same(Array.from(col.values as BigInt64Array).filter((_, i) => !col.nulls?.[i]), [micros(2024, 1, 1), micros(2024, 1, 2), micros(2024, 1, 3)])
  t.same(Array.from(col.nulls!), [0, 0, 1, 0])
})
