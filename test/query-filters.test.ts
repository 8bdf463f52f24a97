// Filter parameters: `col=[not.]op.value` for every operator, in-lists, is, like, repeats.
import t from 'tap'
import type { Filter } from '../proto/plan.js'
import { parseExploreParams } from '../src/query/index.js'
import { fails, messageOf, schema } from './helpers/query.js'

const filter = (...entries: [string, string][]) => parseExploreParams([['select', 'region'], ...entries], schema).plan.filter

t.test('comparison operators', async t => {
  for (const op of ['eq', 'neq', 'gt', 'gte', 'lt', 'lte'] as const) {
    t.strictSame(filter(['qty', `${op}.10`]), { kind: 'cmp', column: 'qty', op, value: 10n }, op)
  }
  t.strictSame(filter(['region', 'eq.EU']), { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' })
})

t.test('not. negates any operator', async t => {
  t.strictSame(filter(['region', 'not.eq.EU']), {
    kind: 'not', child: { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' },
  })
  t.strictSame(filter(['qty', 'not.in.(1,2)']), {
    kind: 'not', child: { kind: 'in', column: 'qty', values: [1n, 2n] },
  })
  t.strictSame(filter(['region', 'not.is.null']), {
    kind: 'not', child: { kind: 'is', column: 'region', value: null },
  })
  t.strictSame(filter(['region', 'not.like.*x*']), {
    kind: 'not', child: { kind: 'like', column: 'region', pattern: '*x*', caseInsensitive: false },
  })
})

t.test('the value after the operator is taken as written', async t => {
  t.strictSame(filter(['region', 'eq.a,b(c).d']), { kind: 'cmp', column: 'region', op: 'eq', value: 'a,b(c).d' })
  t.strictSame(filter(['region', 'eq."quoted"']), { kind: 'cmp', column: 'region', op: 'eq', value: '"quoted"' })
  t.strictSame(filter(['region', 'eq.']), { kind: 'cmp', column: 'region', op: 'eq', value: '' })
  t.strictSame(filter(['region', 'eq. padded ']), { kind: 'cmp', column: 'region', op: 'eq', value: ' padded ' })
})

t.test('in lists: raw or double-quoted values', async t => {
  t.strictSame(filter(['region', 'in.(a,b,"c,d")']), { kind: 'in', column: 'region', values: ['a', 'b', 'c,d'] })
  t.strictSame(filter(['region', 'in.("say ""hi""","(x)",,"")']), {
    kind: 'in', column: 'region', values: ['say "hi"', '(x)', '', ''],
  })
  t.strictSame(filter(['qty', 'in.(1,"2",-3)']), { kind: 'in', column: 'qty', values: [1n, 2n, -3n] })
  t.strictSame(filter(['birth', 'in.(1970-01-02,2024-03-01)']), { kind: 'in', column: 'birth', values: [1, 19783] })
  t.strictSame(filter(['amount', 'in.(1.5,2)']), { kind: 'in', column: 'amount', values: ['1.50', '2.00'] })
})

t.test('like and ilike keep the pattern as written', async t => {
  t.strictSame(filter(['region', 'like.E*_%']), { kind: 'like', column: 'region', pattern: 'E*_%', caseInsensitive: false })
  t.strictSame(filter(['region', 'ilike.*eu*']), { kind: 'like', column: 'region', pattern: '*eu*', caseInsensitive: true })
})

t.test('is: null on any column, true/false on booleans', async t => {
  t.strictSame(filter(['qty', 'is.null']), { kind: 'is', column: 'qty', value: null })
  t.strictSame(filter(['blob', 'is.null']), { kind: 'is', column: 'blob', value: null })
  t.strictSame(filter(['active', 'is.true']), { kind: 'is', column: 'active', value: true })
  t.strictSame(filter(['active', 'is.false']), { kind: 'is', column: 'active', value: false })
  t.strictSame(filter(['active', 'eq.true']), { kind: 'cmp', column: 'active', op: 'eq', value: true })
})

t.test('repeated keys and different keys AND together in order', async t => {
  const expected: Filter = {
    kind: 'and',
    children: [
      { kind: 'cmp', column: 'qty', op: 'gte', value: 1n },
      { kind: 'cmp', column: 'region', op: 'eq', value: 'EU' },
      { kind: 'cmp', column: 'qty', op: 'lte', value: 9n },
    ],
  }
  t.strictSame(filter(['qty', 'gte.1'], ['region', 'eq.EU'], ['qty', 'lte.9']), expected)
})

t.test('keys are column names written as is: spaces, commas, quotes', async t => {
  t.strictSame(filter(['unit price', 'lt.200']), { kind: 'cmp', column: 'unit price', op: 'lt', value: 200 })
  t.strictSame(filter(['a,b(c)"d', 'eq.x']), { kind: 'cmp', column: 'a,b(c)"d', op: 'eq', value: 'x' })
})

t.test('filtered columns are read, in schema order', async t => {
  const p = parseExploreParams([['select', 'qty'], ['active', 'is.true'], ['region', 'eq.EU']], schema).plan
  t.strictSame(p.columns, ['region', 'qty', 'active'])
})

t.test('a reserved name is not a filter key (use and=(...) for such columns)', async t => {
  fails(t, () => filter(['limit', 'eq.5']), 'invalid_parameter', 'limit')
  fails(t, () => filter(['select', 'eq.x']), 'invalid_parameter', 'select', 'more than once')
})

t.test('errors name the parameter and the token', async t => {
  fails(t, () => filter(['regon', 'eq.EU']), 'invalid_query', 'filter "regon"', '"regon"')
  t.equal(messageOf(() => filter(['regon', 'eq.EU'])), 'filter "regon": unknown column "regon"')
  fails(t, () => filter(['Region', 'eq.EU']), 'invalid_query', 'filter "Region"', 'unknown column')
  fails(t, () => filter(['region', 'eqq.EU']), 'invalid_query', 'filter "region"', '"eqq"')
  fails(t, () => filter(['region', 'EU']), 'invalid_query', 'filter "region"', '"EU"', 'operator')
  fails(t, () => filter(['region', '']), 'invalid_query', 'filter "region"', 'end of input')
  fails(t, () => filter(['region', 'eq']), 'invalid_query', 'filter "region"', '"eq"', 'end of input')
  fails(t, () => filter(['region', 'not.EU']), 'invalid_query', 'filter "region"', '"EU"')
  fails(t, () => filter(['region', 'not.not.eq.x']), 'invalid_query', 'filter "region"', '"not"')
  fails(t, () => filter(['region', 'not']), 'invalid_query', 'filter "region"', '"not"')
  fails(t, () => filter(['region', 'in.a,b']), 'invalid_query', 'filter "region"', '"("', '"a"')
  fails(t, () => filter(['region', 'in.()']), 'invalid_query', 'filter "region"', 'empty in list')
  fails(t, () => filter(['region', 'in.(a,b']), 'invalid_query', 'filter "region"', 'end of input')
  fails(t, () => filter(['region', 'in.(a)b']), 'invalid_query', 'filter "region"', '"b"')
  fails(t, () => filter(['region', 'in.(a(b))']), 'invalid_query', 'filter "region"', '"a("')
  fails(t, () => filter(['region', 'in.("a"b)']), 'invalid_query', 'filter "region"', '"b"', '"a"')
  fails(t, () => filter(['region', 'in.("a)']), 'invalid_query', 'filter "region"', 'unterminated')
  fails(t, () => filter(['qty', 'in.(1,x)']), 'invalid_query', 'filter "qty"', '"x"', 'int32')
  fails(t, () => filter(['qty', 'eq.abc']), 'invalid_query', 'filter "qty"', '"abc"', 'int32', '"qty"')
  fails(t, () => filter(['region', 'is.maybe']), 'invalid_query', 'filter "region"', '"is.maybe"')
  fails(t, () => filter(['region', 'is.NULL']), 'invalid_query', 'filter "region"', '"is.NULL"')
  fails(t, () => filter(['region', 'is.true']), 'invalid_query', 'filter "region"', 'boolean', '"region"')
  fails(t, () => filter(['qty', 'is.false']), 'invalid_query', 'filter "qty"', 'boolean')
  fails(t, () => filter(['qty', 'like.1*']), 'invalid_query', 'filter "qty"', 'like', '"qty"', 'int32')
  fails(t, () => filter(['payload', 'ilike.*x*']), 'invalid_query', 'filter "payload"', 'ilike')
  fails(t, () => filter(['blob', 'eq.AAAA']), 'invalid_query', 'filter "blob"', '"blob"', 'binary')
  fails(t, () => filter(['blob', 'is.true']), 'invalid_query', 'filter "blob"', 'boolean')
  fails(t, () => filter(['active', 'eq.yes']), 'invalid_query', 'filter "active"', '"yes"')
})
