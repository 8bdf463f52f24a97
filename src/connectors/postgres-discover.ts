/**
 * What a PostgreSQL source looks like, without reading its rows: the `source_table` and
 * `source_query` a dataset names (validated and turned into one FROM-clause item), the
 * columns with their logical types (postgres-types.ts), and the planner's row estimate.
 *
 * Runs on the main thread with a connected client it is given: a handful of small catalog
 * queries, never a row of the source (the source is read with `LIMIT 0`).
 */
import type pg from 'pg'
import { SluiceError, invalidParameter, invalidQuery } from '../../proto/errors.js'
import { pgErrorToSluice } from '../../proto/pg-errors.js'
import { quoteIdent } from '../query/index.js'
import { mapPgType, type PgSourceColumn, type PgTypeInfo } from './postgres-types.js'
import { scanSourceQuery } from './postgres-query-lexer.js'

export { quoteIdent }

/** Longest source_query accepted, in UTF-8 bytes. */
export const MAX_SOURCE_QUERY_BYTES = 100 * 1024
/** PostgreSQL truncates identifiers to NAMEDATALEN - 1 bytes; a longer name cannot exist. */
const MAX_IDENT_BYTES = 63

/** A schema-qualified table, with its FROM-clause item `"schema"."table"`. */
export interface PgTableName { schema: string; table: string; from: string }

/**
 * `schema.table` → the names PostgreSQL would resolve and the quoted FROM item. Each part is
 * a plain identifier (folded to lower case, as PostgreSQL does) or a double-quoted one (kept
 * exactly; `""` is one `"`): `public.orders`, `"My Schema"."my.table"`.
 * Throws 422 invalid_parameter "source_table".
 */
export function sourceTableFrom(sourceTable: string): PgTableName {
  const bad = (why: string) => invalidParameter('source_table', `${why}; expected "schema.table" (double-quote a part that holds other characters: "my schema"."my.table")`)
  const text = sourceTable.trim()
  let pos = 0
  const part = (): string => {
    if (text[pos] === '"') {
      let name = ''
      for (pos++; ; pos++) {
        if (pos >= text.length) throw bad('unterminated double-quoted name')
        if (text[pos] === '"') {
          if (text[pos + 1] === '"') { name += '"'; pos++; continue }
          pos++
          break
        }
        name += text[pos]
      }
      if (name === '') throw bad('empty quoted name')
      return checked(name)
    }
    const m = PLAIN_IDENT.exec(text.slice(pos))
    if (m === null) throw bad(pos === 0 ? 'no schema name' : 'no table name after "."')
    pos += m[0].length
    // PostgreSQL folds unquoted identifiers to lower case (ASCII letters only in UTF8 databases)
    return checked(m[0].replace(/[A-Z]+/g, (s) => s.toLowerCase()))
  }
  const checked = (name: string): string => {
    if (name.includes('\0')) throw bad('a name cannot contain a NUL character')
    if (Buffer.byteLength(name) > MAX_IDENT_BYTES) throw bad(`a name is at most ${MAX_IDENT_BYTES} bytes`)
    return name
  }
  if (text === '') throw bad('empty')
  const schema = part()
  if (text[pos] !== '.') throw bad(pos >= text.length ? 'no schema: write the schema too' : `unexpected ${JSON.stringify(text[pos])}`)
  pos++
  const table = part()
  if (pos !== text.length) throw bad(`unexpected ${JSON.stringify(text.slice(pos, pos + 20))} after the table name`)
  return { schema, table, from: `${quoteIdent(schema)}.${quoteIdent(table)}` }
}

const PLAIN_IDENT = /^[\p{L}_][\p{L}\p{M}\p{N}_$]*/u

/**
 * A `source_query` → the FROM-clause item `(\n<query>\n)` (newlines: a trailing `--` comment
 * cannot swallow the closing parenthesis). Accepts one read-only query: SELECT, WITH ...
 * SELECT, VALUES or TABLE, with at most one trailing `;`. Rejects (422 invalid_query) an
 * empty or over-long query, another first keyword (INSERT, COPY, CALL, DO, SET, ...), more
 * than one statement, unbalanced parentheses and unterminated strings or comments.
 *
 * This is the clear-message layer. The guards that hold whatever this misses: PostgreSQL
 * parses the text as a subquery (no data-modifying WITH, no SELECT INTO, one statement:
 * every statement goes out with the extended protocol), and every statement over a source
 * runs in a READ ONLY transaction.
 */
export function sourceQueryFrom(query: string): string {
  if (Buffer.byteLength(query) > MAX_SOURCE_QUERY_BYTES) {
    throw invalidQuery(`source_query: longer than ${MAX_SOURCE_QUERY_BYTES} bytes`)
  }
  const body = scanSourceQuery(query)
  return `(\n${body}\n)`
}

/** Which table a source is, when it is one (for NOT NULL); omit for a source query. */
export interface PgTableRef { schema: string; table: string }

export interface DiscoverOptions {
  /** statement_timeout for the discovery statements (SET LOCAL), ms; 0 = none; absent = the session's */
  statementTimeoutMs?: number
}

/**
 * The columns of `from` (a FROM-clause item from sourceTableFrom / sourceQueryFrom), typed.
 * Reads no row: the source runs under `LIMIT 0`, which PostgreSQL answers without running
 * the subplan. Runs inside a READ ONLY transaction: its own (BEGIN ... ROLLBACK) when the
 * client is idle, else the caller's, which it makes read-only. Nullability comes from
 * pg_attribute.attnotnull when `table` is given; every column of a query is nullable.
 * Throws SluiceError: 422 invalid_query (invalid_parameter "source_table" for a table) for
 * anything PostgreSQL refuses or duplicate / empty column names, 504 query_timeout, 503
 * connector_unavailable when the connection fails.
 */
export async function discoverColumns(client: pg.Client | pg.PoolClient, from: string, table?: PgTableRef, opts: DiscoverOptions = {}): Promise<PgSourceColumn[]> {
  return inReadOnly(client, opts, table, async () => {
    const probe = await run(client, `SELECT * FROM ${from} AS "src" LIMIT 0`, [])
    const fields = probe.fields
    checkNames(fields.map((f) => f.name))
    if (fields.length === 0) return []
    const types = await run<TypeRow>(client, TYPE_QUERY, [
      `{${fields.map((f) => f.dataTypeID).join(',')}}`,
      `{${fields.map((f) => f.dataTypeModifier).join(',')}}`,
    ])
    const byOrd = new Map(types.rows.map((r) => [Number(r.ord), r]))
    const notNull = table ? await notNullColumns(client, table) : new Set<string>()
    return fields.map((f, i) => {
      const r = byOrd.get(i + 1)
      const info: PgTypeInfo = r
        ? { oid: Number(r.oid), typname: r.typname, typtype: r.typtype, typcategory: r.typcategory, typmod: Number(r.typmod), formatted: r.formatted }
        : { oid: f.dataTypeID, typname: 'unknown', typtype: 'b', typcategory: 'X', typmod: f.dataTypeModifier, formatted: 'unknown' }
      return mapPgType(f.name, info, !notNull.has(f.name))
    })
  })
}

interface TypeRow {
  ord: string
  oid: number
  typname: string
  typtype: string
  typcategory: string
  typmod: number
  formatted: string
}

/**
 * One row per result column (by ordinality), with its pg_type facts and format_type text.
 * PostgreSQL's RowDescription already names a domain's base type and typmod (so `formatted`
 * shows the base type); the walk down typbasetype (a domain over a domain too, taking the
 * typmod the domain puts on its base) is there so a domain oid never maps to text.
 */
const TYPE_QUERY = `
WITH RECURSIVE cols AS (
  SELECT u.ord, u.oid, u.typmod FROM unnest($1::oid[], $2::int4[]) WITH ORDINALITY AS u(oid, typmod, ord)
), chain AS (
  SELECT ord, oid, typmod, 0 AS depth FROM cols
  UNION ALL
  SELECT c.ord, t.typbasetype, CASE WHEN c.typmod <> -1 THEN c.typmod ELSE t.typtypmod END, c.depth + 1
  FROM chain c JOIN pg_catalog.pg_type t ON t.oid = c.oid
  WHERE t.typtype = 'd' AND c.depth < 32
)
SELECT DISTINCT ON (ch.ord) ch.ord, t.oid::int8 AS oid, t.typname::text AS typname, t.typtype::text AS typtype,
  t.typcategory::text AS typcategory, ch.typmod, pg_catalog.format_type(c.oid, c.typmod) AS formatted
FROM chain ch
JOIN pg_catalog.pg_type t ON t.oid = ch.oid
JOIN cols c ON c.ord = ch.ord
ORDER BY ch.ord, ch.depth DESC`

async function notNullColumns(client: pg.Client | pg.PoolClient, t: PgTableRef): Promise<Set<string>> {
  const r = await run<{ attname: string }>(client, `
SELECT a.attname::text AS attname
FROM pg_catalog.pg_attribute a
JOIN pg_catalog.pg_class c ON c.oid = a.attrelid
JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2 AND a.attnum > 0 AND NOT a.attisdropped AND a.attnotnull`, [t.schema, t.table])
  return new Set(r.rows.map((x) => x.attname))
}

/** Duplicate or empty column names cannot be addressed: 422 naming them. */
function checkNames(names: string[]): void {
  if (names.some((n) => n === '')) throw invalidQuery('source_query: a result column has an empty name; give it one with AS')
  const seen = new Set<string>()
  const dups = new Set<string>()
  for (const n of names) (seen.has(n) ? dups : seen).add(n)
  if (dups.size > 0) {
    const list = [...dups].map((n) => JSON.stringify(n)).join(', ')
    throw invalidQuery(`source_query: duplicate column name${dups.size > 1 ? 's' : ''} ${list}; give each column its own name with AS`)
  }
}

/**
 * The planner's estimate of the table's rows (pg_class.reltuples; a partitioned table sums
 * its leaf partitions), or null when unknown (never analyzed: -1, or 0, or no such table).
 */
export async function estimateRows(client: pg.Client | pg.PoolClient, schema: string, table: string): Promise<number | null> {
  const r = await run<{ n: number | null }>(client, `
SELECT CASE WHEN c.relkind = 'p'
  THEN (SELECT sum(GREATEST(l.reltuples, 0))::float8 FROM pg_catalog.pg_partition_tree(c.oid) p
        JOIN pg_catalog.pg_class l ON l.oid = p.relid WHERE p.isleaf)
  ELSE c.reltuples::float8 END AS n
FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = $1 AND c.relname = $2`, [schema, table]).catch((err: unknown) => { throw discoveryError(err, 'source_table') })
  const n = r.rows[0]?.n
  return n === null || n === undefined || !(n > 0) ? null : Math.round(n)
}

/**
 * Runs `fn` in a READ ONLY transaction with the statement timeout: its own when the client
 * is idle (rolled back at the end), else the caller's (made read-only; the caller ends it).
 */
async function inReadOnly<T>(client: pg.Client | pg.PoolClient, opts: DiscoverOptions, table: PgTableRef | undefined, fn: () => Promise<T>): Promise<T> {
  const status = (client as { getTransactionStatus?: () => string | null }).getTransactionStatus?.()
  const own = status !== 'T' && status !== 'E'
  const subject = table ? 'source_table' : 'source_query'
  await run(client, own ? 'BEGIN TRANSACTION READ ONLY' : 'SET TRANSACTION READ ONLY', []).catch((err: unknown) => { throw discoveryError(err, subject) })
  try {
    if (opts.statementTimeoutMs !== undefined) {
      const ms = Math.max(0, Math.floor(opts.statementTimeoutMs))
      await run(client, `SELECT pg_catalog.set_config('statement_timeout', $1, true)`, [String(ms)])
    }
    return await fn()
  } catch (err) {
    throw err instanceof SluiceError ? err : discoveryError(err, subject)
  } finally {
    if (own) await client.query('ROLLBACK').catch(() => {})
  }
}

/** One statement, always with the extended protocol: PostgreSQL then refuses a second statement. */
function run<R extends pg.QueryResultRow = pg.QueryResultRow>(client: pg.Client | pg.PoolClient, text: string, values: unknown[]): Promise<pg.QueryResult<R>> {
  return client.query<R>({ text, values, queryMode: 'extended' } as pg.QueryConfig)
}

/**
 * A driver error during discovery → SluiceError (proto/pg-errors.ts), with what PostgreSQL
 * refused attributed to the parameter the user gave: 422 invalid_parameter "source_table" or
 * invalid_query "source_query: ...".
 */
export function discoveryError(err: unknown, subject: 'source_table' | 'source_query'): SluiceError {
  const mapped = pgErrorToSluice(err)
  if (mapped.status !== 422 || err instanceof SluiceError) return mapped
  const why = (err as { code?: unknown }).code === '25006' ? `${mapped.message} (sources are read in a READ ONLY transaction)` : mapped.message
  const out = subject === 'source_table' ? invalidParameter('source_table', why) : invalidQuery(`source_query: ${why}`)
  return new SluiceError(out.status, out.code, out.message, undefined, { cause: err })
}
