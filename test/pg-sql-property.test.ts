// Property test: for random explore queries (parsed by the real parser, so only valid plans),
// the SQL compilePostgres makes runs on PostgreSQL without a syntax error, carries no value
// text, and returns the rows our own engine (workers/kernels/execute.ts, the code the
// lakehouse scan runs) returns for the same plan over the same rows.
import t from 'tap'
import fc from 'fast-check'
import type { Batch } from '../proto/batch.js'
import type { Filter, Plan } from '../proto/plan.js'
import type { Field, LogicalType } from '../proto/types.js'
import { compilePostgres, parseExploreParams } from '../src/query/index.js'
import { formatDate, formatTimestamp, formatTime } from '../src/query/postgres-sql.js'
import { daysFromCivil, parseDate, parseTime, parseTimestamp } from '../src/query/temporal.js'
import { writeName } from '../src/query/reader.js'
import { discoverColumns, sourceQueryFrom, sourceTableFrom } from '../src/connectors/postgres-discover.js'
import { valueExpr } from '../src/connectors/postgres-types.js'
import { quoteIdent } from '../src/query/index.js'
import { executePlan } from '../workers/kernels/execute.js'
import { sliceBatch } from '../workers/kernels/column.js'
import { drain, fromArray, makeColumn, rng } from './helpers/kernels.js'
import { pgTestDatabase } from './helpers/pg.js'

const NUM_RUNS = Number(process.env.PG_PROPERTY_RUNS ?? 400)
const ROWS = 200

/** [name, PostgreSQL type, logical field] */
const COLUMNS: Array<[string, string, Field]> = [
  ['id', 'int8 NOT NULL', { name: 'id', type: 'int64', nullable: false }],
  ['i8', 'int8', { name: 'i8', type: 'int64', nullable: true }],
  ['i4', 'int4', { name: 'i4', type: 'int32', nullable: true }],
  ['s', 'text', { name: 's', type: 'string', nullable: true }],
  ['f8', 'float8', { name: 'f8', type: 'float64', nullable: true }],
  ['n', 'numeric(12,2)', { name: 'n', type: 'decimal', nullable: true, precision: 12, scale: 2 }],
  ['b', 'bool', { name: 'b', type: 'boolean', nullable: true }],
  ['d', 'date', { name: 'd', type: 'date', nullable: true }],
  ['ts', 'timestamptz', { name: 'ts', type: 'timestamp', nullable: true }],
  ['tsl', 'timestamp', { name: 'tsl', type: 'timestamp', nullable: true }],
  ['tm', 'time', { name: 'tm', type: 'time', nullable: true }],
  ['a"b', 'int4', { name: 'a"b', type: 'int32', nullable: true }],
  ['x; DROP TABLE t', 'text', { name: 'x; DROP TABLE t', type: 'string', nullable: true }],
  ['"', 'bool', { name: '"', type: 'boolean', nullable: true }],
  ['ünï 名', 'numeric(10,3)', { name: 'ünï 名', type: 'decimal', nullable: true, precision: 10, scale: 3 }],
  ['i2', 'int2', { name: 'i2', type: 'int16', nullable: true }],
  ['f4', 'float4', { name: 'f4', type: 'float32', nullable: true }],
  ['j', 'json', { name: 'j', type: 'json', nullable: true }],
  ['bin', 'bytea', { name: 'bin', type: 'binary', nullable: true }],
]
const FIELDS = COLUMNS.map(([, , f]) => f)

// İ (U+0130) is left out on purpose: see proto/POSTGRES.md, ILIKE.
const STRINGS = ['', 'a', 'A', 'abc', 'ABC', 'Abc', 'é', 'É', 'ß', 'straße', 'STRASSE', 'Ünïcödé', 'ünïcödé', '中文', '😀', '😀x',
  '\uffff', '\ue000', 'x%y', 'x_y', 'x*y', "it's", "''", 'back\\slash', '\\', 'quote"d', '"', 'NULL', 'null', '{a,b}',
  ' spaced ', 'line\nbreak', 'tab\tx', '$1', "'; DROP TABLE t; --", 'a,b', '(x)', 'zz', 'Ωmega', 'ωmega']
const PATTERNS = ['%', '*', '_', '', 'a%', 'A*', '%b%', '*é*', '%É%', 'x_y', 'x\\_y', 'back\\slash', '%\\%', '_%_', '%%', '😀_',
  '_😀%', "%'%", '%"%', '%$1%', 'ST%', 'st%', 'Ü%', 'ü*', '%Ω%', '%ω%', 'straß_', '*;*', '\\%', 'a\u0000%']

const MICROS_PER_DAY = 86_400_000_000n
const DAY_MIN = daysFromCivil(1950, 1, 1)
const DAY_MAX = daysFromCivil(2040, 12, 31)

type Cell = string | number | bigint | Uint8Array | null

/** Deterministic rows (the same data every run, so a failure replays). */
function makeRows(): Cell[][] {
  const r = rng(20240301)
  const pick = <T>(a: readonly T[]) => a[Math.floor(r() * a.length)]!
  const maybe = (f: () => Cell, nullRate = 0.15): Cell => (r() < nullRate ? null : f())
  const rows: Cell[][] = []
  for (let i = 0; i < ROWS; i++) {
    const day = () => DAY_MIN + Math.floor(r() * (DAY_MAX - DAY_MIN))
    const ts = () => BigInt(day()) * MICROS_PER_DAY + (r() < 0.2 ? 0n : BigInt(Math.floor(r() * 86_400_000_000)))
    const dec = (digits: number, scale: number) => () => {
      const unscaled = Math.floor(r() * 10 ** digits) - 10 ** digits / 2
      const neg = unscaled < 0
      const abs = String(Math.abs(unscaled)).padStart(scale + 1, '0')
      return `${neg ? '-' : ''}${abs.slice(0, abs.length - scale)}.${abs.slice(abs.length - scale)}`
    }
    rows.push([
      BigInt(i + 1),
      // exactly three huge values: the sum of all of them overflows int64, of two does not
      i === 10 || i === 100 || i === 150 ? 4_000_000_000_000_000_000n : maybe(() => BigInt(Math.floor(r() * 11) - 5)),
      maybe(() => (r() < 0.03 ? pick([2147483647, -2147483648]) : Math.floor(r() * 2001) - 1000)),
      maybe(() => pick(STRINGS)),
      maybe(() => (r() < 0.1 ? pick([NaN, Infinity, -Infinity, 0.1, 0.2, 0.30000000000000004, 1e10]) : Math.round(r() * 200000 - 100000) / 100)),
      maybe(dec(9, 2)),
      maybe(() => (r() < 0.5 ? 1 : 0)),
      maybe(() => (r() < 0.1 ? pick([daysFromCivil(2000, 2, 29), daysFromCivil(1969, 12, 29), 0, -1]) : day())),
      maybe(() => (r() < 0.1 ? pick([0n, -1n, 951_782_400_000_000n]) : ts())),
      maybe(ts),
      maybe(() => (r() < 0.1 ? pick([0n, 86_399_999_999n]) : BigInt(Math.floor(r() * 86_400_000_000)))),
      maybe(() => Math.floor(r() * 21) - 10),
      maybe(() => pick(STRINGS)),
      maybe(() => (r() < 0.5 ? 1 : 0)),
      maybe(dec(7, 3)),
      maybe(() => Math.floor(r() * 201) - 100),
      maybe(() => (r() < 0.1 ? pick([NaN, Infinity, Math.fround(0.1)]) : Math.fround(Math.round(r() * 2000 - 1000) / 8))),
      maybe(() => pick(['{"a": 1}', '[1, 2]', '"x"', 'null', '{"k": "ü\\"q"}', '3.50', '{}'])),
      maybe(() => Uint8Array.from({ length: Math.floor(r() * 4) }, () => pick([0, 1, 0x7f, 0x80, 0xff]))),
    ])
  }
  return rows
}

const ROW_DATA = makeRows()

/** A cell as PostgreSQL input text. */
function pgText(cell: Cell, f: Field): string | null {
  if (cell === null) return null
  switch (f.type) {
    case 'binary': return `\\x${Buffer.from(cell as Uint8Array).toString('hex')}`
    case 'float32': case 'float64': { const n = cell as number; return Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n) }
    case 'boolean': return cell === 1 ? 'true' : 'false'
    case 'date': return formatDate(cell as number)
    case 'timestamp': return f.name === 'tsl' ? formatTimestamp(cell as bigint).replace('T', ' ').replace('Z', '') : formatTimestamp(cell as bigint)
    case 'time': return formatTime(cell as bigint)
    default: return String(cell)
  }
}

/** Filter values (as a user writes them) per column, including values that are in the data. */
function valuesFor(f: Field): string[] {
  const col = COLUMNS.findIndex(([n]) => n === f.name)
  const present = ROW_DATA.slice(0, 12).map((row) => row[col]!).filter((c) => c !== null)
  switch (f.type) {
    case 'int64': return ['0', '1', '-3', '5', '+2', '4000000000000000000', '-9223372036854775808', ...present.map(String)]
    case 'int32': case 'int16': return ['0', '7', '-999', '2147483647', '+5', '-10', ...present.map(String)]
    case 'json': return ['{"a": 1}', '[1, 2]', '"x"', 'null', '{}', 'x', '3.50']
    case 'float32': return ['0', '1.5', '-2.25', 'NaN', 'Infinity', '0.1', '-12.125', ...present.map((c) => pgText(c, f)!)]
    // NUL cannot be stored in PostgreSQL text, but a filter value may hold one
    case 'string': return [...STRINGS, ...PATTERNS.slice(0, 6), 'a\u0000b', '\u0000', 'zz\u0000', 'a\u0000']
    case 'float64': return ['0', '1.5', '-2.25', 'NaN', 'Infinity', '-Infinity', '0.1', '1e10', '0.30000000000000004', ...present.map((c) => pgText(c, f)!)]
    case 'decimal': return f.scale === 2 ? ['0', '12.30', '-5.5', '99999.99', '-0.01', ...present.map(String)] : ['0', '1.5', '-2.125', '0.001', ...present.map(String)]
    case 'boolean': return ['true', 'false']
    case 'date': return ['2000-02-29', '1969-12-29', '2024-01-01', '1970-01-01', ...present.map((c) => formatDate(c as number))]
    case 'timestamp': return ['2024-01-01T00:00:00Z', '2000-02-29 12:00:00+02:00', '1970-01-01', '1969-12-31T23:59:59.999999Z', '2030-06-01T10:00-05:30',
      ...present.map((c) => formatTimestamp(c as bigint))]
    case 'time': return ['00:00', '12:00:00', '23:59:59.999999', '06:30:15.5', ...present.map((c) => formatTime(c as bigint))]
    case 'binary': return ['unused: binary columns only take is.null']
  }
}

const quoteValue = (v: string) => `"${v.replaceAll('"', '""')}"`

// ---- query generation (strings in the URL grammar) ----

type Leaf = { column: Field; op: string; neg: boolean; values: string[] }
type Tree = { kind: 'leaf'; leaf: Leaf } | { kind: 'and' | 'or'; neg: boolean; children: Tree[] }

const fieldArb = fc.constantFrom(...FIELDS)
const leafArb: fc.Arbitrary<Leaf> = fieldArb.chain((f) => {
  const ops = f.type === 'binary' ? ['is'] : ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'is']
  if (f.type === 'string') ops.push('like', 'ilike', 'like', 'ilike')
  return fc.record({
    column: fc.constant(f),
    op: fc.constantFrom(...ops),
    neg: fc.boolean(),
    values: fc.array(fc.constantFrom(...valuesFor(f)), { minLength: 1, maxLength: 4 }),
    pattern: fc.constantFrom(...PATTERNS),
    is: fc.constantFrom(...(f.type === 'boolean' ? ['null', 'true', 'false'] : ['null'])),
  }).map(({ column, op, neg, values, pattern, is }) => ({
    column, op, neg, values: op === 'like' || op === 'ilike' ? [pattern] : op === 'is' ? [is] : values,
  }))
})
const treeArb = fc.letrec<{ tree: Tree }>((tie) => ({
  tree: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafArb.map((leaf): Tree => ({ kind: 'leaf', leaf })),
    fc.record({ kind: fc.constantFrom('and' as const, 'or' as const), neg: fc.boolean(), children: fc.array(tie('tree'), { minLength: 1, maxLength: 3 }) }),
  ),
})).tree

function leafParam(l: Leaf): string {
  const v = l.op === 'in' ? `(${l.values.map(quoteValue).join(',')})` : l.values[0]!
  return `${l.neg ? 'not.' : ''}${l.op}.${v}`
}
function treeText(tr: Tree): string {
  if (tr.kind === 'leaf') {
    const l = tr.leaf
    const v = l.op === 'in' ? `(${l.values.map(quoteValue).join(',')})` : quoteValue(l.values[0]!)
    return `${writeName(l.column.name)}.${l.neg ? 'not.' : ''}${l.op}.${v}`
  }
  return `${tr.neg ? 'not.' : ''}${tr.kind}(${tr.children.map(treeText).join(',')})`
}

const ALIASES = ['x', 'a"b', '名前', 'select', '; drop', 'o r', 'n', 's', 'count', 'ünï 名', '"', "it's"]
const TRUNC_UNITS = ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']
const TEMPORAL = FIELDS.filter((f) => f.type === 'date' || f.type === 'timestamp')
const NUMERIC = FIELDS.filter((f) => ['int16', 'int32', 'int64', 'float32', 'float64', 'decimal'].includes(f.type))
const ORDERED = FIELDS.filter((f) => f.type !== 'json' && f.type !== 'binary')

const scalarArb = fc.oneof(
  fieldArb.map((f) => writeName(f.name)),
  fc.tuple(fc.constantFrom(...TEMPORAL), fc.constantFrom(...TRUNC_UNITS)).map(([f, u]) => `${writeName(f.name)}.trunc(${u})`),
)
const aggArb = fc.oneof(
  fc.constant('count()'),
  fc.tuple(fieldArb, fc.constantFrom('count', 'count_distinct')).map(([f, fn]) => `${writeName(f.name)}.${fn}()`),
  fc.tuple(fc.constantFrom(...ORDERED), fc.constantFrom('min', 'max')).map(([f, fn]) => `${writeName(f.name)}.${fn}()`),
  fc.tuple(fc.constantFrom(...NUMERIC), fc.constantFrom('sum', 'avg')).map(([f, fn]) => `${writeName(f.name)}.${fn}()`),
)
const itemArb = (expr: fc.Arbitrary<string>) => fc.record({ expr, alias: fc.option(fc.constantFrom(...ALIASES), { freq: 3 }) })
const orderMods = fc.tuple(fc.constantFrom('', '.asc', '.desc'), fc.constantFrom('', '.nullsfirst', '.nullslast')).map(([a, b]) => a + b)

interface QuerySpec {
  aggregate: boolean
  keys: Array<{ expr: string; alias: string | null }>
  aggs: Array<{ expr: string; alias: string | null }>
  groupByAlias: boolean[]
  order: Array<{ pick: number; mods: string; hidden: string | null }>
  filters: Array<{ leaf: Leaf } | { key: 'and' | 'or' | 'not.and' | 'not.or'; tree: Tree }>
  limit: number | null
  offset: number | null
  fromQuery: boolean
  timeZone: string
}

const specArb: fc.Arbitrary<QuerySpec> = fc.record({
  aggregate: fc.boolean(),
  keys: fc.array(itemArb(scalarArb), { minLength: 0, maxLength: 3 }),
  aggs: fc.array(itemArb(aggArb), { minLength: 1, maxLength: 4 }),
  groupByAlias: fc.array(fc.boolean(), { minLength: 3, maxLength: 3 }),
  order: fc.array(fc.record({ pick: fc.nat(20), mods: orderMods, hidden: fc.option(fc.constantFrom(...FIELDS.map((f) => writeName(f.name))), { freq: 4 }) }), { maxLength: 3 }),
  filters: fc.array(fc.oneof(
    leafArb.map((leaf) => ({ leaf })),
    fc.record({ key: fc.constantFrom('and' as const, 'or' as const, 'not.and' as const, 'not.or' as const), tree: fc.array(treeArb, { minLength: 1, maxLength: 3 }).map((children): Tree => ({ kind: 'and', neg: false, children })) }),
  ), { maxLength: 3 }),
  limit: fc.option(fc.nat(40), { freq: 2 }),
  offset: fc.option(fc.nat(30), { freq: 3 }),
  fromQuery: fc.boolean(),
  timeZone: fc.constantFrom('UTC', 'UTC', 'America/St_Johns', 'Asia/Kathmandu'),
})

/** The URL query parameters of a spec (not every spec is a valid query; the parser decides). */
function entriesOf(spec: QuerySpec): Array<[string, string]> {
  const entries: Array<[string, string]> = []
  const items = spec.aggregate ? [...spec.keys, ...spec.aggs] : spec.keys.length > 0 ? spec.keys : []
  // output names must be unique: a repeated one gets a plain alias
  const names = new Set<string>()
  const select = items.map((it, i) => {
    let alias = it.alias
    const name = alias ?? defaultName(it.expr)
    if (names.has(name)) alias = `dup${i}`
    names.add(alias ?? name)
    return { expr: it.expr, alias, name: alias ?? name }
  })
  if (select.length > 0) entries.push(['select', select.map((s) => (s.alias === null ? s.expr : `${writeName(s.alias)}:${s.expr}`)).join(',')])
  if (spec.aggregate && spec.keys.length > 0) {
    const group = spec.keys.map((k, i) => (spec.groupByAlias[i] && select[i]!.alias !== null ? writeName(select[i]!.alias!) : k.expr))
    entries.push(['group', group.join(',')])
  }
  const order = spec.order.map((o) => {
    if (o.hidden !== null && !spec.aggregate) return o.hidden + o.mods
    if (select.length === 0) return writeName(FIELDS[o.pick % FIELDS.length]!.name) + o.mods
    return writeName(select[o.pick % select.length]!.name) + o.mods
  })
  if (order.length > 0) entries.push(['order', order.join(',')])
  for (const f of spec.filters) {
    if ('leaf' in f) entries.push([f.leaf.column.name, leafParam(f.leaf)])
    else entries.push([f.key, `(${(f.tree as { children: Tree[] }).children.map(treeText).join(',')})`])
  }
  if (spec.limit !== null) entries.push(['limit', String(spec.limit)])
  if (spec.offset !== null) entries.push(['offset', String(spec.offset)])
  return entries
}

function defaultName(expr: string): string {
  const m = /^(?:"((?:[^"]|"")*)"|([A-Za-z_][A-Za-z0-9_]*))(?:\.(\w+)\(\w*\))?$/.exec(expr)
  if (expr === 'count()') return 'count'
  if (m === null) return expr
  const col = m[1] !== undefined ? m[1].replaceAll('""', '"') : m[2]!
  const fn = m[3]
  return fn === undefined || fn === 'trunc' ? col : fn
}

// ---- canonical values ----

const FLOAT_AGGS = new Set(['sum', 'avg'])

function canonicalPg(text: string | null, type: LogicalType, approx: boolean): string | null {
  if (text === null) return null
  switch (type) {
    case 'float32': return floatKey(Math.fround(Number(text)), approx)
    case 'float64': return floatKey(Number(text), approx)
    case 'binary': return text
    case 'boolean': return text === 't' || text === 'true' ? 'true' : 'false'
    case 'date': return String(parseDate(text))
    case 'timestamp': return String(parseTimestamp(text.replace(/([+-]\d\d)$/, '$1:00')))
    case 'time': return String(parseTime(text))
    default: return text
  }
}

function canonicalKernel(v: unknown, type: LogicalType, approx: boolean): string | null {
  if (v === null) return null
  switch (type) {
    case 'float32': case 'float64': return floatKey(v as number, approx)
    case 'boolean': return v ? 'true' : 'false'
    case 'binary': return `\\x${Buffer.from(v as Uint8Array).toString('hex')}`
    default: return String(v)
  }
}

function floatKey(n: number, approx: boolean): string {
  if (!Number.isFinite(n)) return String(n)
  if (n === 0) return '0'
  return approx ? n.toPrecision(10) : String(n)
}

function kernelRows(batches: Batch[], plan: Plan): Array<Array<string | null>> {
  const out: Array<Array<string | null>> = []
  for (const b of batches) {
    for (let i = 0; i < b.length; i++) {
      out.push(plan.select.map((item, k) => {
        const c = b.columns[k]!
        const approx = item.expr.kind === 'agg' && FLOAT_AGGS.has(item.expr.fn)
        return c.nulls?.[i] ? null : canonicalKernel(c.values[i], item.type, approx)
      }))
    }
  }
  return out
}

function literalStrings(f: Filter | null, out: string[] = []): string[] {
  if (f === null) return out
  switch (f.kind) {
    case 'and': case 'or': f.children.forEach((c) => literalStrings(c, out)); break
    case 'not': literalStrings(f.child, out); break
    case 'cmp': if (typeof f.value === 'string') out.push(f.value); break
    case 'in': for (const v of f.values) if (typeof v === 'string') out.push(v); break
    case 'like': out.push(f.pattern); break
  }
  return out
}

const multiset = (rows: Array<Array<string | null>>) => rows.map((r) => JSON.stringify(r)).sort()

t.test('compiled SQL returns what the kernels return', async (t) => {
  const db = await pgTestDatabase(t)
  // Text columns get a linguistic collation when the server has ICU, so a missing COLLATE "C"
  // would show (the database default here may well be C.UTF-8, which orders by code point).
  const icu = (await db.query(`SELECT 1 FROM pg_collation WHERE collname = 'und-x-icu'`)).rowCount === 1
  const collate = (type: string) => (icu && type === 'text' ? `${type} COLLATE "und-x-icu"` : type)
  if (!icu) t.comment('no ICU collation: text columns use the database collation')
  await db.query(`CREATE TABLE public."the table" (${COLUMNS.map(([n, type]) => `${quoteIdent(n)} ${collate(type)}`).join(', ')})`)
  for (const row of ROW_DATA) {
    await db.query(`INSERT INTO public."the table" VALUES (${COLUMNS.map((_, i) => `$${i + 1}`).join(', ')})`, row.map((c, i) => pgText(c, FIELDS[i]!)))
  }
  await db.query(`ANALYZE public."the table"`)
  await db.query(`SET DateStyle = 'ISO'; SET IntervalStyle = 'iso_8601'; SET extra_float_digits = 3`)

  const table = sourceTableFrom('public."the table"')
  const discovered = await discoverColumns(db.client, table.from, table)
  t.same(discovered.map((c) => c.field), FIELDS, 'discovery gives the schema the kernels run on')
  const columns = new Map(discovered.map((c) => [c.name, valueExpr(quoteIdent(c.name), c.conversion)]))
  const fields = new Map(FIELDS.map((f) => [f.name, f]))
  const sources = { table: table.from, query: sourceQueryFrom(`SELECT * FROM public."the table" -- a comment`) }
  const batch: Batch = { length: ROWS, columns: FIELDS.map((f, i) => makeColumn(f, ROW_DATA.map((r) => r[i]!) as never)) }
  const batches = [sliceBatch(batch, 0, 70), sliceBatch(batch, 70, 150), sliceBatch(batch, 150, ROWS)]
  const rawText = { getTypeParser: () => (v: string) => v }
  const identifiers = [...FIELDS.map((f) => f.name), ...ALIASES].flatMap((n) => [n, quoteIdent(n)])
  const stats = { runs: 0, invalid: 0, empty: 0, ordered: 0, aggregate: 0, overflow: 0, rows: 0 }

  await fc.assert(fc.asyncProperty(specArb, async (spec) => {
    stats.runs++
    const entries = entriesOf(spec)
    let plan: Plan
    try {
      plan = parseExploreParams(entries, FIELDS).plan
    } catch (err) {
      if ((err as { status?: number }).status === 422) { stats.invalid++; return }
      throw err
    }
    const { sql, params } = compilePostgres(plan, { from: spec.fromQuery ? sources.query : sources.table, columns, fields })
    // no value text in the SQL
    for (const lit of literalStrings(plan.filter)) {
      const telling = lit.length >= 6 || (lit.length >= 3 && /['";\\%*$]|[^\x20-\x7e]/.test(lit))
      if (telling && !identifiers.some((id) => id.includes(lit)) && lit !== '"' && !/^\$\d+$/.test(lit)) {
        if (sql.includes(lit)) throw new Error(`literal ${JSON.stringify(lit)} appears in the SQL: ${sql}`)
      }
    }
    // the kernels
    let expected: Array<Array<string | null>> | null = null
    let kernelError: string | null = null
    try {
      expected = kernelRows(await drain(executePlan(plan, FIELDS, fromArray(batches), { batchRows: 1000 })), plan)
    } catch (err) {
      kernelError = String((err as Error).message)
    }
    // PostgreSQL
    let actual: Array<Array<string | null>> | null = null
    let pgError: { code?: string; message: string } | null = null
    try {
      await db.query(`SET TimeZone = '${spec.timeZone}'`)
      const res = await db.client.query({ text: sql, values: params, rowMode: 'array', types: rawText })
      actual = (res.rows as Array<Array<string | null>>).map((r) => plan.select.map((item, k) => {
        const approx = item.expr.kind === 'agg' && FLOAT_AGGS.has(item.expr.fn)
        return canonicalPg(r[k] ?? null, item.type, approx)
      }))
    } catch (err) {
      pgError = err as { code?: string; message: string }
    }
    const context = () => `\nquery: ${JSON.stringify(entries)}\nsql: ${sql}\nparams: ${JSON.stringify(params)}\nkernel error: ${kernelError}\npg error: ${pgError?.code} ${pgError?.message}`
    if (pgError && pgError.code !== '22003') throw new Error(`PostgreSQL failed${context()}`)
    if (kernelError !== null || pgError !== null) {
      // the one error both may raise: an int64 sum overflow (kernel 422, PostgreSQL 22003)
      if (!(kernelError?.includes('overflow') && pgError?.code === '22003')) throw new Error(`only one side failed${context()}`)
      stats.overflow++
      return
    }
    const exp = expected!
    const act = actual!
    stats.rows += act.length
    if (act.length === 0) stats.empty++
    if (plan.aggregate) stats.aggregate++
    if (act.length !== exp.length) throw new Error(`row counts differ: pg ${act.length}, kernel ${exp.length}${context()}\npg: ${JSON.stringify(act.slice(0, 5))}\nkernel: ${JSON.stringify(exp.slice(0, 5))}`)
    const windowed = plan.limit !== null || plan.offset > 0
    const hiddenOrder = plan.order.some((o) => o.output === null)
    const full = async () => {
      const all = { ...plan, limit: null, offset: 0 }
      return multiset(kernelRows(await drain(executePlan(all, FIELDS, fromArray(batches), { batchRows: 1000 })), all))
    }
    const subsetOf = (rows: Array<Array<string | null>>, universe: string[]) => {
      const left = new Map<string, number>()
      for (const u of universe) left.set(u, (left.get(u) ?? 0) + 1)
      for (const r of rows) {
        const k = JSON.stringify(r)
        const n = left.get(k) ?? 0
        if (n === 0) throw new Error(`pg row ${k} is not in the kernel's result${context()}`)
        left.set(k, n - 1)
      }
    }
    if (plan.order.length === 0 || hiddenOrder) {
      if (!windowed) {
        const a = multiset(act)
        const e = multiset(exp)
        if (JSON.stringify(a) !== JSON.stringify(e)) throw new Error(`rows differ${context()}\n${firstDifference(a, e)}`)
      } else if (act.length > 0) subsetOf(act, await full())
      return
    }
    stats.ordered++
    // ordered: the key sequence is exact; rows with equal keys may come in any order
    const keyOf = (r: Array<string | null>) => JSON.stringify(plan.order.map((o) => r[o.output!]))
    for (let i = 0; i < act.length; i++) {
      if (keyOf(act[i]!) !== keyOf(exp[i]!)) throw new Error(`order differs at row ${i}: pg ${JSON.stringify(act[i])} kernel ${JSON.stringify(exp[i])}${context()}`)
    }
    let start = 0
    const universe = windowed && act.length > 0 ? await full() : null
    while (start < act.length) {
      let end = start + 1
      while (end < act.length && keyOf(act[end]!) === keyOf(act[start]!)) end++
      const a = act.slice(start, end)
      const e = exp.slice(start, end)
      const atEdge = windowed && (start === 0 || end === act.length)
      if (atEdge) subsetOf(a, universe!)
      else if (JSON.stringify(multiset(a)) !== JSON.stringify(multiset(e))) throw new Error(`rows with equal keys differ at ${start}${context()}`)
      start = end
    }
  }), { numRuns: NUM_RUNS, endOnFailure: true })

  t.comment(JSON.stringify(stats))
  t.ok(stats.runs - stats.invalid > NUM_RUNS / 2, 'most generated queries are valid')
  t.ok(stats.ordered > 10 && stats.aggregate > 10 && stats.rows > 1000, 'the runs covered ordered and aggregate plans with rows')
})

function firstDifference(a: string[], b: string[]): string {
  const sa = new Set(a)
  const sb = new Set(b)
  return `only pg: ${a.filter((x) => !sb.has(x)).slice(0, 5).join(' ')}\nonly kernel: ${b.filter((x) => !sa.has(x)).slice(0, 5).join(' ')}`
}
