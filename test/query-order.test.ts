// order=, limit=, offset=, format=, version=, as_of=, cursor= and reserved-parameter repeats.
import t from 'tap'
import { parseExploreParams } from '../src/query/index.js'
import { fails, messageOf, plan, schema } from './helpers/query.js'

const parse = (...entries: [string, string][]) => parseExploreParams(entries, schema)

t.test('order by output names, with directions and resolved null placement', async t => {
  const p = parse(
    ['select', 'region,revenue:amount.sum(),n:count()'],
    ['group', 'region'],
    ['order', 'revenue.desc.nullslast,region,n.desc,count().asc.nullsfirst,region.nullsfirst'],
  ).plan
  t.strictSame(p.order, [
    { output: 1, column: null, desc: true, nullsFirst: false },
    { output: 0, column: null, desc: false, nullsFirst: false },
    { output: 2, column: null, desc: true, nullsFirst: true },
    { output: 2, column: null, desc: false, nullsFirst: true },
    { output: 0, column: null, desc: false, nullsFirst: true },
  ])
})

t.test('an expression orders by the select item it equals', async t => {
  const p = parse(['select', 'd:ts.trunc(day),t:amount.sum()'], ['group', 'd'], ['order', 'amount.sum().desc,ts.trunc(day)']).plan
  t.strictSame(p.order, [
    { output: 1, column: null, desc: true, nullsFirst: true },
    { output: 0, column: null, desc: false, nullsFirst: false },
  ])
})

t.test('output names win over source columns; an aliased column is found by expression', async t => {
  // "qty" is the output name of region here
  t.strictSame(parse(['select', 'price,qty:region'], ['order', 'qty']).plan.order, [
    { output: 1, column: null, desc: false, nullsFirst: false },
  ])
  // region is selected under the alias r, also in an aggregate plan
  t.strictSame(parse(['select', 'r:region,n:count()'], ['group', 'r'], ['order', 'region.desc']).plan.order, [
    { output: 0, column: null, desc: true, nullsFirst: true },
  ])
})

t.test('a source column outside the output orders a non-aggregate plan and is read', async t => {
  t.strictSame(
    parse(['select', 'region'], ['order', '"unit price".desc,qty']).plan,
    plan({
      select: [{ name: 'region', expr: { kind: 'column', column: 'region' }, type: 'string' }],
      order: [
        { output: null, column: 'unit price', desc: true, nullsFirst: true },
        { output: null, column: 'qty', desc: false, nullsFirst: false },
      ],
      columns: ['region', 'qty', 'unit price'],
    }),
  )
})

t.test('order errors name the parameter and the token', async t => {
  const agg: [string, string][] = [['select', 'region,revenue:amount.sum()'], ['group', 'region']]
  t.equal(
    messageOf(() => parse(...agg, ['order', 'revenue.dsc'])),
    'order: expected asc|desc|nullsfirst|nullslast after "revenue", got "dsc"',
  )
  fails(t, () => parse(...agg, ['order', 'revenue.asc.desc']), 'invalid_query', 'order', 'nullsfirst|nullslast', '"revenue.asc"', '"desc"')
  fails(t, () => parse(...agg, ['order', 'revenue.nullslast.desc']), 'invalid_query', 'order', '"revenue.nullslast"', '"."')
  fails(t, () => parse(...agg, ['order', 'revenue.']), 'invalid_query', 'order', '"revenue"', 'end of input')
  fails(t, () => parse(...agg, ['order', 'revenue.desc.']), 'invalid_query', 'order', '"revenue.desc"')
  fails(t, () => parse(...agg, ['order', 'revenu']), 'invalid_query', 'order', '"revenu"')
  fails(t, () => parse(...agg, ['order', 'qty']), 'invalid_query', 'order', '"qty"', 'aggregate')
  fails(t, () => parse(...agg, ['order', 'qty.sum()']), 'invalid_query', 'order', '"qty.sum()"', 'not in select')
  fails(t, () => parse(...agg, ['order', 'regon.max()']), 'invalid_query', 'order', '"regon"')
  fails(t, () => parse(['select', 'region'], ['order', 'ts.trunc(day)']), 'invalid_query', 'order', '"ts.trunc(day)"')
  fails(t, () => parse(...agg, ['order', 'region,,revenue']), 'invalid_query', 'order', '","')
  fails(t, () => parse(...agg, ['order', 'region'], ['order', 'revenue']), 'invalid_parameter', 'order', 'more than once')
})

t.test('limit and offset', async t => {
  t.equal(parse(['limit', '10']).plan.limit, 10)
  t.equal(parse(['limit', '0']).plan.limit, 0)
  t.equal(parse().plan.limit, null)
  t.equal(parse().plan.offset, 0)
  t.equal(parse(['offset', '25']).plan.offset, 25)
  for (const key of ['limit', 'offset']) {
    for (const bad of ['-1', 'abc', '1.5', '', ' 1', '1e3', '9999999999999999', '0x10']) {
      fails(t, () => parse([key, bad]), 'invalid_parameter', key, JSON.stringify(bad))
    }
    fails(t, () => parse([key, '1'], [key, '2']), 'invalid_parameter', key, 'more than once')
  }
})

t.test('format', async t => {
  t.equal(parse().format, null)
  for (const f of ['json', 'ndjson', 'csv', 'arrow'] as const) t.equal(parse(['format', f]).format, f)
  fails(t, () => parse(['format', 'xml']), 'invalid_parameter', 'format', '"xml"', 'json, ndjson, csv, arrow')
  fails(t, () => parse(['format', 'JSON']), 'invalid_parameter', 'format', '"JSON"')
  fails(t, () => parse(['format', 'csv'], ['format', 'json']), 'invalid_parameter', 'format')
})

t.test('version and as_of', async t => {
  t.strictSame(parse().readAt, { version: null, asOf: null })
  t.strictSame(parse(['version', '0']).readAt, { version: 0, asOf: null })
  t.strictSame(parse(['version', '12']).readAt, { version: 12, asOf: null })
  // normalized to UTC, rounded down to the millisecond
  t.strictSame(parse(['as_of', '2024-03-01T10:00:00.123999+02:00']).readAt, { version: null, asOf: '2024-03-01T08:00:00.123Z' })
  t.strictSame(parse(['as_of', '2024-03-01']).readAt, { version: null, asOf: '2024-03-01T00:00:00.000Z' })
  fails(t, () => parse(['version', '-1']), 'invalid_parameter', 'version', '"-1"')
  fails(t, () => parse(['version', 'latest']), 'invalid_parameter', 'version', '"latest"')
  fails(t, () => parse(['as_of', 'yesterday']), 'invalid_parameter', 'as_of', '"yesterday"')
  fails(t, () => parse(['as_of', '2024-02-30']), 'invalid_parameter', 'as_of', '"2024-02-30"')
  fails(t, () => parse(['version', '1'], ['as_of', '2024-03-01']), 'invalid_parameter', 'as_of', 'version')
  fails(t, () => parse(['as_of', '2024-03-01'], ['version', '1']), 'invalid_parameter', 'as_of', 'version')
  fails(t, () => parse(['version', '1'], ['version', '2']), 'invalid_parameter', 'version', 'more than once')
  fails(t, () => parse(['as_of', '2024-03-01'], ['as_of', '2024-03-02']), 'invalid_parameter', 'as_of', 'more than once')
})

t.test('cursor is reserved and not implemented', async t => {
  fails(t, () => parse(['cursor', 'abc']), 'invalid_parameter', 'cursor', 'not implemented')
  fails(t, () => parse(['cursor', '']), 'invalid_parameter', 'cursor', 'not implemented')
})
