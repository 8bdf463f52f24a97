// POST /explore bodies: the same grammar as the URL, the same plans, and JSON type errors.
import t from 'tap'
import { parseExploreBody, parseExploreParams } from '../src/query/index.js'
import { fails, schema } from './helpers/query.js'

const body = (b: unknown) => parseExploreBody(b, schema)
const url = (...entries: [string, string][]) => parseExploreParams(entries, schema)

t.test('a full body gives the hand-written plan and the same result as the URL', async t => {
  const fromBody = body({
    select: ['region', 'n:count()', 'revenue:amount.sum()'],
    group: 'region',
    order: ['revenue.desc', 'region'],
    filter: 'and(region.in.(EU,"North, South"),qty.gte.10)',
    limit: 5,
    offset: '10',
    format: 'ndjson',
    version: 3,
  })
  t.strictSame(fromBody, {
    plan: {
      select: [
        { name: 'region', expr: { kind: 'column', column: 'region' }, type: 'string' },
        { name: 'n', expr: { kind: 'agg', fn: 'count', column: null }, type: 'int64' },
        { name: 'revenue', expr: { kind: 'agg', fn: 'sum', column: 'amount' }, type: 'decimal', precision: 38, scale: 2 },
      ],
      group: [{ kind: 'column', column: 'region' }],
      aggregate: true,
      filter: {
        kind: 'and',
        children: [
          { kind: 'in', column: 'region', values: ['EU', 'North, South'] },
          { kind: 'cmp', column: 'qty', op: 'gte', value: 10n },
        ],
      },
      order: [
        { output: 2, column: null, desc: true, nullsFirst: true },
        { output: 0, column: null, desc: false, nullsFirst: false },
      ],
      limit: 5,
      offset: 10,
      columns: ['region', 'qty', 'amount'],
    },
    format: 'ndjson',
    readAt: { version: 3, asOf: null },
  })
  t.strictSame(
    fromBody,
    url(
      ['select', 'region,n:count(),revenue:amount.sum()'],
      ['region', 'in.(EU,"North, South")'],
      ['group', 'region'],
      ['qty', 'gte.10'],
      ['order', 'revenue.desc,region'],
      ['limit', '5'],
      ['offset', '10'],
      ['format', 'ndjson'],
      ['version', '3'],
    ),
  )
})

t.test('body and URL agree, form by form', async t => {
  const pairs: [unknown, [string, string][]][] = [
    [{}, []],
    [{ select: '*' }, []],
    [{ select: ['*'] }, []],
    [{ select: [] }, []],
    [{ select: 'region,"unit price"' }, [['select', 'region,"unit price"']]],
    [{ select: ['"a,b(c)""d"', 'd:ts.trunc(day)'] }, [['select', '"a,b(c)""d",d:ts.trunc(day)']]],
    [{ select: 'd:ts.trunc(week),n:count()', group: ['d'] }, [['select', 'd:ts.trunc(week),n:count()'], ['group', 'd']]],
    [{ order: 'qty.desc.nullslast' }, [['order', 'qty.desc.nullslast']]],
    [{ filter: 'region.eq.EU' }, [['region', 'eq.EU']]],
    [{ filter: 'region.not.eq.EU' }, [['region', 'not.eq.EU']]],
    [{ filter: ['region.eq.EU', 'qty.gte.10'] }, [['region', 'eq.EU'], ['qty', 'gte.10']]],
    [{ filter: 'and(region.eq.EU,qty.gte.10)' }, [['and', '(region.eq.EU,qty.gte.10)']]],
    [{ filter: 'or(qty.lt.18,and(active.is.true,"unit price".gt.2))' }, [['or', '(qty.lt.18,and(active.is.true,"unit price".gt.2))']]],
    [{ filter: ['not.or(qty.eq.1,qty.eq.2)'] }, [['not.or', '(qty.eq.1,qty.eq.2)']]],
    [{ filter: 'select.eq.x' }, [['and', '(select.eq.x)']]],
    [{ limit: '7', offset: 0 }, [['limit', '7'], ['offset', '0']]],
    [{ as_of: '2024-03-01T10:00:00Z' }, [['as_of', '2024-03-01T10:00:00Z']]],
    [{ version: '4' }, [['version', '4']]],
    [{ format: 'arrow' }, [['format', 'arrow']]],
  ]
  for (const [b, entries] of pairs) t.strictSame(body(b), url(...entries), JSON.stringify(b))
})

t.test('null values count as absent', async t => {
  t.strictSame(
    body({ select: null, group: null, order: null, filter: null, limit: null, offset: null, version: null, as_of: null, format: null, cursor: null }),
    url(),
  )
})

t.test('a body that is not an object is invalid_query', async t => {
  for (const b of [null, [], 'select=region', 42, true, undefined]) {
    fails(t, () => body(b), 'invalid_query', 'body', 'object')
  }
})

t.test('grammar keys with wrong JSON types are invalid_query', async t => {
  fails(t, () => body({ select: 1 }), 'invalid_query', 'select', 'string')
  fails(t, () => body({ select: { a: 1 } }), 'invalid_query', 'select')
  fails(t, () => body({ select: ['region', 2] }), 'invalid_query', 'select[1]', 'string')
  fails(t, () => body({ group: true }), 'invalid_query', 'group')
  fails(t, () => body({ order: [null] }), 'invalid_query', 'order[0]')
  fails(t, () => body({ filter: 5 }), 'invalid_query', 'filter')
  fails(t, () => body({ filter: { region: 'EU' } }), 'invalid_query', 'filter')
  fails(t, () => body({ filter: ['region.eq.EU', ['qty.eq.1']] }), 'invalid_query', 'filter[1]')
})

t.test('grammar errors name the key (and the array index) and the token', async t => {
  fails(t, () => body({ select: 'regon' }), 'invalid_query', 'select', '"regon"')
  fails(t, () => body({ select: ['region', 'regon'] }), 'invalid_query', 'select[1]', '"regon"')
  fails(t, () => body({ select: ['region,qty'] }), 'invalid_query', 'select[0]', 'one item')
  fails(t, () => body({ select: ['region', '*'] }), 'invalid_query', 'select[1]', '"*"')
  fails(t, () => body({ select: ['region', ''] }), 'invalid_query', 'select[1]', 'one item')
  fails(t, () => body({ group: ['region', 'qty.sum()'], select: 'region' }), 'invalid_query', 'group[1]', '"qty.sum()"')
  fails(t, () => body({ order: ['qty.dsc'] }), 'invalid_query', 'order[0]', '"dsc"')
  fails(t, () => body({ filter: 'regon.eq.1' }), 'invalid_query', 'filter', '"regon"')
  fails(t, () => body({ filter: ['qty.eq.1', 'qty.eq.x'] }), 'invalid_query', 'filter[1]', '"x"')
  fails(t, () => body({ filter: 'region.eq.EU,qty.gte.10' }), 'invalid_query', 'filter', 'one condition', '","')
  fails(t, () => body({ filter: 'and(region.eq.EU' }), 'invalid_query', 'filter', 'end of input')
  fails(t, () => body({ filter: '' }), 'invalid_query', 'filter', 'end of input')
})

t.test('option keys with wrong values are invalid_parameter', async t => {
  for (const v of [-1, 1.5, '1.5', '-1', true, [1], {}, 'ten', 2 ** 60]) {
    fails(t, () => body({ limit: v }), 'invalid_parameter', 'limit')
    fails(t, () => body({ offset: v }), 'invalid_parameter', 'offset')
    fails(t, () => body({ version: v }), 'invalid_parameter', 'version')
  }
  fails(t, () => body({ format: 'xml' }), 'invalid_parameter', 'format', '"xml"')
  fails(t, () => body({ format: ['csv'] }), 'invalid_parameter', 'format')
  fails(t, () => body({ as_of: 1709251200 }), 'invalid_parameter', 'as_of', '1709251200')
  fails(t, () => body({ as_of: 'soon' }), 'invalid_parameter', 'as_of', '"soon"')
  fails(t, () => body({ version: 1, as_of: '2024-03-01' }), 'invalid_parameter', 'as_of', 'version')
  fails(t, () => body({ cursor: 'abc' }), 'invalid_parameter', 'cursor', 'not implemented')
})

t.test('unknown keys are invalid_parameter', async t => {
  fails(t, () => body({ where: 'region.eq.EU' }), 'invalid_parameter', 'where', 'unknown')
  fails(t, () => body({ region: 'eq.EU' }), 'invalid_parameter', 'region', 'unknown')
  fails(t, () => body(JSON.parse('{"__proto__": {"limit": 1}}')), 'invalid_parameter', '__proto__', 'unknown')
})
