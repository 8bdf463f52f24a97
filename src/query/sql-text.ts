/**
 * Literal text both SQL dialects spell alike (postgres-sql.ts, bigquery-sql.ts): times,
 * zero-padded date fields, LIKE patterns, and the per-type switch of a literal's text. What
 * differs (years before 1, timestamp layout, NaN/infinity, -0) is the dialect's `LiteralSpelling`.
 *
 * Pure; safe on any thread.
 */
import type { Literal } from '../../proto/plan.js'
import type { LogicalType } from '../../proto/types.js'

/** How one dialect writes the literals that are not spelled alike. */
export interface LiteralSpelling {
  /** days since 1970-01-01 → date text */
  date(days: number): string
  /** µs since epoch UTC → timestamp text */
  timestamp(us: bigint): string
  /** NaN, and +infinity (-infinity is it with a `-` in front) */
  nan: string
  infinity: string
  /** whether -0 keeps its sign (`String(-0)` is `0`) */
  signedZero: boolean
}

/** The text of a literal, by the logical type of its column (the Literal typing rules of proto/plan.ts). */
export function spellLiteral(v: Literal, type: LogicalType, spell: LiteralSpelling): string {
  switch (type) {
    case 'date':
      return typeof v === 'number' ? spell.date(v) : String(v)
    case 'timestamp':
      return typeof v === 'bigint' ? spell.timestamp(v) : String(v)
    case 'time':
      return typeof v === 'bigint' ? formatTime(v) : String(v)
    case 'float32': case 'float64': {
      const n = Number(v)
      if (Number.isNaN(n)) return spell.nan
      if (n === Infinity || n === -Infinity) return n > 0 ? spell.infinity : `-${spell.infinity}`
      return spell.signedZero && Object.is(n, -0) ? '-0' : String(n)
    }
    case 'boolean':
      return v === true || v === 'true' ? 'true' : 'false'
    default:
      return String(v)
  }
}

/** µs since midnight → `HH:MM:SS.ffffff` */
export function formatTime(us: bigint): string {
  const micros = Number(us % 1_000_000n)
  const secs = Number(us / 1_000_000n)
  return `${pad(Math.floor(secs / 3600), 2)}:${pad(Math.floor(secs / 60) % 60, 2)}:${pad(secs % 60, 2)}.${pad(micros, 6)}`
}

/** `YYYY-MM-DD` of a year (at least four digits), month and day */
export function civilText(y: number, m: number, d: number): string {
  return `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}`
}

/** Our pattern (`*` and `%` any run, `_` one character, nothing escapes) → a LIKE pattern with `\` escapes. */
export function likePattern(pattern: string): string {
  let out = ''
  for (const ch of pattern) {
    if (ch === '\\') out += '\\\\'
    else if (ch === '*') out += '%'
    else out += ch
  }
  return out
}

function pad(n: number, width: number): string {
  return String(n).padStart(width, '0')
}
