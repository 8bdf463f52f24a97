/**
 * BigQuery standard SQL → DuckDB SQL, for the BigQuery fake (bigquery-fake.ts). Not a parser:
 * a tokenizer plus a table of function rewrites applied to balanced call sites, enough for
 * the SELECTs a compiler mirroring src/query/postgres-sql.ts emits. Every rewrite is a row of
 * FUNCTIONS / TYPES / LITERALS below, so the documented dialect differences live in one place.
 *
 * Fixed rewrites (not table rows):
 *   `project.dataset.table`, `dataset.table`  → "dataset"."table" (project prefix dropped)
 *   "a string" (BigQuery: a string literal)    → 'a string';  r'raw' → 'raw'
 *   @name, ?                                   → CAST($name AS <duck type of the parameter>)
 *   x IN UNNEST(arr)                           → x IN (SELECT unnest(arr))
 *   CAST / SAFE_CAST(x AS T)                   → CAST / TRY_CAST(x AS TYPES[T])
 *   arr[OFFSET(n)], arr[ORDINAL(n)]            → arr[(n) + 1], arr[n]
 * Needs the DuckDB session in UTC (SET TimeZone='UTC'): BigQuery's default time zone is UTC.
 */

type Token = { kind: 'ws' | 'str' | 'ident' | 'word' | 'param' | 'punct' | 'num' | 'raw'; text: string }

/** BigQuery type name → DuckDB type (for CAST targets, parameters and table columns). */
export const TYPES: Record<string, string> = {
  INT64: 'BIGINT', INTEGER: 'BIGINT', INT: 'BIGINT', SMALLINT: 'BIGINT', BIGINT: 'BIGINT', TINYINT: 'BIGINT', BYTEINT: 'BIGINT',
  FLOAT64: 'DOUBLE', FLOAT: 'DOUBLE',
  // NUMERIC is DECIMAL(38,9) in BigQuery too; BIGNUMERIC (76 digits) does not fit DuckDB: scale 18 marks it
  NUMERIC: 'DECIMAL(38,9)', DECIMAL: 'DECIMAL(38,9)', BIGNUMERIC: 'DECIMAL(38,18)', BIGDECIMAL: 'DECIMAL(38,18)',
  BOOL: 'BOOLEAN', BOOLEAN: 'BOOLEAN',
  STRING: 'VARCHAR', BYTES: 'BLOB',
  DATE: 'DATE', DATETIME: 'TIMESTAMP', TIME: 'TIME', TIMESTAMP: 'TIMESTAMPTZ',
  JSON: 'JSON', INTERVAL: 'INTERVAL',
  // no spatial extension offline: WKT text in a one-field struct the fake recognises as GEOGRAPHY
  GEOGRAPHY: 'STRUCT("__bq_geography" VARCHAR)',
}

/** The struct field name that marks a GEOGRAPHY column (see TYPES.GEOGRAPHY). */
export const GEOGRAPHY_MARK = '__bq_geography'

/** `TYPE 'literal'` prefixes whose meaning differs. */
const LITERALS: Record<string, (lit: string) => string> = {
  TIMESTAMP: (s) => `CAST(${s} AS TIMESTAMPTZ)`,
  DATETIME: (s) => `CAST(${s} AS TIMESTAMP)`,
  NUMERIC: (s) => `CAST(${s} AS DECIMAL(38,9))`,
  BIGNUMERIC: (s) => `CAST(${s} AS DECIMAL(38,18))`,
  JSON: (s) => `CAST(${s} AS JSON)`,
}

/** Monday-based offsets for WEEK(<day>); BigQuery's plain WEEK starts on Sunday. */
const WEEKDAY: Record<string, number> = { MONDAY: 0, TUESDAY: 1, WEDNESDAY: 2, THURSDAY: 3, FRIDAY: 4, SATURDAY: 5, SUNDAY: 6 }

/** date_trunc for a BigQuery date part (DAY, WEEK, WEEK(MONDAY), ISOWEEK, MONTH, ...). */
function trunc(x: string, part: string): string {
  const p = part.replace(/\s+/g, '').toUpperCase()
  const week = /^WEEK(?:\((\w+)\))?$/.exec(p)
  if (week) {
    // DuckDB weeks start on Monday: shift so the wanted weekday lands on Monday, truncate, shift back
    const off = WEEKDAY[week[1] ?? 'SUNDAY']
    if (off === undefined) throw new SyntaxError(`unknown week start ${week[1]}`)
    return off === 0 ? `date_trunc('week', ${x})` : `(date_trunc('week', (${x}) - INTERVAL ${off} DAY) + INTERVAL ${off} DAY)`
  }
  const unit = ({ ISOWEEK: 'week', ISOYEAR: 'isoyear' } as Record<string, string>)[p] ?? p.toLowerCase()
  if (!/^(microsecond|millisecond|second|minute|hour|day|week|month|quarter|year|isoyear)$/.test(unit)) throw new SyntaxError(`unknown date part ${part}`)
  return `date_trunc('${unit}', ${x})`
}

/** `INTERVAL n UNIT` → parts, for DATE_ADD and friends. */
function interval(arg: string): string {
  if (!/^\s*INTERVAL\s/i.test(arg)) throw new SyntaxError(`expected an INTERVAL, got ${arg}`)
  return arg
}

const EXTRACT_PARTS: Record<string, string> = { DAYOFWEEK: '(extract(dow FROM $) + 1)', DAYOFYEAR: 'extract(doy FROM $)', ISOWEEK: 'extract(week FROM $)', ISOYEAR: 'extract(isoyear FROM $)', WEEK: 'CAST(floor((extract(doy FROM $) + 6 - extract(dow FROM $)) / 7) AS BIGINT)' }

export interface FunctionRewrite {
  /** the BigQuery form, for the README table */
  bq: string
  /** the DuckDB form it becomes */
  duck: string
  rewrite: (args: string[]) => string
}

/** Function name (upper case) → rewrite of its already-rewritten arguments. */
export const FUNCTIONS: Record<string, FunctionRewrite> = {
  TIMESTAMP_TRUNC: {
    bq: "TIMESTAMP_TRUNC(x, DAY[, 'UTC'])", duck: "date_trunc('day', x) (other zones via timezone())",
    rewrite: ([x, part, tz]) => isUtc(tz) ? trunc(x, part) : `timezone(${tz}, ${trunc(`timezone(${tz}, ${x})`, part)})`,
  },
  DATETIME_TRUNC: { bq: 'DATETIME_TRUNC(x, part)', duck: "CAST(date_trunc('part', x) AS TIMESTAMP)", rewrite: ([x, part]) => `CAST(${trunc(x, part)} AS TIMESTAMP)` },
  DATE_TRUNC: { bq: 'DATE_TRUNC(d, MONTH | WEEK(MONDAY) | ISOWEEK ...)', duck: "CAST(date_trunc('month', d) AS DATE)", rewrite: ([x, part]) => `CAST(${trunc(x, part)} AS DATE)` },
  TIMESTAMP_ADD: { bq: 'TIMESTAMP_ADD(t, INTERVAL n UNIT)', duck: '(t + INTERVAL n UNIT)', rewrite: ([x, i]) => `(${x} + ${interval(i)})` },
  TIMESTAMP_SUB: { bq: 'TIMESTAMP_SUB(t, INTERVAL n UNIT)', duck: '(t - INTERVAL n UNIT)', rewrite: ([x, i]) => `(${x} - ${interval(i)})` },
  DATE_ADD: { bq: 'DATE_ADD(d, INTERVAL n UNIT)', duck: 'CAST(d + INTERVAL n UNIT AS DATE)', rewrite: ([x, i]) => `CAST(${x} + ${interval(i)} AS DATE)` },
  DATE_SUB: { bq: 'DATE_SUB(d, INTERVAL n UNIT)', duck: 'CAST(d - INTERVAL n UNIT AS DATE)', rewrite: ([x, i]) => `CAST(${x} - ${interval(i)} AS DATE)` },
  EXTRACT: {
    bq: 'EXTRACT(DAYOFWEEK | DAYOFYEAR | ISOWEEK | WEEK | ... FROM x)', duck: 'extract(dow FROM x) + 1 (1 = Sunday), ...',
    rewrite: ([arg]) => {
      const m = /^\s*(\w+)\s+FROM\s+([\s\S]+)$/i.exec(arg)
      if (!m) throw new SyntaxError(`EXTRACT: expected "part FROM expr"`)
      const tpl = EXTRACT_PARTS[m[1].toUpperCase()]
      return tpl ? tpl.replaceAll('$', `(${m[2]})`) : `extract(${m[1]} FROM ${m[2]})`
    },
  },
  FORMAT_TIMESTAMP: {
    bq: "FORMAT_TIMESTAMP(fmt, t[, tz])", duck: 'strftime(t, fmt) (strftime specifiers; %E*S and %Ez unsupported)',
    rewrite: ([fmt, x, tz]) => isUtc(tz) ? `strftime(${x}, ${fmt})` : `strftime(timezone(${tz}, ${x}), ${fmt})`,
  },
  FORMAT_DATE: { bq: 'FORMAT_DATE(fmt, d)', duck: 'strftime(d, fmt)', rewrite: ([fmt, x]) => `strftime(${x}, ${fmt})` },
  FORMAT_DATETIME: { bq: 'FORMAT_DATETIME(fmt, dt)', duck: 'strftime(dt, fmt)', rewrite: ([fmt, x]) => `strftime(${x}, ${fmt})` },
  PARSE_TIMESTAMP: { bq: 'PARSE_TIMESTAMP(fmt, s)', duck: 'CAST(strptime(s, fmt) AS TIMESTAMPTZ)', rewrite: ([fmt, s]) => `CAST(strptime(${s}, ${fmt}) AS TIMESTAMPTZ)` },
  UNIX_MICROS: { bq: 'UNIX_MICROS(t)', duck: 'epoch_us(t)', rewrite: ([x]) => `epoch_us(${x})` },
  UNIX_SECONDS: { bq: 'UNIX_SECONDS(t)', duck: 'CAST(floor(epoch(t)) AS BIGINT)', rewrite: ([x]) => `CAST(floor(epoch(${x})) AS BIGINT)` },
  TIMESTAMP_MICROS: { bq: 'TIMESTAMP_MICROS(n)', duck: 'CAST(make_timestamp(n) AS TIMESTAMPTZ)', rewrite: ([x]) => `CAST(make_timestamp(${x}) AS TIMESTAMPTZ)` },
  TIMESTAMP: { bq: 'TIMESTAMP(x)', duck: 'CAST(x AS TIMESTAMPTZ)', rewrite: ([x]) => `CAST(${x} AS TIMESTAMPTZ)` },
  CURRENT_TIMESTAMP: { bq: 'CURRENT_TIMESTAMP()', duck: 'get_current_timestamp()', rewrite: () => 'get_current_timestamp()' },
  // BigQuery hashes return BYTES; DuckDB's return hex text
  SHA256: { bq: 'SHA256(x)', duck: 'unhex(sha256(x))', rewrite: ([x]) => `unhex(sha256(${x}))` },
  MD5: { bq: 'MD5(x)', duck: 'unhex(md5(x))', rewrite: ([x]) => `unhex(md5(${x}))` },
  TO_HEX: { bq: 'TO_HEX(b)  (so TO_HEX(SHA256(x)) = sha256 hex)', duck: 'lower(hex(b))', rewrite: ([x]) => `lower(hex(${x}))` },
  FROM_HEX: { bq: 'FROM_HEX(s)', duck: 'unhex(s)', rewrite: ([x]) => `unhex(${x})` },
  TO_BASE64: { bq: 'TO_BASE64(b)', duck: 'to_base64(b)', rewrite: ([x]) => `to_base64(${x})` },
  COUNTIF: { bq: 'COUNTIF(c)', duck: 'count_if(c)', rewrite: ([x]) => `count_if(${x})` },
  LOGICAL_AND: { bq: 'LOGICAL_AND(c)', duck: 'bool_and(c)', rewrite: ([x]) => `bool_and(${x})` },
  LOGICAL_OR: { bq: 'LOGICAL_OR(c)', duck: 'bool_or(c)', rewrite: ([x]) => `bool_or(${x})` },
  // DuckDB's // truncates toward zero on integers, as DIV does, but is float division on
  // DECIMAL (1499 // 1000 = 1.499): decimals divide as doubles and truncate (exact only
  // below 2^53 — enough for test data; real BigQuery's DIV on NUMERIC is exact).
  DIV: {
    bq: 'DIV(a, b)', duck: '(a // b), decimals trunc(a / b)',
    rewrite: ([a, b]) => `(CASE WHEN typeof(${a}) LIKE 'DECIMAL%' OR typeof(${b}) LIKE 'DECIMAL%' THEN CAST(trunc(CAST((${a}) AS DOUBLE) / CAST((${b}) AS DOUBLE)) AS HUGEINT) ELSE CAST((${a}) // (${b}) AS HUGEINT) END)`,
  },
  SAFE_DIVIDE: { bq: 'SAFE_DIVIDE(a, b)', duck: 'CASE WHEN b = 0 THEN NULL ELSE a / b END', rewrite: ([a, b]) => `(CASE WHEN (${b}) = 0 THEN NULL ELSE (${a}) / (${b}) END)` },
  IEEE_DIVIDE: { bq: 'IEEE_DIVIDE(a, b)', duck: 'CAST(a AS DOUBLE) / b', rewrite: ([a, b]) => `(CAST(${a} AS DOUBLE) / (${b}))` },
  REGEXP_CONTAINS: { bq: 'REGEXP_CONTAINS(s, re)', duck: 'regexp_matches(s, re)', rewrite: ([s, r]) => `regexp_matches(${s}, ${r})` },
  ENDS_WITH: { bq: 'ENDS_WITH(s, x)', duck: 'suffix(s, x)', rewrite: ([s, x]) => `suffix(${s}, ${x})` },
  BYTE_LENGTH: { bq: 'BYTE_LENGTH(s)', duck: 'octet_length(encode(s))', rewrite: ([s]) => `octet_length(encode(${s}))` },
  GENERATE_ARRAY: { bq: 'GENERATE_ARRAY(a, b)', duck: 'generate_series(a, b)', rewrite: ([a, b]) => `generate_series(${a}, ${b})` },
  IS_NAN: { bq: 'IS_NAN(x)', duck: 'isnan(x)', rewrite: ([x]) => `isnan(${x})` },
  SPLIT: { bq: 'SPLIT(s, delim)', duck: 'string_split(s, delim)', rewrite: ([s, d]) => `string_split(${s}, ${d ?? "','"})` },
  FORMAT_TIME: { bq: 'FORMAT_TIME(fmt, t)', duck: "strftime(DATE '1970-01-01' + t, fmt)", rewrite: ([fmt, x]) => `strftime(DATE '1970-01-01' + ${x}, ${fmt})` },
  ARRAY_LENGTH: { bq: 'ARRAY_LENGTH(a)', duck: 'len(a)', rewrite: ([a]) => `len(${a})` },
  // BigQuery's CONCAT is NULL if any argument is (DuckDB's concat skips NULLs; || propagates them)
  CONCAT: { bq: 'CONCAT(a, b, ...)', duck: '(a || b || ...)', rewrite: (args) => `(${args.join(' || ')})` },
  // printf-style, as BigQuery's FORMAT (DuckDB's format is fmt-style); NUMERIC goes through a double here
  FORMAT: { bq: "FORMAT('%.2f', x)", duck: "printf('%.2f', x)", rewrite: (args) => `printf(${args.join(', ')})` },
  // JSON text of any value (NULL stays NULL here; BigQuery answers the text 'null')
  TO_JSON_STRING: { bq: 'TO_JSON_STRING(x)', duck: 'CAST(to_json(x) AS VARCHAR)', rewrite: ([x]) => `CAST(to_json(${x}) AS VARCHAR)` },
  // BigQuery has PERCENTILE_CONT as an analytic function only (`... OVER ()`); both are exact with linear interpolation
  PERCENTILE_CONT: { bq: 'PERCENTILE_CONT(x, p) OVER ()', duck: 'quantile_cont(x, p) OVER ()', rewrite: ([x, p]) => `quantile_cont(${x}, ${p})` },
  // identical in both dialects, listed so the table says so
  'COUNT(DISTINCT)': { bq: 'COUNT(DISTINCT x), APPROX_COUNT_DISTINCT, IFNULL, IF, COALESCE, NULLS FIRST/LAST, LIKE, LOWER, MOD, SIGN, ABS, ROUND, STARTS_WITH, STRING_AGG, ARRAY_AGG, INTERVAL n UNIT', duck: 'unchanged', rewrite: (a) => a.join(', ') },
}

function isUtc(tz: string | undefined): boolean {
  return tz === undefined || /^'(UTC|Etc\/UTC|\+00(:00)?|Z)'$/i.test(tz.trim())
}

/** A BigQuery type (`INT64`, `ARRAY<STRING>`, `NUMERIC(10, 2)`) → DuckDB. */
export function duckType(bq: string): string {
  const t = bq.trim()
  const arr = /^ARRAY\s*<([\s\S]+)>$/i.exec(t)
  if (arr) return `${duckType(arr[1])}[]`
  const base = /^(\w+)/.exec(t)?.[1]?.toUpperCase() ?? ''
  const d = TYPES[base]
  if (d === undefined) throw new SyntaxError(`Type not found: ${t}`)
  return d
}

function tokenize(sql: string): Token[] {
  const out: Token[] = []
  const re = /(\s+|--[^\n]*|#[^\n]*|\/\*[\s\S]*?\*\/)|([rRbB]?'(?:[^'\\]|\\.)*'|[rRbB]?"(?:[^"\\]|\\.)*")|(`(?:[^`\\]|\\.)*`)|(@@?\w+|\?)|(\d+(?:\.\d*)?(?:[eE][+-]?\d+)?|\.\d+)|(\w+)|(\/\/|<=|>=|<>|!=|\|\||.)/gy
  let m: RegExpExecArray | null
  while ((m = re.exec(sql)) !== null && m[0] !== '') {
    if (m[1] !== undefined) out.push({ kind: 'ws', text: /^\s+$/.test(m[1]) ? m[1] : ' ' })
    else if (m[2] !== undefined) out.push({ kind: 'str', text: m[2] })
    else if (m[3] !== undefined) out.push({ kind: 'ident', text: m[3] })
    else if (m[4] !== undefined) out.push({ kind: 'param', text: m[4] })
    else if (m[5] !== undefined) out.push({ kind: 'num', text: m[5] })
    else if (m[6] !== undefined) out.push({ kind: 'word', text: m[6] })
    else out.push({ kind: 'punct', text: m[7] })
  }
  return out
}

/** A BigQuery string literal → a DuckDB one (single quotes, '' doubling, escapes decoded). */
function stringLiteral(text: string): string {
  const raw = /^[rR]/.test(text)
  const bytes = /^[bB]/.test(text)
  const body = text.replace(/^[rRbB]/, '').slice(1, -1)
  const value = raw ? body : body.replace(/\\(.)/g, (_, c: string) => ({ n: '\n', t: '\t', r: '\r', '0': '\0' } as Record<string, string>)[c] ?? c)
  const lit = `'${value.replaceAll("'", "''")}'`
  return bytes ? `encode(${lit})` : lit
}

export interface RewriteOptions {
  /** dropped from `project.dataset.table` */
  projectId: string
  /** parameter name (or 1-based position as a string for `?`) → its BigQuery type, e.g. `INT64`, `ARRAY<STRING>` */
  paramTypes: ReadonlyMap<string, string>
}

export interface Rewritten {
  sql: string
  /** DuckDB parameter names in use (`p0`, or `1`, `2` ... for positional ones) */
  params: Set<string>
  /** `dataset.table` pairs the query mentions (for dry-run byte estimates) */
  tables: Set<string>
}

/** Rewrites one BigQuery statement. Throws SyntaxError with a BigQuery-like message when it cannot. */
export function toDuckDb(sql: string, opts: RewriteOptions): Rewritten {
  const ctx: Rewritten & { positional: number; opts: RewriteOptions } = { sql: '', params: new Set(), tables: new Set(), positional: 0, opts }
  ctx.sql = render(tokenize(sql.trim().replace(/;\s*$/, '')), ctx)
  // unquoted dataset.table too (over-collects `alias.column`: callers match against the catalog)
  for (const m of ctx.sql.matchAll(/(?:"((?:[^"]|"")+)"|\b([A-Za-z_]\w*))\s*\.\s*(?:"((?:[^"]|"")+)"|([A-Za-z_]\w*))/g)) {
    ctx.tables.add(`${m[1] ?? m[2]}.${m[3] ?? m[4]}`.toLowerCase())
  }
  return { sql: ctx.sql, params: ctx.params, tables: ctx.tables }
}

type Ctx = Rewritten & { positional: number; opts: RewriteOptions }

function nextNonWs(toks: Token[], i: number): number {
  while (i < toks.length && toks[i].kind === 'ws') i++
  return i
}

/** Index of the `)` matching the `(` at `open`. */
function closing(toks: Token[], open: number): number {
  let depth = 0
  for (let i = open; i < toks.length; i++) {
    if (toks[i].kind !== 'punct') continue
    if (toks[i].text === '(') depth++
    else if (toks[i].text === ')' && --depth === 0) return i
  }
  throw new SyntaxError('Syntax error: Unbalanced parentheses')
}

/** Splits tokens on top-level commas. */
function splitArgs(toks: Token[]): Token[][] {
  const args: Token[][] = [[]]
  let depth = 0
  for (const t of toks) {
    if (t.kind === 'punct' && t.text === '(') depth++
    if (t.kind === 'punct' && t.text === ')') depth--
    if (depth === 0 && t.kind === 'punct' && t.text === ',') args.push([])
    else args[args.length - 1].push(t)
  }
  return args.length === 1 && args[0].every((t) => t.kind === 'ws') ? [] : args
}

function identifier(text: string, ctx: Ctx, prevDot: boolean): string {
  const parts = text.slice(1, -1).split('.')
  // `project.dataset.table` → "dataset"."table"; a project prefix only starts a path
  if (!prevDot && parts.length === 3) parts.shift()
  if (!prevDot && parts.length === 2) ctx.tables.add(parts.join('.').toLowerCase())
  return parts.map((p) => `"${p.replaceAll('"', '""')}"`).join('.')
}

function param(text: string, ctx: Ctx): string {
  if (text.startsWith('@@')) throw new SyntaxError(`System variables are not supported by the fake: ${text}`)
  const name = text === '?' ? String(++ctx.positional) : text.slice(1)
  const type = ctx.opts.paramTypes.get(name)
  if (type === undefined) throw new SyntaxError(text === '?' ? `Query has ${ctx.positional} positional parameters but fewer were given` : `Query parameter '${name}' not found`)
  ctx.params.add(name)
  // BYTES travel base64-encoded, like every other value as text
  if (/^BYTES$/i.test(type)) return `from_base64(CAST($${name} AS VARCHAR))`
  return `CAST($${name} AS ${duckType(type)})`
}

function render(toks: Token[], ctx: Ctx): string {
  let out = ''
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i]
    const prev = out.trimEnd()
    switch (t.kind) {
      case 'str': out += stringLiteral(t.text); break
      case 'ident': out += identifier(t.text, ctx, prev.endsWith('.')); break
      case 'param': out += param(t.text, ctx); break
      case 'word': {
        const upper = t.text.toUpperCase()
        const j = nextNonWs(toks, i + 1)
        const next = toks[j]
        if (next?.kind === 'str' && LITERALS[upper]) {
          out += LITERALS[upper](stringLiteral(next.text))
          i = j
        } else if (next?.kind === 'punct' && next.text === '(') {
          const end = closing(toks, j)
          const inner = toks.slice(j + 1, end)
          if (upper === 'CAST' || upper === 'SAFE_CAST') {
            out += `${upper === 'CAST' ? 'CAST' : 'TRY_CAST'}(${castArg(inner, ctx)})`
          } else if (upper === 'UNNEST' && /\bIN$/i.test(prev)) {
            out += `(SELECT unnest(${render(inner, ctx)}))`
          } else if (/^(SAFE_)?(OFFSET|ORDINAL)$/.test(upper) && prev.endsWith('[')) {
            // arr[OFFSET(n)] is 0-based, arr[ORDINAL(n)] 1-based; DuckDB lists are 1-based (and NULL out of range, like SAFE_)
            out += upper.endsWith('OFFSET') ? `(${render(inner, ctx)}) + 1` : render(inner, ctx)
          } else if (FUNCTIONS[upper] && !prev.endsWith('.')) {
            out += FUNCTIONS[upper].rewrite(splitArgs(inner).map((a) => render(a, ctx).trim()))
          } else {
            out += `${t.text}(${render(inner, ctx)})`
          }
          i = end
        } else if (upper === ctx.opts.projectId.toUpperCase() && next?.kind === 'punct' && next.text === '.' && !prev.endsWith('.')) {
          i = j // unquoted project prefix
        } else {
          out += t.text
        }
        break
      }
      default: out += t.text
    }
  }
  return out
}

/** `x AS T` inside CAST: the last top-level AS separates the value from the type. */
function castArg(inner: Token[], ctx: Ctx): string {
  let depth = 0
  let as = -1
  inner.forEach((t, k) => {
    if (t.kind === 'punct' && t.text === '(') depth++
    else if (t.kind === 'punct' && t.text === ')') depth--
    else if (depth === 0 && t.kind === 'word' && t.text.toUpperCase() === 'AS') as = k
  })
  if (as < 0) throw new SyntaxError('Syntax error: Expected keyword AS in CAST')
  const type = inner.slice(as + 1).map((t) => t.text).join('')
  return `${render(inner.slice(0, as), ctx).trim()} AS ${duckType(type)}`
}
