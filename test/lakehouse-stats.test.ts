/** Stats parsing: exact integers past 2^53, typed bounds, safe bounds for data skipping. */
import t from 'tap'
import type { Field } from '../proto/types.js'
import { parseStats } from '../src/lakehouse/index.js'
import { parseJsonExact, RawNumber } from '../src/lakehouse/stats.js'

const fields: Field[] = [
  { name: 'id', type: 'int64', nullable: true },
  { name: 'n', type: 'int32', nullable: true },
  { name: 'price', type: 'decimal', nullable: true, precision: 38, scale: 4 },
  { name: 'x', type: 'float64', nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'at', type: 'timestamp', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
  { name: 'bin', type: 'binary', nullable: true },
]

t.test('integers beyond 2^53 are exact', async (t) => {
  const st = parseStats('{"numRecords":3,"minValues":{"id":-9223372036854775808,"n":1},"maxValues":{"id":9223372036854775807,"n":9007199254740993},"nullCount":{"id":0,"n":1}}', fields)!
  t.equal(st.numRecords, 3)
  t.equal(st.columns.id!.min, -9223372036854775808n)
  t.equal(st.columns.id!.max, 9223372036854775807n)
  t.equal(st.columns.n!.max, 9007199254740993n)
  t.equal(st.columns.id!.nullCount, 0)
  t.equal(st.columns.n!.nullCount, 1)
})

t.test('decimals keep their digits; other types are typed like Literal', async (t) => {
  const st = parseStats(JSON.stringify({
    numRecords: 10,
    minValues: { price: 0, x: -1.5, s: 'a', day: '2000-01-01', at: '2000-01-01T00:00:00.000-08:00', ok: false, bin: 'zz' },
    maxValues: { s: 'b'.repeat(40), day: '2000-01-02', at: '2021-07-30T18:11:36.588Z', ok: true },
    nullCount: { s: 2 },
  }).replace('"price":0', '"price":12345678901234567890123.4567'), fields)!
  t.equal(st.columns.price!.min, '12345678901234567890123.4567')
  t.equal(st.columns.x!.min, -1.5)
  t.equal(st.columns.s!.min, 'a')
  t.equal(st.columns.s!.max, undefined, 'a cut string max is no upper bound: dropped')
  t.equal(st.columns.day!.min, 10957)
  t.equal(st.columns.day!.max, 10958)
  t.equal(st.columns.at!.min, 946713600000000n, 'offset applied')
  t.equal(st.columns.at!.max, 1627668696588000n + 1000n, 'max + 1 ms: Spark truncates to ms')
  t.equal(st.columns.ok!.min, false)
  t.equal(st.columns.ok!.max, true)
  t.equal(st.columns.bin, undefined, 'no bounds for binary')
  t.equal(st.tightBounds, true)
})

t.test('wide bounds keep only informative null counts', async (t) => {
  const st = parseStats('{"numRecords":10,"tightBounds":false,"minValues":{"n":1},"maxValues":{"n":9},"nullCount":{"id":10,"n":3,"x":0}}', fields)!
  t.equal(st.tightBounds, false)
  t.equal(st.columns.id!.nullCount, 10)
  t.equal(st.columns.n!.nullCount, undefined)
  t.equal(st.columns.x!.nullCount, 0)
  t.equal(st.columns.n!.min, 1n)
})

t.test('missing, malformed or mistyped stats never throw', async (t) => {
  t.equal(parseStats(null, fields), null)
  t.equal(parseStats('', fields), null)
  t.equal(parseStats('{"numRecords":', fields), null)
  t.equal(parseStats('[1,2]', fields), null)
  const st = parseStats('{"numRecords":"x","minValues":{"id":"nope","day":"2020-13-01","x":"NaN","at":5}}', fields)!
  t.equal(st.numRecords, null)
  t.same(st.columns, {})
  t.same(parseStats('{"numRecords":1, "minValues": {"id": 5}, "unknownField": [true, null, {"a": 1.5e3}]}', fields)!.columns.id, { min: 5n })
})

t.test('the exact JSON reader', async (t) => {
  const v = parseJsonExact(' {"a": [1, -2.5e+3, "x\\"y", true, null], "__proto__": {"b": 123456789012345678901234567890}} ') as Record<string, unknown>
  const a = v.a as unknown[]
  t.ok(a[0] instanceof RawNumber && (a[0] as RawNumber).text === '1')
  t.equal((a[1] as RawNumber).text, '-2.5e+3')
  t.equal(a[2], 'x"y')
  t.equal(((v.__proto__ as Record<string, RawNumber>).b).text, '123456789012345678901234567890', '__proto__ is an ordinary key')
  for (const bad of ['{', '{"a":1,}', '[1 2]', '01', '"x', 'tru', '{"a":1} x']) t.throws(() => parseJsonExact(bad), SyntaxError, bad)
})
