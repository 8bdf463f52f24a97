/**
 * LIKE / ILIKE matching without regular expressions: `*` and `%` match any run of characters,
 * `_` exactly one character (code point), everything else is literal; the match is anchored
 * at both ends. Greedy matching with one backtrack point: O(len(value) * len(pattern)) worst
 * case, no catastrophic backtracking. ILIKE compares code points after simple (1:1) case
 * folding. Pure; any thread.
 */

const ANY_RUN = -1
const ANY_ONE = -2

/** A compiled pattern: a predicate over strings. */
export type LikeMatcher = (s: string) => boolean

const foldCache = new Map<number, number>()

/** Simple lower-case folding of one code point (keeps it when lowering is not 1:1). */
export function foldCodePoint(cp: number): number {
  if (cp < 128) return cp >= 65 && cp <= 90 ? cp + 32 : cp
  let f = foldCache.get(cp)
  if (f === undefined) {
    const lower = String.fromCodePoint(cp).toLowerCase()
    const c0 = lower.codePointAt(0)!
    f = lower.length === (c0 > 0xffff ? 2 : 1) ? c0 : cp
    foldCache.set(cp, f)
  }
  return f
}

function tokens(pattern: string, fold: boolean): number[] {
  const out: number[] = []
  for (const ch of pattern) {
    if (ch === '%' || ch === '*') {
      if (out[out.length - 1] !== ANY_RUN) out.push(ANY_RUN)
    } else if (ch === '_') out.push(ANY_ONE)
    else {
      const cp = ch.codePointAt(0)!
      out.push(fold ? foldCodePoint(cp) : cp)
    }
  }
  return out
}

/** Compile a LIKE pattern (caseInsensitive for ILIKE). */
export function compileLike(pattern: string, caseInsensitive: boolean): LikeMatcher {
  const toks = tokens(pattern, caseInsensitive)
  if (!caseInsensitive) {
    const lits = toks.filter((t) => t >= 0).length
    const literal = (from: number, to: number) => String.fromCodePoint(...toks.slice(from, to))
    if (!toks.some((t) => t < 0)) { const lit = pattern; return (s) => s === lit }
    const n = toks.length
    const inner = toks.slice(1, n - 1)
    if (toks[n - 1] === ANY_RUN && lits === n - 1 && toks[0] !== ANY_RUN) { const p = literal(0, n - 1); return (s) => s.startsWith(p) }
    if (toks[0] === ANY_RUN && lits === n - 1 && toks[n - 1] !== ANY_RUN) { const p = literal(1, n); return (s) => s.endsWith(p) }
    if (n >= 2 && toks[0] === ANY_RUN && toks[n - 1] === ANY_RUN && inner.every((t) => t >= 0)) {
      const p = literal(1, n - 1)
      return (s) => s.includes(p)
    }
  }
  return (s) => matchTokens(s, toks, caseInsensitive)
}

function matchTokens(s: string, toks: number[], fold: boolean): boolean {
  const len = s.length
  const P = toks.length
  let i = 0
  let j = 0
  let starJ = -1
  let starI = 0
  while (i < len) {
    let cp = s.charCodeAt(i)
    let w = 1
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < len) {
      const lo = s.charCodeAt(i + 1)
      if (lo >= 0xdc00 && lo < 0xe000) { cp = ((cp - 0xd800) << 10) + (lo - 0xdc00) + 0x10000; w = 2 }
    }
    const t = j < P ? toks[j]! : ANY_ONE - 1
    if (t === ANY_ONE || (t >= 0 && t === (fold ? foldCodePoint(cp) : cp))) {
      i += w
      j++
    } else if (t === ANY_RUN) {
      starJ = j++
      starI = i
    } else if (starJ >= 0) {
      // let the last run swallow one more character and retry
      j = starJ + 1
      const c = s.charCodeAt(starI)
      starI += c >= 0xd800 && c < 0xdc00 && starI + 1 < len && (s.charCodeAt(starI + 1) & 0xfc00) === 0xdc00 ? 2 : 1
      i = starI
    } else return false
  }
  while (j < P && toks[j] === ANY_RUN) j++
  return j === P
}
