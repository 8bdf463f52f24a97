/**
 * Masking kernel edge cases (workers/kernels/mask.ts) and the strategy table
 * (proto/masking.ts). Agreement with PostgreSQL: test/masking-vectors.test.ts.
 */
import t from 'tap'
import { createHash } from 'node:crypto'
import type { Column } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import { maskedField, stepDecimal, type MaskRule } from '../proto/masking.js'
import { maskColumn, partial, roundFloat, truncDays } from '../workers/kernels/mask.js'
import { textGetter } from '../workers/kernels/text.js'
import { daysFromCivil } from '../workers/kernels/calendar.js'
import { maskSql, maskSqlSupported } from '../src/query/masking-sql.js'

const rule = (strategy: MaskRule['strategy'], params: Record<string, unknown> = {}): MaskRule => ({ column: 'c', strategy, params })
const texts = (c: Column) => { const g = textGetter(c); return Array.from({ length: c.values.length }, (_, i) => g(i)) }
const strings = (vals: (string | null)[]): Column => ({
  name: 'c', type: 'string', values: vals.map((v) => v ?? ''), nulls: Uint8Array.from(vals.map((v) => (v === null ? 1 : 0))),
})
const sha = (s: string) => createHash('sha256').update(s, 'utf8').digest('hex')

t.test('maskedField: result types per strategy', async (t) => {
  const dec: Field = { name: 'c', type: 'decimal', nullable: false, precision: 12, scale: 2 }
  t.same(maskedField(dec, rule('redact')), { name: 'c', type: 'string', nullable: false })
  t.same(maskedField(dec, rule('hash')), { name: 'c', type: 'string', nullable: false })
  t.same(maskedField(dec, rule('null')), { name: 'c', type: 'decimal', nullable: true, precision: 12, scale: 2 })
  t.same(maskedField(dec, rule('round', { step: 1 })), { name: 'c', type: 'decimal', nullable: false, precision: 12, scale: 2 })
  t.same(maskedField({ name: 'd', type: 'date', nullable: true }, rule('date_trunc', { unit: 'week' })), { name: 'd', type: 'date', nullable: true })
  t.same(maskedField({ name: 's', type: 'string', nullable: true }, rule('partial')), { name: 's', type: 'string', nullable: true })
})

t.test('nulls stay null; null strategy nulls everything and keeps the type', async (t) => {
  const c = strings(['a@b.c', null, ''])
  for (const s of ['redact', 'hash', 'partial', 'email'] as const) t.equal(texts(maskColumn(c, rule(s), { salt: 'x' }))[1], null, s)
  const n = maskColumn({ name: 'c', type: 'int64', values: BigInt64Array.from([1n, 2n]), nulls: null }, rule('null'), { salt: '' })
  t.equal(n.type, 'int64')
  t.same(texts(n), [null, null])
})

t.test('a strategy on a type it does not apply to throws', async (t) => {
  const ints: Column = { name: 'c', type: 'int32', values: Int32Array.from([1]), nulls: null }
  t.throws(() => maskColumn(ints, rule('partial'), { salt: '' }), TypeError)
  t.throws(() => maskColumn(ints, rule('email'), { salt: '' }), TypeError)
  t.throws(() => maskColumn(ints, rule('date_trunc', { unit: 'day' }), { salt: '' }), TypeError)
  t.throws(() => maskColumn(strings(['x']), rule('round', { step: 1 }), { salt: '' }), TypeError)
})

t.test('hash: deterministic, salted, truncated; floats by shortest text', async (t) => {
  const c = strings(['v', 'v', 'w'])
  const a = texts(maskColumn(c, rule('hash'), { salt: 's1' }))
  t.equal(a[0], a[1])
  t.not(a[0], a[2])
  t.equal(a[0], sha('s1v'))
  t.not(texts(maskColumn(c, rule('hash'), { salt: 's2' }))[0], a[0])
  t.equal(texts(maskColumn(c, rule('hash', { length: 8 }), { salt: 's1' }))[0], sha('s1v').slice(0, 8))
  const f32: Column = { name: 'c', type: 'float32', values: Float64Array.from([Math.fround(0.1), NaN, -Infinity]), nulls: null }
  t.same(texts(maskColumn(f32, rule('hash'), { salt: '' })), [sha('0.1'), sha('NaN'), sha('-Infinity')])
  const f64: Column = { name: 'c', type: 'float64', values: Float64Array.from([1e21, -0]), nulls: null }
  t.same(texts(maskColumn(f64, rule('hash'), { salt: '' })), [sha('1e+21'), sha('0')])
})

t.test('hash on floats is kernel-only; other strategies push down', async (t) => {
  const f: Field = { name: 'c', type: 'float64', nullable: true }
  t.notOk(maskSqlSupported(rule('hash'), f))
  t.throws(() => maskSql(rule('hash'), 'x', f, '$1'), TypeError)
  t.ok(maskSqlSupported(rule('round', { step: 1 }), f))
  t.ok(maskSqlSupported(rule('redact'), f))
  t.notOk(maskSqlSupported(rule('partial'), f))
})

t.test('partial counts code points', async (t) => {
  t.equal(partial('😀abc😀', 1, 1, '#'), '😀###😀')
  t.equal(partial('😀😀', 1, 1, '#'), '##')
  t.equal(partial('abc', 0, 0, '*'), '***')
  t.equal(partial('abcdef', 10, 0, '*'), '******')
  t.equal(partial('e\u0301tude', 1, 0, '*'), 'e*****', 'combining marks are separate code points')
})

t.test('email: domain after the last @', async (t) => {
  t.same(texts(maskColumn(strings(['x@y@z', '@', 'a@', 'no']), rule('email'), { salt: '' })), ['****@z', '****', '****', '****'])
})

t.test('stepDecimal: exact decimal of the shortest text', async (t) => {
  t.same(stepDecimal(0.1), { digits: '1', scale: 1, text: '0.1' })
  t.same(stepDecimal(2.5), { digits: '25', scale: 1, text: '2.5' })
  t.same(stepDecimal(1e-7), { digits: '1', scale: 7, text: '0.0000001' })
  t.same(stepDecimal(1e21), { digits: '1' + '0'.repeat(21), scale: 0, text: '1' + '0'.repeat(21) })
  t.same(stepDecimal(100), { digits: '100', scale: 0, text: '100' })
  t.same(stepDecimal(1.5e-10), { digits: '15', scale: 11, text: '0.00000000015' })
})

t.test('round on floats: ties away from zero, specials pass through', async (t) => {
  t.equal(roundFloat(2.5, 1), 3)
  t.equal(roundFloat(-2.5, 1), -3)
  t.equal(roundFloat(0.49999999999999994, 1), 0, 'no floor(x + 0.5) trap')
  t.ok(Number.isNaN(roundFloat(NaN, 1)))
  t.equal(roundFloat(Infinity, 3), Infinity)
  const f32: Column = { name: 'c', type: 'float32', values: Float64Array.from([Math.fround(0.3)]), nulls: null }
  const out = maskColumn(f32, rule('round', { step: 0.1 }), { salt: '' }).values as Float64Array
  t.equal(out[0], Math.fround(out[0]!), 'float32 results are float32 values')
})

t.test('round on decimals and integers is exact', async (t) => {
  const dec: Column = { name: 'c', type: 'decimal', values: ['99999999999999999999999999999.999999999', '0.000000050'], nulls: null, precision: 38, scale: 9 }
  t.same(texts(maskColumn(dec, rule('round', { step: 1e-7 }), { salt: '' })), ['99999999999999999999999999999.999999900', '0.000000100'])
  const i64: Column = { name: 'c', type: 'int64', values: BigInt64Array.from([9007199254740993n]), nulls: null }
  t.same(texts(maskColumn(i64, rule('round', { step: 2 }), { salt: '' })), ['9007199254740994'])
})

t.test('date_trunc before 1970 and across years', async (t) => {
  const d = (y: number, m: number, day: number) => daysFromCivil(y, m, day)
  t.equal(truncDays(d(1969, 12, 31), 'week'), d(1969, 12, 29))
  t.equal(truncDays(d(1900, 1, 1), 'week'), d(1900, 1, 1), '1900-01-01 was a Monday')
  t.equal(truncDays(d(2027, 1, 1), 'week'), d(2026, 12, 28))
  t.equal(truncDays(d(1969, 5, 31), 'quarter'), d(1969, 4, 1))
  t.equal(truncDays(d(-44, 3, 15), 'year'), d(-44, 1, 1))
  const ts: Column = { name: 'c', type: 'timestamp', values: BigInt64Array.from([-1n]), nulls: null }
  t.same(texts(maskColumn(ts, rule('date_trunc', { unit: 'month' }), { salt: '' })), ['1969-12-01T00:00:00.000000Z'])
})
