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

/** First keywords of a query PostgreSQL accepts as a subquery. */
const QUERY_KEYWORDS: ReadonlySet<string> = new Set(['select', 'with', 'values', 'table'])

/**
 * Lexes a source query just enough to give clear errors: comments (`--`, nested block
 * comments), strings ('...', E'...' with backslash escapes, $tag$...$tag$), quoted
 * identifiers, parentheses and `;`. Returns the query without its trailing `;` (and what
 * follows it, which may only be whitespace and comments). Assumes standard_conforming_strings
 * is on (the default since PostgreSQL 9.1): a disagreement can only turn into a syntax error
 * there, since the text always goes out as one extended-protocol statement.
 * Throws 422 invalid_query.
 */
export function scanSourceQuery(query: string): string {
  const fail = (why: string) => invalidQuery(`source_query: ${why}`)
  if (query.includes('\0')) throw fail('contains a NUL character')
  const n = query.length
  let i = 0
  let depth = 0
  /** the first token after any opening parentheses: a lower-cased word, null for another token */
  let first: string | null | undefined
  let any = false
  let semicolon = -1
  const sawToken = (word: string | null, paren = false) => {
    if (semicolon >= 0) throw fail('holds more than one statement; give exactly one SELECT')
    any = true
    if (!paren && first === undefined) first = word
  }
  const closeString = (from: number, backslashEscapes: boolean, what: string): number => {
    for (let j = from; j < n; j++) {
      const c = query[j]
      if (backslashEscapes && c === '\\') { j++; continue }
      if (c === "'") {
        if (query[j + 1] === "'") { j++; continue }
        return j + 1
      }
    }
    throw fail(`unterminated ${what}`)
  }
  while (i < n) {
    const c = query[i]!
    const next = query[i + 1]
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') { i++; continue }
    if (c === '-' && next === '-') {
      while (i < n && query[i] !== '\n' && query[i] !== '\r') i++
      continue
    }
    if (c === '/' && next === '*') {
      let nest = 1
      for (i += 2; nest > 0; ) {
        if (i >= n) throw fail('unterminated /* comment')
        if (query[i] === '/' && query[i + 1] === '*') { nest++; i += 2 } else if (query[i] === '*' && query[i + 1] === '/') { nest--; i += 2 } else i++
      }
      continue
    }
    if (c === ';') {
      if (depth !== 0) throw fail('";" inside parentheses')
      if (semicolon >= 0) throw fail('holds more than one statement; give exactly one SELECT')
      if (!any) throw fail('empty')
      semicolon = i++
      continue
    }
    if (c === '(') { sawToken(null, true); depth++; i++; continue }
    if (c === ')') {
      sawToken(null)
      if (--depth < 0) throw fail('unbalanced ")"')
      i++
      continue
    }
    if (c === "'") { sawToken(null); i = closeString(i + 1, false, 'string'); continue }
    if (c === '"') {
      sawToken(null)
      const end = closeQuoted(query, i + 1)
      if (end < 0) throw fail('unterminated quoted identifier')
      i = end
      continue
    }
    if (c === '$') {
      const m = DOLLAR_TAG.exec(query.slice(i, i + 256))
      if (m !== null) {
        sawToken(null)
        const end = query.indexOf(m[0], i + m[0].length)
        if (end < 0) throw fail(`unterminated dollar-quoted string ${m[0]}`)
        i = end + m[0].length
        continue
      }
      sawToken(null)
      i++
      while (i < n && /[0-9]/.test(query[i]!)) i++
      continue
    }
    if (IDENT_START.test(c)) {
      let j = i + 1
      while (j < n && IDENT_PART.test(query[j]!)) j++
      const lower = query.slice(i, j).toLowerCase()
      sawToken(lower)
      i = j
      if (lower === 'e' && query[i] === "'") i = closeString(i + 1, true, 'string')
      else if (lower === 'u' && query[i] === '&' && (query[i + 1] === "'" || query[i + 1] === '"')) {
        if (query[i + 1] === "'") i = closeString(i + 2, false, 'string')
        else {
          const end = closeQuoted(query, i + 2)
          if (end < 0) throw fail('unterminated quoted identifier')
          i = end
        }
      }
      continue
    }
    sawToken(null)
    i++
  }
  if (!any) throw fail('empty')
  if (depth !== 0) throw fail('unbalanced "("')
  if (first === undefined || first === null || !QUERY_KEYWORDS.has(first)) {
    const got = typeof first === 'string' ? JSON.stringify(first.toUpperCase()) : 'something else'
    throw fail(`must be one read-only query (SELECT, WITH ... SELECT, VALUES or TABLE), got ${got}`)
  }
  return (semicolon >= 0 ? query.slice(0, semicolon) : query).trimEnd()
}

const IDENT_START = /[A-Za-z_\u0080-\uffff]/
const IDENT_PART = /[A-Za-z0-9_$\u0080-\uffff]/
const DOLLAR_TAG = /^\$(?:[A-Za-z_\u0080-\uffff][A-Za-z0-9_\u0080-\uffff]*)?\$/

/** End (after the closing quote) of a double-quoted identifier whose text starts at `from`, or -1. */
function closeQuoted(text: string, from: number): number {
  for (let j = from; j < text.length; j++) {
    if (text[j] === '"') {
      if (text[j + 1] === '"') { j++; continue }
      return j + 1
    }
  }
  return -1
}
