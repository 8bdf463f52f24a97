// SqlWalk (src/query/sql-walk.ts), the skeleton both SQL compilers share, driven by a toy
// dialect so the contract is pinned apart from PostgreSQL's or GoogleSQL's spelling: what the
// walk writes itself, which hooks it calls, in what order parameters come, and its TypeErrors.
// spellLiteral (src/query/sql-text.ts) with a spelling of its own.
import t from 'tap'
import type { AggExpr, CmpOp, Literal, Plan, SelectItem, TruncUnit } from '../proto/plan.js'
import type { Field, LogicalType } from '../proto/types.js'
import { SqlWalk, type SqlSource } from '../src/query/sql-walk.js'
import { spellLiteral } from '../src/query/sql-text.js'

/** Every hook spelled so the output shows which hook wrote what. */
class Toy extends SqlWalk<string> {
  protected readonly who = 'toy'
  protected readonly maxScale = 3
  constructor(source: SqlSource, protected readonly unlimited: string | null) {
    super(source)
  }
  protected quote(name: string): string { return `[${name}]` }
  protected intParam(text: string): string { this.params.push(text); return `?${this.params.length}` }
  protected aggregate(item: SelectItem, e: AggExpr): string {
    return e.column === null ? 'N()' : `${e.fn}(${this.ref(e.column)}, ${this.scaleOf(item, this.field(e.column))})`
  }
  protected trunc(ref: string, unit: TruncUnit, type: LogicalType): string { return `T(${ref}, ${unit}, ${type})` }
  protected sortKey(sql: string, type: LogicalType, dir: string): string { return `K(${sql}, ${type}) ${dir}` }
  protected compare(column: string, op: CmpOp, value: Literal): string { return `C(${this.ref(column)} ${op} ${String(value)})` }
  protected inList(column: string, values: Literal[]): string { return `I(${this.ref(column)}, ${values.length})` }
  protected like(column: string, pattern: string, ci: boolean): string { return `L(${this.ref(column)}, ${pattern}, ${ci})` }
}

const FIELDS: Field[] = [
  { name: 'n', type: 'decimal', nullable: true, scale: 2 },
  { name: 'ts', type: 'timestamp', nullable: true },
]
const SOURCE: SqlSource = {
  from: 'F',
  columns: new Map([['n', 'vn'], ['ts', 'vts']]),
  fields: new Map(FIELDS.map((f) => [f.name, f])),
}
const base: Plan = { select: [], group: [], aggregate: false, filter: null, order: [], limit: null, offset: 0, columns: [] }
const run = (plan: Partial<Plan>, unlimited: string | null = null, source = SOURCE) => {
  const toy = new Toy(source, unlimited)
  return { sql: toy.compile({ ...base, ...plan }), params: toy.params }
}

t.test('the skeleton: inner value expressions, aliases, where, group, order, limit and offset', async (t) => {
  const { sql, params } = run({
    select: [
      { name: 's', expr: { kind: 'agg', fn: 'sum', column: 'n' }, type: 'decimal' },
      { name: 'b', expr: { kind: 'trunc', column: 'ts', unit: 'day' }, type: 'timestamp' },
      { name: '', expr: { kind: 'agg', fn: 'count', column: null }, type: 'int64' },
      { name: 'x\0', expr: { kind: 'column', column: 'n' }, type: 'decimal' },
    ],
    group: [{ kind: 'trunc', column: 'ts', unit: 'day' }],
    filter: { kind: 'cmp', column: 'n', op: 'gt', value: '1.5' },
    order: [{ output: 0, column: null, desc: true, nullsFirst: true }, { output: null, column: 'ts', desc: false, nullsFirst: false }],
    limit: 9.7, offset: 3.2, columns: ['n', 'ts'],
  })
  t.equal(sql,
    'SELECT sum([t].[n], 2) AS [s], T([t].[ts], day, timestamp) AS [b], N(), [t].[n] ' +
    'FROM (SELECT vn AS [n], vts AS [ts] FROM F AS [src]) AS [t] WHERE C([t].[n] gt 1.5) GROUP BY T([t].[ts], day, timestamp) ' +
    'ORDER BY K(sum([t].[n], 2), decimal) DESC NULLS FIRST, K([t].[ts], timestamp) ASC NULLS LAST LIMIT ?1 OFFSET ?2',
    'the order item by output repeats the expression; names no identifier spells get no alias')
  t.same(params, ['9', '3'])
})

t.test('LIMIT: clamped at 0; an offset alone takes the dialect\'s unlimited, or no LIMIT at all', async (t) => {
  t.match(run({ limit: -4 }).sql, / LIMIT \?1$/)
  t.same(run({ limit: -4 }).params, ['0'])
  t.match(run({ offset: 2 }).sql, /AS \[t\] OFFSET \?1$/)
  t.same(run({ offset: 2 }, 'MAX').params, ['MAX', '2'])
  t.match(run({ offset: 2 }, 'MAX').sql, / LIMIT \?1 OFFSET \?2$/)
  t.same(run({ limit: null, offset: 0 }, 'MAX').params, [], 'neither: no parameters')
})

t.test('the filter tree: empty and/or, not, is; the leaves go to the dialect', async (t) => {
  const { sql } = run({
    filter: {
      kind: 'or', children: [
        { kind: 'and', children: [] },
        { kind: 'or', children: [] },
        { kind: 'not', child: { kind: 'is', column: 'n', value: null } },
        { kind: 'and', children: [{ kind: 'is', column: 'ts', value: true }, { kind: 'is', column: 'ts', value: false }] },
        { kind: 'in', column: 'n', values: ['1', '2'] },
        { kind: 'like', column: 'n', pattern: 'a*', caseInsensitive: true },
      ],
    },
  })
  t.match(sql, / WHERE \(TRUE OR FALSE OR \(NOT \(\[t\]\.\[n\] IS NULL\)\) OR \(\(\[t\]\.\[ts\] IS TRUE\) AND \(\[t\]\.\[ts\] IS FALSE\)\) OR I\(\[t\]\.\[n\], 2\) OR L\(\[t\]\.\[n\], a\*, true\)\)$/)
})

t.test('a plan that does not fit the source is a TypeError naming the compiler', async (t) => {
  const agg = (column: string): SelectItem => ({ name: 'a', expr: { kind: 'agg', fn: 'sum', column }, type: 'decimal' })
  t.throws(() => run({ columns: ['zz'] }), new TypeError('toy: no value expression for column "zz"'))
  t.throws(() => run({ select: [agg('zz')] }), new TypeError('toy: no field for column "zz"'))
  t.throws(() => run({ order: [{ output: 1, column: null, desc: false, nullsFirst: false }] }), new TypeError('toy: order by output 1 of 0'))
  t.throws(() => run({ order: [{ output: null, column: null, desc: false, nullsFirst: false }] }), new TypeError('toy: order item with neither output nor column'))
  t.throws(() => run({ select: [{ ...agg('n'), scale: 4 }] }), new TypeError('toy: bad decimal scale 4'))
  t.throws(() => run({ select: [{ ...agg('n'), scale: 1.5 }] }), new TypeError('toy: bad decimal scale 1.5'))
})

t.test('spellLiteral: the per-type text, with what differs taken from the spelling', async (t) => {
  const spell = { date: (d: number) => `D${d}`, timestamp: (us: bigint) => `TS${us}`, nan: 'nan!', infinity: 'inf!', signedZero: true }
  t.equal(spellLiteral(3, 'date', spell), 'D3')
  t.equal(spellLiteral('2020-01-01', 'date', spell), '2020-01-01', 'text passes through')
  t.equal(spellLiteral(5n, 'timestamp', spell), 'TS5')
  t.equal(spellLiteral(3_723_000_004n, 'time', spell), '01:02:03.000004')
  t.equal(spellLiteral(NaN, 'float64', spell), 'nan!')
  t.equal(spellLiteral(-Infinity, 'float32', spell), '-inf!')
  t.equal(spellLiteral(-0, 'float64', spell), '-0')
  t.equal(spellLiteral(-0, 'float64', { ...spell, signedZero: false }), '0')
  t.equal(spellLiteral('true', 'boolean', spell), 'true')
  t.equal(spellLiteral(7n, 'int64', spell), '7')
})
