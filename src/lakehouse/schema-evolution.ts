/**
 * Does an incoming file's schema fit a table, and the merged schema for `schema_mode=merge`.
 *
 * Columns are matched by exact name; a name that matches a table column only when case is
 * ignored is its own difference (Delta names are case-insensitive, Parquet readers match by
 * exact name, so such a column would read as null). Column order never matters: readers find
 * columns by name.
 *
 * Listed differences are the ones that stop an append as is. Not listed, because the data
 * fits: table columns the file lacks that are nullable (they read as null), and incoming
 * columns declared NOT NULL where the table column is nullable.
 *
 * Merge follows Spark's SchemaMergingUtils where the brief is silent: new columns are added at
 * the end as nullable; a NOT NULL table column receiving nullable data is relaxed to nullable.
 * Type changes (decimal precision/scale included), missing NOT NULL columns and case-only
 * name clashes cannot be merged.
 *
 * Pure; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import { typeName, type Field } from '../../proto/types.js'
import type { MetadataAction } from './actions.js'
import { fieldsToSchemaString } from './schema.js'

export type SchemaDifferenceKind = 'missing_column' | 'extra_column' | 'type_change' | 'nullability' | 'name_case'

export interface SchemaDifference {
  kind: SchemaDifferenceKind
  /** the column as the incoming file names it (the table's name for missing_column) */
  column: string
  /** type name in the table (`decimal(12,2)`, `int64`, ...), when the table has the column */
  tableType?: string
  /** type name in the incoming file, when the file has the column */
  incomingType?: string
  tableNullable?: boolean
  incomingNullable?: boolean
  /** true when `mergeSchemas` resolves it (extra_column, nullability) */
  mergeable: boolean
  /** one line, for error messages */
  message: string
}

const sameType = (a: Field, b: Field) =>
  a.type === b.type && (a.type !== 'decimal' || ((a.precision ?? 38) === (b.precision ?? 38) && (a.scale ?? 0) === (b.scale ?? 0)))

/**
 * The differences between the table's columns and an incoming file's columns that stop the
 * file from being appended as is (see the module comment for what is not listed), in table
 * column order, then incoming column order. An empty list means the file fits. Never throws.
 */
export function compareSchemas(table: Field[], incoming: Field[]): SchemaDifference[] {
  const out: SchemaDifference[] = []
  const incomingByName = new Map(incoming.map((f) => [f.name, f]))
  const tableByName = new Map(table.map((f) => [f.name, f]))
  const tableByLower = new Map(table.map((f) => [f.name.toLowerCase(), f]))
  const caseClash = new Set<string>() // table columns an incoming column clashes with by case

  for (const f of incoming) {
    if (tableByName.has(f.name)) continue
    const t = tableByLower.get(f.name.toLowerCase())
    if (!t) continue
    caseClash.add(t.name)
    out.push({
      kind: 'name_case', column: f.name, tableType: typeName(t), incomingType: typeName(f), mergeable: false,
      message: `column "${f.name}" differs only in case from the table's column "${t.name}"`,
    })
  }
  for (const t of table) {
    const f = incomingByName.get(t.name)
    if (!f) {
      if (!t.nullable && !caseClash.has(t.name)) {
        out.push({
          kind: 'missing_column', column: t.name, tableType: typeName(t), tableNullable: false, mergeable: false,
          message: `column "${t.name}" (${typeName(t)} NOT NULL) is missing from the file`,
        })
      }
      continue
    }
    if (!sameType(t, f)) {
      out.push({
        kind: 'type_change', column: t.name, tableType: typeName(t), incomingType: typeName(f), mergeable: false,
        message: `column "${t.name}" is ${typeName(f)} in the file but ${typeName(t)} in the table`,
      })
    }
    if (!t.nullable && f.nullable) {
      out.push({
        kind: 'nullability', column: t.name, tableNullable: false, incomingNullable: true, mergeable: true,
        message: `column "${t.name}" is NOT NULL in the table but nullable in the file`,
      })
    }
  }
  for (const f of incoming) {
    if (tableByName.has(f.name) || tableByLower.has(f.name.toLowerCase())) continue
    out.push({
      kind: 'extra_column', column: f.name, incomingType: typeName(f), incomingNullable: f.nullable, mergeable: true,
      message: `column "${f.name}" (${typeName(f)}) is not in the table`,
    })
  }
  return out
}

/**
 * `422 schema_mismatch` listing every difference in the message and as `details.differences`.
 * `merge` says whether merging was tried (the hint differs).
 */
export function schemaMismatchError(differences: SchemaDifference[], merge: boolean): SluiceError {
  const list = differences.map((d) => d.message).join('; ')
  const hint = merge
    ? 'schema_mode=merge can only add nullable columns and relax NOT NULL'
    : 'use schema_mode=merge to add new columns'
  return new SluiceError(422, 'schema_mismatch', `the file does not match the table's schema: ${list} (${hint})`, { differences })
}

/**
 * The table schema after a `schema_mode=merge` append of `incoming`: the table's columns in
 * their order (NOT NULL relaxed where the file is nullable), then the file's new columns in
 * file order, each nullable (older files lack them). Returns `table` itself when nothing
 * changes. Throws `422 schema_mismatch` listing every difference when any cannot be merged
 * (type change, missing NOT NULL column, case-only name clash).
 */
export function mergeSchemas(table: Field[], incoming: Field[]): Field[] {
  const differences = compareSchemas(table, incoming)
  if (differences.length === 0) return table
  if (differences.some((d) => !d.mergeable)) throw schemaMismatchError(differences, true)
  const relax = new Set(differences.filter((d) => d.kind === 'nullability').map((d) => d.column))
  const merged: Field[] = table.map((f) => (relax.has(f.name) ? { ...f, nullable: true } : f))
  for (const d of differences) {
    if (d.kind !== 'extra_column') continue
    const f = incoming.find((x) => x.name === d.column)!
    merged.push({ ...f, nullable: true })
  }
  fieldsToSchemaString(merged) // throws 422 for names Delta cannot hold (duplicates ignoring case)
  return merged
}

/**
 * Checks `incoming` against `table` for an append. Strict: any listed difference is a `422
 * schema_mismatch`. Merge: `mergeSchemas`. Returns the schema the table has after the append
 * and whether it changed (then commit `evolvedMetadata` with the append).
 */
export function resolveAppendSchema(table: Field[], incoming: Field[], mode: 'strict' | 'merge'): { schema: Field[]; changed: boolean } {
  const differences = compareSchemas(table, incoming)
  if (differences.length === 0) return { schema: table, changed: false }
  if (mode === 'strict') throw schemaMismatchError(differences, false)
  const schema = mergeSchemas(table, incoming)
  return { schema, changed: schema !== table }
}

/**
 * The metaData action that gives the table `schema` (the result of `mergeSchemas`), all else
 * kept (id, partitioning, configuration). The table's existing columns keep their schemaString
 * entries verbatim (column metadata such as comments survives; only `nullable` follows
 * `schema`, and only to relax NOT NULL); new columns are appended. Throws `422
 * schema_mismatch` when `schema` lacks an existing column (it is not a merge result).
 */
export function evolvedMetadata(current: MetadataAction, schema: Field[]): { metaData: MetadataAction } {
  const root = JSON.parse(current.schemaString) as { fields: { name: string; nullable: boolean }[] }
  const byName = new Map(schema.map((f) => [f.name, f]))
  const kept = root.fields.map((raw) => {
    const f = byName.get(raw.name)
    if (!f) throw new SluiceError(422, 'schema_mismatch', `the new schema drops column "${raw.name}"`)
    byName.delete(raw.name)
    return { ...raw, nullable: f.nullable || raw.nullable }
  })
  const added = (JSON.parse(fieldsToSchemaString([...byName.values()])) as { fields: unknown[] }).fields
  const schemaString = JSON.stringify({ ...root, fields: [...kept, ...added] })
  fieldsToSchemaString(schema) // same validation as a schema Sluice writes from scratch
  return { metaData: { ...current, schemaString } }
}
