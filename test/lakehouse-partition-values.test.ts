/** Partition values: log strings → Literal representation, and back. */
import t from 'tap'
import type { Field } from '../proto/types.js'
import { SluiceError } from '../proto/errors.js'
import { formatPartitionValue, parsePartitionValue } from '../src/lakehouse/index.js'

const f = (type: Field['type'], extra: Partial<Field> = {}): Field => ({ name: 'c', type, nullable: true, ...extra })
const bad = (raw: string, field: Field) => {
  try {
    parsePartitionValue(raw, field)
  } catch (e) {
    return e instanceof SluiceError && e.code === 'unsupported_table' && e.message.includes('"c"')
  }
  return false
}

t.test('nulls', async (t) => {
  for (const type of ['string', 'int64', 'date', 'timestamp', 'decimal', 'boolean'] as const) {
    t.equal(parsePartitionValue(null, f(type)), null, `${type} JSON null`)
    t.equal(parsePartitionValue('', f(type)), null, `${type} empty string`)
    t.equal(parsePartitionValue(undefined, f(type)), null, `${type} missing`)
  }
  t.equal(parsePartitionValue('__HIVE_DEFAULT_PARTITION__', f('string')), '__HIVE_DEFAULT_PARTITION__', 'the Hive marker is a directory convention, not a log value')
})

t.test('integers are exact bigints within range', async (t) => {
  t.equal(parsePartitionValue('42', f('int32')), 42n)
  t.equal(parsePartitionValue('-32768', f('int16')), -32768n)
  t.equal(parsePartitionValue('9223372036854775807', f('int64')), 9223372036854775807n)
  t.equal(parsePartitionValue('9007199254740993', f('int64')), 9007199254740993n)
  t.ok(bad('32768', f('int16')))
  t.ok(bad('9223372036854775808', f('int64')))
  t.ok(bad('1.5', f('int32')))
  t.ok(bad('abc', f('int64')))
})

t.test('floats, decimals, booleans, strings, binary', async (t) => {
  t.equal(parsePartitionValue('1.5', f('float64')), 1.5)
  t.equal(parsePartitionValue('-2e3', f('float64')), -2000)
  t.equal(parsePartitionValue('0.1', f('float32')), Math.fround(0.1))
  t.ok(Number.isNaN(parsePartitionValue('NaN', f('float64')) as number))
  t.equal(parsePartitionValue('-Infinity', f('float64')), -Infinity)
  t.equal(parsePartitionValue('12.3', f('decimal', { precision: 5, scale: 2 })), '12.30')
  t.equal(parsePartitionValue('-0.5', f('decimal', { precision: 5, scale: 2 })), '-0.50')
  t.equal(parsePartitionValue('7', f('decimal', { precision: 1, scale: 0 })), '7')
  t.equal(parsePartitionValue('1E+2', f('decimal', { precision: 5, scale: 1 })), '100.0')
  t.equal(parsePartitionValue('12345678901234567890.12', f('decimal', { precision: 38, scale: 2 })), '12345678901234567890.12')
  t.ok(bad('1.234', f('decimal', { precision: 5, scale: 2 })), 'more fraction digits than the scale')
  t.ok(bad('1234', f('decimal', { precision: 5, scale: 2 })), 'more digits than the precision')
  t.equal(parsePartitionValue('true', f('boolean')), true)
  t.equal(parsePartitionValue('false', f('boolean')), false)
  t.ok(bad('yes', f('boolean')))
  t.equal(parsePartitionValue('A/A', f('string')), 'A/A')
  t.equal(parsePartitionValue('\u0001\u0002\u0003', f('binary')), 'AQID', 'binary as base64')
})

t.test('dates and timestamps', async (t) => {
  t.equal(parsePartitionValue('1970-01-01', f('date')), 0)
  t.equal(parsePartitionValue('2000-01-01', f('date')), 10957)
  t.equal(parsePartitionValue('1969-12-31', f('date')), -1)
  t.equal(parsePartitionValue('0001-01-01', f('date')), -719162)
  t.ok(bad('2021-02-30', f('date')))
  t.ok(bad('2021/02/01', f('date')))
  const us = 1_373_043_660_123_456n // 2013-07-05 17:01:00.123456 UTC
  t.equal(parsePartitionValue('2013-07-05 17:01:00.123456', f('timestamp')), us, 'Spark form (read as UTC)')
  t.equal(parsePartitionValue('2013-07-05T17:01:00.123456Z', f('timestamp')), us, 'ISO 8601 UTC')
  t.equal(parsePartitionValue('2013-07-05T19:01:00.123456+02:00', f('timestamp')), us, 'with offset')
  t.equal(parsePartitionValue('2013-07-05 17:01:00', f('timestamp')), us - 123456n)
  t.equal(parsePartitionValue('1969-12-31 23:59:59.999999', f('timestamp')), -1n)
  t.ok(bad('2013-07-05 25:00:00', f('timestamp')))
})

t.test('format is the inverse of parse', async (t) => {
  const cases: [Field, string][] = [
    [f('int64'), '-9223372036854775808'], [f('int16'), '7'], [f('float64'), '1.25'], [f('decimal', { precision: 6, scale: 3 }), '-12.500'],
    [f('boolean'), 'true'], [f('date'), '2024-02-29'], [f('timestamp'), '2024-03-01T10:00:00.000001Z'], [f('string'), 'x y/z'],
    [f('date'), '1960-01-01'], [f('timestamp'), '1960-01-01T00:00:00.500000Z'], [f('time'), '10:11:12.000013'],
  ]
  for (const [field, text] of cases) {
    const v = parsePartitionValue(text, field)
    t.equal(formatPartitionValue(v, field), text, `${field.type} ${text}`)
  }
  t.equal(formatPartitionValue(null, f('int64')), null)
})
