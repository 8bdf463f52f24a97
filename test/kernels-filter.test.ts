import t from 'tap'
import { evaluateFilter, filterBatch, FALSE, TRUE, UNKNOWN } from '../workers/kernels/filter.js'
import { compileLike } from '../workers/kernels/like.js'
import type { Filter } from '../proto/plan.js'
import type { Field } from '../proto/types.js'
import { makeColumn, rowsOf } from './helpers/kernels.js'

const fields: Field[] = [
  { name: 'a', type: 'int64', nullable: true },
  { name: 'b', type: 'boolean', nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'x', type: 'float64', nullable: true },
  { name: 'd', type: 'decimal', nullable: true, precision: 10, scale: 2 },
  { name: 'day', type: 'date', nullable: true },
]
const cells = {
  a: [1n, 2n, null, 9007199254740993n, -5n, null],
  b: [1, 0, null, 1, null, 0],
  s: ['x', null, 'y', '😀', '\uffff', ''],
  x: [NaN, 1.5, null, -0, Infinity, 2],
  d: ['1.50', '-2.00', null, '10.00', '1.05', '0.00'],
  day: [0, -1, 19000, null, 5, 6],
}
const batch = { length: 6, columns: fields.map((f) => makeColumn(f, cells[f.name as keyof typeof cells] as never)) }
const T = TRUE, F = FALSE, U = UNKNOWN
const ev = (f: Filter) => [...evaluateFilter(batch, f)]

t.test('comparisons with null are UNKNOWN', async (t) => {
  t.same(ev({ kind: 'cmp', column: 'a', op: 'eq', value: 2n }), [F, T, U, F, F, U])
  t.same(ev({ kind: 'cmp', column: 'a', op: 'neq', value: 2n }), [T, F, U, T, T, U])
  t.same(ev({ kind: 'cmp', column: 'a', op: 'gt', value: 9007199254740992n }), [F, F, U, T, F, U])
  t.same(ev({ kind: 'cmp', column: 'b', op: 'eq', value: true }), [T, F, U, T, U, F])
  t.same(ev({ kind: 'cmp', column: 'd', op: 'gte', value: '1.5' }), [T, F, U, T, F, F])
  t.same(ev({ kind: 'cmp', column: 'day', op: 'lt', value: 0 }), [F, T, F, U, F, F])
  // NaN equals NaN and is above every number (PostgreSQL float semantics); -0 = 0
  t.same(ev({ kind: 'cmp', column: 'x', op: 'gt', value: 1e308 }), [T, F, U, F, T, F])
  t.same(ev({ kind: 'cmp', column: 'x', op: 'eq', value: 0 }), [F, F, U, T, F, F])
  // strings by code point: U+FFFF < U+1F600
  t.same(ev({ kind: 'cmp', column: 's', op: 'gt', value: '\uffff' }), [F, U, F, T, F, F])
  t.same(ev({ kind: 'in', column: 'a', values: [1n, 9007199254740993n] }), [T, F, U, T, F, U])
  t.same(ev({ kind: 'in', column: 'd', values: ['1.5', '0'] }), [T, F, U, F, F, T])
})

t.test('NOT, AND, OR follow SQL three-valued logic', async (t) => {
  const aIs1: Filter = { kind: 'cmp', column: 'a', op: 'eq', value: 1n } // T F U F F U
  const bTrue: Filter = { kind: 'cmp', column: 'b', op: 'eq', value: true } // T F U T U F
  t.same(ev({ kind: 'not', child: aIs1 }), [F, T, U, T, T, U])
  t.same(ev({ kind: 'not', child: { kind: 'not', child: aIs1 } }), [T, F, U, F, F, U])
  // reference truth tables, written out: AND / OR of the two columns row by row
  const and = (x: number, y: number) => (x === F || y === F ? F : x === U || y === U ? U : T)
  const or = (x: number, y: number) => (x === T || y === T ? T : x === U || y === U ? U : F)
  const A = [T, F, U, F, F, U], B = [T, F, U, T, U, F]
  t.same(ev({ kind: 'and', children: [aIs1, bTrue] }), A.map((x, i) => and(x, B[i]!)))
  t.same(ev({ kind: 'or', children: [aIs1, bTrue] }), A.map((x, i) => or(x, B[i]!)))
  t.same(ev({ kind: 'and', children: [bTrue, aIs1] }), A.map((x, i) => and(B[i]!, x)))
  t.same(ev({ kind: 'and', children: [] }), [T, T, T, T, T, T])
  t.same(ev({ kind: 'or', children: [] }), [F, F, F, F, F, F])
  // NOT (a = 1 OR b) keeps UNKNOWN rows out of the result
  const rows = rowsOf(filterBatch(batch, { kind: 'not', child: { kind: 'or', children: [aIs1, bTrue] } }))
  t.same(rows.map((r) => r.a), [2n])
})

t.test('IS NULL / IS TRUE / IS FALSE are never UNKNOWN', async (t) => {
  t.same(ev({ kind: 'is', column: 'a', value: null }), [F, F, T, F, F, T])
  t.same(ev({ kind: 'not', child: { kind: 'is', column: 'a', value: null } }), [T, T, F, T, T, F])
  t.same(ev({ kind: 'is', column: 'b', value: true }), [T, F, F, T, F, F])
  t.same(ev({ kind: 'is', column: 'b', value: false }), [F, T, F, F, F, T])
  t.same(ev({ kind: 'is', column: 'x', value: null }), [F, F, T, F, F, F])
})

t.test('filterBatch keeps TRUE rows of every column', async (t) => {
  const out = filterBatch(batch, { kind: 'cmp', column: 'day', op: 'gte', value: 0 })
  t.same(rowsOf(out), rowsOf(batch).filter((r) => r.day !== null && (r.day as number) >= 0))
  t.equal(filterBatch(batch, { kind: 'and', children: [] }), batch)
})

/** Reference LIKE: a regex built here (escape everything, then map wildcards). */
function refLike(pattern: string, s: string, ci: boolean): boolean {
  let re = ''
  for (const ch of pattern) re += ch === '%' || ch === '*' ? '[^]*' : ch === '_' ? '.' : ch.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&')
  return new RegExp('^' + re + '$', ci ? 'isu' : 'su').test(s)
}

t.test('like / ilike', async (t) => {
  const cases: Array<[string, string, boolean, boolean]> = [
    ['abc', 'abc', false, true],
    ['abc', 'abcd', false, false],
    ['a%', 'abc', false, true],
    ['%c', 'abc', false, true],
    ['%b%', 'abc', false, true],
    ['a*c', 'abbbc', false, true],
    ['a_c', 'abc', false, true],
    ['a_c', 'ac', false, false],
    ['a_c', 'a😀c', false, true], // one code point, two code units
    ['a__c', 'a😀c', false, false],
    ['a.c', 'abc', false, false], // regex metacharacters are literal
    ['a.c', 'a.c', false, true],
    ['(x)+', '(x)+', false, true],
    ['(x)+', 'xx', false, false],
    ['[ab]', 'a', false, false],
    ['[ab]', '[ab]', false, true],
    ['^$', '^$', false, true],
    ['\\d', '\\d', false, true],
    ['\\d', '5', false, false],
    ['a|b', 'a', false, false],
    ['%', '', false, true],
    ['', '', false, true],
    ['_', '', false, false],
    ['%x%', 'line\nx\nend', false, true],
    ['%a%a%a%b', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', false, false],
    ['%ab%', 'aab', false, true],
    ['ABC%', 'abcdef', true, true],
    ['äbc', 'ÄBC', true, true],
    ['ÄB_', 'äb😀', true, true],
    ['abc', 'ABC', false, false],
    ['%É', 'café', true, true],
  ]
  for (const [p, s, ci, want] of cases) {
    t.equal(compileLike(p, ci)(s), want, `${ci ? 'ilike' : 'like'} ${JSON.stringify(p)} ~ ${JSON.stringify(s)}`)
    t.equal(refLike(p, s, ci), want, `reference agrees on ${JSON.stringify(p)}`)
  }
  // random patterns against random strings agree with the reference
  const alpha = ['a', 'b', 'A', '.', '😀', '%', '_', '*', '(', '\n']
  let seed = 1
  const r = () => ((seed = (seed * 16807) % 2147483647) / 2147483647)
  let bad = 0
  for (let k = 0; k < 3000; k++) {
    const p = Array.from({ length: Math.floor(r() * 6) }, () => alpha[Math.floor(r() * alpha.length)]).join('')
    const s = Array.from({ length: Math.floor(r() * 7) }, () => alpha[Math.floor(r() * 5)]).join('')
    const ci = r() < 0.3
    if (compileLike(p, ci)(s) !== refLike(p, s, ci)) bad++
  }
  t.equal(bad, 0)
  // on a batch: null strings are UNKNOWN
  t.same(ev({ kind: 'like', column: 's', pattern: '%', caseInsensitive: false }), [T, U, T, T, T, T])
  t.same(ev({ kind: 'like', column: 'd', pattern: '1.%', caseInsensitive: false }), [T, F, U, F, T, F])
})
