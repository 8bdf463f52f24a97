// PostgreSQL types → logical types (proto/POSTGRES.md): a real table with one column of every
// documented type, discovered with discoverColumns; then the value expressions run on it.
import t from 'tap'
import { discoverColumns, sourceQueryFrom, sourceTableFrom } from '../src/connectors/postgres-discover.js'
import { mapPgType, numericTypmod, valueExpr, type PgConversion } from '../src/connectors/postgres-types.js'
import { quoteIdent } from '../src/query/index.js'
import { typeName } from '../proto/types.js'
import { pgTestDatabase } from './helpers/pg.js'

/** column → [SQL type, expected logical type name, conversion] */
const COLUMNS: Array<[string, string, string, PgConversion]> = [
  ['c_int2', 'int2', 'int16', 'none'],
  ['c_int4', 'int4', 'int32', 'none'],
  ['c_int8', 'int8', 'int64', 'none'],
  ['c_oid', 'oid', 'int64', 'int8'],
  ['c_num', 'numeric(12,2)', 'decimal(12,2)', 'none'],
  ['c_num38', 'numeric(38,10)', 'decimal(38,10)', 'none'],
  ['c_num50', 'numeric(50,4)', 'decimal(38,4)', 'none'],
  ['c_num_int', 'numeric(5)', 'decimal(5,0)', 'none'],
  ['c_num_free', 'numeric', 'decimal(38,9)', 'numeric'],
  ['c_float4', 'float4', 'float32', 'none'],
  ['c_float8', 'float8', 'float64', 'none'],
  ['c_bool', 'bool', 'boolean', 'none'],
  ['c_text', 'text', 'string', 'none'],
  ['c_varchar', 'varchar(20)', 'string', 'none'],
  ['c_bpchar', 'char(5)', 'string', 'text'],
  ['c_char', '"char"', 'string', 'text'],
  ['c_name', 'name', 'string', 'text'],
  ['c_citext', 'citext', 'string', 'text'],
  ['c_date', 'date', 'date', 'none'],
  ['c_tstz', 'timestamptz', 'timestamp', 'none'],
  ['c_ts', 'timestamp', 'timestamp', 'utc'],
  ['c_ts3', 'timestamp(3)', 'timestamp', 'utc'],
  ['c_time', 'time', 'time', 'none'],
  ['c_timetz', 'timetz', 'string', 'text'],
  ['c_interval', 'interval', 'string', 'text'],
  ['c_uuid', 'uuid', 'string', 'text'],
  ['c_json', 'json', 'json', 'jsontext'],
  ['c_jsonb', 'jsonb', 'json', 'jsontext'],
  ['c_bytea', 'bytea', 'binary', 'none'],
  ['c_int_array', 'int4[]', 'json', 'json'],
  ['c_text_array', 'text[]', 'json', 'json'],
  ['c_enum', 'mood', 'string', 'text'],
  ['c_money', 'money', 'decimal(38,2)', 'money'],
  ['c_domain', 'positive_amount', 'decimal(10,3)', 'none'],
  ['c_domain2', 'small_amount', 'decimal(10,3)', 'none'],
  ['c_domain_text', 'email', 'string', 'none'],
  ['c_inet', 'inet', 'string', 'text'],
  ['c_xml', 'xml', 'string', 'text'],
  ['c_tsvector', 'tsvector', 'string', 'text'],
  ['c_point', 'point', 'string', 'text'],
  ['c_range', 'int4range', 'string', 'text'],
  ['c_composite', 'pair', 'string', 'text'],
  ['c_bit', 'bit(3)', 'string', 'text'],
]

t.test('every documented type maps as proto/POSTGRES.md says', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE EXTENSION IF NOT EXISTS citext`).catch(() => {})
  const hasCitext = (await db.query(`SELECT 1 FROM pg_extension WHERE extname = 'citext'`)).rowCount === 1
  await db.query(`CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy')`)
  await db.query(`CREATE TYPE pair AS (a int, b text)`)
  await db.query(`CREATE DOMAIN positive_amount AS numeric(10,3) CHECK (VALUE > 0)`)
  await db.query(`CREATE DOMAIN small_amount AS positive_amount CHECK (VALUE < 1000)`)
  await db.query(`CREATE DOMAIN email AS text`)
  const cols = COLUMNS.filter(([, type]) => hasCitext || type !== 'citext')
  await db.query(`CREATE TABLE public.all_types (${cols.map(([n, type]) => `${n} ${type}`).join(', ')}, c_not_null int4 NOT NULL)`)
  await db.query(`INSERT INTO public.all_types (c_int2, c_oid, c_num_free, c_ts, c_int_array, c_text_array, c_money, c_bpchar, c_not_null)
    VALUES (7, 4000000000, 1.23456789012, '2024-03-01 10:00:00', '{1,NULL,3}', '{"a\\"b",NULL}', '12.34', 'ab', 1)`)
  const table = sourceTableFrom('public.all_types')
  const columns = await discoverColumns(db.client, table.from, { schema: table.schema, table: table.table })
  const byName = new Map(columns.map((c) => [c.name, c]))
  for (const [name, sqlType, logical, conversion] of cols) {
    const c = byName.get(name)
    t.ok(c, `${name} discovered`)
    if (!c) continue
    t.equal(typeName(c.field), logical, `${name} ${sqlType} → ${logical}`)
    t.equal(c.conversion, conversion, `${name} ${sqlType} conversion ${conversion}`)
    t.equal(c.field.nullable, true, `${name} nullable`)
    t.type(c.pgType, 'string')
  }
  // PostgreSQL's RowDescription already names a domain's base type (and its typmod)
  t.equal(byName.get('c_domain')?.pgType, 'numeric(10,3)', 'pgType of a domain is its base type')
  t.equal(byName.get('c_num')?.pgType, 'numeric(12,2)')
  t.equal(byName.get('c_not_null')?.field.nullable, false, 'NOT NULL column is not nullable')
  t.same(columns.map((c) => c.name), [...cols.map(([n]) => n), 'c_not_null'], 'columns in table order')
  if (!hasCitext) t.comment('citext extension not available: skipped')

  // the value expressions run and give canonical text
  const list = columns.map((c) => `${valueExpr(quoteIdent(c.name), c.conversion)} AS ${quoteIdent(c.name)}`).join(', ')
  await db.query(`SET TimeZone = 'UTC'`)
  const { rows } = await db.query(`SELECT ${list} FROM ${table.from}`)
  const row = rows[0] as Record<string, unknown>
  t.equal(row.c_oid, '4000000000', 'oid as int8 keeps unsigned values')
  t.equal(row.c_num_free, '1.234567890', 'unconstrained numeric rounded to 9 digits')
  t.equal((row.c_ts as Date).toISOString(), '2024-03-01T10:00:00.000Z', 'timestamp without time zone read as UTC')
  t.equal(row.c_int_array, '[1,null,3]', 'arrays as JSON text')
  t.equal(row.c_text_array, '["a\\"b",null]')
  t.equal(row.c_money, '12.34', 'money as numeric')
  t.equal(row.c_bpchar, 'ab', 'char(n) without its padding')
})

t.test('a source query maps the same way; domains inside a query resolve too', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE DOMAIN price AS numeric(8,2)`)
  const from = sourceQueryFrom(`SELECT 1::int2 AS a, 2.5::price AS p, now() AS ts, ARRAY[1,2] AS arr, 'x'::text AS s, NULL AS n, 1.5::numeric AS free`)
  const columns = await discoverColumns(db.client, from)
  t.same(columns.map((c) => [c.name, typeName(c.field), c.conversion, c.field.nullable]), [
    ['a', 'int16', 'none', true],
    ['p', 'decimal(8,2)', 'none', true],
    ['ts', 'timestamp', 'none', true],
    ['arr', 'json', 'json', true],
    ['s', 'string', 'none', true],
    ['n', 'string', 'none', true],
    ['free', 'decimal(38,9)', 'numeric', true],
  ])
})

t.test('mapPgType edge cases without a server', async (t) => {
  const info = (oid: number, typname: string, typmod = -1, typtype = 'b', typcategory = 'X') =>
    ({ oid, typname, typtype, typcategory, typmod, formatted: typname })
  const num = (p: number, s: number) => ((p << 16) | (s & 0x7ff)) + 4
  t.same(numericTypmod(num(12, 2)), { precision: 12, scale: 2 })
  t.same(numericTypmod(num(5, -2)), { precision: 5, scale: -2 }, 'negative scale (PostgreSQL 15)')
  t.equal(numericTypmod(-1), null)
  t.equal(typeName(mapPgType('x', info(1700, 'numeric', num(5, -2)), true).field), 'decimal(7,0)', 'negative scale: integers')
  t.equal(typeName(mapPgType('x', info(1700, 'numeric', num(3, 5)), true).field), 'decimal(5,5)', 'scale above precision')
  t.equal(typeName(mapPgType('x', info(1700, 'numeric', num(60, 50)), true).field), 'decimal(38,38)', 'huge scale clamped')
  t.same(mapPgType('x', info(23, 'int4'), false).field, { name: 'x', type: 'int32', nullable: false })
  t.equal(mapPgType('x', info(99999, 'int4'), true).field.type, 'string', 'a user type named like a built-in is not one')
  t.equal(mapPgType('x', info(99999, 'whatever', -1, 'd'), true).conversion, 'text', 'an unresolved domain falls back to text')
  t.equal(mapPgType('x', info(99999, 'whatever', -1, 'p'), true).field.type, 'string', 'pseudo types (void, record) are text')
  t.equal(valueExpr('"a"', 'none'), '"a"')
  t.equal(valueExpr('"a"', 'utc'), `("a" AT TIME ZONE 'UTC')`)
  t.equal(valueExpr('"a"', 'json'), 'to_json("a")::text')
  t.equal(valueExpr('"a"', 'numeric'), 'round("a", 9)')
})
