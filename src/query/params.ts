/**
 * GET /explore: URL query parameters → ParsedExplore. Reserved parameters configure the
 * query; every other key is a filter on the column of that exact name.
 *
 * Pure; safe on any thread.
 */
import { invalidParameter } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import { LOGIC_KEYS, parseLogicParam, parseParamFilter, type LogicKey } from './filter-syntax.js'
import { parseGroupList, parseOrderList, parseSelectList } from './lists.js'
import { applyOption, noOptions, readAtOf, type OptionKey } from './options.js'
import { Budget } from './reader.js'
import { resolvePlan, type QuerySyntax } from './resolve.js'
import type { ParsedExplore } from './explore.js'

/** Never filters. A column with one of these names is filtered inside and=(...). */
export const RESERVED_PARAMS: ReadonlySet<string> = new Set([
  'select', 'group', 'order', 'limit', 'offset', 'format', 'and', 'or', 'not.and', 'not.or', 'version', 'as_of', 'cursor',
])

/**
 * `entries`: the URL query parameters, percent-decoded, in order, repeats kept.
 * Throws SluiceError 422: invalid_query for the grammar (select, group, order, filters,
 * and/or), invalid_parameter for limit, offset, format, version, as_of, cursor and for a
 * reserved parameter given twice.
 */
export function parseExploreParams(entries: readonly (readonly [string, string])[], schema: readonly Field[]): ParsedExplore {
  const budget = new Budget()
  const q: QuerySyntax = { select: null, group: [], order: [], filters: [], limit: null, offset: 0 }
  const options = noOptions()
  const seen = new Set<string>()
  for (const [key, value] of entries) {
    if (!RESERVED_PARAMS.has(key)) {
      q.filters.push(parseParamFilter(key, value, budget))
      continue
    }
    if (seen.has(key)) throw invalidParameter(key, 'given more than once')
    seen.add(key)
    if (key === 'select') {
      const items = parseSelectList(value, key, budget)
      q.select = items === null || items.length === 0 ? null : items
    } else if (key === 'group') q.group = parseGroupList(value, key, budget)
    else if (key === 'order') q.order = parseOrderList(value, key, budget)
    else if (LOGIC_KEYS.has(key)) q.filters.push(parseLogicParam(key as LogicKey, value, budget))
    else applyOption(options, key as OptionKey, value)
  }
  const readAt = readAtOf(options)
  q.limit = options.limit
  q.offset = options.offset
  return { plan: resolvePlan(q, schema), format: options.format, readAt }
}
