// select=: item forms, aliases, quoting, result types, default names and every error.
import t from 'tap'
import type { Field } from '../proto/types.js'
import { parseExploreParams } from '../src/query/index.js'
import { fails, messageOf, plan, schema } from './helpers/query.js'

const select = (text: string, s: Field[] = schema) => parseExploreParams([['select', text]], s).plan

t.test('no select, select=* and an empty select read every column in schema order', async t => {
  const mini: Field[] = [
    { name: 'region', type: 'string', nullable: true },
    { name: 'amount', type: 'decimal', nullable: true, precision: 9, scale: 3 },
    { name: 'n', type: 'int64', nullable: false },
  ]
  const expected = plan({
    select: [
      { name: 'region', expr: { kind: 'column', column: 'region' }, type: 'string' },
      { name: 'amount', expr: { kind: 'column', column: 'amount' }, type: 'decimal', precision: 9, scale: 3 },
      { name: 'n', expr: { kind: 'column', column: 'n' }, type: 'int64' },
    ],
    columns: ['region', 'amount', 'n'],
  })
  t.strictSame(parseExploreParams([], mini).plan, expected)
  t.strictSame(select('*', mini), expected)
  t.strictSame(select('', mini), expected)
  t.strictSame(select(' * ', mini), expected)
})

t.test('columns, aliases and columns in schema order', async t => {
  t.strictSame(
    select('qty,r:region,"unit price"'),
    plan({
      select: [
        { name: 'qty', expr: { kind: 'column', column: 'qty' }, type: 'int32' },
        { name: 'r', expr: { kind: 'column', column: 'region' }, type: 'string' },
        { name: 'unit price', expr: { kind: 'column', column: 'unit price' }, type: 'float64' },
      ],
      columns: ['region', 'qty', 'unit price'],
    }),
  )
})

t.test('the example from the README', async t => {
  const p = parseExploreParams(
    [['select', 'region,day:ts.trunc(day),n:count(),revenue:amount.sum(),users:user_id.count_distinct()'], ['group', 'region,day']],
    schema,
  ).plan
  t.strictSame(p, {
    select: [
      { name: 'region', expr: { kind: 'column', column: 'region' }, type: 'string' },
      { name: 'day', expr: { kind: 'trunc', column: 'ts', unit: 'day' }, type: 'timestamp' },
      { name: 'n', expr: { kind: 'agg', fn: 'count', column: null }, type: 'int64' },
      { name: 'revenue', expr: { kind: 'agg', fn: 'sum', column: 'amount' }, type: 'decimal', precision: 38, scale: 2 },
      { name: 'users', expr: { kind: 'agg', fn: 'count_distinct', column: 'user_id' }, type: 'int64' },
    ],
    group: [{ kind: 'column', column: 'region' }, { kind: 'trunc', column: 'ts', unit: 'day' }],
    aggregate: true,
    filter: null,
    order: [],
    limit: null,
    offset: 0,
    columns: ['region', 'ts', 'user_id', 'amount'],
  })
})

t.test('result types of every function', async t => {
  const cases: [string, object][] = [
    ['count()', { type: 'int64' }],
    ['region.count()', { type: 'int64' }],
    ['payload.count_distinct()', { type: 'int64' }],
    ['small.sum()', { type: 'int64' }],
    ['qty.sum()', { type: 'int64' }],
    ['user_id.sum()', { type: 'int64' }],
    ['ratio.sum()', { type: 'float64' }],
    ['price.sum()', { type: 'float64' }],
    ['amount.sum()', { type: 'decimal', precision: 38, scale: 2 }],
    ['cents.sum()', { type: 'decimal', precision: 38, scale: 0 }],
    ['small.avg()', { type: 'float64' }],
    ['user_id.avg()', { type: 'float64' }],
    ['ratio.avg()', { type: 'float64' }],
    ['amount.avg()', { type: 'decimal', precision: 38, scale: 2 }],
    ['amount.min()', { type: 'decimal', precision: 12, scale: 2 }],
    ['amount.max()', { type: 'decimal', precision: 12, scale: 2 }],
    ['small.max()', { type: 'int16' }],
    ['ratio.min()', { type: 'float32' }],
    ['region.min()', { type: 'string' }],
    ['birth.max()', { type: 'date' }],
    ['ts.min()', { type: 'timestamp' }],
    ['at.max()', { type: 'time' }],
    ['active.min()', { type: 'boolean' }],
  ]
  for (const [text, type] of cases) {
    const [item] = select(`x:${text}`).select
    t.strictSame({ ...item, name: undefined, expr: undefined }, { ...type, name: undefined, expr: undefined }, text)
  }
})

t.test('trunc: every unit; keeps the date or timestamp type', async t => {
  for (const unit of ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year'] as const) {
    t.strictSame(select(`b:ts.trunc(${unit})`).select, [
      { name: 'b', expr: { kind: 'trunc', column: 'ts', unit }, type: 'timestamp' },
    ])
    t.strictSame(select(`b:birth.trunc(${unit})`).select, [
      { name: 'b', expr: { kind: 'trunc', column: 'birth', unit }, type: 'date' },
    ])
  }
})

t.test('default output names: the column, or the function for an aggregate', async t => {
  const p = parseExploreParams([['select', 'ts.trunc(month),count(),qty.sum()'], ['group', 'ts']], schema).plan
  t.strictSame(p.select.map(s => s.name), ['ts', 'count', 'sum'])
})

t.test('quoted names: spaces, commas, parentheses and doubled quotes', async t => {
  t.strictSame(select('"a,b(c)""d",p:"unit price"'), plan({
    select: [
      { name: 'a,b(c)"d', expr: { kind: 'column', column: 'a,b(c)"d' }, type: 'string' },
      { name: 'p', expr: { kind: 'column', column: 'unit price' }, type: 'float64' },
    ],
    columns: ['unit price', 'a,b(c)"d'],
  }))
  t.strictSame(select('"my: alias":"a,b(c)""d".max(),"x""y":"unit price".sum()').select, [
    { name: 'my: alias', expr: { kind: 'agg', fn: 'max', column: 'a,b(c)"d' }, type: 'string' },
    { name: 'x"y', expr: { kind: 'agg', fn: 'sum', column: 'unit price' }, type: 'float64' },
  ])
  // a plain identifier may be quoted too
  t.strictSame(select('"region"').select, [{ name: 'region', expr: { kind: 'column', column: 'region' }, type: 'string' }])
})

t.test('spaces around items are ignored', async t => {
  const p = parseExploreParams([['select', ' region , n:count() '], ['group', ' region ']], schema).plan
  t.strictSame(p.select.map(s => s.name), ['region', 'n'])
})

t.test('a reserved word is an ordinary column name in select', async t => {
  t.strictSame(select('select,limit').columns, ['select', 'limit'])
})

t.test('errors name the parameter and the token', async t => {
  fails(t, () => select('regon'), 'invalid_query', 'select', '"regon"')
  t.equal(messageOf(() => select('regon')), 'select: unknown column "regon"')
  fails(t, () => select('qty.total()'), 'invalid_query', 'select', '"total"')
  fails(t, () => select('sum()'), 'invalid_query', 'select', '"sum"')
  fails(t, () => select('"count"()'), 'invalid_query', 'select', '"count"')
  fails(t, () => select('count(qty)'), 'invalid_query', 'select', '"qty"')
  fails(t, () => select('qty.sum(x)'), 'invalid_query', 'select', '"x"')
  fails(t, () => select('ts.trunc(days)'), 'invalid_query', 'select', '"days"')
  fails(t, () => select('ts.trunc()'), 'invalid_query', 'select', 'trunc')
  fails(t, () => select('qty.trunc(day)'), 'invalid_query', 'select', '"qty.trunc(day)"', 'int32')
  fails(t, () => select('region.sum()'), 'invalid_query', 'select', '"region.sum()"', 'numeric')
  fails(t, () => select('active.avg()'), 'invalid_query', 'select', '"active.avg()"')
  fails(t, () => select('ts.avg()'), 'invalid_query', 'select', '"ts.avg()"')
  fails(t, () => select('blob.min()'), 'invalid_query', 'select', '"blob.min()"')
  fails(t, () => select('payload.max()'), 'invalid_query', 'select', '"payload.max()"')
  fails(t, () => select('regon.sum()'), 'invalid_query', 'select', '"regon"')
  fails(t, () => select('region,region'), 'invalid_query', 'select', 'duplicate', '"region"')
  fails(t, () => select('qty.sum(),price.sum()'), 'invalid_query', 'select', 'duplicate', '"sum"')
  fails(t, () => select('qty,qty:region'), 'invalid_query', 'select', 'duplicate', '"qty"')
  fails(t, () => select('*,region'), 'invalid_query', 'select', '"*"')
  fails(t, () => select('region,*'), 'invalid_query', 'select', '"*"')
  fails(t, () => select('"unit price'), 'invalid_query', 'select', 'unterminated', '"\\"unit price"')
  fails(t, () => select('""'), 'invalid_query', 'select', 'empty')
  fails(t, () => select('"":qty'), 'invalid_query', 'select', 'empty')
  fails(t, () => select('region,,qty'), 'invalid_query', 'select', '","')
  fails(t, () => select('region,'), 'invalid_query', 'select', 'end of input')
  fails(t, () => select('unit price'), 'invalid_query', 'select', '"unit"', '"price"')
  fails(t, () => select('my-col'), 'invalid_query', 'select', '"my"', '"-col"')
  fails(t, () => select('a:b:qty'), 'invalid_query', 'select', '":"')
  fails(t, () => select('qty.'), 'invalid_query', 'select', '"qty"')
  fails(t, () => select('1abc'), 'invalid_query', 'select', '"1abc"')
})

t.test('an aggregate select without group rejects plain columns', async t => {
  fails(t, () => select('region,n:count()'), 'invalid_query', 'select', '"region"', 'group')
  fails(t, () => select('ts.trunc(day),n:count()'), 'invalid_query', 'select', '"ts.trunc(day)"')
})

t.test('select given twice is invalid_parameter', async t => {
  fails(t, () => parseExploreParams([['select', 'region'], ['select', 'qty']], schema), 'invalid_parameter', 'select')
})
