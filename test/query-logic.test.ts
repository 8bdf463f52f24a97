// and=(...), or=(...), not.and=(...), not.or=(...): logic trees to any depth (bounded).
import t from 'tap'
import type { Filter } from '../proto/plan.js'
import type { Field } from '../proto/types.js'
import { parseExploreParams } from '../src/query/index.js'
import { fails, messageOf, schema } from './helpers/query.js'

const filter = (...entries: [string, string][]) => parseExploreParams([['select', 'region'], ...entries], schema).plan.filter

t.test('or of comparisons', async t => {
  t.strictSame(filter(['or', '(qty.lt.18,qty.gt.21)']), {
    kind: 'or',
    children: [
      { kind: 'cmp', column: 'qty', op: 'lt', value: 18n },
      { kind: 'cmp', column: 'qty', op: 'gt', value: 21n },
    ],
  })
})

t.test('nested and/or/not.and with col.not.op and every operator form', async t => {
  const expected: Filter = {
    kind: 'or',
    children: [
      { kind: 'cmp', column: 'qty', op: 'lt', value: 18n },
      { kind: 'and', children: [
        { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' },
        { kind: 'not', child: { kind: 'cmp', column: 'small', op: 'eq', value: 2n } },
      ] },
      { kind: 'not', child: { kind: 'and', children: [
        { kind: 'is', column: 'region', value: null },
        { kind: 'in', column: 'qty', values: [1n, 2n] },
        { kind: 'like', column: 'region', pattern: '*x_%', caseInsensitive: true },
      ] } },
      { kind: 'not', child: { kind: 'or', children: [
        { kind: 'is', column: 'active', value: true },
        { kind: 'not', child: { kind: 'is', column: 'ts', value: null } },
      ] } },
    ],
  }
  t.strictSame(
    filter(['or', '(qty.lt.18,and(region.eq.EU,small.not.eq.2),not.and(region.is.null,qty.in.(1,2),region.ilike.*x_%),not.or(active.is.true,ts.not.is.null))']),
    expected,
  )
})

t.test('not.and= and not.or= parameters', async t => {
  t.strictSame(filter(['not.and', '(region.eq.EU,qty.gt.1)']), {
    kind: 'not', child: { kind: 'and', children: [
      { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' },
      { kind: 'cmp', column: 'qty', op: 'gt', value: 1n },
    ] },
  })
  t.strictSame(filter(['not.or', '(region.eq.EU)']), {
    kind: 'not', child: { kind: 'or', children: [{ kind: 'cmp', column: 'region', op: 'eq', value: 'EU' }] },
  })
})

t.test('and= joins the other filters: one flat conjunction, in parameter order', async t => {
  const expected: Filter = {
    kind: 'and',
    children: [
      { kind: 'cmp', column: 'qty', op: 'gte', value: 1n },
      { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' },
      { kind: 'cmp', column: 'small', op: 'lt', value: 3n },
      { kind: 'or', children: [
        { kind: 'is', column: 'active', value: true },
        { kind: 'is', column: 'active', value: null },
      ] },
    ],
  }
  t.strictSame(filter(['qty', 'gte.1'], ['and', '(region.eq.EU,small.lt.3)'], ['or', '(active.is.true,active.is.null)']), expected)
  // a single condition stays itself
  t.strictSame(filter(['and', '(region.eq.EU)']), { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' })
})

t.test('quoted columns and quoted values', async t => {
  t.strictSame(filter(['or', '("unit price".lt.5,"a,b(c)""d".eq."x, (y) ""z""",region.in.("a,b",c),region.eq."")']), {
    kind: 'or',
    children: [
      { kind: 'cmp', column: 'unit price', op: 'lt', value: 5 },
      { kind: 'cmp', column: 'a,b(c)"d', op: 'eq', value: 'x, (y) "z"' },
      { kind: 'in', column: 'region', values: ['a,b', 'c'] },
      { kind: 'cmp', column: 'region', op: 'eq', value: '' },
    ],
  })
})

t.test('unquoted values run to the next comma or parenthesis; dots and colons are fine', async t => {
  t.strictSame(filter(['or', '(ts.gte.2024-03-01T10:00:00.5+02:00,price.lt.1.5e3,region.eq.,region.eq.a b)']), {
    kind: 'or',
    children: [
      { kind: 'cmp', column: 'ts', op: 'gte', value: 1709280000500000n },
      { kind: 'cmp', column: 'price', op: 'lt', value: 1500 },
      { kind: 'cmp', column: 'region', op: 'eq', value: '' },
      { kind: 'cmp', column: 'region', op: 'eq', value: 'a b' },
    ],
  })
})

t.test('spaces before elements are ignored; values keep theirs', async t => {
  fails(t, () => filter(['or', '(qty.gt.5 )']), 'invalid_query', 'or', '"5 "')
  t.strictSame(filter(['or', '( qty.lt.1, and( qty.gt.5))']), {
    kind: 'or',
    children: [
      { kind: 'cmp', column: 'qty', op: 'lt', value: 1n },
      { kind: 'and', children: [{ kind: 'cmp', column: 'qty', op: 'gt', value: 5n }] },
    ],
  })
})

t.test('reserved-word columns are filtered inside and=()', async t => {
  const p = parseExploreParams([['select', 'region'], ['and', '(select.eq.x,"limit".gte.3)']], schema).plan
  t.strictSame(p.filter, {
    kind: 'and',
    children: [
      { kind: 'cmp', column: 'select', op: 'eq', value: 'x' },
      { kind: 'cmp', column: 'limit', op: 'gte', value: 3n },
    ],
  })
  t.strictSame(p.columns, ['region', 'select', 'limit'])
})

t.test('columns named and, or, not', async t => {
  const logicNames: Field[] = [
    { name: 'and', type: 'string', nullable: true },
    { name: 'or', type: 'string', nullable: true },
    { name: 'not', type: 'int32', nullable: true },
  ]
  const p = parseExploreParams([['or', '(and.eq.x,or.not.eq.y,not.eq.1,not.not.in.(2),not.and(not.is.null))'], ['not', 'gt.0']], logicNames).plan
  t.strictSame(p.filter, {
    kind: 'and',
    children: [
      { kind: 'or', children: [
        { kind: 'cmp', column: 'and', op: 'eq', value: 'x' },
        { kind: 'not', child: { kind: 'cmp', column: 'or', op: 'eq', value: 'y' } },
        { kind: 'cmp', column: 'not', op: 'eq', value: 1n },
        { kind: 'not', child: { kind: 'in', column: 'not', values: [2n] } },
        { kind: 'not', child: { kind: 'and', children: [{ kind: 'is', column: 'not', value: null }] } },
      ] },
      { kind: 'cmp', column: 'not', op: 'gt', value: 0n },
    ],
  })
})

t.test('nesting up to 64 levels is accepted, deeper is 422', async t => {
  const nested = (levels: number) => `(${'and('.repeat(levels - 1)}qty.eq.1${')'.repeat(levels)}`
  let f = filter(['or', nested(64)])
  let depth = 0
  while (f !== null && (f.kind === 'or' || f.kind === 'and')) {
    depth++
    f = f.children[0]!
  }
  t.equal(depth, 64)
  fails(t, () => filter(['or', nested(65)]), 'invalid_query', 'or', '64')
  fails(t, () => filter(['and', nested(100_000)]), 'invalid_query', 'and', '64')
})

t.test('errors name the parameter and the token', async t => {
  fails(t, () => filter(['or', '(regon.eq.1)']), 'invalid_query', 'or', '"regon"')
  t.equal(messageOf(() => filter(['or', '(regon.eq.1)'])), 'or: unknown column "regon"')
  fails(t, () => filter(['and', '(qty.eq.x)']), 'invalid_query', 'and', '"x"', 'int32')
  fails(t, () => filter(['not.and', '(qty.eqq.1)']), 'invalid_query', 'not.and', '"eqq"')
  fails(t, () => filter(['not.or', '(region.is.nothing)']), 'invalid_query', 'not.or', '"is.nothing"')
  fails(t, () => filter(['or', 'qty.eq.1']), 'invalid_query', 'or', '"("', '"qty"')
  fails(t, () => filter(['or', '(qty.eq.1']), 'invalid_query', 'or', 'end of input')
  fails(t, () => filter(['or', '(qty.eq.1))']), 'invalid_query', 'or', '")"')
  fails(t, () => filter(['or', '(qty.eq.1)x']), 'invalid_query', 'or', '"x"')
  fails(t, () => filter(['or', '()']), 'invalid_query', 'or', 'empty')
  fails(t, () => filter(['or', '(and())']), 'invalid_query', 'or', 'empty and()')
  fails(t, () => filter(['or', '(qty.eq.1,)']), 'invalid_query', 'or', '")"')
  fails(t, () => filter(['or', '(qty)']), 'invalid_query', 'or', '"."', '"qty"')
  fails(t, () => filter(['or', '(qty.eq)']), 'invalid_query', 'or', '"eq"')
  fails(t, () => filter(['or', '(region.eq.a(b))']), 'invalid_query', 'or', '"a("', 'double-quote')
  fails(t, () => filter(['or', '(region.eq.a"b")']), 'invalid_query', 'or', '"a\\""')
  fails(t, () => filter(['or', '(region.eq."a)']), 'invalid_query', 'or', 'unterminated')
  fails(t, () => filter(['or', '(region.eq."a"b)']), 'invalid_query', 'or', '"b"')
  fails(t, () => filter(['or', '("".eq.x)']), 'invalid_query', 'or', 'empty')
  fails(t, () => filter(['or', '(unit price.eq.1)']), 'invalid_query', 'or', '" price"')
  fails(t, () => filter(['or', '(xor(qty.eq.1))']), 'invalid_query', 'or', '"xor"')
  fails(t, () => filter(['or', '(region.in.())']), 'invalid_query', 'or', 'empty in list')
  fails(t, () => filter(['or', '(region.like.*x*,qty.like.1)']), 'invalid_query', 'or', 'like', '"qty"')
  fails(t, () => filter(['or', '(qty.eq.1)'], ['or', '(qty.eq.2)']), 'invalid_parameter', 'or', 'more than once')
  fails(t, () => filter(['and', '(qty.eq.1)'], ['and', '(qty.eq.2)']), 'invalid_parameter', 'and')
  fails(t, () => filter(['not.or', '(qty.eq.1)'], ['not.or', '(qty.eq.2)']), 'invalid_parameter', 'not.or')
})
