/**
 * Filter syntax → the Filter of proto/plan.ts: checks columns and operators against the
 * schema and types every value by its column.
 *
 * Pure; safe on any thread.
 */
import type { CmpOp, Filter } from '../../proto/plan.js'
import { typeName, type Field } from '../../proto/types.js'
import type { FilterSyntax } from './filter-syntax.js'
import { parseLiteral } from './literal.js'
import { grammarError, show } from './reader.js'

/**
 * ANDs the top-level filters (parameters, and=/or= trees, body elements) into one Filter,
 * or null when there are none. A top-level `and` is flattened into that conjunction, so
 * `and=(a,b)`, `a&b` and the body `"and(a,b)"` give the same plan.
 * Adds every column read to `used`. Throws 422 invalid_query.
 */
export function resolveFilters(filters: FilterSyntax[], fields: ReadonlyMap<string, Field>, used: Set<string>): Filter | null {
  const conjuncts: Filter[] = []
  for (const f of filters) {
    if (f.kind === 'and') for (const child of f.children) conjuncts.push(resolveFilter(child, fields, used))
    else conjuncts.push(resolveFilter(f, fields, used))
  }
  if (conjuncts.length === 0) return null
  return conjuncts.length === 1 ? conjuncts[0]! : { kind: 'and', children: conjuncts }
}

function resolveFilter(f: FilterSyntax, fields: ReadonlyMap<string, Field>, used: Set<string>): Filter {
  switch (f.kind) {
    case 'and':
    case 'or':
      return { kind: f.kind, children: f.children.map(c => resolveFilter(c, fields, used)) }
    case 'not':
      return { kind: 'not', child: resolveFilter(f.child, fields, used) }
    case 'cond':
      return resolveCondition(f, fields, used)
  }
}

function resolveCondition(
  f: Extract<FilterSyntax, { kind: 'cond' }>,
  fields: ReadonlyMap<string, Field>,
  used: Set<string>,
): Filter {
  const field = fields.get(f.column)
  if (field === undefined) throw grammarError(f.label, `unknown column ${show(f.column)}`)
  used.add(field.name)
  const column = field.name
  if (f.op === 'is') {
    if (f.value === 'null') return { kind: 'is', column, value: null }
    if (field.type !== 'boolean') {
      throw grammarError(f.label, `is.${String(f.value)} needs a boolean column, ${show(column)} is ${typeName(field)}`)
    }
    return { kind: 'is', column, value: f.value === 'true' }
  }
  if (field.type === 'binary') {
    throw grammarError(f.label, `column ${show(column)} is binary: it can only be filtered with is.null`)
  }
  if (f.op === 'in') {
    const values = f.value as string[]
    return { kind: 'in', column, values: values.map(v => parseLiteral(v, field, f.label)) }
  }
  const text = f.value as string
  if (f.op === 'like' || f.op === 'ilike') {
    if (field.type !== 'string') {
      throw grammarError(f.label, `${f.op} needs a string column, ${show(column)} is ${typeName(field)}`)
    }
    return { kind: 'like', column, pattern: text, caseInsensitive: f.op === 'ilike' }
  }
  return { kind: 'cmp', column, op: f.op as CmpOp, value: parseLiteral(text, field, f.label) }
}
