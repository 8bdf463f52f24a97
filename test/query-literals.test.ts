// Filter values parsed by the column's logical type into proto Literals, and bad values.
import t, { type Test } from 'tap'
import type { Literal } from '../proto/plan.js'
import { parseExploreParams } from '../src/query/index.js'
import { fails, schema } from './helpers/query.js'

/** the literal `col=eq.<text>` compares with */
function literal(column: string, text: string): Literal {
  const f = parseExploreParams([['select', 'region'], [column, `eq.${text}`]], schema).plan.filter
  if (f?.kind !== 'cmp') throw new Error('expected a comparison')
  return f.value
}
const bad = (t: Test, column: string, text: string, ...tokens: string[]) =>
  fails(t, () => literal(column, text), 'invalid_query', `filter "${column}"`, JSON.stringify(text), ...tokens)

t.test('integers: bigint with a range check per width', async t => {
  t.equal(literal('small', '32767'), 32767n)
  t.equal(literal('small', '-32768'), -32768n)
  t.equal(literal('qty', '2147483647'), 2147483647n)
  t.equal(literal('qty', '-2147483648'), -2147483648n)
  t.equal(literal('user_id', '9223372036854775807'), 9223372036854775807n)
  t.equal(literal('user_id', '-9223372036854775808'), -9223372036854775808n)
  t.equal(literal('qty', '+7'), 7n)
  t.equal(literal('qty', '007'), 7n)
  t.equal(literal('qty', '-0'), 0n)
  t.equal(literal('user_id', '0000000000000000000000000000042'), 42n)
  bad(t, 'small', '32768', 'int16', 'range')
  bad(t, 'small', '-32769', 'int16')
  bad(t, 'qty', '2147483648', 'int32')
  bad(t, 'user_id', '9223372036854775808', 'int64')
  bad(t, 'user_id', '-9223372036854775809', 'int64')
  // a long value is cut short in the message
  fails(t, () => literal('user_id', '1'.repeat(400)), 'invalid_query', 'filter "user_id"', `"${'1'.repeat(60)}…"`, 'int64')
  for (const text of ['1.0', '1e3', '0x10', ' 1', '1 ', '', '-', '+', '١']) bad(t, 'qty', text, 'int32')
})

t.test('floats: numbers, NaN and the infinities', async t => {
  t.equal(literal('price', '1.5'), 1.5)
  t.equal(literal('price', '-2e3'), -2000)
  t.equal(literal('price', '1E-2'), 0.01)
  t.equal(literal('price', '.5'), 0.5)
  t.equal(literal('price', '5.'), 5)
  t.equal(literal('price', '42'), 42)
  t.equal(literal('ratio', '0.1'), 0.1)
  t.ok(Number.isNaN(literal('price', 'NaN')))
  t.equal(literal('price', 'Infinity'), Infinity)
  t.equal(literal('price', '+Infinity'), Infinity)
  t.equal(literal('price', '-Infinity'), -Infinity)
  for (const text of ['abc', '1e', '0x10', '', '.', 'nan', 'inf', '1,5', '1.2.3', ' 1']) bad(t, 'price', text, 'float64')
})

t.test('booleans: true and false', async t => {
  t.equal(literal('active', 'true'), true)
  t.equal(literal('active', 'false'), false)
  for (const text of ['TRUE', '1', 't', 'yes', '']) bad(t, 'active', text, 'boolean')
})

t.test('dates: days since the epoch of a real calendar date', async t => {
  t.equal(literal('birth', '1970-01-01'), 0)
  t.equal(literal('birth', '1969-12-31'), -1)
  t.equal(literal('birth', '2000-02-29'), 11016)
  t.equal(literal('birth', '2024-03-01'), 19783)
  t.equal(literal('birth', '0001-01-01'), -719162)
  t.equal(literal('birth', '0099-01-01'), -683368) // not 1999: no two-digit-year rule
  for (const text of ['2023-02-29', '1900-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-3-1', '20240301', '2024-03-01T00:00:00', '']) {
    bad(t, 'birth', text, 'date')
  }
})

t.test('timestamps: µs since the epoch, UTC', async t => {
  t.equal(literal('ts', '2024-03-01'), 1709251200000000n)
  t.equal(literal('ts', '2024-03-01T10:00:00'), 1709287200000000n)
  t.equal(literal('ts', '2024-03-01 10:00:00'), 1709287200000000n)
  t.equal(literal('ts', '2024-03-01T10:00'), 1709287200000000n)
  t.equal(literal('ts', '2024-03-01T10:00:00Z'), 1709287200000000n)
  t.equal(literal('ts', '2024-03-01T10:00:00.5Z'), 1709287200500000n)
  t.equal(literal('ts', '2024-03-01T10:00:00.123456+02:00'), 1709280000123456n)
  t.equal(literal('ts', '2024-03-01T10:00:00-05:30'), 1709307000000000n)
  t.equal(literal('ts', '1969-12-31T23:59:59.999999Z'), -1n)
  t.equal(literal('ts', '1970-01-01T00:00:00.000001'), 1n)
  for (const text of [
    '2024-03-01T10:00:00.1234567', '2024-03-01T24:00:00', '2024-03-01T10:60:00', '2024-03-01T10:00:60',
    '2024-02-30T00:00:00', '2024-03-01T10:00:00+2', '2024-03-01T10:00:00 02:00', '2024-03-01Z', 'now', '1709251200', '',
  ]) {
    bad(t, 'ts', text, 'timestamp')
  }
})

t.test('times: µs since midnight', async t => {
  t.equal(literal('at', '00:00:00'), 0n)
  t.equal(literal('at', '10:30:00'), 37800000000n)
  t.equal(literal('at', '10:30'), 37800000000n)
  t.equal(literal('at', '00:00:00.000001'), 1n)
  t.equal(literal('at', '23:59:59.999999'), 86399999999n)
  for (const text of ['24:00:00', '12:60:00', '1:00:00', '10:00:00.1234567', '10:00:00Z', '']) bad(t, 'at', text, 'time')
})

t.test('decimals: exact digits normalized to the column scale', async t => {
  t.equal(literal('amount', '12.3'), '12.30')
  t.equal(literal('amount', '12.30'), '12.30')
  t.equal(literal('amount', '1.230'), '1.23')
  t.equal(literal('amount', '007.10'), '7.10')
  t.equal(literal('amount', '-0.5'), '-0.50')
  t.equal(literal('amount', '-0'), '0.00')
  t.equal(literal('amount', '+3'), '3.00')
  t.equal(literal('amount', '.5'), '0.50')
  t.equal(literal('amount', '5.'), '5.00')
  t.equal(literal('amount', '1234567890.12'), '1234567890.12')
  t.equal(literal('cents', '12'), '12')
  t.equal(literal('cents', '-1.000'), '-1')
  t.equal(literal('cents', '99999'), '99999')
  bad(t, 'amount', '1.234', 'decimal(12,2)', 'after the point')
  bad(t, 'amount', '12345678901', 'decimal(12,2)', 'before the point')
  bad(t, 'cents', '1.5', 'decimal(5,0)')
  bad(t, 'cents', '100000', 'decimal(5,0)')
  for (const text of ['1e2', '.', '', '-', '1,5', 'NaN', '0x1', '1.2.3']) bad(t, 'amount', text, 'decimal(12,2)')
})

t.test('strings and json: as written', async t => {
  t.equal(literal('region', 'it\'s "EU", (1)'), 'it\'s "EU", (1)')
  t.equal(literal('payload', '{"a":[1,2]}'), '{"a":[1,2]}')
})

t.test('binary columns take no literal', async t => {
  fails(t, () => literal('blob', 'AAAA'), 'invalid_query', 'filter "blob"', '"blob"', 'binary')
})

t.test('in-list values are typed one by one', async t => {
  const f = parseExploreParams([['ts', 'in.(2024-03-01,"2024-03-01T10:00:00Z")']], schema).plan.filter
  t.strictSame(f, { kind: 'in', column: 'ts', values: [1709251200000000n, 1709287200000000n] })
  fails(t, () => parseExploreParams([['amount', 'in.(1,2.345)']], schema), 'invalid_query', 'filter "amount"', '"2.345"')
})
