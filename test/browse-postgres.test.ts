// Browsing a PostgreSQL connector: schemas without the system ones, the tables, views,
// materialized views and partitioned tables of a schema with row estimates (after ANALYZE;
// null before) and their columns (PostgreSQL type and logical type), paginated; only what the
// connector's user may read; editors and admins only; unknown connectors 404.
import t from 'tap'
import crypto from 'node:crypto'
import { startServer } from './helpers/server.js'
import pg_ from 'pg'
import { pgServerUrl, pgTestDatabase } from './helpers/pg.js'
import { schemaValidator } from './helpers/lakehouse.js'

interface Page<T> { total: number; limit: number; offset: number; items: T[] }
interface Column { name: string; type: string; nullable: boolean; pg_type: string }
interface Table { name: string; source_table: string; kind: string; schema: Column[]; partition_columns: string[]; version: null; row_count: number | null; error: null }

t.test('browse a PostgreSQL connector', async (t) => {
  const pg = await pgTestDatabase(t)
  await pg.query(`
    CREATE SCHEMA sales;
    CREATE SCHEMA "Mixed Case";
    CREATE SCHEMA empty;
    CREATE SCHEMA hidden;
    CREATE DOMAIN sales.positive_int AS integer CHECK (VALUE > 0);
    CREATE DOMAIN sales.price AS numeric(12, 2);
    CREATE TYPE sales.mood AS ENUM ('happy', 'sad');
    CREATE TABLE sales.orders (
      id bigint PRIMARY KEY, region text NOT NULL, amount numeric(12, 2), qty sales.positive_int, unit sales.price,
      tags text[], at timestamptz, local_at timestamp, day date, mood sales.mood, payload jsonb, raw bytea, ok boolean,
      code varchar(8), ratio double precision, dropped int);
    ALTER TABLE sales.orders DROP COLUMN dropped;
    INSERT INTO sales.orders (id, region, amount, qty) SELECT g, 'EU', g, 1 FROM generate_series(1, 1000) g;
    CREATE TABLE sales.never_analyzed (v int);
    CREATE VIEW sales.eu_orders AS SELECT id, amount FROM sales.orders WHERE region = 'EU';
    CREATE MATERIALIZED VIEW sales.by_region AS SELECT region, count(*) AS n FROM sales.orders GROUP BY region;
    CREATE TABLE sales.events (id int, day date NOT NULL) PARTITION BY RANGE (day);
    CREATE TABLE sales.events_2024 PARTITION OF sales.events FOR VALUES FROM ('2024-01-01') TO ('2025-01-01');
    CREATE TABLE sales.events_2025 PARTITION OF sales.events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
    INSERT INTO sales.events SELECT g, DATE '2024-06-01' + (g % 400) FROM generate_series(1, 300) g;
    CREATE TABLE "Mixed Case"."Q1.orders" ("Order Id" int);
    CREATE TABLE hidden.secret (v int);
    ANALYZE sales.orders; ANALYZE sales.by_region; ANALYZE sales.events_2024; ANALYZE sales.events_2025;
  `)
  // A temporary table makes pg_temp_N / pg_toast_temp_N schemas exist in this database.
  await pg.query('CREATE TEMP TABLE scratch (v int)')

  // A login role that may use sales (SELECT on two relations only), not `hidden`.
  const role = `sluice_browse_${crypto.randomBytes(4).toString('hex')}`
  const rolePassword = `rp-${crypto.randomBytes(8).toString('hex')}`
  await pg.query(`CREATE ROLE ${role} LOGIN PASSWORD '${rolePassword}'`)
  await pg.query(`GRANT CONNECT ON DATABASE "${pg.database}" TO ${role}; GRANT USAGE ON SCHEMA sales TO ${role}; GRANT SELECT ON sales.orders, sales.eu_orders TO ${role}`)
  t.teardown(() => dropRole(pg.url, role))

  const s = await startServer()
  t.teardown(() => s.stop())
  const admin = { roles: ['admin'] }
  const password = pg.password || 'unused-under-trust'
  for (const [id, user, pw] of [['pg', pg.user, password], ['limited', role, rolePassword]] as const) {
    const r = await s.api('/api/connectors', { method: 'POST', claims: admin, body: JSON.stringify({ id, type: 'postgres', config: { host: pg.host, port: pg.port, database: pg.database, user, password: pw } }) })
    t.equal(r.status, 201, await r.text())
  }
  const get = async <T>(p: string, claims: { org?: string; roles: string[] } = { roles: ['editor'] }) => {
    const r = await s.api(p, { claims })
    return { status: r.status, body: await r.json() as T }
  }
  const schemas = (q = '', claims?: { org?: string; roles: string[] }) => get<Page<{ name: string }>>(`/api/datasets/browse/schemas?connector_id=pg${q}`, claims)
  const tables = (schema: string, q = '', id = 'pg') => get<Page<Table>>(`/api/datasets/browse/tables?connector_id=${id}&schema=${encodeURIComponent(schema)}${q}`)

  t.test('schemas: the user schemas, not the system ones, paginated', async (t) => {
    const { status, body } = await schemas()
    t.equal(status, 200)
    t.ok(schemaValidator('BrowseSchemaList')(body), 'a BrowseSchemaList')
    t.same(body, { total: 5, limit: 50, offset: 0, items: [{ name: 'Mixed Case' }, { name: 'empty' }, { name: 'hidden' }, { name: 'public' }, { name: 'sales' }] }, 'code point order, no pg_* or information_schema')
    t.same((await schemas('&limit=2&offset=1')).body, { total: 5, limit: 2, offset: 1, items: [{ name: 'empty' }, { name: 'hidden' }] })
    t.same((await schemas('&offset=10')).body, { total: 5, limit: 50, offset: 10, items: [] })
    t.equal((await schemas('&limit=1000')).body.limit, 200, 'limit is clamped to 200')
    t.equal((await schemas('', { roles: ['admin'] })).status, 200, 'admins may browse')
    const limited = await get<Page<{ name: string }>>('/api/datasets/browse/schemas?connector_id=limited')
    t.same(limited.body.items.map((i) => i.name), ['public', 'sales'], 'only the schemas its user may use')
  })

  t.test('tables: kinds, columns with both types, row estimates', async (t) => {
    const { status, body } = await tables('sales')
    t.equal(status, 200, JSON.stringify(body))
    const valid = schemaValidator('BrowseTableList')
    t.ok(valid(body), `a BrowseTableList: ${valid.text()}`)
    t.same(body.items.map((i) => [i.name, i.kind, i.row_count]), [
      ['by_region', 'materialized_view', 1],
      ['eu_orders', 'view', null],
      ['events', 'partitioned_table', 300],
      ['never_analyzed', 'table', null],
      ['orders', 'table', 1000],
    ], 'partitions are not listed; estimates after ANALYZE, null before and for views')
    t.equal(body.total, 5)
    const orders = body.items.find((i) => i.name === 'orders')!
    t.match(orders, { source_table: 'sales.orders', partition_columns: [], version: null, error: null })
    t.same(orders.schema, [
      { name: 'id', type: 'int64', nullable: false, pg_type: 'bigint' },
      { name: 'region', type: 'string', nullable: false, pg_type: 'text' },
      { name: 'amount', type: 'decimal(12,2)', nullable: true, pg_type: 'numeric(12,2)' },
      { name: 'qty', type: 'int32', nullable: true, pg_type: 'sales.positive_int' },
      { name: 'unit', type: 'decimal(12,2)', nullable: true, pg_type: 'sales.price' },
      { name: 'tags', type: 'json', nullable: true, pg_type: 'text[]' },
      { name: 'at', type: 'timestamp', nullable: true, pg_type: 'timestamp with time zone' },
      { name: 'local_at', type: 'timestamp', nullable: true, pg_type: 'timestamp without time zone' },
      { name: 'day', type: 'date', nullable: true, pg_type: 'date' },
      { name: 'mood', type: 'string', nullable: true, pg_type: 'sales.mood' },
      { name: 'payload', type: 'json', nullable: true, pg_type: 'jsonb' },
      { name: 'raw', type: 'binary', nullable: true, pg_type: 'bytea' },
      { name: 'ok', type: 'boolean', nullable: true, pg_type: 'boolean' },
      { name: 'code', type: 'string', nullable: true, pg_type: 'character varying(8)' },
      { name: 'ratio', type: 'float64', nullable: true, pg_type: 'double precision' },
    ], 'columns in order (dropped ones gone), domains by their base type')
    t.same(body.items.find((i) => i.name === 'eu_orders')!.schema.map((c) => `${c.name}:${c.type}`), ['id:int64', 'amount:decimal(12,2)'])
    t.same(body.items.find((i) => i.name === 'events')!.schema.map((c) => `${c.name}:${c.type}:${c.nullable}`), ['id:int32:true', 'day:date:false'])

    t.same((await tables('sales', '&limit=2&offset=1')).body.items.map((i) => i.name), ['eu_orders', 'events'], 'paginated')
    t.same((await tables('sales', '&offset=9')).body, { total: 5, limit: 50, offset: 9, items: [] })
    t.same((await tables('empty')).body, { total: 0, limit: 50, offset: 0, items: [] })
    const mixed = await tables('Mixed Case')
    t.same(mixed.body.items.map((i) => [i.name, i.source_table, i.schema[0]!.name]), [['Q1.orders', '"Mixed Case"."Q1.orders"', 'Order Id']], 'names that need quoting are quoted in source_table')
    const limited = await tables('sales', '', 'limited')
    t.same(limited.body.items.map((i) => i.name), ['eu_orders', 'orders'], 'only relations its user may SELECT from')
  })

  t.test('bad parameters, unknown connectors, roles', async (t) => {
    const bad = async (p: string, code: string, message: RegExp, status = 422) => {
      const r = await get<{ error: string; message: string }>(p)
      t.match([r.status, r.body], [status, { error: code, message }], p)
    }
    await bad('/api/datasets/browse/tables?connector_id=pg', 'invalid_parameter', /"schema"/)
    await bad('/api/datasets/browse/tables?connector_id=pg&schema=nope', 'invalid_parameter', /"schema".*no schema "nope"/)
    await bad('/api/datasets/browse/tables?connector_id=pg&schema=pg_catalog', 'invalid_parameter', /"schema"/)
    await bad('/api/datasets/browse/tables?connector_id=pg&schema=information_schema', 'invalid_parameter', /"schema"/)
    await bad('/api/datasets/browse/tables?connector_id=limited&schema=hidden', 'invalid_parameter', /"schema"/)
    await bad('/api/datasets/browse/schemas?connector_id=pg&limit=x', 'invalid_parameter', /"limit"/)
    await bad('/api/datasets/browse/schemas', 'invalid_parameter', /"connector_id"/)
    await bad('/api/datasets/browse/schemas?connector_id=nope', 'connector_not_found', /nope/, 404)
    await bad('/api/datasets/browse/tables?connector_id=nope&schema=sales', 'connector_not_found', /nope/, 404)
    const otherOrg = await get<{ error: string }>('/api/datasets/browse/schemas?connector_id=pg', { org: 'globex', roles: ['admin'] })
    t.match([otherOrg.status, otherOrg.body], [404, { error: 'connector_not_found' }], "another org's connector is not found")
    for (const p of ['/api/datasets/browse/schemas?connector_id=pg', '/api/datasets/browse/tables?connector_id=pg&schema=sales', '/api/datasets/browse/schemas?connector_id=nope']) {
      const r = await get<{ error: string }>(p, { roles: ['viewer'] })
      t.match([r.status, r.body], [403, { error: 'forbidden' }], `viewers may not browse: ${p}`)
    }
  })

  t.test('the lakehouse connector is browsed as before', async (t) => {
    t.same((await get<Page<unknown>>('/api/datasets/browse/schemas?connector_id=lakehouse')).body, { total: 0, limit: 50, offset: 0, items: [] })
  })
})

/** Roles are per server, not per database: drop it whether or not the test database is still there. */
async function dropRole(dbUrl: string, role: string): Promise<void> {
  for (const url of [dbUrl, await pgServerUrl()]) {
    const c = new pg_.Client({ connectionString: url })
    try {
      await c.connect()
      if (url === dbUrl) await c.query(`DROP OWNED BY ${role}`)
      await c.query(`DROP ROLE IF EXISTS ${role}`)
      return
    } catch {
      // the database is gone already (or the role still owns something there): try from the server's default database
    } finally {
      await c.end().catch(() => {})
    }
  }
}
