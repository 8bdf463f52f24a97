// source_table parsing, source_query validation, and discovery against a real server:
// read-only, no rows read, clear 422s for what PostgreSQL refuses.
import t from 'tap'
import pg from 'pg'
import { SluiceError } from '../proto/errors.js'
import { discoverColumns, estimateRows, MAX_SOURCE_QUERY_BYTES, sourceQueryFrom, sourceTableFrom } from '../src/connectors/postgres-discover.js'
import { compilePostgres, parseExploreParams } from '../src/query/index.js'
import { rejects } from './helpers/errors.js'
import { pgTestDatabase } from './helpers/pg.js'

function thrown(fn: () => unknown): SluiceError {
  try {
    fn()
  } catch (err) {
    if (err instanceof SluiceError) return err
    throw err
  }
  throw new Error('expected a SluiceError')
}

t.test('source_table: schema.table, plain (folded to lower case) or double-quoted parts', async (t) => {
  t.same(sourceTableFrom('public.orders'), { schema: 'public', table: 'orders', from: '"public"."orders"' })
  t.same(sourceTableFrom(' Sales.Orders_2024 '), { schema: 'sales', table: 'orders_2024', from: '"sales"."orders_2024"' })
  t.same(sourceTableFrom('"My Schema"."my.table"'), { schema: 'My Schema', table: 'my.table', from: '"My Schema"."my.table"' })
  t.same(sourceTableFrom('"a""b"."""x"""'), { schema: 'a"b', table: '"x"', from: '"a""b"."""x"""' })
  t.same(sourceTableFrom('"Public".ünï'), { schema: 'Public', table: 'ünï', from: '"Public"."ünï"' })
  t.same(sourceTableFrom('s."x; DROP TABLE t"'), { schema: 's', table: 'x; DROP TABLE t', from: '"s"."x; DROP TABLE t"' })
  for (const bad of ['', 'orders', 'a.b.c', '.x', 'a.', '"unterminated.x', '"".x', 'a b.c', 'a."b"x', '1a.b', 'a.b;drop', `a.${'x'.repeat(64)}`, 'a."b\0"', 'a . b']) {
    const err = thrown(() => sourceTableFrom(bad))
    t.equal(err.status, 422, `${JSON.stringify(bad)} → 422`)
    t.equal(err.code, 'invalid_parameter')
    t.match(err.message, /source_table/)
  }
})

t.test('source_query: one read-only query, clear messages for the rest', async (t) => {
  t.equal(sourceQueryFrom('SELECT 1'), '(\nSELECT 1\n)')
  t.equal(sourceQueryFrom('  select 1 ;  \n'), '(\n  select 1\n)', 'a trailing ; and whitespace go')
  t.equal(sourceQueryFrom('SELECT 1 -- trailing comment'), '(\nSELECT 1 -- trailing comment\n)', 'the newline keeps the ) out of the comment')
  t.equal(sourceQueryFrom('SELECT 1; -- done'), '(\nSELECT 1\n)')
  for (const ok of [
    'WITH x AS (SELECT 1 AS a) SELECT * FROM x', 'VALUES (1), (2)', 'TABLE public.t', '(SELECT 1) UNION ALL (SELECT 2)',
    '/* lead /* nested */ comment */ -- line\n SELECT 1', `SELECT ';' AS a, ')' AS b, $$;)$$ AS c, $q$ $$ ; $q$ AS d, E'\\';(' AS e, "x;)" FROM t`,
    `SELECT U&'d\\0061t;' AS u, U&"a;)" FROM t`, 'SELECT $1x', 'SeLeCt 1',
  ]) t.doesNotThrow(() => sourceQueryFrom(ok), ok)
  const cases: Array<[string, RegExp]> = [
    ['', /empty/], ['   \n ', /empty/], [';', /empty/], ['-- only a comment', /empty/],
    ['INSERT INTO t VALUES (1)', /got "INSERT"/], ['UPDATE t SET a = 1', /got "UPDATE"/], ['DELETE FROM t', /got "DELETE"/],
    ['DROP TABLE t', /got "DROP"/], ['COPY t TO STDOUT', /got "COPY"/], ['CALL p()', /got "CALL"/], ['DO $$ BEGIN END $$', /got "DO"/],
    ['SET search_path = x', /got "SET"/], ['/* hi */ TRUNCATE t', /got "TRUNCATE"/], ['(DELETE FROM t)', /got "DELETE"/],
    ['SELECT 1; DROP TABLE x', /more than one statement/], ['SELECT 1;;', /more than one statement/],
    ['SELECT 1) UNION (SELECT 2', /unbalanced/], ['SELECT (1', /unbalanced/], ['SELECT 1); DROP TABLE t; (SELECT 1', /unbalanced/],
    ["SELECT 'abc", /unterminated string/], ['SELECT "abc', /unterminated quoted identifier/], ['SELECT $$abc', /unterminated dollar/],
    ['SELECT /* abc', /unterminated/], ["SELECT E'abc\\'", /unterminated string/], ['SELECT 1 \0', /NUL/], ['42', /something else/],
  ]
  for (const [query, message] of cases) {
    const err = thrown(() => sourceQueryFrom(query))
    t.equal(err.status, 422, `${JSON.stringify(query)} → 422`)
    t.equal(err.code, 'invalid_query')
    t.match(err.message, /^source_query: /)
    t.match(err.message, message, JSON.stringify(query))
  }
  t.equal(thrown(() => sourceQueryFrom(`SELECT '${'x'.repeat(MAX_SOURCE_QUERY_BYTES)}'`)).code, 'invalid_query', 'over 100 kB')
})

t.test('on PostgreSQL', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.t (id int4 NOT NULL, name text, amount numeric(12,2))`)
  await db.query(`INSERT INTO public.t SELECT g, 'n' || g, g FROM generate_series(1, 1000) g`)
  await db.query(`CREATE SCHEMA "My Schema"`)
  await db.query(`CREATE TABLE "My Schema"."my.table" ("Id" int8 NOT NULL, "a""b" text)`)
  const rowCount = async () => Number((await db.query(`SELECT count(*) AS n FROM public.t`)).rows[0].n)
  const discoverQuery = (q: string) => discoverColumns(db.client, sourceQueryFrom(q))

  await t.test('tables: columns, nullability, quoted names', async (t) => {
    const tt = sourceTableFrom('public.t')
    const cols = await discoverColumns(db.client, tt.from, tt)
    t.same(cols.map((c) => [c.name, c.field.type, c.field.nullable]), [['id', 'int32', false], ['name', 'string', true], ['amount', 'decimal', true]])
    const q = sourceTableFrom('"My Schema"."my.table"')
    t.same((await discoverColumns(db.client, q.from, q)).map((c) => [c.name, c.field.nullable]), [['Id', false], ['a"b', true]])
    t.equal(db.client.getTransactionStatus(), 'I', 'its own transaction is over')
    const missing = sourceTableFrom('public.nope')
    const err = await rejects(discoverColumns(db.client, missing.from, missing))
    t.equal(err.status, 422)
    t.equal(err.code, 'invalid_parameter')
    t.match(err.message, /source_table.*nope.*does not exist/)
  })

  await t.test('source queries: WITH and VALUES work; every column nullable', async (t) => {
    const cols = await discoverQuery('WITH x AS (SELECT id, name FROM public.t) SELECT * FROM x')
    t.same(cols.map((c) => [c.name, c.field.type, c.field.nullable]), [['id', 'int32', true], ['name', 'string', true]])
    t.same((await discoverQuery('VALUES (1, \'a\')')).map((c) => c.name), ['column1', 'column2'])
    t.same((await discoverQuery('TABLE public.t;')).map((c) => c.name), ['id', 'name', 'amount'])
  })

  await t.test('duplicate or unnamed columns are 422 naming them', async (t) => {
    const err = await rejects(discoverQuery('SELECT 1 AS a, 2 AS a, 3 AS b, 4 AS b'))
    t.equal(err.code, 'invalid_query')
    t.match(err.message, /duplicate column names "a", "b"/)
    t.match((await rejects(discoverQuery('SELECT 1, 2'))).message, /"\?column\?"/)
  })

  await t.test('what PostgreSQL refuses is 422 invalid_query, and nothing is written', async (t) => {
    for (const q of [
      'WITH d AS (DELETE FROM public.t RETURNING *) SELECT * FROM d',
      'WITH d AS (INSERT INTO public.t VALUES (0) RETURNING *) SELECT * FROM d',
      'SELECT * INTO public.copy FROM public.t',
      'SELECT * FROM public.nope',
      'SELECT FROM WHERE',
      'SELECT * FROM public.t FOR UPDATE',
    ]) {
      const err = await rejects(discoverQuery(q))
      t.equal(err.status, 422, q)
      t.equal(err.code, 'invalid_query', q)
      t.match(err.message, /^source_query: /)
    }
    t.equal(await rowCount(), 1000)
    t.equal((await db.query(`SELECT to_regclass('public.copy') AS r`)).rows[0].r, null)
  })

  await t.test('a second statement cannot get past the driver either (extended protocol)', async (t) => {
    const err = await rejects(discoverColumns(db.client, '(SELECT 1); DROP TABLE public.t; (SELECT 1)'))
    t.equal(err.code, 'invalid_query')
    t.equal(await rowCount(), 1000, 'the table is still there')
  })

  await t.test('a function that writes: discovery does not call it, reading fails as READ ONLY', async (t) => {
    await db.query(`CREATE FUNCTION public.writer() RETURNS int LANGUAGE sql VOLATILE AS 'INSERT INTO public.t VALUES (-1) RETURNING 1'`)
    const from = sourceQueryFrom('SELECT public.writer() AS w')
    const cols = await discoverColumns(db.client, from)
    t.same(cols.map((c) => c.name), ['w'])
    const fields = cols.map((c) => c.field)
    const plan = parseExploreParams([], fields).plan
    const { sql, params } = compilePostgres(plan, { from, columns: new Map([['w', '"w"']]), fields: new Map(fields.map((f) => [f.name, f])) })
    // how every read of a source runs (workers open the same transaction)
    await db.query('BEGIN TRANSACTION READ ONLY')
    await t.rejects(db.query(sql, params), { code: '25006' })
    await db.query('ROLLBACK')
    t.equal(await rowCount(), 1000)
  })

  await t.test('inside a caller\'s transaction: made read-only, left open', async (t) => {
    await db.query('BEGIN')
    await discoverQuery('SELECT 1 AS x')
    t.equal(db.client.getTransactionStatus(), 'T')
    t.equal((await db.query('SHOW transaction_read_only')).rows[0].transaction_read_only, 'on')
    await db.query('ROLLBACK')
  })

  await t.test('its own transaction is READ ONLY and rolled back', async (t) => {
    const sent: string[] = []
    const spy = new Proxy(db.client, {
      get(target, prop, receiver) {
        if (prop === 'query') return (q: string | { text: string }, ...rest: unknown[]) => { sent.push(typeof q === 'string' ? q : q.text); return (target.query as (...a: unknown[]) => unknown).call(target, q, ...rest) }
        const v = Reflect.get(target, prop, receiver)
        return typeof v === 'function' ? v.bind(target) : v
      },
    })
    await discoverColumns(spy, sourceQueryFrom('SELECT 1 AS x'), undefined, { statementTimeoutMs: 5000 })
    t.equal(sent[0], 'BEGIN TRANSACTION READ ONLY')
    t.match(sent[1], /set_config\('statement_timeout'/)
    t.equal(sent[sent.length - 1], 'ROLLBACK')
  })

  await t.test('discovery reads no rows: slow queries answer at once under LIMIT 0', async (t) => {
    for (const q of [
      'SELECT pg_sleep(10) AS s',
      'SELECT * FROM (SELECT pg_sleep(10)::text AS s) x ORDER BY 1',
      'WITH x AS MATERIALIZED (SELECT pg_sleep(10) AS s) SELECT * FROM x',
      'SELECT count(*) AS n FROM generate_series(1, 10000000000) g',
    ]) {
      const start = Date.now()
      const cols = await discoverQuery(q)
      t.ok(Date.now() - start < 2000, `${q}: ${Date.now() - start} ms`)
      t.equal(cols.length, 1)
    }
  })

  await t.test('statement_timeout applies: a source locked by another session times out (504)', async (t) => {
    const other = new pg.Client({ connectionString: db.url })
    await other.connect()
    t.teardown(() => other.end())
    await other.query('BEGIN')
    await other.query('LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE')
    const tt = sourceTableFrom('public.t')
    const start = Date.now()
    const err = await rejects(discoverColumns(db.client, tt.from, tt, { statementTimeoutMs: 300 }))
    t.equal(err.status, 504)
    t.equal(err.code, 'query_timeout')
    t.ok(Date.now() - start < 5000)
    await other.query('ROLLBACK')
    t.equal(db.client.getTransactionStatus(), 'I')
  })

  await t.test('estimateRows: reltuples, null when unknown', async (t) => {
    await db.query(`CREATE TABLE public.fresh (x int)`)
    t.equal(await estimateRows(db.client, 'public', 'fresh'), null, 'never analyzed')
    t.equal(await estimateRows(db.client, 'public', 'nope'), null, 'no such table')
    await db.query(`ANALYZE public.t`)
    t.equal(await estimateRows(db.client, 'public', 't'), 1000)
    await db.query(`CREATE TABLE public.parts (k int, v text) PARTITION BY RANGE (k)`)
    await db.query(`CREATE TABLE public.parts_a PARTITION OF public.parts FOR VALUES FROM (0) TO (100)`)
    await db.query(`CREATE TABLE public.parts_b PARTITION OF public.parts FOR VALUES FROM (100) TO (1000)`)
    await db.query(`INSERT INTO public.parts SELECT g, 'x' FROM generate_series(0, 499) g`)
    await db.query(`ANALYZE public.parts`)
    t.equal(await estimateRows(db.client, 'public', 'parts'), 500, 'a partitioned table sums its leaves')
  })
})
