// PostgreSQL text output → Batch values (workers/pg/decode.ts): every logical type, exactly,
// first from hand-written text, then from a real server through both sources (cursor and
// COPY), with PostgreSQL itself as the oracle for days and microseconds.
import t from 'tap'
import type { Batch } from '../proto/batch.js'
import { SluiceError } from '../proto/errors.js'
import { decodeRows, type DecodeField } from '../workers/pg/decode.js'
import { openConnection } from '../proto/pg-session.js'
import { beginReadOnly, pgBatches } from '../workers/pg/source.js'
import type { PgSource } from '../proto/postgres.js'
import { pgTestDatabase } from './helpers/pg.js'
import { pgConnectionOf } from './helpers/pg-worker.js'

const f = (name: string, type: DecodeField['type'], precision?: number, scale?: number): DecodeField => ({ name, type, precision, scale })
const col = (b: Batch, i: number) => b.columns[i]!

/** Days since 1970-01-01 of a proleptic Gregorian date (astronomical year), by the Julian day number formula. */
function civilDays(y: number, m: number, d: number): number {
  const a = Math.floor((14 - m) / 12)
  const yy = y + 4800 - a
  const mm = m + 12 * a - 3
  const jdn = d + Math.floor((153 * mm + 2) / 5) + 365 * yy + Math.floor(yy / 4) - Math.floor(yy / 100) + Math.floor(yy / 400) - 32045
  return jdn - 2440588
}

function decodeError(fn: () => unknown): SluiceError {
  try { fn() } catch (err) { if (err instanceof SluiceError) return err; throw err }
  throw new Error('expected a SluiceError')
}

t.test('integers, exact, with nulls and extremes', async (t) => {
  const b = decodeRows([f('a', 'int16'), f('b', 'int32'), f('c', 'int64')], [
    ['-32768', '2147483647', '-9223372036854775808'],
    ['32767', '-2147483648', '9223372036854775807'],
    [null, null, null],
    ['0', '-1', '123456789012345'],
    ['7', '42', '-1234567890123456'],
  ])
  t.same([...col(b, 0).values as Int32Array], [-32768, 32767, 0, 0, 7])
  t.same([...col(b, 1).values as Int32Array], [2147483647, -2147483648, 0, -1, 42])
  t.same([...col(b, 2).values as BigInt64Array], [-9223372036854775808n, 9223372036854775807n, 0n, 123456789012345n, -1234567890123456n])
  t.same([...col(b, 2).nulls!], [0, 0, 1, 0, 0])
  t.equal(col(b, 0).nulls![2], 1)
  t.equal(decodeRows([f('a', 'int64')], [['1']]).columns[0]!.nulls, null, 'no nulls: no null map')
  t.equal(decodeError(() => decodeRows([f('x', 'int32')], [['9223372036854775807']])).code, 'schema_mismatch')
  t.equal(decodeError(() => decodeRows([f('x', 'int64')], [['12a']])).code, 'schema_mismatch')
  t.equal(decodeError(() => decodeRows([f('x', 'int64')], [['99999999999999999999']])).code, 'schema_mismatch')
  t.equal(decodeError(() => decodeRows([f('x', 'int64')], [['1', '2']])).code, 'schema_mismatch', 'more columns than fields')
})

t.test('floats: round trip digits, NaN, infinities, float32 rounding', async (t) => {
  const b = decodeRows([f('x', 'float64'), f('y', 'float32')], [
    ['0.1', '0.1'], ['NaN', 'NaN'], ['Infinity', 'Infinity'], ['-Infinity', '-Infinity'],
    ['5e-324', '1e-45'], ['1.7976931348623157e+308', '3.4028235e+38'], ['-0', '-0'], [null, null],
  ])
  const x = [...col(b, 0).values as Float64Array]
  t.equal(x[0], 0.1)
  t.ok(Number.isNaN(x[1]))
  t.same(x.slice(2, 6), [Infinity, -Infinity, 5e-324, 1.7976931348623157e308])
  t.ok(Object.is(x[6], -0))
  const y = [...col(b, 1).values as Float64Array]
  t.equal(y[0], Math.fround(0.1))
  t.equal(y[5], Math.fround(3.4028235e38))
  t.equal(y[4], Math.fround(1e-45))
  t.equal(decodeError(() => decodeRows([f('x', 'float64')], [['abc']])).code, 'schema_mismatch')
})

t.test('decimals: exact text at the field scale, never through a float', async (t) => {
  const b = decodeRows([f('d', 'decimal', 38, 10), f('e', 'decimal', 12, 2)], [
    ['-1234567890123456789012345678.0123456789', '12.30'],
    ['0.0000000001', '-0.05'],
    ['5', '7'],
    ['1.5', '0.1'],
    [null, null],
    ['0.00000000005', '0.005'],
  ])
  t.same(col(b, 0).values, ['-1234567890123456789012345678.0123456789', '0.0000000001', '5.0000000000', '1.5000000000', '0', '0.0000000001'])
  t.same(col(b, 1).values, ['12.30', '-0.05', '7.00', '0.10', '0', '0.01'])
  t.equal(col(b, 0).precision, 38)
  t.equal(col(b, 1).scale, 2)
  const nan = decodeError(() => decodeRows([f('price', 'decimal', 10, 2)], [['NaN']]))
  t.equal(nan.status, 422)
  t.equal(nan.code, 'invalid_query')
  t.match(nan.message, /"price"/)
  t.equal(decodeError(() => decodeRows([f('price', 'decimal', 10, 2)], [['-Infinity']])).code, 'invalid_query')
  t.equal(decodeError(() => decodeRows([f('price', 'decimal', 10, 2)], [['Infinity']])).code, 'invalid_query')
  t.equal(decodeError(() => decodeRows([f('small', 'decimal', 4, 2)], [['123.45']])).code, 'schema_mismatch', 'does not fit decimal(4,2)')
})

t.test('booleans, strings, json, binary', async (t) => {
  const b = decodeRows([f('b', 'boolean'), f('s', 'string'), f('j', 'json'), f('x', 'binary')], [
    ['t', 'héllo\t😀', '{"a": [1, 2]}', '\\x00ff7F80'],
    ['f', '', 'null', '\\x'],
    [null, null, null, null],
  ])
  t.same([...col(b, 0).values as Uint8Array], [1, 0, 0])
  t.same(col(b, 1).values, ['héllo\t😀', '', ''])
  t.same(col(b, 1).nulls, new Uint8Array([0, 0, 1]))
  t.same(col(b, 2).values, ['{"a": [1, 2]}', 'null', ''])
  const bin = col(b, 3).values as Uint8Array[]
  t.same([...bin[0]!], [0, 255, 127, 128])
  t.equal(bin[0]!.byteOffset, 0, 'own buffer, not a pooled slice')
  t.equal(bin[0]!.buffer.byteLength, 4)
  t.equal(bin[1]!.length, 0)
  t.equal(decodeError(() => decodeRows([f('b', 'boolean')], [['true']])).code, 'schema_mismatch')
  t.equal(decodeError(() => decodeRows([f('x', 'binary')], [['\\x0g']])).code, 'schema_mismatch')
})

t.test('dates: ISO, years beyond 9999, BC; infinity is an error', async (t) => {
  const b = decodeRows([f('d', 'date')], [
    ['1970-01-01'], ['2024-02-29'], ['1969-12-31'], ['0001-01-01'], ['0001-12-31 BC'], ['4713-01-01 BC'],
    ['10000-01-01'], ['5874897-12-31'], [null],
  ])
  const days = [...col(b, 0).values as Int32Array]
  t.same(days, [0, 19782, -1, -719162, -719163, -2440550, 2932897, 2145042905, 0])
  t.same(days.slice(0, 8), [
    [1970, 1, 1], [2024, 2, 29], [1969, 12, 31], [1, 1, 1], [0, 12, 31], [-4712, 1, 1], [10000, 1, 1], [5874897, 12, 31],
  ].map(([y, m, d]) => civilDays(y!, m!, d!)), 'agrees with the Julian day number formula (1 BC is year 0)')
  for (const v of ['infinity', '-infinity']) {
    const err = decodeError(() => decodeRows([f('valid_to', 'date')], [[v]]))
    t.equal(err.code, 'invalid_query')
    t.match(err.message, /"valid_to".*infinity/)
  }
})

t.test('timestamps: UTC text to microseconds, fractions, offsets, BC, extremes', async (t) => {
  const b = decodeRows([f('ts', 'timestamp')], [
    ['1970-01-01 00:00:00+00'], ['2024-03-01 10:00:00.123456+00'], ['1969-12-31 23:59:59.999999+00'],
    ['2024-03-01 10:00:00.5+00'], ['2024-03-01 12:30:00+02:30'], ['2024-03-01 07:00:00-03'],
    ['2024-03-01 10:00:00'], ['0001-12-31 23:59:59+00 BC'], ['294247-01-10 04:00:54.775807+00'], ['4713-01-01 00:00:00+00 BC'], [null],
  ])
  const us = [...col(b, 0).values as BigInt64Array]
  const at = (iso: string) => BigInt(Date.parse(iso)) * 1000n
  t.equal(us[0], 0n)
  t.equal(us[1], at('2024-03-01T10:00:00Z') + 123456n)
  t.equal(us[2], -1n)
  t.equal(us[3], at('2024-03-01T10:00:00Z') + 500000n)
  t.equal(us[4], at('2024-03-01T10:00:00Z'))
  t.equal(us[5], at('2024-03-01T10:00:00Z'))
  t.equal(us[6], at('2024-03-01T10:00:00Z'), 'no offset reads as UTC')
  t.equal(us[7], -62135596801000000n, 'the last second of 1 BC')
  t.equal(us[8], 9223372036854775807n, 'the largest int64, far beyond 2^53')
  t.equal(us[9], BigInt(civilDays(-4712, 1, 1)) * 86400000000n, '4713 BC')
  t.equal(col(b, 0).nulls![10], 1)
  for (const v of ['infinity', '-infinity', '294247-01-10 04:00:54.775808+00', '294276-12-31 23:59:59.999999+00']) {
    const err = decodeError(() => decodeRows([f('ts', 'timestamp')], [[v]]))
    t.equal(err.code, 'invalid_query', v)
    t.match(err.message, /^column "ts": /)
  }
  t.equal(decodeError(() => decodeRows([f('ts', 'timestamp')], [['2024-03-01T10:00:00Z']])).code, 'schema_mismatch')
})

t.test('times: microseconds since midnight', async (t) => {
  const b = decodeRows([f('t', 'time')], [['00:00:00'], ['23:59:59.999999'], ['12:34:56.7'], ['24:00:00'], [null]])
  t.same([...col(b, 0).values as BigInt64Array], [0n, 86399999999n, 45296700000n, 86400000000n, 0n])
})

async function readAll(db: Awaited<ReturnType<typeof pgTestDatabase>>, sql: string, fields: DecodeField[], source: PgSource, params: (string | null)[] = [], batchRows = 3): Promise<Batch[]> {
  const client = await openConnection(pgConnectionOf(db))
  try {
    await beginReadOnly(client)
    const out: Batch[] = []
    for await (const b of pgBatches(client, { sql, params, fields, batchRows, source })) out.push(b)
    return out
  } finally {
    await client.end()
  }
}

t.test('a real server, both sources: every type decoded exactly', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE v (k int, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8, n numeric(38,10), n2 numeric(5,2), b bool,
    d date, ts timestamptz, tsn timestamp, tm time, by bytea, s text, j jsonb)`)
  const nasty = 'tab\there\nnew line\r\\ back\\N slash \\x41 😀 ünï \u0001\u000b\u0008\u000c'
  await db.query(`INSERT INTO v VALUES
    (1, -32768, 2147483647, -9223372036854775808, '3.4028235e38', 'NaN', '-1234567890123456789012345678.0123456789', 999.99, true,
     '4713-01-01 BC', '4713-01-01 00:00:00+00 BC', '2024-03-01 10:00:00', '00:00:00', '\\x', '', '{}'),
    (2, 32767, -2147483648, 9223372036854775807, '-Infinity', 'Infinity', '0.0000000001', -0.05, false,
     '294276-12-31', '200000-12-31 23:59:59.999999+00', '1999-12-31 23:59:59.999999', '23:59:59.999999', '\\x00ff7f80', $1, '{"a": "t\\tb", "n": [1, 2.50, null]}'),
    (3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
    (4, 0, -1, 1, '0.1', '-Infinity', '1.5', 1, true,
     '0001-12-31 BC', '1969-12-31 23:59:59.999999+00', '1970-01-01 00:00:00.5', '12:34:56.7', '\\x5c0a09', '\\N', 'null'),
    (5, 1, 1, 1, '1e-45', '5e-324', '0', 0, false,
     '10000-01-01', '2024-02-29 12:34:56.000001+05:30', '0001-01-01 00:00:00', '24:00:00', '\\x41', 'plain', '"x"')`, [nasty])
  const fields: DecodeField[] = [
    f('k', 'int32'), f('i2', 'int16'), f('i4', 'int32'), f('i8', 'int64'), f('f4', 'float32'), f('f8', 'float64'),
    f('n', 'decimal', 38, 10), f('n2', 'decimal', 7, 4), f('b', 'boolean'), f('d', 'date'), f('ts', 'timestamp'),
    f('tsn', 'timestamp'), f('tm', 'time'), f('by', 'binary'), f('s', 'string'), f('j', 'json'),
  ]
  // PostgreSQL computes the expected days and microseconds itself (extract(epoch) is exact numeric)
  const oracle = await db.query<{ days: number | null; ts_us: string | null; tsn_us: string | null; tm_us: string | null; hex: string | null; j: string | null }>(`
    SELECT d - date '1970-01-01' AS days, (extract(epoch FROM ts) * 1000000)::numeric(30,0)::text AS ts_us,
           (extract(epoch FROM tsn) * 1000000)::numeric(30,0)::text AS tsn_us, (extract(epoch FROM tm) * 1000000)::int8::text AS tm_us,
           encode(by, 'hex') AS hex, j::text AS j
    FROM v ORDER BY k`)
  const sql = `SELECT k, i2, i4, i8, f4, f8, n, n2, b, d, ts, tsn AT TIME ZONE 'UTC', tm, by, s, j FROM v WHERE k > $1::int ORDER BY k`
  for (const source of ['cursor', 'copy'] as const) {
    const batches = await readAll(db, sql, fields, source, ['0'])
    t.same(batches.map((b) => b.length), [3, 2], `${source}: batches of batchRows`)
    const rows: unknown[][] = []
    for (const b of batches) {
      for (let i = 0; i < b.length; i++) rows.push(b.columns.map((c) => (c.nulls?.[i] ? null : (c.values as ArrayLike<unknown>)[i])))
    }
    const byCol = (name: string) => rows.map((r) => r[fields.findIndex((x) => x.name === name)])
    t.same(byCol('k'), [1, 2, 3, 4, 5])
    t.same(byCol('i2'), [-32768, 32767, null, 0, 1])
    t.same(byCol('i4'), [2147483647, -2147483648, null, -1, 1])
    t.same(byCol('i8'), [-9223372036854775808n, 9223372036854775807n, null, 1n, 1n])
    const f4 = byCol('f4') as (number | null)[]
    t.same(f4, [Math.fround(3.4028235e38), -Infinity, null, Math.fround(0.1), Math.fround(1e-45)])
    const f8 = byCol('f8') as (number | null)[]
    t.ok(Number.isNaN(f8[0]))
    t.same(f8.slice(1), [Infinity, null, -Infinity, 5e-324])
    t.same(byCol('n'), ['-1234567890123456789012345678.0123456789', '0.0000000001', null, '1.5000000000', '0.0000000000'])
    t.same(byCol('n2'), ['999.9900', '-0.0500', null, '1.0000', '0.0000'], 'rescaled to the field scale')
    t.same(byCol('b'), [1, 0, null, 1, 0])
    t.same(byCol('d'), oracle.rows.map((r) => r.days), `${source}: dates incl. BC and year 294276`)
    t.same(byCol('ts'), oracle.rows.map((r) => (r.ts_us === null ? null : BigInt(r.ts_us))), `${source}: timestamptz µs`)
    t.same(byCol('tsn'), oracle.rows.map((r) => (r.tsn_us === null ? null : BigInt(r.tsn_us))), `${source}: timestamp AT TIME ZONE 'UTC'`)
    t.same(byCol('tm'), oracle.rows.map((r) => (r.tm_us === null ? null : BigInt(r.tm_us))), `${source}: time µs`)
    t.same((byCol('by') as (Uint8Array | null)[]).map((x) => (x === null ? null : Buffer.from(x).toString('hex'))), oracle.rows.map((r) => r.hex))
    t.same(byCol('s'), ['', nasty, null, '\\N', 'plain'], `${source}: text with tabs, newlines, backslashes, \\N, control characters`)
    t.same(byCol('j'), oracle.rows.map((r) => r.j), `${source}: jsonb text`)
  }
})

t.test('a real server: values with no equivalent fail with 422 naming the column, on both sources', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of ['cursor', 'copy'] as const) {
    for (const [sql, field, code] of [
      [`SELECT 'NaN'::numeric AS price`, f('price', 'decimal', 10, 2), 'invalid_query'],
      [`SELECT 'infinity'::date AS valid_to`, f('valid_to', 'date'), 'invalid_query'],
      [`SELECT '-infinity'::timestamptz AS since`, f('since', 'timestamp'), 'invalid_query'],
      [`SELECT 'abc'::text AS n`, f('n', 'int64'), 'schema_mismatch'],
    ] as const) {
      const err = await readAll(db, sql, [field], source).then(() => null, (e: unknown) => e)
      t.ok(err instanceof SluiceError, `${source}: ${sql}`)
      t.equal((err as SluiceError).status, 422)
      t.equal((err as SluiceError).code, code)
      t.match((err as SluiceError).message, `"${field.name}"`)
    }
  }
})

t.test('a real server: many rows across COPY chunk boundaries equal the cursor', async (t) => {
  const db = await pgTestDatabase(t)
  const sql = `SELECT g::int8, repeat('é😀\t\\', g % 7) || g, (g * 1.25)::numeric(20,2), timestamptz '2000-01-01' + g * interval '1.000001 s'
               FROM generate_series(1, 30000) g WHERE g % $1::int <> 0`
  const fields = [f('g', 'int64'), f('s', 'string'), f('n', 'decimal', 20, 2), f('t', 'timestamp')]
  const flat = (bs: Batch[]) => bs.flatMap((b) => Array.from({ length: b.length }, (_, i) => b.columns.map((c) => String((c.values as ArrayLike<unknown>)[i]))).map((r) => r.join('|')))
  const viaCursor = flat(await readAll(db, sql, fields, 'cursor', ['11'], 997))
  const viaCopy = flat(await readAll(db, sql, fields, 'copy', ['11'], 997))
  t.equal(viaCursor.length, 30000 - Math.floor(30000 / 11))
  t.same(viaCopy, viaCursor)
})
