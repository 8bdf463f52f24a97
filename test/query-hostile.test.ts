// Hostile input: bounded item counts and nesting, and linear time on long pathological text
// (no regular expression that can backtrack catastrophically).
import t, { type Test } from 'tap'
import { parseExploreBody, parseExploreParams } from '../src/query/index.js'
import { fails, schema } from './helpers/query.js'

const parse = (...entries: [string, string][]) => parseExploreParams(entries, schema)
const LONG = 1_000_000

/**
 * Runs fn, expecting it to finish (throwing or not) on a 1 MB input. Linear work takes a few
 * ms; quadratic or exponential backtracking on 1 MB takes many minutes. The bound is loose so
 * a loaded CI machine never fails it (it once took 2.3 s next to other test files).
 */
function quick(t: Test, name: string, fn: () => unknown) {
  const started = performance.now()
  try {
    fn()
  } catch {
    // the verdict does not matter here, only the time
  }
  const ms = performance.now() - started
  t.ok(ms < 15_000, `${name}: ${ms.toFixed(0)} ms`)
}

t.test('at most 10000 items per query', async t => {
  t.equal(parse(['select', Array(10_000).fill('region').map((c, i) => `c${i}:${c}`).join(',')]).plan.select.length, 10_000)
  fails(t, () => parse(['select', 'region,'.repeat(10_001)]), 'invalid_query', 'select', '10000')
  fails(t, () => parse(['region', `in.(${'a,'.repeat(10_000)}a)`]), 'invalid_query', 'filter "region"', '10000')
  fails(t, () => parse(['or', `(${'qty.eq.1,'.repeat(10_000)}qty.eq.1)`]), 'invalid_query', 'or', '10000')
  fails(t, () => parse(...Array.from({ length: 10_001 }, (): [string, string] => ['qty', 'eq.1'])), 'invalid_query', 'filter "qty"', '10000')
  fails(t, () => parseExploreBody({ filter: Array(10_001).fill('qty.eq.1') }, schema), 'invalid_query', 'filter[10000]', '10000')
  // the budget is shared across parameters
  fails(t, () => parse(['select', 'region,'.repeat(6000) + 'region'], ['order', 'region,'.repeat(6000) + 'region']), 'invalid_query', 'order', '10000')
})

t.test('nesting is bounded before recursion, whatever the input length', async t => {
  fails(t, () => parse(['or', `(${'and('.repeat(LONG)}`]), 'invalid_query', 'or', '64')
  fails(t, () => parse(['not.and', `(${'not.or('.repeat(LONG)}`]), 'invalid_query', 'not.and', '64')
  fails(t, () => parseExploreBody({ filter: `${'or('.repeat(LONG)}qty.eq.1` }, schema), 'invalid_query', 'filter', '64')
})

t.test('long pathological text is handled in linear time', async t => {
  const cases: [string, [string, string][]][] = [
    ['doubled quotes', [['select', `"${'""'.repeat(LONG / 2)}"`]]],
    ['unterminated quote', [['select', `"${'a'.repeat(LONG)}`]]],
    ['spaces', [['select', `${' '.repeat(LONG)}x`]]],
    ['dots', [['order', `region${'.'.repeat(LONG)}`]]],
    ['order modifiers', [['order', `region${'.asc'.repeat(LONG / 4)}`]]],
    ['decimal fraction zeros', [['amount', `eq.1.${'0'.repeat(LONG)}1`]]],
    ['decimal digits', [['amount', `eq.${'1'.repeat(LONG)}x`]]],
    ['float digits', [['price', `eq.${'1'.repeat(LONG)}x`]]],
    ['float fraction', [['price', `eq.1.${'1'.repeat(LONG)}e`]]],
    ['integer zeros', [['user_id', `eq.${'0'.repeat(LONG)}1`]]],
    ['integer digits', [['user_id', `eq.${'9'.repeat(LONG)}`]]],
    ['timestamp', [['ts', `eq.2024-03-01T10:00:00.${'1'.repeat(LONG)}`]]],
    ['date', [['birth', `eq.${'2024-'.repeat(LONG / 5)}`]]],
    ['tree value', [['or', `(region.eq.${'a'.repeat(LONG)}`]]],
    ['in list quotes', [['region', `in.("${'""'.repeat(LONG / 2)}")`]]],
    ['key', [['x'.repeat(LONG), 'eq.1']]],
  ]
  for (const [name, entries] of cases) quick(t, name, () => parse(...entries))
})

t.test('name and expression look-ups are not quadratic', async t => {
  const n = 4999
  const aliases = Array.from({ length: n }, (_, i) => `c${i}`)
  quick(t, 'group by 4999 aliases', () =>
    parse(['select', aliases.map(a => `${a}:ts.trunc(day)`).join(',')], ['group', aliases.join(',')]))
  quick(t, 'order 4999 times by an unselected expression', () =>
    parse(['select', aliases.map(a => `${a}:region`).join(',')], ['order', Array(n).fill('qty').join(',')]))
})

t.test('error messages cut long tokens short', async t => {
  let message = ''
  try {
    parse(['x'.repeat(LONG), 'eq.1'])
  } catch (e) {
    message = (e as Error).message
  }
  t.ok(message.length < 300, `message length ${message.length}`)
})
