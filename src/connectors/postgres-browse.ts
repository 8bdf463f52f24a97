/**
 * Browsing a PostgreSQL connector (GET /api/datasets/browse/*): its schemas, and the tables,
 * views, materialized views and foreign tables of one schema with the planner's row estimate
 * and their columns (PostgreSQL type and our logical type, as registering would map them).
 * Only catalog queries: no row is read. Partitions are not listed (their parent is).
 * Main thread, through PgRuntime.withClient (one connection slot per request).
 */
import { invalidParameter } from '../../proto/errors.js'
import { typeName } from '../../proto/types.js'
import type { PgRuntime } from './postgres-runtime.js'
import { mapPgType } from './postgres-types.js'

export interface Page { limit: number; offset: number }

/** What browse shows of a relation kind (pg_class.relkind). */
// Catalog objects are schema-qualified: the connector's user may have put look-alikes earlier
// on its search_path.
const KINDS: Record<string, string> = { r: 'table', p: 'partitioned_table', v: 'view', m: 'materialized_view', f: 'foreign_table' }

/**
 * Schemas users work in: not pg_catalog, information_schema, pg_toast, pg_temp_N and the other
 * `pg_` names PostgreSQL reserves, and only those the connector's user may use.
 */
const USER_SCHEMA = `n.nspname <> 'information_schema' AND n.nspname NOT LIKE 'pg\\_%' AND pg_catalog.has_schema_privilege(n.oid, 'USAGE')`

export interface PgBrowseColumn { name: string; type: string; nullable: boolean; pg_type: string }

export interface PgBrowseTable {
  name: string
  source_table: string
  kind: string
  schema: PgBrowseColumn[]
  partition_columns: string[]
  version: null
  /** the planner's estimate (pg_class.reltuples), null when never analyzed or a view */
  row_count: number | null
  error: null
}

/** A page of the connector's schemas, by name (code point order). */
export async function browsePgSchemas(rt: PgRuntime, page: Page, signal: AbortSignal): Promise<{ total: number; items: { name: string }[] }> {
  return rt.withClient(async (c) => {
    const total = await c.query<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMA}`)
    const rows = await c.query<{ name: string }>(
      `SELECT n.nspname AS name FROM pg_catalog.pg_namespace n WHERE ${USER_SCHEMA} ORDER BY n.nspname COLLATE "C" LIMIT $1 OFFSET $2`,
      [page.limit, page.offset])
    return { total: Number(total.rows[0]!.n), items: rows.rows.map((r) => ({ name: r.name })) }
  }, signal)
}

interface RelRow { oid: string; name: string; relkind: string; estimate: string | null }
interface ColRow {
  relid: string; name: string; nullable: boolean; type_oid: string; typname: string; typtype: string
  typcategory: string; typmod: number; formatted: string
}

/**
 * A page of the relations of one schema, by name, with columns and row estimates. 422
 * invalid_parameter `schema` when the schema does not exist, is a system schema, or the
 * connector's user may not use it. Relations the user may not SELECT from are not listed.
 */
export async function browsePgTables(rt: PgRuntime, schema: string, page: Page, signal: AbortSignal): Promise<{ total: number; items: PgBrowseTable[] }> {
  return rt.withClient(async (c) => {
    const ns = await c.query<{ oid: string }>(`SELECT n.oid::int8 AS oid FROM pg_catalog.pg_namespace n WHERE n.nspname = $1 AND ${USER_SCHEMA}`, [schema])
    if (ns.rows.length === 0) throw invalidParameter('schema', `no schema "${schema.slice(0, 200)}" that the connector's user may use on connector "${rt.id}"`)
    const nsOid = ns.rows[0]!.oid
    const where = `c.relnamespace = $1::oid AND c.relkind IN ('r', 'p', 'v', 'm', 'f') AND NOT c.relispartition
      AND pg_catalog.has_table_privilege(c.oid, 'SELECT')`
    const total = await c.query<{ n: string }>(`SELECT pg_catalog.count(*) AS n FROM pg_catalog.pg_class c WHERE ${where}`, [nsOid])
    // reltuples is -1 for a table never vacuumed or analyzed (PostgreSQL 14+): unknown. A
    // partitioned table has no rows of its own: the sum over its leaf partitions.
    const rels = await c.query<RelRow>(`
      SELECT c.oid::int8 AS oid, c.relname AS name, c.relkind::text AS relkind,
        CASE
          WHEN c.relkind = 'p' THEN (
            SELECT CASE WHEN pg_catalog.bool_or(l.reltuples >= 0) THEN pg_catalog.round(pg_catalog.sum(greatest(l.reltuples, 0)))::int8 END
            FROM pg_catalog.pg_partition_tree(c.oid) t JOIN pg_catalog.pg_class l ON l.oid = t.relid WHERE t.isleaf)
          WHEN c.relkind IN ('r', 'm', 'f') AND c.reltuples >= 0 THEN pg_catalog.round(c.reltuples)::int8
        END AS estimate
      FROM pg_catalog.pg_class c WHERE ${where}
      ORDER BY c.relname COLLATE "C" LIMIT $2 OFFSET $3`, [nsOid, page.limit, page.offset])
    if (rels.rows.length === 0) return { total: Number(total.rows[0]!.n), items: [] }
    // Domains (also over domains) are mapped by their base type with the modifier the domain
    // puts on it, as registering does (postgres-discover.ts); `pg_type` shows the domain.
    const cols = await c.query<ColRow>(`
      WITH RECURSIVE cols AS (
        SELECT a.attrelid, a.attnum, a.attname, NOT a.attnotnull AS nullable, a.atttypid, a.atttypmod
        FROM pg_catalog.pg_attribute a
        WHERE a.attrelid = ANY($1::oid[]) AND a.attnum > 0 AND NOT a.attisdropped
      ), chain AS (
        SELECT attrelid, attnum, atttypid AS oid, atttypmod AS typmod, 0 AS depth FROM cols
        UNION ALL
        SELECT ch.attrelid, ch.attnum, t.typbasetype, CASE WHEN ch.typmod <> -1 THEN ch.typmod ELSE t.typtypmod END, ch.depth + 1
        FROM chain ch JOIN pg_catalog.pg_type t ON t.oid = ch.oid
        WHERE t.typtype = 'd' AND ch.depth < 32
      )
      SELECT DISTINCT ON (ch.attrelid, ch.attnum) ch.attrelid::int8 AS relid, co.attname::text AS name, co.nullable,
        t.oid::int8 AS type_oid, t.typname::text AS typname, t.typtype::text AS typtype, t.typcategory::text AS typcategory,
        ch.typmod, pg_catalog.format_type(co.atttypid, co.atttypmod) AS formatted
      FROM chain ch
      JOIN pg_catalog.pg_type t ON t.oid = ch.oid
      JOIN cols co ON co.attrelid = ch.attrelid AND co.attnum = ch.attnum
      ORDER BY ch.attrelid, ch.attnum, ch.depth DESC`, [rels.rows.map((r) => r.oid)])
    const byRel = new Map<string, PgBrowseColumn[]>()
    for (const r of cols.rows) {
      const mapped = mapPgType(r.name, {
        oid: Number(r.type_oid), typname: r.typname, typtype: r.typtype, typcategory: r.typcategory, typmod: r.typmod, formatted: r.formatted,
      }, r.nullable)
      const list = byRel.get(r.relid) ?? []
      list.push({ name: r.name, type: typeName(mapped.field), nullable: mapped.field.nullable, pg_type: mapped.pgType })
      byRel.set(r.relid, list)
    }
    const items = rels.rows.map((r): PgBrowseTable => ({
      name: r.name,
      source_table: `${quotePart(schema)}.${quotePart(r.name)}`,
      kind: KINDS[r.relkind] ?? 'table',
      schema: byRel.get(r.oid) ?? [],
      partition_columns: [],
      version: null,
      row_count: r.estimate === null ? null : Number(r.estimate),
      error: null,
    }))
    return { total: Number(total.rows[0]!.n), items }
  }, signal)
}

/**
 * One part of `source_table` ("schema.table"): as is when it is a plain lower-case
 * identifier, else double-quoted (a `"` doubled), so names with dots or capitals round-trip.
 */
function quotePart(name: string): string {
  return /^[a-z_][a-z0-9_$]*$/.test(name) ? name : `"${name.replace(/"/g, '""')}"`
}
