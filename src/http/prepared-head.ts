/**
 * A status line and fixed response headers spelled once, for answers sent over and over (a
 * cached explore result polled by dashboards). uWS writes `writeStatus(text)` as
 * `HTTP/1.1 <text>\r\n` and each `writeHeader(k, v)` as `k: v\r\n`; every call is a crossing
 * into native code that cost more than the JS around it, so a prepared head goes out as one
 * writeStatus whose text carries the fixed headers after the status: the bytes on the wire
 * are exactly those of writeStatus plus one writeHeader per header.
 *
 * Only server-made names and values may go in (never request text), and none may hold a
 * CR or LF: `prepareHead` refuses them, so a prepared head cannot split a response.
 */
import { statusLine } from './errors.js'

export interface PreparedHead {
  readonly status: number
  /** what writeStatus gets: `200 OK\r\nName: value\r\n...` without the final CRLF */
  readonly text: string
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/ // RFC 9110 field-name
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/ // visible ASCII, space, tab, obs-text: no CR, LF or other controls

export function prepareHead(status: number, headers: Readonly<Record<string, string>>): PreparedHead {
  let text = statusLine(status)
  for (const name in headers) {
    const value = headers[name]!
    if (!TOKEN.test(name) || !FIELD_VALUE.test(value)) throw new Error(`prepareHead: not a safe header: ${JSON.stringify(name)}: ${JSON.stringify(value)}`)
    text += `\r\n${name}: ${value}`
  }
  return { status, text }
}
