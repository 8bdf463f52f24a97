/**
 * exceljs's SAX helper (saxes underneath), typed. It turns an async iterable of XML chunks into
 * batches of events. Tag names may carry a namespace prefix (`x:c` from some .NET writers):
 * localName() strips it.
 */
import { createRequire } from 'node:module'

export interface SaxTag {
  name: string
  attributes: Record<string, string>
}

export type SaxEvent =
  | { eventType: 'opentag'; value: SaxTag }
  | { eventType: 'closetag'; value: SaxTag }
  | { eventType: 'text'; value: string }

type ParseSax = (chunks: AsyncIterable<unknown> | Iterable<unknown>) => AsyncGenerator<SaxEvent[]>

// exceljs has no "exports" map, so its internal helper is reachable by path
export const parseSax = createRequire(import.meta.url)('exceljs/lib/utils/parse-sax.js') as ParseSax

export function localName(name: string): string {
  const i = name.indexOf(':')
  return i < 0 ? name : name.slice(i + 1)
}

/** An attribute by local name (`r:id` and `id` alike when `prefixed` is false). */
export function attr(tag: SaxTag, name: string): string | undefined {
  const v = tag.attributes[name]
  if (v !== undefined) return v
  for (const [k, val] of Object.entries(tag.attributes)) if (localName(k) === name) return val
  return undefined
}
