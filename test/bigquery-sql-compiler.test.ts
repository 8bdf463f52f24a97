// compileBigQuery: golden SQL for representative plans (parsed by the real parser), quoting of
// hostile identifiers, typed named parameters, and a property test that no value ever reaches
// the SQL text. Every expected string below is written by hand from the GoogleSQL reference
// (lexical structure, operators, aggregate/date/timestamp functions, query parameters), never
// copied from the compiler's output. BigQuery itself is not reachable here: what only a real
// BigQuery can confirm is listed in proto/BIGQUERY.md.
import t from 'tap'
import fc from 'fast-check'
import type { Plan } from '../proto/plan.js'
import type { Field } from '../proto/types.js'
import { parseExploreParams } from '../src/query/index.js'
import {
  compileBigQuery, formatDate, formatTime, formatTimestamp, literalText, paramType, quoteIdent, stringLiteral, toRestParameters,
  type BigQueryParam, type BigQuerySqlSource,
} from '../src/query/bigquery-sql.js'
import { daysFromCivil, parseTimestamp } from '../src/query/temporal.js'

const FIELDS: Field[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'region', type: 'string', nullable: true },
  { name: 'amount', type: 'decimal', nullable: true, precision: 12, scale: 2 },
  { name: 'big', type: 'decimal', nullable: true, precision: 38, scale: 12 },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'at', type: 'time', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
  { name: 'x', type: 'float64', nullable: true },
  { name: 'bin', type: 'binary', nullable: true },
  { name: 'j', type: 'json', nullable: true },
  { name: 'a`b', type: 'string', nullable: true },
  { name: 'back\\slash', type: 'int64', nullable: true },
  { name: 'it\'s "q"', type: 'string', nullable: true },
  { name: 'line\nbreak', type: 'string', nullable: true },
  { name: '名 前', type: 'string', nullable: true },
  { name: 'x; DROP TABLE t', type: 'int32', nullable: true },
]

/** Value expressions qualified by the inner alias, as proto/BIGQUERY.md asks of the connector. */
const source = (from = '`proj.ds.t`', settings?: BigQuerySqlSource['settings']): BigQuerySqlSource => ({
  from,
  columns: new Map(FIELDS.map((f) => [f.name, `\`src\`.${quoteIdent(f.name)}`])),
  fields: new Map(FIELDS.map((f) => [f.name, f])),
  settings,
})
type Query = Record<string, string> | Array<[string, string]>
const plan = (query: Query): Plan => parseExploreParams(Array.isArray(query) ? query : Object.entries(query), FIELDS).plan
const compile = (query: Query, src = source()) => compileBigQuery(plan(query), src)
const p = (name: string, type: BigQueryParam['type'], value: string | null): BigQueryParam => ({ name, type, value })
const arr = (name: string, type: BigQueryParam['type'], array: string[]): BigQueryParam => ({ name, type, array })

t.test('quoteIdent: backticks, escapes of the string-literal table, no empty or NUL names', async (t) => {
  t.equal(quoteIdent('region'), '`region`')
  t.equal(quoteIdent('a`b'), '`a\\`b`', 'a backtick is backslash-escaped')
  t.equal(quoteIdent('back\\slash'), '`back\\\\slash`', 'a backslash is doubled')
  t.equal(quoteIdent('it\'s "q"'), '`it\'s "q"`', 'quotes need no escape inside backticks')
  t.equal(quoteIdent('line\nbreak'), '`line\\nbreak`', 'a quoted identifier cannot hold a raw newline')
  t.equal(quoteIdent('tab\there\rx'), '`tab\\there\\rx`')
  t.equal(quoteIdent('bell\u0007del\u007f'), '`bell\\u0007del\\u007f`')
  t.equal(quoteIdent('名 前'), '`名 前`', 'other Unicode stays as it is')
  t.equal(quoteIdent('😀'), '`😀`')
  t.equal(quoteIdent('x; DROP TABLE t'), '`x; DROP TABLE t`')
  t.throws(() => quoteIdent(''), 'a quoted identifier cannot be empty')
  t.throws(() => quoteIdent('a\0b'), 'NUL cannot be quoted')
  t.throws(() => quoteIdent('a\ud800b'), 'a lone surrogate is not UTF-8')
  t.equal(stringLiteral("it's \\ `x`\n"), "'it\\'s \\\\ `x`\\n'", 'string literals escape the single quote instead')
})

t.test('golden: projection, inner select of plan.columns in schema order', async (t) => {
  const { sql, params } = compile({ select: 'region,id' })
  t.equal(sql,
    'SELECT `t`.`region` AS `region`, `t`.`id` AS `id` ' +
    'FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region` FROM `proj.ds.t` AS `src`) AS `t`')
  t.same(params, [])
})

t.test('golden: count() reads no column (a constant keeps the inner select list non-empty)', async (t) => {
  const { sql, params } = compile({ select: 'count()' })
  t.equal(sql, 'SELECT COUNT(*) AS `count` FROM (SELECT 1 AS `_` FROM `proj.ds.t` AS `src`) AS `t`')
  t.same(params, [])
})

t.test('golden: group, aggregates, order by an aggregate, limit as an INT64 parameter', async (t) => {
  const { sql, params } = compile({ select: 'region,n:count(),s:id.sum()', group: 'region', order: 'n.desc,region', limit: '10' })
  t.equal(sql,
    'SELECT `t`.`region` AS `region`, COUNT(*) AS `n`, SUM(`t`.`id`) AS `s` ' +
    'FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'GROUP BY `t`.`region` ORDER BY COUNT(*) DESC NULLS FIRST, `t`.`region` ASC NULLS LAST LIMIT @p0')
  t.same(params, [p('p0', 'INT64', '10')])
})

t.test('golden: time buckets in UTC, ISO weeks, dates stay dates', async (t) => {
  const { sql, params } = compile({ select: 'd:ts.trunc(day),w:ts.trunc(week),m:day.trunc(month),h:day.trunc(hour),n:count()', group: 'd,w,m,h' })
  t.equal(sql,
    "SELECT TIMESTAMP_TRUNC(`t`.`ts`, DAY, 'UTC') AS `d`, TIMESTAMP_TRUNC(`t`.`ts`, ISOWEEK, 'UTC') AS `w`, " +
    'DATE_TRUNC(`t`.`day`, MONTH) AS `m`, `t`.`day` AS `h`, COUNT(*) AS `n` ' +
    'FROM (SELECT `src`.`ts` AS `ts`, `src`.`day` AS `day` FROM `proj.ds.t` AS `src`) AS `t` ' +
    "GROUP BY TIMESTAMP_TRUNC(`t`.`ts`, DAY, 'UTC'), TIMESTAMP_TRUNC(`t`.`ts`, ISOWEEK, 'UTC'), DATE_TRUNC(`t`.`day`, MONTH), `t`.`day`")
  t.same(params, [])
})

t.test('golden: the other buckets; SECOND takes no time zone; group without aggregates', async (t) => {
  const { sql } = compile({ select: 'a:ts.trunc(second),b:ts.trunc(minute),c:ts.trunc(hour),q:ts.trunc(quarter),y:day.trunc(year),w:day.trunc(week)', group: 'a,b,c,q,y,w' })
  t.equal(sql,
    "SELECT TIMESTAMP_TRUNC(`t`.`ts`, SECOND) AS `a`, TIMESTAMP_TRUNC(`t`.`ts`, MINUTE, 'UTC') AS `b`, " +
    "TIMESTAMP_TRUNC(`t`.`ts`, HOUR, 'UTC') AS `c`, TIMESTAMP_TRUNC(`t`.`ts`, QUARTER, 'UTC') AS `q`, " +
    'DATE_TRUNC(`t`.`day`, YEAR) AS `y`, DATE_TRUNC(`t`.`day`, ISOWEEK) AS `w` ' +
    'FROM (SELECT `src`.`ts` AS `ts`, `src`.`day` AS `day` FROM `proj.ds.t` AS `src`) AS `t` ' +
    "GROUP BY TIMESTAMP_TRUNC(`t`.`ts`, SECOND), TIMESTAMP_TRUNC(`t`.`ts`, MINUTE, 'UTC'), TIMESTAMP_TRUNC(`t`.`ts`, HOUR, 'UTC'), " +
    "TIMESTAMP_TRUNC(`t`.`ts`, QUARTER, 'UTC'), DATE_TRUNC(`t`.`day`, YEAR), DATE_TRUNC(`t`.`day`, ISOWEEK)")
})

t.test('golden: decimal sum and avg exact in BIGNUMERIC at the column scale', async (t) => {
  const { sql } = compile({ select: 's:amount.sum(),a:amount.avg(),z:big.avg()' })
  t.equal(sql,
    'SELECT CAST(SUM(CAST(`t`.`amount` AS BIGNUMERIC)) AS BIGNUMERIC(38, 2)) AS `s`, ' +
    "CAST((DIV((SUM(CAST(`t`.`amount` AS BIGNUMERIC)) * BIGNUMERIC '100'), NULLIF(COUNT(`t`.`amount`), 0)) + " +
    "CASE WHEN 2 * ABS(MOD((SUM(CAST(`t`.`amount` AS BIGNUMERIC)) * BIGNUMERIC '100'), NULLIF(COUNT(`t`.`amount`), 0))) >= NULLIF(COUNT(`t`.`amount`), 0) " +
    "THEN SIGN((SUM(CAST(`t`.`amount` AS BIGNUMERIC)) * BIGNUMERIC '100')) ELSE 0 END) / BIGNUMERIC '100' AS BIGNUMERIC(38, 2)) AS `a`, " +
    "CAST((DIV((SUM(CAST(`t`.`big` AS BIGNUMERIC)) * BIGNUMERIC '1000000000000'), NULLIF(COUNT(`t`.`big`), 0)) + " +
    "CASE WHEN 2 * ABS(MOD((SUM(CAST(`t`.`big` AS BIGNUMERIC)) * BIGNUMERIC '1000000000000'), NULLIF(COUNT(`t`.`big`), 0))) >= NULLIF(COUNT(`t`.`big`), 0) " +
    "THEN SIGN((SUM(CAST(`t`.`big` AS BIGNUMERIC)) * BIGNUMERIC '1000000000000')) ELSE 0 END) / BIGNUMERIC '1000000000000' AS BIGNUMERIC(38, 12)) AS `z` " +
    'FROM (SELECT `src`.`amount` AS `amount`, `src`.`big` AS `big` FROM `proj.ds.t` AS `src`) AS `t`')
})

t.test('golden: integer sum raises on INT64 overflow; averages are one IEEE division', async (t) => {
  const { sql } = compile({ select: 's:id.sum(),a:id.avg(),fs:x.sum(),fa:x.avg()' })
  t.equal(sql,
    'SELECT SUM(`t`.`id`) AS `s`, IEEE_DIVIDE(CAST(SUM(CAST(`t`.`id` AS BIGNUMERIC)) AS FLOAT64), COUNT(`t`.`id`)) AS `a`, ' +
    'SUM(CAST(`t`.`x` AS FLOAT64)) AS `fs`, IEEE_DIVIDE(SUM(CAST(`t`.`x` AS FLOAT64)), COUNT(`t`.`x`)) AS `fa` ' +
    'FROM (SELECT `src`.`id` AS `id`, `src`.`x` AS `x` FROM `proj.ds.t` AS `src`) AS `t`')
})

t.test('golden: min/max (NaN-aware float min, LOGICAL_AND/OR for booleans), count, count_distinct', async (t) => {
  const { sql } = compile({ select: 'lo:x.min(),hi:x.max(),f:ok.min(),tr:ok.max(),s:region.min(),c:region.count(),d:region.count_distinct()' })
  t.equal(sql,
    'SELECT COALESCE(MIN(IF(IS_NAN(`t`.`x`), NULL, `t`.`x`)), MIN(`t`.`x`)) AS `lo`, MAX(`t`.`x`) AS `hi`, ' +
    'LOGICAL_AND(`t`.`ok`) AS `f`, LOGICAL_OR(`t`.`ok`) AS `tr`, MIN(`t`.`region`) AS `s`, ' +
    'COUNT(`t`.`region`) AS `c`, COUNT(DISTINCT `t`.`region`) AS `d` ' +
    'FROM (SELECT `src`.`region` AS `region`, `src`.`ok` AS `ok`, `src`.`x` AS `x` FROM `proj.ds.t` AS `src`) AS `t`')
})

t.test('golden: a typed named parameter for every literal, never the literal', async (t) => {
  const { sql, params } = compile([
    ['select', 'id'], ['id', 'eq.42'], ['region', "eq.O'Brien; DROP TABLE t --"], ['amount', 'lt.12.5'], ['big', 'gte.-1.000000000001'],
    ['ts', 'gte.2024-03-01T10:00:00+01:00'], ['day', 'neq.2024-02-29'], ['at', 'gt.10:30'], ['ok', 'eq.true'], ['j', 'eq.{"a":1}'],
  ])
  t.equal(sql,
    'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region`, `src`.`amount` AS `amount`, `src`.`big` AS `big`, ' +
    '`src`.`ts` AS `ts`, `src`.`day` AS `day`, `src`.`at` AS `at`, `src`.`ok` AS `ok`, `src`.`j` AS `j` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE ((`t`.`id` = @p0) AND (`t`.`region` = @p1) AND (`t`.`amount` < @p2) AND (`t`.`big` >= @p3) AND (`t`.`ts` >= @p4) ' +
    'AND (`t`.`day` <> @p5) AND (`t`.`at` > @p6) AND (`t`.`ok` = @p7) AND (`t`.`j` = @p8))')
  t.same(params, [
    p('p0', 'INT64', '42'), p('p1', 'STRING', "O'Brien; DROP TABLE t --"), p('p2', 'NUMERIC', '12.50'), p('p3', 'BIGNUMERIC', '-1.000000000001'),
    p('p4', 'TIMESTAMP', '2024-03-01 09:00:00.000000+00'), p('p5', 'DATE', '2024-02-29'), p('p6', 'TIME', '10:30:00.000000'),
    p('p7', 'BOOL', 'true'), p('p8', 'STRING', '{"a":1}'),
  ])
})

t.test('golden: floats in the kernels\' total order (NaN = NaN, NaN above every number)', async (t) => {
  const { sql, params } = compile([
    ['select', 'id'], ['x', 'eq.NaN'], ['x', 'gt.1.5'], ['x', 'lt.Infinity'], ['x', 'lte.NaN'], ['x', 'neq.-0.25'], ['x', 'not.gte.NaN'], ['x', 'gt.NaN'],
  ])
  t.equal(sql,
    'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id`, `src`.`x` AS `x` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE (IS_NAN(`t`.`x`) AND (`t`.`x` > @p0 OR IS_NAN(`t`.`x`)) AND (`t`.`x` < CAST(@p1 AS FLOAT64)) ' +
    'AND IF(`t`.`x` IS NULL, NULL, TRUE) AND (`t`.`x` <> @p2) AND (NOT IS_NAN(`t`.`x`)) AND IF(`t`.`x` IS NULL, NULL, FALSE))')
  t.same(params, [p('p0', 'FLOAT64', '1.5'), p('p1', 'STRING', 'inf'), p('p2', 'FLOAT64', '-0.25')])
})

t.test('golden: in lists are one ARRAY parameter (IN UNNEST), floats split out NaN and infinities', async (t) => {
  const { sql, params } = compile([['select', 'id'], ['region', 'in.(a,"b,c","say ""hi""",a)'], ['x', 'in.(1.5,NaN,-Infinity,2)'], ['day', 'not.in.(2024-01-01)']])
  t.equal(sql,
    'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region`, `src`.`day` AS `day`, `src`.`x` AS `x` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE ((`t`.`region` IN UNNEST(@p0)) AND (`t`.`x` IN UNNEST(@p2) OR `t`.`x` = CAST(@p1 AS FLOAT64) OR IS_NAN(`t`.`x`)) ' +
    'AND (NOT (`t`.`day` IN UNNEST(@p3))))')
  t.same(params, [arr('p0', 'STRING', ['a', 'b,c', 'say "hi"']), p('p1', 'STRING', '-inf'), arr('p2', 'FLOAT64', ['1.5', '2']), arr('p3', 'DATE', ['2024-01-01'])])
})

t.test('golden: like and ilike (`*` → `%`, `\\` escaped for GoogleSQL LIKE)', async (t) => {
  const { sql, params } = compile([['select', 'id'], ['region', 'like.*50%_off\\*'], ['名 前', 'not.ilike.É*']])
  t.equal(sql,
    'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region`, `src`.`名 前` AS `名 前` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE ((`t`.`region` LIKE @p0) AND (NOT (LOWER(`t`.`名 前`) LIKE LOWER(@p1))))')
  t.same(params, [p('p0', 'STRING', '%50%_off\\\\%'), p('p1', 'STRING', 'É%')])
})

t.test('golden: is null/true/false and nested not/and/or trees', async (t) => {
  const { sql, params } = compile([['select', 'id'], ['ok', 'is.false'], ['or', '(id.is.null,and(x.gt.1,not.or(region.eq.x,region.eq.y)))'], ['region', 'not.is.null']])
  t.equal(sql,
    'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region`, `src`.`ok` AS `ok`, `src`.`x` AS `x` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE ((`t`.`ok` IS FALSE) AND ((`t`.`id` IS NULL) OR ((`t`.`x` > @p0 OR IS_NAN(`t`.`x`)) AND (NOT ((`t`.`region` = @p1) OR (`t`.`region` = @p2))))) ' +
    'AND (NOT (`t`.`region` IS NULL)))')
  t.same(params, [p('p0', 'FLOAT64', '1'), p('p1', 'STRING', 'x'), p('p2', 'STRING', 'y')])
})

t.test('golden: ordering — default null placement, explicit nulls first/last, NaN-ness first for floats', async (t) => {
  const { sql } = compile({ select: 'region,x,day', order: 'region.desc,x,day.nullsfirst,id.desc.nullslast' })
  t.equal(sql,
    'SELECT `t`.`region` AS `region`, `t`.`x` AS `x`, `t`.`day` AS `day` ' +
    'FROM (SELECT `src`.`id` AS `id`, `src`.`region` AS `region`, `src`.`day` AS `day`, `src`.`x` AS `x` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'ORDER BY `t`.`region` DESC NULLS FIRST, IS_NAN(`t`.`x`) ASC NULLS LAST, `t`.`x` ASC NULLS LAST, `t`.`day` ASC NULLS FIRST, `t`.`id` DESC NULLS LAST')
})

t.test('golden: an offset alone needs a LIMIT in GoogleSQL (the largest INT64); limit and offset together', async (t) => {
  const a = compile({ select: 'id', offset: '20' })
  t.equal(a.sql, 'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id` FROM `proj.ds.t` AS `src`) AS `t` LIMIT @p0 OFFSET @p1')
  t.same(a.params, [p('p0', 'INT64', '9223372036854775807'), p('p1', 'INT64', '20')])
  const b = compile({ select: 'id', order: 'id', limit: '0', offset: '5' })
  t.equal(b.sql, 'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id` FROM `proj.ds.t` AS `src`) AS `t` ORDER BY `t`.`id` ASC NULLS LAST LIMIT @p0 OFFSET @p1')
  t.same(b.params, [p('p0', 'INT64', '0'), p('p1', 'INT64', '5')])
})

t.test('golden: dates and timestamps BigQuery cannot hold compile to their meaning (no parameter)', async (t) => {
  const { sql, params } = compile([['select', 'id'], ['day', 'lt.0000-06-01'], ['ts', 'gte.0001-01-01T00:30:00+01:00'], ['day', 'in.(0000-01-01,2024-01-01)'], ['ts', 'neq.0000-12-31']])
  t.equal(sql,
    'SELECT `t`.`id` AS `id` FROM (SELECT `src`.`id` AS `id`, `src`.`ts` AS `ts`, `src`.`day` AS `day` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE (IF(`t`.`day` IS NULL, NULL, FALSE) AND IF(`t`.`ts` IS NULL, NULL, TRUE) AND (`t`.`day` IN UNNEST(@p0)) AND IF(`t`.`ts` IS NULL, NULL, TRUE))')
  t.same(params, [arr('p0', 'DATE', ['2024-01-01'])])
})

t.test('golden: hostile identifiers in select, group, filters and aliases', async (t) => {
  const { sql, params } = compile([
    ['select', '"a`b","back\\slash","it\'s ""q""","line\nbreak","名 前","x; DROP TABLE t","we`ird\\":count()'],
    ['group', '"a`b","back\\slash","it\'s ""q""","line\nbreak","名 前","x; DROP TABLE t"'],
    ['back\\slash', 'gt.1'],
  ])
  t.equal(sql,
    'SELECT `t`.`a\\`b` AS `a\\`b`, `t`.`back\\\\slash` AS `back\\\\slash`, `t`.`it\'s "q"` AS `it\'s "q"`, `t`.`line\\nbreak` AS `line\\nbreak`, ' +
    '`t`.`名 前` AS `名 前`, `t`.`x; DROP TABLE t` AS `x; DROP TABLE t`, COUNT(*) AS `we\\`ird\\\\` ' +
    'FROM (SELECT `src`.`a\\`b` AS `a\\`b`, `src`.`back\\\\slash` AS `back\\\\slash`, `src`.`it\'s "q"` AS `it\'s "q"`, `src`.`line\\nbreak` AS `line\\nbreak`, ' +
    '`src`.`名 前` AS `名 前`, `src`.`x; DROP TABLE t` AS `x; DROP TABLE t` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE (`t`.`back\\\\slash` > @p0) ' +
    'GROUP BY `t`.`a\\`b`, `t`.`back\\\\slash`, `t`.`it\'s "q"`, `t`.`line\\nbreak`, `t`.`名 前`, `t`.`x; DROP TABLE t`')
  t.same(params, [p('p0', 'INT64', '1')])
})

t.test('golden: order by a source column outside the output (non-aggregate plan)', async (t) => {
  const { sql } = compile({ select: 'region', order: 'ts.desc', limit: '3' })
  t.equal(sql,
    'SELECT `t`.`region` AS `region` FROM (SELECT `src`.`region` AS `region`, `src`.`ts` AS `ts` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'ORDER BY `t`.`ts` DESC NULLS FIRST LIMIT @p0')
})

t.test('golden: byteOrderStrings orders strings by their UTF-8 bytes whatever the collation', async (t) => {
  const { sql, params } = compile({ select: 'region,lo:名 前.min()'.replace('名 前', '"名 前"'), group: 'region', order: 'region', region: 'gt.m' }, source('`proj.ds.t`', { byteOrderStrings: true }))
  t.equal(sql,
    'SELECT `t`.`region` AS `region`, CAST(MIN(CAST(`t`.`名 前` AS BYTES)) AS STRING) AS `lo` ' +
    'FROM (SELECT `src`.`region` AS `region`, `src`.`名 前` AS `名 前` FROM `proj.ds.t` AS `src`) AS `t` ' +
    'WHERE (CAST(`t`.`region` AS BYTES) > CAST(@p0 AS BYTES)) GROUP BY `t`.`region` ORDER BY CAST(`t`.`region` AS BYTES) ASC NULLS LAST')
  t.same(params, [p('p0', 'STRING', 'm')])
  const eq = compile({ select: 'id', region: 'eq.m' }, source('`proj.ds.t`', { byteOrderStrings: true }))
  t.match(eq.sql, /WHERE \(`t`\.`region` = @p0\)$/, 'equality needs no byte cast')
})

t.test('golden: a source query as the FROM item; output names without alias', async (t) => {
  const pl = plan({ select: 'region' })
  pl.select[0]!.name = ''
  const { sql } = compileBigQuery(pl, source('(\nSELECT * FROM `proj.ds.t` WHERE TRUE -- note\n)'))
  t.equal(sql, 'SELECT `t`.`region` FROM (SELECT `src`.`region` AS `region` FROM (\nSELECT * FROM `proj.ds.t` WHERE TRUE -- note\n) AS `src`) AS `t`')
  for (const name of ['a\0b', 'a\ud800b']) {
    pl.select[0]!.name = name
    t.equal(compileBigQuery(pl, source()).sql.startsWith('SELECT `t`.`region` FROM'), true, 'a name no identifier can spell gets no alias')
  }
})

t.test('golden: sum/avg of decimals as float64 when the plan asks for float64', async (t) => {
  const pl = plan({ select: 's:amount.sum(),a:amount.avg()' })
  pl.select[0]!.type = 'float64'
  pl.select[1]!.type = 'float64'
  t.equal(compileBigQuery(pl, source()).sql,
    'SELECT CAST(SUM(CAST(`t`.`amount` AS BIGNUMERIC)) AS FLOAT64) AS `s`, IEEE_DIVIDE(CAST(SUM(CAST(`t`.`amount` AS BIGNUMERIC)) AS FLOAT64), COUNT(`t`.`amount`)) AS `a` ' +
    'FROM (SELECT `src`.`amount` AS `amount` FROM `proj.ds.t` AS `src`) AS `t`')
})

t.test('toRestParameters: the REST QueryParameter shape (NAMED mode)', async (t) => {
  t.same(toRestParameters([p('p0', 'INT64', '10'), p('p1', 'STRING', null), arr('p2', 'DATE', ['2024-01-01', '2024-01-02'])]), [
    { name: 'p0', parameterType: { type: 'INT64' }, parameterValue: { value: '10' } },
    { name: 'p1', parameterType: { type: 'STRING' }, parameterValue: {} },
    { name: 'p2', parameterType: { type: 'ARRAY', arrayType: { type: 'DATE' } }, parameterValue: { arrayValues: [{ value: '2024-01-01' }, { value: '2024-01-02' }] } },
  ])
})

t.test('literal text and parameter types', async (t) => {
  t.equal(formatDate(0), '1970-01-01')
  t.equal(formatDate(daysFromCivil(1, 1, 1)), '0001-01-01')
  t.equal(formatDate(daysFromCivil(9999, 12, 31)), '9999-12-31')
  t.equal(formatTimestamp(-1n), '1969-12-31 23:59:59.999999+00')
  t.equal(formatTimestamp(parseTimestamp('2024-03-01T10:00:00.5Z')!), '2024-03-01 10:00:00.500000+00')
  t.equal(formatTime(86_399_999_999n), '23:59:59.999999')
  t.equal(literalText(1e21, 'float64'), '1e+21')
  t.equal(literalText(5e-324, 'float64'), '5e-324')
  t.equal(literalText(Infinity, 'float64'), 'inf')
  t.equal(literalText(false, 'boolean'), 'false')
  t.equal(paramType({ type: 'decimal', precision: 38, scale: 9 }), 'NUMERIC', 'NUMERIC is (38, 9)')
  t.equal(paramType({ type: 'decimal', precision: 30, scale: 0 }), 'BIGNUMERIC', '30 integer digits exceed NUMERIC')
  t.equal(paramType({ type: 'decimal', precision: 12, scale: 10 }), 'BIGNUMERIC', 'a scale above 9 exceeds NUMERIC')
  t.equal(paramType({ type: 'int16' }), 'INT64')
  t.equal(paramType({ type: 'binary' }), 'BYTES')
})

// ---- property: no value text ever reaches the SQL, and the SQL does not depend on the values ----

/** A value that cannot be mistaken for SQL: every generated string carries a snowman. */
const MARK = '\u2603'
const markedString = fc.string({ unit: 'binary', maxLength: 12 }).map((s) => `${s.replace(/\0/g, '')}${MARK}`)
const FILTERED: Array<{ name: string; values: fc.Arbitrary<string> }> = [
  { name: 'region', values: markedString },
  { name: 'j', values: markedString },
  { name: '名 前', values: markedString },
  { name: 'id', values: fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String) },
  { name: 'x; DROP TABLE t', values: fc.integer().map(String) },
  { name: 'amount', values: fc.tuple(fc.integer({ min: -9_999_999, max: 9_999_999 }), fc.integer({ min: 0, max: 99 })).map(([a, b]) => `${a}.${String(b).padStart(2, '0')}`) },
  { name: 'x', values: fc.double({ noNaN: true, noDefaultInfinity: true }).map(String) },
  { name: 'day', values: fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10)) },
  { name: 'ts', values: fc.date({ min: new Date('0001-01-02T00:00:00Z'), max: new Date('9999-12-30T00:00:00Z'), noInvalidDate: true }).map((d) => d.toISOString()) },
  { name: 'at', values: fc.integer({ min: 0, max: 86_399_999 }).map((ms) => new Date(ms).toISOString().slice(11, 23)) },
]
const OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'like', 'ilike'] as const
const filterArb = fc.constantFrom(...FILTERED).chain((c) => fc.record({
  name: fc.constant(c.name),
  op: fc.constantFrom(...OPS.filter((op) => !op.endsWith('like') || ['region', '名 前'].includes(c.name))),
  a: fc.array(c.values, { minLength: 1, maxLength: 3 }),
  b: fc.array(c.values, { minLength: 3, maxLength: 3 }),
  neg: fc.boolean(),
}))
const quoteValue = (v: string) => `"${v.replaceAll('"', '""')}"`
const filterText = (op: string, neg: boolean, values: string[]) =>
  `${neg ? 'not.' : ''}${op}.${op === 'in' ? `(${values.map(quoteValue).join(',')})` : values[0]}`

t.test('property: values only ever travel as parameters, and the SQL is the same whatever they are', async (t) => {
  let runs = 0
  fc.assert(fc.property(fc.array(filterArb, { minLength: 1, maxLength: 4 }), fc.option(fc.nat({ max: 1000 })), (filters, limit) => {
    const build = (pick: 'a' | 'b') => {
      const entries: Array<[string, string]> = [['select', 'id,n:count()'], ['group', 'id']]
      // b: as many values as a, so an in list keeps its length
      for (const f of filters) entries.push([f.name, filterText(f.op, f.neg, pick === 'a' ? f.a : f.b.slice(0, f.a.length))])
      if (limit !== null) entries.push(['limit', String(limit)])
      return compileBigQuery(plan(entries), source())
    }
    const a = build('a')
    const b = build('b')
    runs++
    if (a.sql.includes(MARK)) throw new Error(`a string value reached the SQL: ${a.sql}`)
    // every @pN in the SQL is a parameter, in order, each used
    const used = [...a.sql.matchAll(/@(p\d+)/g)].map((m) => m[1])
    if (new Set(used).size !== a.params.length || a.params.some((q, i) => q.name !== `p${i}` || !used.includes(q.name))) {
      throw new Error(`parameters and placeholders disagree: ${a.sql} ${JSON.stringify(a.params)}`)
    }
    // float specials (NaN, ±inf) change the SQL on purpose; generated values are finite
    if (a.sql !== b.sql) throw new Error(`the SQL depends on the values:\n${a.sql}\n${b.sql}`)
  }), { numRuns: Number(process.env.BQ_PROPERTY_RUNS ?? 300) })
  t.ok(runs > 0, `${runs} random plans`)
})
