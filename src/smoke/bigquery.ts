/**
 * Smoke command for the BigQuery connector against a real project (`npm run smoke:bigquery`):
 * confirms what the test fake cannot (proto/BIGQUERY.md, "What only real BigQuery can
 * confirm"). Needs no table: every query SELECTs literals. Prints PASS/FAIL/SKIP per check and
 * exits 1 on any FAIL.
 *
 *   BQ_PROJECT        project id (required)
 *   BQ_LOCATION       job location, e.g. US or europe-west1 (optional)
 *   BQ_KEY_FILE       service-account JSON key (the OAuth path); optional with BQ_API_ENDPOINT
 *   BQ_API_ENDPOINT   an emulator's URL (optional); with no key, checks only real BigQuery can
 *                     honour print "SKIP ... (skipped against an emulator: why)"
 *
 * It starts a Sluice server process (dist/src/main.js) on a temporary data folder, creates the
 * connector, tests it, browses, registers a source query of literals of every type and
 * explores it (values checked against expectations written by hand, filters sending each
 * parameter type), profiles it, runs the shared masking vectors through the BigQuery masking
 * SQL with the salt as a parameter (byte-equal wire text), then starts a long query, leaves,
 * and checks via jobs.list that BigQuery shows the job cancelled.
 */
import fs from 'node:fs'
import type { BigQueryConnection, ServiceAccountKey } from '../../proto/bigquery.js'
import { maskedField, type MaskRule } from '../../proto/masking.js'
import type { Field } from '../../proto/types.js'
import { createBigQueryClient } from '../../workers/bigquery/client.js'
import { maskSqlBigQuery } from '../query/masking-sql-bigquery.js'
import { runBqAggregate } from '../connectors/bigquery-dataset.js'
import { wireText } from '../connectors/profile-bigquery.js'
import { SALT, VECTORS, type Vector } from './masking-vectors.js'
import { startSmokeServer, type SmokeServer } from './server.js'

type Outcome = { status: 'PASS' } | { status: 'FAIL'; why: string } | { status: 'SKIP'; why: string }

const env = process.env
const project = env.BQ_PROJECT ?? ''
const location = env.BQ_LOCATION || null
const endpoint = env.BQ_API_ENDPOINT || null
const keyFile = env.BQ_KEY_FILE || null
const emulator = endpoint !== null && keyFile === null
const json = { 'content-type': 'application/json' }

class CheckFailed extends Error {}
/** Lines printed under the current check's status line. */
const notes: string[] = []
const fail = (why: string): never => { throw new CheckFailed(why) }
const expectEq = (what: string, got: unknown, want: unknown) => {
  if (JSON.stringify(got) !== JSON.stringify(want)) fail(`${what}: got ${JSON.stringify(got)}, expected ${JSON.stringify(want)}`)
}

/** RFC 4180 CSV → rows of cells (no trailing empty row). */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { cell += '"'; i++ } else if (c === '"') quoted = false
      else cell += c
    } else if (c === '"') quoted = true
    else if (c === ',') { row.push(cell); cell = '' } else if (c === '\n') { row.push(cell); rows.push(row); row = []; cell = '' } else if (c !== '\r') cell += c
  }
  if (cell !== '' || row.length > 0) { row.push(cell); rows.push(row) }
  return rows
}

// ---- the literals: one row of every type, one of NULLs ----

/** Column → [BigQuery literal of row 1, of row 2]. */
const LITERALS: [string, string, string][] = [
  ['id', '1', '2'],
  ['i64', 'CAST(9007199254740993 AS INT64)', 'CAST(NULL AS INT64)'],
  ['f64', 'CAST(0.1 AS FLOAT64)', 'CAST(NULL AS FLOAT64)'],
  ['f_big', 'CAST(1e21 AS FLOAT64)', 'CAST(NULL AS FLOAT64)'],
  ['num', "NUMERIC '12.30'", 'CAST(NULL AS NUMERIC)'],
  ['bignum', "BIGNUMERIC '1.5'", 'CAST(NULL AS BIGNUMERIC)'],
  ['b', 'TRUE', 'CAST(NULL AS BOOL)'],
  ['s', "'é😀'", 'CAST(NULL AS STRING)'],
  ['by', "FROM_BASE64('AAEC/w==')", 'CAST(NULL AS BYTES)'],
  ['d', "DATE '2024-02-29'", 'CAST(NULL AS DATE)'],
  ['dt', "DATETIME '2024-03-01 10:11:12.123456'", 'CAST(NULL AS DATETIME)'],
  ['tm', "TIME '23:59:59.999999'", 'CAST(NULL AS TIME)'],
  ['ts', "TIMESTAMP '2024-03-01 10:00:00.123456+00'", 'CAST(NULL AS TIMESTAMP)'],
  ['arr', '[1, 2]', '[3]'],
  ['js', "JSON '{\"a\":1}'", "JSON '[]'"],
]

const literalsSql = () => {
  const row = (k: 1 | 2) => LITERALS.map(([n, ...v]) => `${v[k - 1]} AS ${n}`).join(', ')
  return `SELECT ${row(1)} UNION ALL SELECT ${row(2)}`
}

/** The schema types the dry run must give, and the CSV cells explore must return (by hand). */
const WANT_TYPES: Record<string, string> = {
  id: 'int64', i64: 'int64', f64: 'float64', f_big: 'float64', num: 'decimal(38,9)', bignum: 'string', b: 'boolean', s: 'string',
  by: 'binary', d: 'date', dt: 'timestamp', tm: 'time', ts: 'timestamp', arr: 'json', js: 'json',
}
const WANT_ROW1: Record<string, string> = {
  id: '1', i64: '9007199254740993', f64: '0.1', f_big: '1e+21', num: '12.300000000', bignum: '1.5', b: 'true', s: 'é😀',
  by: 'AAEC/w==', d: '2024-02-29', dt: '2024-03-01T10:11:12.123456Z', tm: '23:59:59.999999', ts: '2024-03-01T10:00:00.123456Z',
  arr: '[1,2]', js: '{"a":1}',
}
const WANT_ROW2: Record<string, string> = { ...Object.fromEntries(Object.keys(WANT_ROW1).map((k) => [k, ''])), id: '2', arr: '[3]', js: '[]' }
/** Cells the fake (DuckDB) cannot produce as BigQuery does. */
const EMULATOR_CELLS: Record<string, string> = { bignum: 'the fake holds BIGNUMERIC as DECIMAL(38,18) and casts it to text with 18 decimals' }

/** Filters that must select row 1 only: each sends one parameter type (REST text forms). */
const FILTERS = [
  'ts=eq.2024-03-01T10:00:00.123456Z', 'f64=eq.0.1', 'f_big=gte.1e21', 'i64=in.(9007199254740993,7)', 'num=eq.12.3',
  `s=eq.${encodeURIComponent('é😀')}`, 'd=eq.2024-02-29', 'tm=eq.23:59:59.999999', 'dt=lt.2024-03-01T10:11:12.123457Z', 'b=is.true',
  'i64=not.is.null', 'num=gt.12.299999999',
]

// ---- checks ----

function connection(): BigQueryConnection {
  let credentials: ServiceAccountKey | null = null
  if (keyFile) credentials = JSON.parse(fs.readFileSync(keyFile, 'utf8')) as ServiceAccountKey
  return { projectId: project, location, apiEndpoint: endpoint, credentials, jobTimeoutMs: 120_000, maximumBytesBilled: null }
}

async function body(r: Response, want: number, what: string): Promise<string> {
  const text = await r.text()
  if (r.status !== want) fail(`${what}: ${r.status} ${text.slice(0, 300)}`)
  return text
}

async function csv(s: SmokeServer, q: string): Promise<string[][]> {
  return parseCsv(await body(await s.api(`/api/datasets/smoke_types/explore?format=csv&${q}`), 200, q))
}

/** One masking vector through the BigQuery masking SQL: the wire texts, in input order. */
async function runVector(conn: BigQueryConnection, v: Vector): Promise<(string | null)[]> {
  const field: Field = { name: 'c', nullable: true, ...v.field }
  const rule: MaskRule = { column: 'c', strategy: v.strategy, params: v.params ?? {} }
  const out = maskedField(field, rule)
  const type = paramType(field)
  const params = [{ name: 'mask_salt', parameterType: { type: 'STRING' }, parameterValue: { value: SALT } },
    ...v.input.map((x, i) => ({ name: `v${i}`, parameterType: { type }, parameterValue: x === null ? {} : { value: paramText(field, x) } }))]
  const arms = v.input.map((_, i) => `SELECT ${i} AS k, ${maskSqlBigQuery(rule, `@v${i}`, field, '@mask_salt')} AS m`)
  const r = await runBqAggregate(conn, 'smoke', arms.join(' UNION ALL '), params, new AbortController().signal)
  const byK = new Map(r.rows.map((row) => [Number(row[0]), row[1] ?? null]))
  return v.input.map((_, i) => wireText(byK.get(i) ?? null, out, true))
}

function paramType(f: Field): string {
  switch (f.type) {
    case 'int16': case 'int32': case 'int64': return 'INT64'
    case 'float32': case 'float64': return 'FLOAT64'
    case 'decimal': return 'NUMERIC'
    case 'boolean': return 'BOOL'
    case 'date': return 'DATE'
    case 'time': return 'TIME'
    case 'timestamp': return 'TIMESTAMP'
    case 'binary': return 'BYTES'
    default: return 'STRING'
  }
}

/** A wire text as BigQuery's REST parameter text (TIMESTAMP as `YYYY-MM-DD HH:MM:SS.ffffff+00`). */
function paramText(f: Field, x: string): string {
  return f.type === 'timestamp' ? x.replace('T', ' ').replace(/Z$/, '+00') : x
}

/** The jobs of the project (jobs.list, full projection), newest first. */
async function listJobs(conn: BigQueryConnection): Promise<Record<string, any>[]> {
  const client = createBigQueryClient(conn)
  const res = await new Promise<any>((resolve, reject) => {
    client.request({ method: 'GET', uri: '/jobs', qs: { projection: 'full', maxResults: '100', ...(location ? { location } : {}) } } as never,
      (err: unknown, b: unknown) => (err ? reject(err) : resolve(b)))
  })
  return Array.isArray(res?.jobs) ? res.jobs : []
}

async function main(): Promise<number> {
  if (!project) {
    console.error('BQ_PROJECT is required (and BQ_KEY_FILE, or BQ_API_ENDPOINT for an emulator); see src/smoke/bigquery.ts')
    return 2
  }
  const conn = connection()
  const s = await startSmokeServer()
  const results: { name: string; outcome: Outcome }[] = []
  const check = async (name: string, fn: () => Promise<void | Outcome>) => {
    let outcome: Outcome
    try {
      outcome = (await fn()) ?? { status: 'PASS' }
    } catch (err) {
      outcome = { status: 'FAIL', why: err instanceof CheckFailed ? err.message : String((err as Error)?.stack ?? err) }
    }
    results.push({ name, outcome })
    console.log(outcome.status === 'PASS' ? `PASS ${name}` : `${outcome.status} ${name}: ${outcome.why}`)
    for (const n of notes.splice(0)) console.log(`     ${n}`)
  }
  try {
    await check('connector: create', async () => {
      const config: Record<string, unknown> = { project_id: project, ...(location ? { location } : {}), ...(endpoint ? { api_endpoint: endpoint } : {}) }
      if (conn.credentials) config.credentials = conn.credentials
      await body(await s.api('/api/connectors', { method: 'POST', headers: json, body: JSON.stringify({ id: 'smoke', type: 'bigquery', config }) }), 201, 'POST /api/connectors')
    })
    await check('connector: test (credentials and reachability)', async () => {
      const r = JSON.parse(await body(await s.api('/api/connectors/smoke/test', { method: 'POST' }), 200, 'test')) as { ok: boolean; error?: unknown }
      if (!r.ok) fail(`not ok: ${JSON.stringify(r.error)}`)
    })
    await check('oauth: a service-account key signs in', async () => {
      if (!conn.credentials) return { status: 'SKIP', why: 'skipped against an emulator: no BQ_KEY_FILE, requests carry no authorization' }
      // the connector test above went through the key's OAuth token exchange; jobs.list does too, from here
      await listJobs(conn)
    })
    await check('browse: datasets and tables', async () => {
      const schemas = JSON.parse(await body(await s.api('/api/datasets/browse/schemas?connector_id=smoke'), 200, 'browse/schemas')) as { items: { name: string }[] }
      if (!Array.isArray(schemas.items)) fail('no items')
      const first = schemas.items[0]
      if (first) await body(await s.api(`/api/datasets/browse/tables?connector_id=smoke&schema=${encodeURIComponent(first.name)}&limit=5`), 200, 'browse/tables')
    })
    await check('register: literals of every type (dry-run schema)', async () => {
      await body(await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'smoke_types', connector_id: 'smoke', source_query: literalsSql() }) }), 201, 'register')
      const d = JSON.parse(await body(await s.api('/api/datasets/smoke_types'), 200, 'GET dataset')) as { schema: { name: string; type: string }[] }
      expectEq('schema', Object.fromEntries(d.schema.map((c) => [c.name, c.type])), WANT_TYPES)
    })
    await check('explore: values of every type', async () => {
      const [head, ...rows] = await csv(s, 'order=id')
      expectEq('header', head, Object.keys(WANT_ROW1))
      expectEq('rows', rows.length, 2)
      const skipped: string[] = []
      for (const [i, want] of [WANT_ROW1, WANT_ROW2].entries()) {
        for (const [k, cell] of head!.entries()) {
          if (emulator && EMULATOR_CELLS[cell] && i === 0) { skipped.push(`${cell} (${EMULATOR_CELLS[cell]})`); continue }
          expectEq(`row ${i + 1} ${cell}`, rows[i]![k], want[cell])
        }
      }
      if (skipped.length) notes.push(`skipped against an emulator: ${skipped.join('; ')}`)
    })
    await check('parameters: every type as a filter value (REST text forms)', async () => {
      for (const f of FILTERS) expectEq(f, await csv(s, `select=id&order=id&${f}`), [['id'], ['1']])
      expectEq('NULL filter', await csv(s, 'select=id&order=id&ts=is.null'), [['id'], ['2']])
      expectEq('limit/offset', await csv(s, 'select=id&order=id.desc&limit=1&offset=1'), [['id'], ['1']])
    })
    await check('aggregates: exact NUMERIC sum and INT64 values', async () => {
      expectEq('sum', await csv(s, 'select=n:num.sum(),i:i64.max(),c:count()'), [['n', 'i', 'c'], ['12.300000000', '9007199254740993', '2']])
    })
    await check('profile: pushed down, exact', async () => {
      const text = await body(await s.api('/api/datasets/smoke_types/profile?columns=i64,num,ts,s'), 200, 'profile')
      const p = JSON.parse(text) as { row_count: number; columns: Record<string, unknown>[] }
      expectEq('row_count', p.row_count, 2)
      if (!text.includes('"max":9007199254740993')) fail('i64 max is not exactly 9007199254740993')
      expectEq('num.min', p.columns[1]!.min, '12.300000000')
      expectEq('ts.min', p.columns[2]!.min, '2024-03-01T10:00:00.123456Z')
      expectEq('s.top', p.columns[3]!.top_values, [{ value: 'é😀', count: 1 }])
    })
    await check('masking: BigQuery SQL equals the shared vectors byte for byte', async () => {
      const bad: string[] = []
      const skipped: string[] = []
      for (const v of VECTORS) {
        const label = `${v.strategy}${v.params ? JSON.stringify(v.params) : ''} on ${v.field.type}`
        try {
          const got = await runVector(conn, v)
          got.forEach((g, i) => { if (g !== v.expected[i]) bad.push(`${label}: ${JSON.stringify(v.input[i])} → ${JSON.stringify(g)}, expected ${JSON.stringify(v.expected[i])}`) })
        } catch (err) {
          if (emulator) skipped.push(`${label} (${String((err as Error).message).split('\n')[0]!.slice(0, 120)})`)
          else bad.push(`${label}: ${String((err as Error).message).split('\n')[0]}`)
        }
      }
      for (const x of skipped) notes.push(`skipped against an emulator (the fake cannot run it): ${x}`)
      if (bad.length) fail(bad.join('\n     '))
    })
    await check('cancel: a client that leaves cancels the BigQuery job', async () => {
      const nonce = `smoke-cancel-${Date.now()}`
      // a long query that bills nothing: COUNT(*) of 10^10 generated rows (one row on an emulator, which the test holds "running");
      // the marker is a comment inside the statement (a trailing one is cut off at registration)
      const sql = emulator
        ? `SELECT /* ${nonce} */ 1 AS x`
        : `SELECT /* ${nonce} */ x FROM UNNEST(GENERATE_ARRAY(1, 100000)) AS x CROSS JOIN UNNEST(GENERATE_ARRAY(1, 100000)) AS y`
      await body(await s.api('/api/datasets', { method: 'POST', headers: json, body: JSON.stringify({ name: 'smoke_long', connector_id: 'smoke', source_query: sql }) }), 201, 'register')
      const ac = new AbortController()
      let answered: string | null = null
      const started = s.api('/api/datasets/smoke_long/explore?format=csv&select=n:count()', { signal: ac.signal })
        .then(async (r) => { answered = `${r.status} ${(await r.text()).slice(0, 200)}` }).catch(() => {})
      await new Promise((r) => setTimeout(r, 3000))
      ac.abort()
      await started
      if (answered !== null) fail(`the query answered before the client left (${answered}): make it longer`)
      for (const deadline = Date.now() + 15_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 500))) {
        const job = (await listJobs(conn)).find((j) => String(j.configuration?.query?.query ?? '').includes(nonce) && j.configuration?.dryRun !== true)
        if (!job) continue
        const reason = job.status?.errorResult?.reason
        if (reason === 'stopped') return
        if (job.status?.state === 'DONE' && reason === undefined) fail('the job ran to completion: it was not cancelled')
      }
      fail('no cancelled job with the query was listed within 15 s of the client leaving')
    })
  } finally {
    await s.stop()
  }
  const failed = results.filter((r) => r.outcome.status === 'FAIL')
  const skipped = results.filter((r) => r.outcome.status === 'SKIP')
  console.log(`${results.length - failed.length - skipped.length} passed, ${failed.length} failed, ${skipped.length} skipped${emulator ? ' (against an emulator)' : ''}`)
  return failed.length === 0 ? 0 : 1
}

main().then((code) => { process.exitCode = code }, (err) => { console.error(err); process.exitCode = 1 })
