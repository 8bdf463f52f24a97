/**
 * # BigQuery fake — a local stand-in for the BigQuery REST API (v2), for tests
 *
 * `startBigQueryFake()` serves, on 127.0.0.1, the calls @google-cloud/bigquery 8.x makes:
 *
 * | REST method           | route (under /bigquery/v2/projects/{p})        | client call                              |
 * |-----------------------|-------------------------------------------------|------------------------------------------|
 * | jobs.query            | POST /queries                                    | query(), createQueryStream()             |
 * | jobs.getQueryResults  | GET  /queries/{jobId}?pageToken&maxResults&startIndex | later pages, `jobComplete:false` polls |
 * | jobs.insert (+dryRun) | POST /jobs                                       | createQueryJob(), query({dryRun})        |
 * | jobs.get              | GET  /jobs/{jobId}                               | job.getMetadata(), job.promise()         |
 * | jobs.cancel           | POST /jobs/{jobId}/cancel                        | job.cancel()                             |
 * | jobs.list             | GET  /jobs?maxResults&pageToken                  | getJobs() (smoke command: find a cancelled job) |
 * | datasets.list / get   | GET  /datasets[/{d}]                             | getDatasets(), dataset.getMetadata()     |
 * | tables.list / get     | GET  /datasets/{d}/tables[/{t}]                  | dataset.getTables(), table.getMetadata() |
 *
 * Queries run for real on an in-memory DuckDB (datasets are DuckDB schemas) after the dialect
 * rewrite in bigquery-dialect.ts (its FUNCTIONS/TYPES/LITERALS tables are the source of truth;
 * `dialectTable()` prints FUNCTIONS as markdown). In short:
 *
 * | BigQuery                                   | DuckDB                                              |
 * |--------------------------------------------|-----------------------------------------------------|
 * | `project.dataset.table`, `dataset.table`   | "dataset"."table"                                   |
 * | "text", r'raw'                             | 'text', 'raw'                                       |
 * | @name / ? (+ queryParameters)              | CAST($name AS <type>) (values bound as text)        |
 * | x IN UNNEST(@arr)                          | x IN (SELECT unnest(...))                           |
 * | CAST / SAFE_CAST(x AS INT64 …)             | CAST / TRY_CAST(x AS BIGINT …) (TYPES table)        |
 * | TIMESTAMP 'lit', DATETIME 'lit', NUMERIC 'lit' | CAST('lit' AS TIMESTAMPTZ / TIMESTAMP / DECIMAL(38,9)) |
 * | TIMESTAMP_TRUNC(x, DAY, 'UTC')             | date_trunc('day', x) (other zones via timezone())   |
 * | DATE_TRUNC(d, WEEK / WEEK(MONDAY) / ISOWEEK / MONTH) | CAST(date_trunc(...) AS DATE), Sunday weeks shifted |
 * | TO_HEX(SHA256(x)), MD5                     | lower(hex(unhex(sha256(x))))                        |
 * | FORMAT_TIMESTAMP(fmt, t[, tz]), FORMAT_DATE | strftime(t, fmt)                                   |
 * | EXTRACT(DAYOFWEEK FROM x)                  | extract(dow FROM x) + 1                             |
 * | COUNTIF, LOGICAL_AND/OR, DIV, SAFE_DIVIDE, REGEXP_CONTAINS, ENDS_WITH, UNIX_MICROS, TIMESTAMP_MICROS, DATE_ADD/SUB, TIMESTAMP_ADD/SUB, GENERATE_ARRAY, ARRAY_LENGTH | count_if, bool_and/or, //, CASE, regexp_matches, suffix, epoch_us, make_timestamp, + INTERVAL, generate_series, len |
 * | COUNT(DISTINCT x), IF, IFNULL, COALESCE, NULLS FIRST/LAST, LIKE, MOD, ROUND, STRING_AGG … | unchanged |
 *
 * Results use BigQuery's wire format: every value a string
 * or null; INT64 decimal text; FLOAT64 JS number text; NUMERIC/BIGNUMERIC exact decimals
 * without trailing zeros; BOOL "true"/"false"; BYTES base64; DATE YYYY-MM-DD; DATETIME
 * YYYY-MM-DDTHH:MM:SS[.ffffff]; TIME HH:MM:SS[.ffffff]; TIMESTAMP int64 µs text when
 * `formatOptions.useInt64Timestamp` is true (the client always asks), else float seconds in
 * Java notation ("1.6725744E9"); INTERVAL "Y-M D H:M:S[.F]"; REPEATED `{"v":[{"v":..}]}`; RECORD
 * `{"v":{"f":[..]}}`. DuckDB → BigQuery types: integers INT64, DOUBLE/FLOAT FLOAT64, DECIMAL with
 * scale ≤ 9 NUMERIC and > 9 BIGNUMERIC, VARCHAR STRING, BLOB BYTES, TIMESTAMP DATETIME,
 * TIMESTAMPTZ TIMESTAMP, JSON JSON, LIST REPEATED, STRUCT RECORD, STRUCT("__bq_geography") GEOGRAPHY.
 *
 * Every request is recorded (`requests`: method, path, query, body, authorization, at), and
 * `faults` injects per-route trouble: delays, 500 backendError, 401/403 auth errors, 403
 * rateLimitExceeded/quotaExceeded (optional Retry-After), connection resets, slow jobs.
 *
 * Known differences from real BigQuery:
 * - The dialect rewrite is token-based, not a parser: unlisted functions pass through to
 *   DuckDB unchanged; STRUCT parameters, typed array literals, STRUCT(...) constructors,
 *   SELECT * EXCEPT/REPLACE, scripting, DML and DDL are not supported (DuckDB may accept some
 *   of them by accident). Error
 *   positions ("at [l:c]") point into the rewritten SQL.
 * - BIGNUMERIC holds 38 digits (DECIMAL(38,18)), not 76; GEOGRAPHY is WKT text with no functions.
 * - Jobs run to completion at creation; "running" is simulated by `faults.slowJobs(n)`.
 *   jobs.cancel always marks the job cancelled (real BigQuery ignores a cancel of a finished
 *   job); getQueryResults of a cancelled job then fails 400 `stopped` (jobs.get shows
 *   status.errorResult `stopped`).
 * - Dry-run bytes = sum of the referenced tables' numBytes (whole tables, no column pruning);
 *   bytes billed = max(10 MiB, processed) when any table is referenced.
 * - numBytes is a deterministic estimate (8 bytes a fixed-width value, 2 + length for text/bytes).
 * - Views (`loadTable(d, t, { view })`, DuckDB SQL): tables.get gives type VIEW, the schema and
 *   `view.query` (the DuckDB text), no numRows/numBytes.
 * - Page size is maxResults or `defaultPageSize` (no 10 MB page cap); tokens are opaque offsets.
 * - No auth checking: the Authorization header is only recorded (no header → `authorization` undefined).
 * - Locations: every dataset and job is in `location` (default "US").
 */
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import {
  DuckDBInstance, DuckDBTypeId, listValue, LIST, VARCHAR,
  type DuckDBConnection, type DuckDBType, type DuckDBValue,
  DuckDBListValue, DuckDBStructValue, DuckDBBlobValue, DuckDBDecimalValue, DuckDBIntervalValue, DuckDBArrayValue,
  DuckDBTimestampTZValue, DuckDBTimestampValue,
} from '@duckdb/node-api'
import { FUNCTIONS, GEOGRAPHY_MARK, TYPES, duckType, toDuckDb } from './bigquery-dialect.js'

export interface BqField { name: string; type: string; mode: 'NULLABLE' | 'REQUIRED' | 'REPEATED'; fields?: BqField[] }

export interface RecordedRequest {
  method: string
  path: string
  query: Record<string, string>
  body: any
  /** the Authorization header, undefined when none was sent */
  authorization: string | undefined
  headers: http.IncomingHttpHeaders
  /** Date.now() on arrival */
  at: number
}

export type FaultKind = 'backendError' | 'unauthorized' | 'accessDenied' | 'rateLimitExceeded' | 'quotaExceeded' | 'reset'
/** RegExp or substring, tested against `"METHOD /path"` (path without the query string). */
export type RouteMatch = RegExp | string

export interface Faults {
  /** answer matching requests `ms` later (the next `times` of them; default all) */
  delay(match: RouteMatch, ms: number, times?: number): void
  /** fail matching requests with BigQuery's error for `kind` ('reset' destroys the socket) */
  fail(match: RouteMatch, kind: FaultKind, opts?: { times?: number; retryAfterSeconds?: number }): void
  /** jobs created from now on answer `jobComplete: false` to their first `polls` polls (jobs.query counts) */
  slowJobs(polls: number): void
  /** jobs created from now on whose SQL matches `re` answer `jobComplete: false` to their first `polls` polls */
  slowJobsMatching(re: RegExp, polls: number): void
  clear(): void
}

export type TableSource =
  | { sql: string }
  /** a view: its query, in DuckDB SQL (tables.get answers type VIEW, no row count) */
  | { view: string }
  | { schema: { name: string; type: string; mode?: 'NULLABLE' | 'REQUIRED' | 'REPEATED'; fields?: any[] }[]; rows: unknown[][] }

export interface JobInfo {
  id: string
  query: string
  /** the SQL DuckDB ran */
  duckSql: string
  dryRun: boolean
  totalRows: number
  bytesProcessed: number
  cancelledAt?: number
  /** getQueryResults / jobs.query answers so far */
  polls: number
}

export interface BigQueryFake {
  url: string
  projectId: string
  location: string
  requests: RecordedRequest[]
  faults: Faults
  jobs: ReadonlyMap<string, JobInfo>
  loadTable(dataset: string, table: string, source: TableSource): Promise<void>
  /** run DuckDB SQL directly (setup and assertions) */
  duck(sql: string): Promise<DuckDBValue[][]>
  close(): Promise<void>
}

export interface FakeOptions {
  projectId?: string
  location?: string
  /** page size when a request sets no maxResults */
  defaultPageSize?: number
}

/** The dialect rewrite table, as markdown rows (for docs and failure messages). */
export function dialectTable(): string {
  return Object.values(FUNCTIONS).map((f) => `| ${f.bq} | ${f.duck} |`).join('\n')
}

class BqError extends Error {
  constructor(readonly status: number, readonly reason: string, message: string, readonly extra: { location?: string; headers?: Record<string, string> } = {}) {
    super(message)
  }
}

const STATUS_TEXT: Record<number, string> = { 400: 'INVALID_ARGUMENT', 401: 'UNAUTHENTICATED', 403: 'PERMISSION_DENIED', 404: 'NOT_FOUND', 409: 'ALREADY_EXISTS', 500: 'INTERNAL' }

function faultError(kind: Exclude<FaultKind, 'reset'>, projectId: string, retryAfter?: number): BqError {
  const headers = retryAfter === undefined ? undefined : { 'retry-after': String(retryAfter) }
  switch (kind) {
    case 'backendError': return new BqError(500, 'backendError', 'Backend error. Job aborted.', { headers })
    case 'unauthorized': return new BqError(401, 'authError', 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential.', { headers })
    case 'accessDenied': return new BqError(403, 'accessDenied', `Access Denied: Project ${projectId}: User does not have bigquery.jobs.create permission in project ${projectId}.`, { headers })
    case 'rateLimitExceeded': return new BqError(403, 'rateLimitExceeded', 'Exceeded rate limits: too many api requests per user per method for this user_method. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas', { headers })
    case 'quotaExceeded': return new BqError(403, 'quotaExceeded', 'Quota exceeded: Your project exceeded quota for free query bytes scanned. For more information, see https://cloud.google.com/bigquery/docs/troubleshoot-quotas', { headers })
  }
}

/** DuckDB's error text → BigQuery's invalidQuery / notFound. */
function queryError(e: unknown, projectId: string, location: string): BqError {
  if (e instanceof BqError) return e
  const msg = e instanceof Error ? e.message : String(e)
  if (e instanceof SyntaxError) return new BqError(400, 'invalidQuery', msg, { location: 'query' })
  const table = /Table with name (\S+) does not exist/.exec(msg)
  if (table) return new BqError(404, 'notFound', `Not found: Table ${projectId}:${table[1]} was not found in location ${location}`)
  const lines = msg.split('\n')
  const first = lines[0].replace(/^[\w ]*Error: /, '').replace(/^Referenced column "(.*)" not found in FROM clause!$/, 'Unrecognized name: $1')
  // "LINE 3: ..." then a caret line: column = caret offset - the "LINE n: " prefix
  const li = lines.findIndex((l) => /^LINE \d+: /.test(l))
  let at = ''
  if (li >= 0 && lines[li + 1]?.includes('^')) {
    const prefix = /^LINE \d+: /.exec(lines[li])![0].length
    at = ` at [${/^LINE (\d+)/.exec(lines[li])![1]}:${lines[li + 1].indexOf('^') - prefix + 1}]`
  }
  return new BqError(400, 'invalidQuery', `${first}${at}`, { location: 'query' })
}

// ---------------------------------------------------------------- types and values

function bqField(name: string, t: DuckDBType): BqField {
  if (t.typeId === DuckDBTypeId.LIST || t.typeId === DuckDBTypeId.ARRAY) {
    const inner = bqField(name, (t as any).valueType as DuckDBType)
    return { ...inner, mode: 'REPEATED' }
  }
  if (t.typeId === DuckDBTypeId.STRUCT) {
    const names = (t as any).entryNames as string[]
    if (names.length === 1 && names[0] === GEOGRAPHY_MARK) return { name, type: 'GEOGRAPHY', mode: 'NULLABLE' }
    const types = (t as any).entryTypes as DuckDBType[]
    return { name, type: 'RECORD', mode: 'NULLABLE', fields: names.map((n, i) => bqField(n, types[i])) }
  }
  return { name, type: scalarType(t), mode: 'NULLABLE' }
}

function scalarType(t: DuckDBType): string {
  switch (t.typeId) {
    case DuckDBTypeId.BOOLEAN: return 'BOOL'
    case DuckDBTypeId.TINYINT: case DuckDBTypeId.SMALLINT: case DuckDBTypeId.INTEGER: case DuckDBTypeId.BIGINT:
    case DuckDBTypeId.UTINYINT: case DuckDBTypeId.USMALLINT: case DuckDBTypeId.UINTEGER: case DuckDBTypeId.UBIGINT:
    case DuckDBTypeId.HUGEINT: case DuckDBTypeId.UHUGEINT:
      return 'INT64'
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE: return 'FLOAT64'
    case DuckDBTypeId.DECIMAL: return (t as any).scale > 9 ? 'BIGNUMERIC' : 'NUMERIC'
    case DuckDBTypeId.BLOB: return 'BYTES'
    case DuckDBTypeId.DATE: return 'DATE'
    case DuckDBTypeId.TIME: return 'TIME'
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_S: case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_NS: return 'DATETIME'
    case DuckDBTypeId.TIMESTAMP_TZ: return 'TIMESTAMP'
    case DuckDBTypeId.INTERVAL: return 'INTERVAL'
    case DuckDBTypeId.VARCHAR: return t.alias === 'JSON' ? 'JSON' : 'STRING'
    default: return 'STRING'
  }
}

/** Exact seconds in Java's Double.toString notation, which BigQuery uses for float timestamps. */
export function floatSeconds(micros: bigint): string {
  if (micros === 0n) return '0.0'
  const sign = micros < 0n ? '-' : ''
  const abs = micros < 0n ? -micros : micros
  const digits = abs.toString()
  const exp = digits.length - 7 // power of ten of the first digit, in seconds
  if (exp >= -3 && exp < 7) {
    const int = (abs / 1_000_000n).toString()
    const frac = (abs % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '')
    return `${sign}${int}.${frac || '0'}`
  }
  const mant = digits.replace(/0+$/, '')
  return `${sign}${mant[0]}.${mant.slice(1) || '0'}E${exp}`
}

function trimDecimal(s: string): string {
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s
}

function intervalText(v: DuckDBIntervalValue): string {
  const y = Math.trunc(v.months / 12)
  const m = v.months % 12
  const neg = v.micros < 0n
  const us = neg ? -v.micros : v.micros
  const h = us / 3_600_000_000n
  const min = (us / 60_000_000n) % 60n
  const s = (us / 1_000_000n) % 60n
  const f = (us % 1_000_000n).toString().padStart(6, '0').replace(/0+$/, '')
  return `${y}-${Math.abs(m)} ${v.days} ${neg ? '-' : ''}${h}:${min}:${s}${f ? `.${f}` : ''}`
}

type Cell = { v: unknown }

/** One value → the `v` of its BigQuery cell. */
function encode(v: DuckDBValue, t: DuckDBType, int64Ts: boolean): unknown {
  if (v === null || v === undefined) return null
  switch (t.typeId) {
    case DuckDBTypeId.LIST: case DuckDBTypeId.ARRAY: {
      const items = (v as DuckDBListValue | DuckDBArrayValue).items
      return items.map((x): Cell => ({ v: encode(x, (t as any).valueType, int64Ts) }))
    }
    case DuckDBTypeId.STRUCT: {
      const names = (t as any).entryNames as string[]
      const types = (t as any).entryTypes as DuckDBType[]
      const entries = (v as DuckDBStructValue).entries
      if (names.length === 1 && names[0] === GEOGRAPHY_MARK) return entries[GEOGRAPHY_MARK] === null ? null : String(entries[GEOGRAPHY_MARK])
      return { f: names.map((n, i): Cell => ({ v: encode(entries[n], types[i], int64Ts) })) }
    }
    case DuckDBTypeId.BOOLEAN: return v ? 'true' : 'false'
    case DuckDBTypeId.FLOAT: case DuckDBTypeId.DOUBLE: {
      const n = v as number
      return Number.isNaN(n) ? 'NaN' : n === Infinity ? 'Infinity' : n === -Infinity ? '-Infinity' : String(n)
    }
    case DuckDBTypeId.DECIMAL: return trimDecimal((v as DuckDBDecimalValue).toString())
    case DuckDBTypeId.BLOB: return Buffer.from((v as DuckDBBlobValue).bytes).toString('base64')
    case DuckDBTypeId.TIME: return trimFraction(String(v))
    case DuckDBTypeId.TIMESTAMP: case DuckDBTypeId.TIMESTAMP_S: case DuckDBTypeId.TIMESTAMP_MS: case DuckDBTypeId.TIMESTAMP_NS:
      return trimFraction(String(v as DuckDBTimestampValue).replace(' ', 'T'))
    case DuckDBTypeId.TIMESTAMP_TZ: {
      const us = (v as DuckDBTimestampTZValue).micros
      return int64Ts ? us.toString() : floatSeconds(us)
    }
    case DuckDBTypeId.INTERVAL: return intervalText(v as DuckDBIntervalValue)
    default: return String(v)
  }
}

function trimFraction(s: string): string {
  return s.replace(/(\.\d*?)0+$/, '$1').replace(/\.$/, '')
}

// ---------------------------------------------------------------- the fake

interface Job extends JobInfo {
  location: string
  schema: BqField[]
  types: DuckDBType[]
  rows: DuckDBValue[][]
  pollsLeft: number
  created: number
  statementType: string
  configuration: any
}

interface Fault { match: RouteMatch; times: number; delayMs?: number; kind?: FaultKind; retryAfter?: number }

interface TableMeta { created: number; view?: string }

const B64 = (n: number) => Buffer.from(String(n)).toString('base64url')
const UNB64 = (s: string) => Number(Buffer.from(s, 'base64url').toString())

export async function startBigQueryFake(opts: FakeOptions = {}): Promise<BigQueryFake> {
  const projectId = opts.projectId ?? 'test-project'
  const location = opts.location ?? 'US'
  const defaultPageSize = opts.defaultPageSize ?? 100_000
  const instance = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'true' })
  const conn = await instance.connect()
  // BigQuery computes in UTC; TIMESTAMPTZ functions follow the session zone
  await conn.run("SET TimeZone = 'UTC'")

  // one connection, one statement at a time: queue every DuckDB call
  let queue: Promise<unknown> = Promise.resolve()
  const serial = <T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> => {
    const p = queue.then(() => fn(conn))
    queue = p.catch(() => undefined)
    return p
  }

  const datasets = new Map<string, { created: number; tables: Map<string, TableMeta> }>()
  const jobs = new Map<string, Job>()
  const requests: RecordedRequest[] = []
  let faults: Fault[] = []
  let slowPolls = 0
  let slowMatching: { re: RegExp; polls: number }[] = []
  let jobSeq = 0

  const faultApi: Faults = {
    delay: (match, ms, times = Infinity) => { faults.push({ match, times, delayMs: ms }) },
    fail: (match, kind, o = {}) => { faults.push({ match, times: o.times ?? Infinity, kind, retryAfter: o.retryAfterSeconds }) },
    slowJobs: (polls) => { slowPolls = polls },
    slowJobsMatching: (re, polls) => { slowMatching.push({ re, polls }) },
    clear: () => { faults = []; slowPolls = 0; slowMatching = [] },
  }

  async function ensureDataset(name: string) {
    if (!datasets.has(name)) {
      await serial((c) => c.run(`CREATE SCHEMA IF NOT EXISTS ${q(name)}`))
      datasets.set(name, { created: Date.now(), tables: new Map() })
    }
    return datasets.get(name)!
  }

  async function loadTable(dataset: string, table: string, source: TableSource) {
    const ds = await ensureDataset(dataset)
    const target = `${q(dataset)}.${q(table)}`
    if ('view' in source) {
      await serial((c) => c.run(`CREATE OR REPLACE VIEW ${target} AS ${source.view}`))
      ds.tables.set(table, { created: Date.now(), view: source.view })
      return
    }
    if ('sql' in source) {
      await serial((c) => c.run(`CREATE OR REPLACE TABLE ${target} AS ${source.sql}`))
    } else {
      const cols = source.schema.map((f) => `${q(f.name)} ${columnType(f)}`)
      await serial((c) => c.run(`CREATE OR REPLACE TABLE ${target} (${cols.join(', ')})`))
      // values travel as text and are cast in SQL; nested ones as JSON text
      const casts = source.schema.map((f, i) => {
        const p = `CAST($${i + 1} AS VARCHAR)`
        if (f.mode === 'REPEATED' || f.type === 'RECORD' || f.type === 'STRUCT') return `CAST(CAST(${p} AS JSON) AS ${columnType(f)})`
        if (f.type === 'BYTES') return `from_base64(${p})`
        if (f.type === 'GEOGRAPHY') return `struct_pack(${GEOGRAPHY_MARK} := ${p})`
        return `CAST(${p} AS ${columnType(f)})`
      })
      const insert = `INSERT INTO ${target} VALUES (${casts.join(', ')})`
      await serial(async (c) => {
        const stmt = await c.prepare(insert)
        for (const row of source.rows) {
          stmt.bind(row.map((v, i) => textOf(v, source.schema[i])))
          await stmt.run()
        }
      })
    }
    ds.tables.set(table, { created: Date.now() })
  }

  /** schema, numRows and the deterministic numBytes estimate of one table */
  async function tableStats(dataset: string, table: string) {
    const target = `${q(dataset)}.${q(table)}`
    const r = await serial((c) => c.runAndReadAll(`SELECT * FROM ${target} LIMIT 0`))
    const types = r.columnTypes()
    const names = r.columnNames()
    const schema = names.map((n, i) => bqField(n, types[i]))
    const sizes = names.map((n, i) => byteSize(q(n), types[i]))
    const s = await serial((c) => c.runAndReadAll(`SELECT count(*)::BIGINT, (${sizes.length ? sizes.map((e) => `coalesce(sum(${e}), 0)`).join(' + ') : '0'})::BIGINT FROM ${target}`))
    const [rows, bytes] = s.getRows()[0] as bigint[]
    return { schema, numRows: Number(rows), numBytes: Number(bytes) }
  }

  function tableResource(dataset: string, table: string, meta: TableMeta, stats?: Awaited<ReturnType<typeof tableStats>>) {
    return {
      kind: 'bigquery#table',
      id: `${projectId}:${dataset}.${table}`,
      tableReference: { projectId, datasetId: dataset, tableId: table },
      type: meta.view !== undefined ? 'VIEW' : 'TABLE',
      creationTime: String(meta.created),
      ...(stats ? {
        etag: B64(meta.created),
        selfLink: `${url}/bigquery/v2/projects/${projectId}/datasets/${dataset}/tables/${table}`,
        schema: { fields: stats.schema },
        // a view holds no data of its own: BigQuery gives its query, no row or byte counts
        ...(meta.view !== undefined
          ? { view: { query: meta.view, useLegacySql: false } }
          : { numRows: String(stats.numRows), numBytes: String(stats.numBytes) }),
        lastModifiedTime: String(meta.created),
        location,
      } : {}),
    }
  }

  /** jobs.query / jobs.insert: rewrite, run (or only plan for dry runs), keep the job. */
  async function createJob(jobId: string, query: string, body: any, dryRun: boolean): Promise<Job> {
    if (typeof query !== 'string' || query.trim() === '') throw new BqError(400, 'invalid', 'Required parameter is missing: query')
    if (body.useLegacySql === true) throw new BqError(400, 'invalidQuery', 'The fake speaks standard SQL only (useLegacySql must be false)')
    const { types: paramTypes, values } = decodeParams(body.queryParameters ?? [], body.parameterMode)
    let rewritten
    try {
      rewritten = toDuckDb(query, { projectId, paramTypes })
    } catch (e) { throw queryError(e, projectId, location) }
    // every parameter travels as text (or a list of text) and is CAST in the SQL
    const bound: Record<string, DuckDBValue> = {}
    const boundTypes: Record<string, DuckDBType> = {}
    for (const name of rewritten.params) {
      bound[name] = values.get(name) ?? null
      boundTypes[name] = paramTypes.get(name)!.startsWith('ARRAY<') ? LIST(VARCHAR) : VARCHAR
    }
    const bytes = await referencedBytes(rewritten.tables)
    const billed = rewritten.tables.size > 0 ? Math.max(10 * 1024 * 1024, Math.ceil(bytes / 1048576) * 1048576) : 0
    const limit = body.maximumBytesBilled
    if (!dryRun && limit !== undefined && limit !== null && Number(limit) < billed) {
      throw new BqError(400, 'bytesBilledLimitExceeded', `Query exceeded limit for bytes billed: ${limit}. ${billed} or higher required.`)
    }
    let types: DuckDBType[]
    let names: string[]
    let rows: DuckDBValue[][] = []
    try {
      if (dryRun) {
        const r = await serial(async (c) => { const s = await c.prepare(rewritten.sql); return { names: Array.from({ length: s.columnCount }, (_, i) => s.columnName(i)), types: Array.from({ length: s.columnCount }, (_, i) => s.columnType(i)) } })
        types = r.types; names = r.names
      } else {
        const r = await serial((c) => c.runAndReadAll(rewritten.sql, bound, boundTypes))
        types = r.columnTypes(); names = r.columnNames(); rows = r.getRows()
      }
    } catch (e) { throw queryError(e, projectId, location) }
    const job: Job = {
      id: jobId, query, duckSql: rewritten.sql, dryRun, totalRows: rows.length, bytesProcessed: bytes, polls: 0,
      location, schema: names.map((n, i) => bqField(n, types[i])), types, rows,
      pollsLeft: dryRun ? 0 : slowMatching.find((m) => m.re.test(query))?.polls ?? slowPolls, created: Date.now(),
      statementType: /^\s*(\(\s*)*(SELECT|WITH)\b/i.test(query) ? 'SELECT' : 'SCRIPT',
      configuration: body,
    }
    if (!dryRun) jobs.set(jobId, job)
    return job
  }

  async function referencedBytes(tables: Set<string>): Promise<number> {
    let sum = 0
    for (const [dsName, ds] of datasets) {
      for (const t of ds.tables.keys()) {
        if (tables.has(`${dsName}.${t}`.toLowerCase())) sum += (await tableStats(dsName, t)).numBytes
      }
    }
    return sum
  }

  function jobResource(job: Job) {
    const running = job.pollsLeft > 0 && job.cancelledAt === undefined
    const stopped = job.cancelledAt !== undefined ? { reason: 'stopped', message: 'Job execution was cancelled: User requested cancellation' } : undefined
    return {
      kind: 'bigquery#job',
      id: `${projectId}:${job.location}.${job.id}`,
      jobReference: { projectId, jobId: job.id, location: job.location },
      configuration: { jobType: 'QUERY', ...(job.dryRun ? { dryRun: true } : {}), query: job.configuration },
      status: { state: running ? 'RUNNING' : 'DONE', ...(stopped ? { errorResult: stopped, errors: [stopped] } : {}) },
      statistics: {
        creationTime: String(job.created), startTime: String(job.created), ...(running ? {} : { endTime: String(job.created) }),
        totalBytesProcessed: String(job.bytesProcessed),
        query: {
          totalBytesProcessed: String(job.bytesProcessed),
          totalBytesBilled: job.dryRun ? '0' : String(job.bytesProcessed),
          cacheHit: false,
          statementType: job.statementType,
          ...(job.dryRun ? { schema: { fields: job.schema } } : {}),
        },
      },
    }
  }

  /** The body of a results page (jobs.query or getQueryResults). */
  function resultsPage(job: Job, kind: string, qs: { maxResults?: unknown; pageToken?: unknown; startIndex?: unknown; int64Ts: boolean }) {
    job.polls++
    const ref = { projectId, jobId: job.id, location: job.location }
    if (job.cancelledAt !== undefined) throw new BqError(400, 'stopped', 'Job execution was cancelled: User requested cancellation')
    if (job.pollsLeft > 0) {
      job.pollsLeft--
      return { kind, jobReference: ref, jobComplete: false }
    }
    const start = qs.pageToken ? UNB64(String(qs.pageToken)) : qs.startIndex !== undefined ? Number(qs.startIndex) : 0
    if (!Number.isInteger(start) || start < 0) throw new BqError(400, 'invalid', `Invalid page token: ${String(qs.pageToken)}`)
    const size = qs.maxResults !== undefined && qs.maxResults !== null ? Number(qs.maxResults) : defaultPageSize
    const end = Math.min(job.rows.length, start + size)
    const rows = job.rows.slice(start, end).map((r) => ({ f: r.map((v, i): Cell => ({ v: encode(v, job.types[i], qs.int64Ts) })) }))
    return {
      kind,
      etag: B64(job.created),
      schema: { fields: job.schema },
      jobReference: ref,
      totalRows: String(job.rows.length),
      ...(end < job.rows.length ? { pageToken: B64(end) } : {}),
      ...(rows.length ? { rows } : {}),
      totalBytesProcessed: String(job.bytesProcessed),
      jobComplete: true,
      cacheHit: false,
    }
  }

  function getJob(id: string): Job {
    const job = jobs.get(id)
    if (!job) throw new BqError(404, 'notFound', `Not found: Job ${projectId}:${location}.${id}`)
    return job
  }

  function page<T>(items: T[], qs: Record<string, string>): { items: T[]; nextPageToken?: string } {
    const start = qs.pageToken ? UNB64(qs.pageToken) : 0
    const size = qs.maxResults ? Number(qs.maxResults) : 50
    const end = Math.min(items.length, start + size)
    return { items: items.slice(start, end), ...(end < items.length ? { nextPageToken: B64(end) } : {}) }
  }

  async function route(method: string, path: string, qs: Record<string, string>, body: any): Promise<unknown> {
    const m = /^\/bigquery\/v2\/projects\/([^/]+)(\/.*)?$/.exec(path)
    if (!m) throw new BqError(404, 'notFound', `Not found: ${path}`)
    if (decodeURIComponent(m[1]) !== projectId) throw new BqError(404, 'notFound', `Not found: Project ${decodeURIComponent(m[1])}`)
    const rest = (m[2] ?? '').split('/').filter(Boolean).map(decodeURIComponent)
    const int64Ts = qs['formatOptions.useInt64Timestamp'] === 'true'
    const [a, b, c, d] = rest
    if (method === 'POST' && a === 'queries' && rest.length === 1) {
      const jobId = `job_${(++jobSeq).toString().padStart(6, '0')}_${Math.random().toString(36).slice(2, 10)}`
      const job = await createJob(jobId, body.query, body, body.dryRun === true)
      if (job.dryRun) return { kind: 'bigquery#queryResponse', schema: { fields: job.schema }, jobReference: { projectId, location }, totalBytesProcessed: String(job.bytesProcessed), jobComplete: true, cacheHit: false }
      return resultsPage(job, 'bigquery#queryResponse', { maxResults: body.maxResults, int64Ts: body.formatOptions?.useInt64Timestamp === true })
    }
    if (method === 'GET' && a === 'queries' && rest.length === 2) {
      return resultsPage(getJob(b), 'bigquery#getQueryResultsResponse', { ...qs, int64Ts })
    }
    if (method === 'POST' && a === 'jobs' && rest.length === 1) {
      const cfg = body.configuration ?? {}
      if (!cfg.query) throw new BqError(400, 'invalid', 'The fake supports query jobs only')
      const jobId = body.jobReference?.jobId ?? `job_${++jobSeq}`
      if (jobs.has(jobId)) throw new BqError(409, 'duplicate', `Already Exists: Job ${projectId}:${location}.${jobId}`)
      const job = await createJob(jobId, cfg.query.query, cfg.query, cfg.dryRun === true)
      return jobResource(job)
    }
    if (method === 'GET' && a === 'jobs' && rest.length === 1) {
      // jobs.list (projection=full: with each job's configuration), newest first
      const all = [...jobs.values()].sort((x, y) => y.created - x.created)
      const p = page(all, qs)
      return { kind: 'bigquery#jobList', jobs: p.items.map((j) => ({ ...jobResource(j), state: jobResource(j).status.state })), ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}) }
    }
    if (method === 'GET' && a === 'jobs' && rest.length === 2) {
      const job = getJob(b)
      const res = jobResource(job)
      if (job.pollsLeft > 0) { job.pollsLeft--; job.polls++ }
      return res
    }
    if (method === 'POST' && a === 'jobs' && rest.length === 3 && c === 'cancel') {
      const job = getJob(b)
      job.cancelledAt ??= Date.now()
      return { kind: 'bigquery#jobCancelResponse', job: jobResource(job) }
    }
    if (method === 'GET' && a === 'datasets' && rest.length === 1) {
      const all = [...datasets.keys()].sort()
      const p = page(all, qs)
      return {
        kind: 'bigquery#datasetList', etag: B64(all.length),
        datasets: p.items.map((id) => ({ kind: 'bigquery#dataset', id: `${projectId}:${id}`, datasetReference: { projectId, datasetId: id }, location })),
        ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
      }
    }
    const ds = b !== undefined ? datasets.get(b) : undefined
    if (a === 'datasets' && b !== undefined && !ds) throw new BqError(404, 'notFound', `Not found: Dataset ${projectId}:${b}`)
    if (method === 'GET' && a === 'datasets' && rest.length === 2) {
      return { kind: 'bigquery#dataset', id: `${projectId}:${b}`, datasetReference: { projectId, datasetId: b }, location, creationTime: String(ds!.created), lastModifiedTime: String(ds!.created) }
    }
    if (method === 'GET' && a === 'datasets' && c === 'tables' && rest.length === 3) {
      const all = [...ds!.tables.keys()].sort()
      const p = page(all, qs)
      return {
        kind: 'bigquery#tableList', etag: B64(all.length), totalItems: all.length,
        tables: p.items.map((t) => tableResource(b!, t, ds!.tables.get(t)!)),
        ...(p.nextPageToken ? { nextPageToken: p.nextPageToken } : {}),
      }
    }
    if (method === 'GET' && a === 'datasets' && c === 'tables' && rest.length === 4) {
      const meta = ds!.tables.get(d!)
      if (!meta) throw new BqError(404, 'notFound', `Not found: Table ${projectId}:${b}.${d}`)
      return tableResource(b!, d!, meta, await tableStats(b!, d!))
    }
    throw new BqError(404, 'notFound', `The fake does not implement ${method} ${path}`)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => { void handle(req, res, Buffer.concat(chunks).toString('utf8')) })
  })

  async function handle(req: http.IncomingMessage, res: http.ServerResponse, text: string) {
    const u = new URL(req.url ?? '/', 'http://fake')
    const method = req.method ?? 'GET'
    let body: any
    try { body = text ? JSON.parse(text) : undefined } catch { body = text }
    const rec: RecordedRequest = {
      method, path: u.pathname, query: Object.fromEntries(u.searchParams), body,
      authorization: req.headers.authorization, headers: req.headers, at: Date.now(),
    }
    requests.push(rec)
    const key = `${method} ${u.pathname}`
    const hits = faults.filter((f) => f.times > 0 && (typeof f.match === 'string' ? key.includes(f.match) : f.match.test(key)))
    let failure: Fault | undefined
    for (const f of hits) {
      if (f.delayMs !== undefined) { f.times--; await new Promise((r) => setTimeout(r, f.delayMs)) } else if (!failure) { failure = f; f.times-- }
    }
    if (failure?.kind === 'reset') { req.socket.destroy(); return }
    let status = 200
    let out: unknown
    let headers: Record<string, string> = {}
    try {
      if (failure) throw faultError(failure.kind as Exclude<FaultKind, 'reset'>, projectId, failure.retryAfter)
      out = await route(method, u.pathname, rec.query, body ?? {})
    } catch (e) {
      const err = e instanceof BqError ? e : new BqError(500, 'internalError', e instanceof Error ? e.message : String(e))
      status = err.status
      headers = err.extra.headers ?? {}
      out = {
        error: {
          code: err.status, message: err.message,
          errors: [{ message: err.message, domain: 'global', reason: err.reason, ...(err.extra.location ? { location: err.extra.location, locationType: 'other' } : {}) }],
          status: STATUS_TEXT[err.status] ?? 'UNKNOWN',
        },
      }
    }
    if (res.destroyed) return
    res.writeHead(status, { 'content-type': 'application/json; charset=UTF-8', ...headers })
    res.end(JSON.stringify(out))
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    url, projectId, location, requests, faults: faultApi, jobs,
    loadTable,
    duck: async (sql) => (await serial((c) => c.runAndReadAll(sql))).getRows(),
    close: async () => {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await queue
      conn.closeSync()
      instance.closeSync()
    },
  }
}

// ---------------------------------------------------------------- helpers

function q(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** A loader field → its DuckDB column type. */
function columnType(f: { type: string; mode?: string; fields?: any[] }): string {
  const t = f.type.toUpperCase()
  const base = t === 'RECORD' || t === 'STRUCT'
    ? `STRUCT(${(f.fields ?? []).map((s: any) => `${q(s.name)} ${columnType(s)}`).join(', ')})`
    : duckType(t)
  return f.mode === 'REPEATED' ? `${base}[]` : base
}

/** A JS value → the text the loader casts from. */
function textOf(v: unknown, f: { type: string; mode?: string }): string | null {
  if (v === null || v === undefined) return null
  if (f.mode === 'REPEATED' || f.type === 'RECORD' || f.type === 'STRUCT') return JSON.stringify(v, (_k, x) => typeof x === 'bigint' ? x.toString() : x)
  if (Buffer.isBuffer(v) || v instanceof Uint8Array) return Buffer.from(v).toString('base64')
  if (v instanceof Date) return v.toISOString()
  if (typeof v === 'object') return JSON.stringify(v)
  return String(v)
}

/** SQL for one value's size in the numBytes estimate. */
function byteSize(col: string, t: DuckDBType): string {
  switch (t.typeId) {
    case DuckDBTypeId.VARCHAR: return `(octet_length(encode(${col}::VARCHAR)) + 2)`
    case DuckDBTypeId.BLOB: return `(octet_length(${col}) + 2)`
    case DuckDBTypeId.BOOLEAN: return `(CASE WHEN ${col} IS NULL THEN 0 ELSE 1 END)`
    case DuckDBTypeId.DECIMAL: return `(CASE WHEN ${col} IS NULL THEN 0 ELSE ${(t as any).scale > 9 ? 32 : 16} END)`
    case DuckDBTypeId.LIST: case DuckDBTypeId.STRUCT: case DuckDBTypeId.ARRAY: return `(octet_length(encode(${col}::VARCHAR)))`
    default: return `(CASE WHEN ${col} IS NULL THEN 0 ELSE 8 END)`
  }
}

/** JSON-borne parameter values (the client sends some as numbers or booleans) → text. */
function text(v: unknown): string | null {
  if (v === null || v === undefined) return null
  // e.g. a Buffer, which the client serialises as {"type":"Buffer","data":[…]} instead of base64
  if (typeof v === 'object') throw new BqError(400, 'invalidQuery', `Invalid query parameter value: ${JSON.stringify(v).slice(0, 80)}`)
  return String(v)
}

/** queryParameters → BigQuery types by name (or 1-based position) and bound DuckDB values (text). */
function decodeParams(params: any[], mode: string | undefined): { types: Map<string, string>; values: Map<string, DuckDBValue> } {
  const types = new Map<string, string>()
  const values = new Map<string, DuckDBValue>()
  params.forEach((p, i) => {
    const key = mode === 'positional' || !p.name ? String(i + 1) : p.name
    const t = p.parameterType ?? {}
    if (t.type === 'ARRAY') {
      const elem = t.arrayType?.type
      if (elem === 'STRUCT' || elem === 'ARRAY') throw new BqError(400, 'invalidQuery', `The fake does not support ARRAY<${elem}> parameters`)
      types.set(key, `ARRAY<${elem}>`)
      const items = (p.parameterValue?.arrayValues ?? []).map((v: any) => text(v.value))
      values.set(key, p.parameterValue ? listValue(items) : null)
    } else if (t.type === 'STRUCT' || t.type === 'RANGE') {
      throw new BqError(400, 'invalidQuery', `The fake does not support ${t.type} parameters`)
    } else {
      if (TYPES[String(t.type).toUpperCase()] === undefined) throw new BqError(400, 'invalidQuery', `Invalid query parameter type: ${t.type}`)
      types.set(key, t.type)
      values.set(key, text(p.parameterValue?.value))
    }
  })
  return { types, values }
}
