/**
 * POST /explore: the JSON body → ParsedExplore, through the same grammar as the URL.
 * `select`, `group`, `order`: a string as in the URL, or an array of strings with one item
 * each. `filter`: one logic-tree element (as inside and=(...)), or an array of them ANDed.
 *
 * Pure; safe on any thread.
 */
import { invalidParameter, invalidQuery } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { ParsedExplore } from './explore.js'
import { parseLogicElement } from './filter-syntax.js'
import { parseGroupList, parseOrderList, parseSelectList } from './lists.js'
import { applyOption, noOptions, readAtOf, type OptionKey } from './options.js'
import { Budget, grammarError } from './reader.js'
import { resolvePlan, type QuerySyntax } from './resolve.js'

const OPTION_KEYS: ReadonlySet<string> = new Set<OptionKey>(['limit', 'offset', 'format', 'version', 'as_of', 'cursor'])

/** a string as one list, or an array of strings with exactly one item each */
function items<T>(
  key: string,
  value: unknown,
  budget: Budget,
  parse: (text: string, label: string, budget: Budget) => T[],
): T[] {
  if (typeof value === 'string') return parse(value, key, budget)
  if (!Array.isArray(value)) throw grammarError(key, 'expected a string or an array of strings')
  const out: T[] = []
  value.forEach((element: unknown, i) => {
    const label = `${key}[${i}]`
    if (typeof element !== 'string') throw grammarError(label, 'expected a string')
    const parsed = parse(element, label, budget)
    if (parsed.length !== 1) throw grammarError(label, `expected exactly one item, got ${parsed.length}`)
    out.push(parsed[0]!)
  })
  return out
}

/**
 * `body`: the parsed JSON. A key whose value is null counts as absent.
 * Throws SluiceError 422: invalid_query when the body is not an object or a grammar key
 * (select, group, order, filter) is wrong; invalid_parameter for the other keys, unknown
 * keys included.
 */
export function parseExploreBody(body: unknown, schema: readonly Field[]): ParsedExplore {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalidQuery('body: expected a JSON object')
  const budget = new Budget()
  const q: QuerySyntax = { select: null, group: [], order: [], filters: [], limit: null, offset: 0 }
  const options = noOptions()
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (value === null) continue
    switch (key) {
      case 'select': {
        // `["*"]` is all columns, like `"*"`; "*" beside other items is refused by the parser
        const list = Array.isArray(value) && value.length === 1 && value[0] === '*' ? '*' : value
        const parsed = items(key, list, budget, (text, label, b) => {
          const all = parseSelectList(text, label, b)
          if (all === null && label !== key) throw grammarError(label, '"*" must be the only item')
          return all ?? []
        })
        q.select = parsed.length === 0 ? null : parsed
        break
      }
      case 'group':
        q.group = items(key, value, budget, parseGroupList)
        break
      case 'order':
        q.order = items(key, value, budget, parseOrderList)
        break
      case 'filter':
        if (typeof value === 'string') q.filters.push(parseLogicElement(value, key, budget))
        else if (Array.isArray(value)) {
          value.forEach((element: unknown, i) => {
            const label = `${key}[${i}]`
            if (typeof element !== 'string') throw grammarError(label, 'expected a string')
            q.filters.push(parseLogicElement(element, label, budget))
          })
        } else throw grammarError(key, 'expected a string or an array of strings')
        break
      default:
        if (!OPTION_KEYS.has(key)) throw invalidParameter(key, 'unknown key in the explore body')
        applyOption(options, key as OptionKey, value)
    }
  }
  const readAt = readAtOf(options)
  q.limit = options.limit
  q.offset = options.offset
  return { plan: resolvePlan(q, schema), format: options.format, readAt }
}
