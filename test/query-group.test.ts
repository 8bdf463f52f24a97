// group=: aliases, source columns and scalar expressions as keys; the aggregate rules.
import t from 'tap'
import { parseExploreParams } from '../src/query/index.js'
import { fails, messageOf, schema } from './helpers/query.js'

const q = (select: string, group?: string) =>
  parseExploreParams(group === undefined ? [['select', select]] : [['select', select], ['group', group]], schema).plan

t.test('a group key may be an alias, a source column or a scalar expression', async t => {
  const byAlias = q('region,day:ts.trunc(day),n:count()', 'region,day')
  const byExpr = q('region,day:ts.trunc(day),n:count()', 'region,ts.trunc(day)')
  const expectedGroup = [
    { kind: 'column', column: 'region' },
    { kind: 'trunc', column: 'ts', unit: 'day' },
  ]
  t.strictSame(byAlias.group, expectedGroup)
  t.strictSame(byExpr.group, expectedGroup)
  t.equal(byAlias.aggregate, true)
  t.strictSame(byAlias, byExpr)
})

t.test('an alias wins over a source column of the same name', async t => {
  // "qty" is also a column, but the select item named qty is region
  const p = q('qty:region,n:count()', 'qty')
  t.strictSame(p.group, [{ kind: 'column', column: 'region' }])
  t.strictSame(p.columns, ['region'])
})

t.test('a select item without alias matches a key by expression', async t => {
  const p = q('ts.trunc(month),total:amount.sum()', 'ts.trunc(month)')
  t.strictSame(p.select, [
    { name: 'ts', expr: { kind: 'trunc', column: 'ts', unit: 'month' }, type: 'timestamp' },
    { name: 'total', expr: { kind: 'agg', fn: 'sum', column: 'amount' }, type: 'decimal', precision: 38, scale: 2 },
  ])
  t.strictSame(p.group, [{ kind: 'trunc', column: 'ts', unit: 'month' }])
})

t.test('quoted names in group', async t => {
  const p = q('"a,b(c)""d","unit price".avg()', '"a,b(c)""d"')
  t.strictSame(p.group, [{ kind: 'column', column: 'a,b(c)"d' }])
  t.strictSame(p.columns, ['unit price', 'a,b(c)"d'])
})

t.test('a group key need not be selected, and its column is read', async t => {
  const p = q('n:count()', 'region,birth.trunc(year)')
  t.strictSame(p.group, [{ kind: 'column', column: 'region' }, { kind: 'trunc', column: 'birth', unit: 'year' }])
  t.strictSame(p.columns, ['region', 'birth'])
  t.equal(p.aggregate, true)
})

t.test('aggregates without group: one row', async t => {
  const p = q('n:count(),top:price.max()')
  t.strictSame(p.group, [])
  t.equal(p.aggregate, true)
  t.strictSame(p.columns, ['price'])
})

t.test('group without aggregates is an aggregate plan (distinct rows)', async t => {
  const p = q('region', 'region')
  t.equal(p.aggregate, true)
  t.strictSame(p.group, [{ kind: 'column', column: 'region' }])
})

t.test('no select with group: every column must be a key', async t => {
  fails(t, () => parseExploreParams([['group', 'region']], schema), 'invalid_query', 'select', '"ts"', 'group')
})

t.test('repeated keys collapse, and an empty group is no group', async t => {
  t.strictSame(q('region,n:count()', 'region,region').group, [{ kind: 'column', column: 'region' }])
  const p = q('region', '')
  t.equal(p.aggregate, false)
  t.strictSame(p.group, [])
})

t.test('errors', async t => {
  fails(t, () => q('n:count()', 'qty.sum()'), 'invalid_query', 'group', '"qty.sum()"', 'aggregate')
  fails(t, () => q('n:count()', 'count()'), 'invalid_query', 'group', '"count()"')
  fails(t, () => q('region,n:count()', 'region,n'), 'invalid_query', 'group', '"n"', '"count()"')
  fails(t, () => q('n:count()', 'regon'), 'invalid_query', 'group', '"regon"')
  t.equal(messageOf(() => q('n:count()', 'regon')), 'group: unknown column or alias "regon"')
  fails(t, () => q('n:count()', 'regon.trunc(day)'), 'invalid_query', 'group', '"regon"')
  fails(t, () => q('n:count()', 'qty.trunc(day)'), 'invalid_query', 'group', '"qty.trunc(day)"')
  fails(t, () => q('n:count()', 'ts.trunc(fortnight)'), 'invalid_query', 'group', '"fortnight"')
  fails(t, () => q('n:count()', 'region.'), 'invalid_query', 'group', '"region"')
  fails(t, () => q('n:count()', 'region;qty'), 'invalid_query', 'group', '"region"', '";qty"')
  fails(t, () => q('n:count()', '"region'), 'invalid_query', 'group', 'unterminated')
})

t.test('every non-aggregate item must be a group key', async t => {
  fails(t, () => q('region,qty,n:count()', 'region'), 'invalid_query', 'select', '"qty"', 'group')
  // the key is the day bucket, not the raw timestamp
  fails(t, () => q('ts,n:count()', 'ts.trunc(day)'), 'invalid_query', 'select', '"ts"')
  // another unit is another expression
  fails(t, () => q('m:ts.trunc(month),n:count()', 'ts.trunc(day)'), 'invalid_query', 'select', '"ts.trunc(month)"')
})

t.test('group given twice is invalid_parameter', async t => {
  fails(t, () => parseExploreParams([['group', 'region'], ['group', 'qty']], schema), 'invalid_parameter', 'group')
})
