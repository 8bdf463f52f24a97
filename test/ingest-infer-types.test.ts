// Type inference rules: every recogniser and the lattice, through the task (whole-file
// inference) and on the pure functions.
import t from 'tap'
import { civilDays, classify, join, NULL, BOOLEAN, INT, FLOAT, DATE, TIMESTAMP, STRING, INT_WIDE, NAN_INF } from '../workers/ingest/values.js'
import { daysFromCivil } from '../proto/calendar.js'
import { csvFile, preview, typesOf, type TestLike } from './helpers/ingest.js'

/** One column named `v` holding `cells` (empty string = empty cell). */
async function inferColumn(t: TestLike, cells: string[]): Promise<string> {
  const file = csvFile(t, 'id,v\n' + cells.map((c, i) => `${i},${c}`).join('\n') + '\n')
  const p = await preview(file)
  return typesOf(p).v!
}

t.test('single values classify to the narrowest type', async (t) => {
  const cases: [string, number][] = [
    ['0', INT], ['42', INT], ['-17', INT], ['+5', INT],
    ['9223372036854775807', INT_WIDE], ['-9223372036854775808', INT_WIDE],
    ['9223372036854775808', STRING], ['-9223372036854775809', STRING], ['123456789012345678901', STRING],
    ['9007199254740992', INT], ['9007199254740993', INT_WIDE],
    ['007', STRING], ['00', STRING], ['-01', STRING],
    ['1.5', FLOAT], ['-2e10', FLOAT], ['.5', FLOAT], ['5.', FLOAT], ['-.5', FLOAT], ['1E+05', FLOAT], ['0.0', FLOAT],
    ['01.5', STRING], ['1e400', STRING], ['1e-400', STRING], ['0e-400', FLOAT], ['.', STRING], ['1.2.3', STRING], ['1,5', STRING],
    ['NaN', NAN_INF], ['inf', NAN_INF], ['-Infinity', NAN_INF], ['nanny', STRING],
    ['true', BOOLEAN], ['FALSE', BOOLEAN], ['True', BOOLEAN], ['yes', STRING], ['t', STRING],
    ['2024-02-29', DATE], ['2023-02-29', STRING], ['2024-13-01', STRING], ['0000-01-01', STRING], ['2024-1-01', STRING],
    ['2024-03-01T10:00', TIMESTAMP], ['2024-03-01 10:00:59', TIMESTAMP], ['2024-03-01T10:00:00.123456Z', TIMESTAMP],
    ['2024-03-01T10:00:00.1234567', STRING], ['2024-03-01T10:00:00+02:00', TIMESTAMP], ['2024-03-01T10:00:00-05:30', TIMESTAMP],
    ['2024-03-01T24:00', STRING], ['2024-03-01T10:60', STRING], ['2024-03-01T10:00:60', STRING], ['2024-03-01T10:00+0200', STRING],
    ['2024-03-01T10:00:00.', STRING], ['2024-03-01t10:00', STRING], ['10:00', STRING],
    [' 42', STRING], ['42 ', STRING], ['abc', STRING],
  ]
  for (const [s, want] of cases) t.equal(classify(s), want, JSON.stringify(s))
})

t.test('the lattice', async (t) => {
  t.equal(join(NULL, INT, false), INT)
  t.equal(join(INT, FLOAT, false), FLOAT)
  t.equal(join(INT, FLOAT, true), STRING, 'ints beyond 2^53 would be rounded by float64')
  t.equal(join(BOOLEAN, INT, false), STRING)
  t.equal(join(DATE, TIMESTAMP, false), TIMESTAMP)
  t.equal(join(DATE, INT, false), STRING)
  t.equal(join(TIMESTAMP, BOOLEAN, false), STRING)
  t.equal(join(NAN_INF, INT, false), FLOAT)
  t.equal(join(NAN_INF, FLOAT, false), FLOAT)
  t.equal(join(NAN_INF, DATE, false), STRING)
  t.equal(join(FLOAT, STRING, false), STRING)
})

t.test('column types over whole columns', async (t) => {
  const cases: [string[], string][] = [
    [['1', '2', '3'], 'int64'],
    [['1', '', '3'], 'int64'],
    [['1', '2.5'], 'float64'],
    [['1.5', '2'], 'float64'],
    [['1', 'NaN', '-inf'], 'float64'],
    [['NaN', 'nan', ''], 'string'],
    [['Nan', 'Bob'], 'string'],
    [['true', 'False', 'TRUE'], 'boolean'],
    [['true', '1'], 'string'],
    [['2024-01-01', '2024-01-02'], 'date'],
    [['2024-01-01', '2024-01-02 10:00'], 'timestamp'],
    [['2024-01-01T10:00Z', '2024-01-02'], 'timestamp'],
    [['2024-01-01', '5'], 'string'],
    [['', '', ''], 'string'],
    [['00501', '10001'], 'string'],
    [['10001', '00501'], 'string'],
    [['9223372036854775807', '-9223372036854775808'], 'int64'],
    [['1', '9223372036854775808'], 'string'],
    [['9007199254740993', '1.5'], 'string'],
    [['1.5', '9007199254740993'], 'string'],
    [['9007199254740992', '1.5'], 'float64'],
    [['1.5', '1e400'], 'string'],
    [['1', 'x'], 'string'],
  ]
  for (const [cells, want] of cases) t.equal(await inferColumn(t, cells), want, JSON.stringify(cells))
})

t.test('values are converted exactly as inferred', async (t) => {
  const file = csvFile(t, [
    'i,f,b,d,big',
    '1,1.5,true,1970-01-02,9223372036854775807',
    '-2,-2e10,FALSE,1969-12-31,-9223372036854775808',
    ',.5,,,9007199254740993',
    '',
  ].join('\n'))
  const p = await preview(file)
  t.same(typesOf(p), { i: 'int64', f: 'float64', b: 'boolean', d: 'date', big: 'int64' })
  const [i, f, b, d, big] = p.rows.columns
  t.same(Array.from(i!.values as BigInt64Array), [1n, -2n, 0n])
  t.same(Array.from(i!.nulls!), [0, 0, 1])
  t.same(Array.from(f!.values as Float64Array), [1.5, -2e10, 0.5])
  t.same(Array.from(b!.values as Uint8Array).slice(0, 2), [1, 0])
  t.same(Array.from(d!.values as Int32Array).slice(0, 2), [1, -1])
  t.same(Array.from(big!.values as BigInt64Array), [9223372036854775807n, -9223372036854775808n, 9007199254740993n])
})

t.test('civilDays (cached month starts) equals the calendar arithmetic, validity checks included', async (t) => {
  let checked = 0
  for (const y of [1, 2, 3, 4, 99, 100, 400, 1582, 1899, 1900, 1969, 1970, 1999, 2000, 2023, 2024, 2100, 9999]) {
    for (let m = 1; m <= 12; m++) {
      for (const d of [1, 15, 28, 29, 30, 31]) {
        const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0)
        const dim = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1]!
        // twice: the first call fills the month's entry, the second reads it
        for (let k = 0; k < 2; k++) {
          const got = civilDays(y, m, d)
          if (d > dim) { if (!Number.isNaN(got)) t.fail(`${y}-${m}-${d} is not a date`) }
          else if (got !== daysFromCivil(y, m, d)) t.fail(`${y}-${m}-${d}: ${got} vs ${daysFromCivil(y, m, d)}`)
          checked++
        }
      }
    }
  }
  t.ok(Number.isNaN(civilDays(0, 1, 1)) && Number.isNaN(civilDays(2024, 13, 1)) && Number.isNaN(civilDays(2024, 1, 0)), 'out of range')
  t.equal(civilDays(1970, 1, 1), 0)
  t.equal(civilDays(1969, 12, 31), -1)
  t.equal(checked, 18 * 12 * 6 * 2)
})
