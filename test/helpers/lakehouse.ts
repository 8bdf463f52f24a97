/**
 * Shared helpers of the lakehouse connector tests (register, browse, history, time travel):
 * the Delta conformance fixtures (../shared/conformance/delta, skipped when absent), copying
 * tables into a test server's `$DATA_DIR/lakehouse/<org>/`, writing small Parquet files and
 * hand-made Delta commits, and validating responses against the served OpenAPI document.
 */
import fs from 'node:fs'
import path from 'node:path'
import { Int32, Table, vectorFromArray, tableToIPC, type DataType } from 'apache-arrow'
import * as pq from 'parquet-wasm'
import Ajv2020Module from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidateFunction } from 'ajv'
import { loadOpenApi } from '../../src/http/openapi.js'
import { ROOT, type Claims, type TestServer } from './server.js'

export const CONFORMANCE_DIR = process.env.SLUICE_CONFORMANCE_DIR ?? path.resolve(ROOT, '..', 'shared', 'conformance', 'delta')
export const conformancePresent = fs.existsSync(path.join(CONFORMANCE_DIR, 'EXPECTED.json'))
export const NO_CONFORMANCE = `the Delta conformance fixtures are not at ${CONFORMANCE_DIR}`

export interface ExpectedVersion {
  version: number
  operation: string
  commitInfoTimestamp: number
  operationParameters: Record<string, unknown>
  statsNumRecordsSum: number | null
  logicalRowCount: number | null
  rowsSorted?: Record<string, unknown>[]
}
export interface ExpectedTable {
  table: string
  latestVersion: number
  partitionColumns: string[]
  schema: { name: string; type: unknown; nullable: boolean }[]
  versions: ExpectedVersion[]
}

let expectedCache: ExpectedTable[] | null = null
export function expected(table: string): ExpectedTable {
  expectedCache ??= (JSON.parse(fs.readFileSync(path.join(CONFORMANCE_DIR, 'EXPECTED.json'), 'utf8')) as { tables: ExpectedTable[] }).tables
  const e = expectedCache.find((x) => x.table === table)
  if (!e) throw new Error(`no expected facts for ${table}`)
  return e
}

/** `$DATA_DIR/lakehouse/<org>/` of a test server (created). */
export function orgDir(s: TestServer, org = 'acme'): string {
  const dir = path.join(s.dataDir, 'lakehouse', org)
  fs.mkdirSync(dir, { recursive: true })
  return dir
}

/** Copies a conformance table to `<org dir>/<dest>` with writable modes (the fixtures are read-only). */
export function copyConformance(s: TestServer, table: string, dest: string, org = 'acme'): string {
  const to = path.join(orgDir(s, org), dest)
  fs.mkdirSync(path.dirname(to), { recursive: true })
  fs.cpSync(path.join(CONFORMANCE_DIR, table), to, { recursive: true })
  const fix = (p: string) => {
    const st = fs.lstatSync(p)
    if (st.isDirectory()) {
      fs.chmodSync(p, 0o755)
      for (const e of fs.readdirSync(p)) fix(path.join(p, e))
    } else if (st.isFile()) fs.chmodSync(p, 0o644)
  }
  fix(to)
  return to
}

export interface Col { type: DataType; values: unknown[] }

/** Writes a Parquet file with the given columns (apache-arrow → parquet-wasm). Timestamps are ms numbers. */
export function writeParquet(file: string, columns: Record<string, Col>): number {
  const t = new Table(Object.fromEntries(Object.entries(columns).map(([k, c]) => [k, vectorFromArray(c.values, c.type)])))
  const bytes = pq.writeParquet(pq.Table.fromIPCStream(tableToIPC(t, 'stream')))
  fs.mkdirSync(path.dirname(file), { recursive: true })
  fs.writeFileSync(file, bytes)
  return bytes.byteLength
}

/** Appends a commit file `<version>.json` to a Delta table (one JSON action per line). */
export function writeCommit(tableDir: string, version: number, actions: unknown[]): void {
  const file = path.join(tableDir, '_delta_log', `${String(version).padStart(20, '0')}.json`)
  fs.writeFileSync(file, actions.map((a) => JSON.stringify(a)).join('\n') + '\n', { flag: 'wx' })
}

export async function register(s: TestServer, body: Record<string, unknown>, claims?: Claims): Promise<Response> {
  return s.api('/api/datasets', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body), ...(claims ? { claims } : {}) })
}

/** Registers `source_table` as `name` and returns the created dataset; throws unless 201. */
export async function registered(s: TestServer, name: string, sourceTable: string): Promise<Record<string, unknown>> {
  const r = await register(s, { name, connector_id: 'lakehouse', source_table: sourceTable })
  const body = (await r.json()) as Record<string, unknown>
  if (r.status !== 201) throw new Error(`register ${sourceTable}: ${r.status} ${JSON.stringify(body)}`)
  return body
}

export interface ErrorBody { error: string; message: string }

/** The JSON body and status of a response. */
export async function json<T = Record<string, unknown>>(r: Response | Promise<Response>): Promise<{ status: number; body: T }> {
  const res = await r
  const text = await res.text()
  return { status: res.status, body: JSON.parse(text) as T }
}

/** Rows of an explore/preview JSON result; throws on an error status. */
export async function rows(s: TestServer, pathAndQuery: string): Promise<Record<string, unknown>[]> {
  const { status, body } = await json<{ rows: Record<string, unknown>[] }>(s.api(pathAndQuery))
  if (status !== 200) throw new Error(`${pathAndQuery}: ${status} ${JSON.stringify(body)}`)
  return body.rows
}

// ajv against the served document (as in test/openapi.test.ts)
type AjvCtor = typeof Ajv2020Module.default
const Ajv2020: AjvCtor = (Ajv2020Module as unknown as { default?: AjvCtor }).default ?? (Ajv2020Module as unknown as AjvCtor)
type AddFormats = typeof addFormatsModule.default
const addFormats: AddFormats = (addFormatsModule as unknown as { default?: AddFormats }).default ?? (addFormatsModule as unknown as AddFormats)
const DOC_ID = 'https://sluice.invalid/openapi.json'
let ajv: InstanceType<AjvCtor> | null = null

/** A validator for a schema of components/schemas in the served document. */
export function schemaValidator(name: string): ValidateFunction & { text(): string } {
  if (!ajv) {
    ajv = new Ajv2020({ strict: true, strictTypes: false, strictRequired: false, allowUnionTypes: true, allErrors: true })
    addFormats(ajv)
    ajv.addVocabulary(['openapi', 'info', 'servers', 'security', 'tags', 'paths', 'components', 'jsonSchemaDialect', 'webhooks', 'externalDocs'])
    ajv.addSchema({ ...loadOpenApi(), $id: DOC_ID })
  }
  const a = ajv
  const v = a.getSchema(`${DOC_ID}#/components/schemas/${name}`) as ValidateFunction
  return Object.assign(v, { text: () => a.errorsText(v.errors) })
}

/**
 * A small Delta table written by hand: version 0 with one int32 column `v` and one Parquet
 * file per entry of `files` (name → values), stats included. Returns the table folder.
 */
export function makeDeltaTable(dir: string, files: Record<string, number[]>, commitTimestampMs = Date.UTC(2024, 0, 1)): string {
  fs.mkdirSync(path.join(dir, '_delta_log'), { recursive: true })
  const adds = Object.entries(files).map(([name, values]) => {
    const size = writeParquet(path.join(dir, name), { v: { type: new Int32(), values } })
    const stats = { numRecords: values.length, minValues: { v: Math.min(...values) }, maxValues: { v: Math.max(...values) }, nullCount: { v: 0 } }
    return { add: { path: name, partitionValues: {}, size, modificationTime: 0, dataChange: true, stats: JSON.stringify(stats) } }
  })
  writeCommit(dir, 0, [
    { commitInfo: { timestamp: commitTimestampMs, operation: 'WRITE', operationParameters: { mode: 'ErrorIfExists' } } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    {
      metaData: {
        id: `test-${path.basename(dir)}`, format: { provider: 'parquet', options: {} },
        schemaString: JSON.stringify({ type: 'struct', fields: [{ name: 'v', type: 'integer', nullable: true, metadata: {} }] }),
        partitionColumns: [], configuration: {}, createdTime: commitTimestampMs,
      },
    },
    ...adds,
  ])
  return dir
}

export const LEDGER_T0 = Date.UTC(2024, 2, 1, 10, 0, 0)
export const HOUR_MS = 3_600_000

/**
 * A Delta table with four commits whose commitInfo (time, user, run id, metrics) the tests
 * control, one hour apart from LEDGER_T0:
 *   v0 WRITE  a.parquet [1,2,3]            3 rows
 *   v1 WRITE  + b.parquet [4,5]  (alice, run-7)   5 rows
 *   v2 DELETE - a.parquet        (userId 42)      2 rows
 *   v3 WRITE  + c.parquet [6] without stats    row count unknown (null); 3 rows
 */
export function makeLedgerTable(dir: string): { rowsAt: number[][]; statsRowCounts: (number | null)[] } {
  makeDeltaTable(dir, { 'a.parquet': [1, 2, 3] }, LEDGER_T0)
  const addFile = (name: string, values: number[], withStats: boolean) => {
    const size = writeParquet(path.join(dir, name), { v: { type: new Int32(), values } })
    const stats = withStats ? { stats: JSON.stringify({ numRecords: values.length, minValues: { v: Math.min(...values) }, maxValues: { v: Math.max(...values) }, nullCount: { v: 0 } }) } : {}
    return { add: { path: name, partitionValues: {}, size, modificationTime: 0, dataChange: true, ...stats } }
  }
  writeCommit(dir, 1, [
    { commitInfo: { timestamp: LEDGER_T0 + HOUR_MS, operation: 'WRITE', operationParameters: { mode: 'Append' }, operationMetrics: { numFiles: '1', numOutputRows: '2' }, userName: 'alice', runId: 'run-7', engineInfo: 'test-engine' } },
    addFile('b.parquet', [4, 5], true),
  ])
  writeCommit(dir, 2, [
    { commitInfo: { timestamp: LEDGER_T0 + 2 * HOUR_MS, operation: 'DELETE', operationParameters: { predicate: '["v < 4"]' }, userId: '42' } },
    { remove: { path: 'a.parquet', deletionTimestamp: LEDGER_T0 + 2 * HOUR_MS, dataChange: true } },
  ])
  writeCommit(dir, 3, [
    { commitInfo: { timestamp: LEDGER_T0 + 3 * HOUR_MS, operation: 'WRITE', operationParameters: { mode: 'Append' } } },
    addFile('c.parquet', [6], false),
  ])
  return { rowsAt: [[1, 2, 3], [1, 2, 3, 4, 5], [4, 5], [4, 5, 6]], statsRowCounts: [3, 5, 2, null] }
}

/**
 * simple_table_with_checkpoint (conformance) with commits 0..9 cleaned up, so the earliest
 * version that can be read is the checkpoint's, 10 (11 rows), plus a commit 11 adding `extra.parquet`
 * [100, 101] at 2021-03-15T00:00:00Z. Returns the table folder.
 */
export function makeTruncatedTable(s: TestServer, dest: string): string {
  const dir = copyConformance(s, 'simple_table_with_checkpoint', dest)
  for (let v = 0; v < 10; v++) fs.rmSync(path.join(dir, '_delta_log', `${String(v).padStart(20, '0')}.json`))
  const size = writeParquet(path.join(dir, 'extra.parquet'), { version: { type: new Int32(), values: [100, 101] } })
  writeCommit(dir, 11, [
    { commitInfo: { timestamp: Date.UTC(2021, 2, 15), operation: 'WRITE', operationParameters: { mode: 'Append' }, userName: 'etl' } },
    { add: { path: 'extra.parquet', partitionValues: {}, size, modificationTime: 0, dataChange: true } },
  ])
  return dir
}
