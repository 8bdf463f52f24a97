/**
 * Shared helpers of the OPTIMIZE / VACUUM tests: Delta tables with many small files (one
 * upload with a small PARQUET_ROWS_PER_FILE, or a hand-built partitioned table), reading
 * commits back, and the explore queries whose answers must not change under maintenance.
 */
import fs from 'node:fs'
import path from 'node:path'
import type { Batch, Column } from '../../proto/batch.js'
import type { Field } from '../../proto/types.js'
import { appendActions, commitActions, createTableActions, loadSnapshot, partitionDirectory } from '../../src/lakehouse/index.js'
import { parseDateDays, parseTimestampMicros } from '../../src/lakehouse/temporal.js'
import { writeParquetFile } from '../../workers/ingest/parquet-write.js'
import { DeltaStats } from '../../workers/ingest/stats.js'
import { generateRows, toCsv, type Row } from './data.js'
import { uploadForm, type TestServer } from './server.js'

export const ROW_FIELDS: Field[] = [
  { name: 'id', type: 'int64', nullable: true },
  { name: 'region', type: 'string', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'day', type: 'date', nullable: true },
  { name: 'qty', type: 'int64', nullable: true },
  { name: 'amount', type: 'float64', nullable: true },
  { name: 'ok', type: 'boolean', nullable: true },
  { name: 'label', type: 'string', nullable: true },
]

/** Uploads `rows` as a new dataset (many files when the server runs with a small PARQUET_ROWS_PER_FILE). */
export async function uploadRows(s: TestServer, name: string, rows: Row[], fields: Record<string, string> = {}): Promise<{ id: string; version: number }> {
  const r = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name, ...fields }, { name: `${name}.csv`, content: toCsv(rows) }) })
  const body = (await r.json()) as { id: string; version: number }
  if (r.status !== 201 && r.status !== 200) throw new Error(`upload ${name}: ${r.status} ${JSON.stringify(body)}`)
  return body
}

export function tableDirOf(s: TestServer, id: string): string {
  return path.join(s.dataDir, 'tables', id)
}

/** The actions of one commit file, parsed. */
export function readCommit(tableDir: string, version: number): Record<string, any>[] {
  const file = path.join(tableDir, '_delta_log', `${String(version).padStart(20, '0')}.json`)
  return fs.readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
}

/** Parquet data files on disk under the table folder (relative paths), `_delta_log` and hidden entries excluded. */
export function dataFiles(tableDir: string): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      if (e.name.startsWith('_') && !e.name.includes('=')) continue
      if (e.name.startsWith('.')) continue
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.parquet')) out.push(path.relative(tableDir, p))
    }
  }
  walk(tableDir)
  return out.sort()
}

export async function post(s: TestServer, pathAndQuery: string, body?: unknown, claims?: { roles: string[]; org?: string; sub?: string }): Promise<{ status: number; body: any }> {
  const r = await s.api(pathAndQuery, {
    method: 'POST',
    ...(body === undefined ? {} : { headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }),
    ...(claims ? { claims } : {}),
  })
  const text = await r.text()
  return { status: r.status, body: text === '' ? null : JSON.parse(text) }
}

/** Polls a job until it leaves running; returns it and every progress seen. */
export async function waitForJob(s: TestServer, id: string, timeoutMs = 60_000): Promise<{ job: any; progress: any[] }> {
  const progress: any[] = []
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const job = ((await (await s.api(`/api/jobs/${id}`)).json()) as { job: any }).job
    progress.push(job.progress)
    if (job.state !== 'running' && job.state !== 'queued') return { job, progress }
    if (Date.now() > deadline) throw new Error(`job ${id} still ${job.state}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}

/**
 * Explore queries covering every operator kind of the grammar. `ordered` ones have a total
 * order (their JSON must be byte-identical whatever the file layout); the others rely on
 * table order.
 */
export const EXPLORE_QUERIES: { q: string; ordered: boolean }[] = [
  { q: 'order=id', ordered: true },
  { q: 'select=id,label&limit=50', ordered: false },
  { q: 'select=id,qty,amount&qty=eq.5&order=id', ordered: true },
  { q: 'select=id&qty=neq.5&order=id.desc&limit=40&offset=7', ordered: true },
  { q: 'select=id,amount&amount=gt.500&order=amount.desc.nullslast,id', ordered: true },
  { q: 'select=id&amount=gte.999.5&order=id', ordered: true },
  { q: 'select=id,qty&qty=lt.0&order=qty,id', ordered: true },
  { q: 'select=id&qty=lte.-9&order=id', ordered: true },
  { q: 'select=id,region&region=eq.EU&order=id', ordered: true },
  { q: 'select=id,region&region=in.(US,APAC)&order=id', ordered: true },
  { q: 'select=id,region&region=not.in.(US,APAC)&order=id', ordered: true },
  { q: 'select=id,region&region=is.null&order=id', ordered: true },
  { q: 'select=id&region=not.is.null&qty=gt.80&order=id', ordered: true },
  { q: 'select=id,label&label=like.*mega&order=id', ordered: true },
  { q: 'select=id,label&label=ilike.%25BETA%25&order=id', ordered: true },
  { q: 'select=id,label&label=like.z_ta&order=id', ordered: true },
  { q: 'select=id,ok&ok=is.true&qty=gt.85&order=id', ordered: true },
  { q: 'select=id,ok&ok=is.false&qty=lt.-8&order=id', ordered: true },
  { q: 'select=id,amount&amount=is.null&order=id', ordered: true },
  { q: 'select=id,ts&ts=gte.2024-03-01T00:00:00Z&ts=lt.2024-03-02&order=ts,id', ordered: true },
  { q: 'select=id,day&day=eq.2024-02-29&order=id', ordered: true },
  { q: 'select=id&or=(qty.eq.1,and(region.eq.EU,qty.gt.88),not.and(ok.is.true,qty.gt.-9))&order=id', ordered: true },
  { q: 'select=id&not.or=(qty.gt.-5,region.is.null)&order=id', ordered: true },
  { q: 'select=region,n:count(),c:amount.count(),d:label.count_distinct(),s:qty.sum(),a:amount.avg(),lo:ts.min(),hi:day.max()&group=region&order=region.nullsfirst', ordered: true },
  { q: 'select=m:day.trunc(month),n:count(),s:amount.sum()&group=m&order=m', ordered: true },
  { q: 'select=w:ts.trunc(week),ok,n:count()&group=w,ok&order=w,ok', ordered: true },
  { q: 'select=n:count(),s:qty.sum(),lo:amount.min(),hi:amount.max(),d:region.count_distinct()', ordered: true },
  { q: 'select=region,label&group=region,label&order=region,label', ordered: true },
]

/** The response text of every explore query (throws on a non-200). */
export async function exploreAll(s: TestServer, dataset: string, queries = EXPLORE_QUERIES): Promise<string[]> {
  const out: string[] = []
  for (const { q } of queries) {
    const r = await s.api(`/api/datasets/${dataset}/explore?${q}`)
    const text = await r.text()
    if (r.status !== 200) throw new Error(`${q}: ${r.status} ${text}`)
    out.push(text)
  }
  return out
}

function column(f: Field, rows: Row[]): Column {
  const n = rows.length
  const nulls = new Uint8Array(n)
  let anyNull = false
  const mark = (i: number) => { nulls[i] = 1; anyNull = true }
  let values: Column['values']
  switch (f.name) {
    case 'id': case 'qty': {
      const v = new BigInt64Array(n)
      rows.forEach((r, i) => { v[i] = BigInt(r[f.name as 'id' | 'qty']) })
      values = v
      break
    }
    case 'ts': {
      const v = new BigInt64Array(n)
      rows.forEach((r, i) => { v[i] = parseTimestampMicros(r.ts)! })
      values = v
      break
    }
    case 'day': {
      const v = new Int32Array(n)
      rows.forEach((r, i) => { v[i] = parseDateDays(r.day)! })
      values = v
      break
    }
    case 'amount': {
      const v = new Float64Array(n)
      rows.forEach((r, i) => { if (r.amount === null) mark(i); else v[i] = r.amount })
      values = v
      break
    }
    case 'ok': {
      const v = new Uint8Array(n)
      rows.forEach((r, i) => { v[i] = r.ok ? 1 : 0 })
      values = v
      break
    }
    default: {
      const v: string[] = []
      rows.forEach((r, i) => { const x = r[f.name as 'label' | 'region']; if (x === null) { mark(i); v.push('') } else v.push(x) })
      values = v
    }
  }
  return { name: f.name, type: f.type, values, nulls: anyNull ? nulls : null }
}

/**
 * A Delta table partitioned by `region` (nulls included) at `dir`, built by hand with the
 * same writer the server uses: version 0 plus `commits - 1` appends, each commit adding one
 * small file per region. Returns the rows in table order.
 */
export async function buildPartitionedTable(dir: string, opts: { rows: number; commits: number; seed?: number; configuration?: Record<string, string> }): Promise<Row[]> {
  const rows = generateRows(opts.rows, opts.seed ?? 7)
  const fileFields = ROW_FIELDS.filter((f) => f.name !== 'region')
  const per = Math.ceil(rows.length / opts.commits)
  fs.mkdirSync(dir, { recursive: true })
  for (let c = 0; c < opts.commits; c++) {
    const chunk = rows.slice(c * per, (c + 1) * per)
    const byRegion = new Map<string | null, Row[]>()
    for (const r of chunk) {
      const list = byRegion.get(r.region) ?? []
      list.push(r)
      byRegion.set(r.region, list)
    }
    const files = []
    for (const [region, list] of byRegion) {
      const sub = partitionDirectory(['region'], { region })
      fs.mkdirSync(path.join(dir, sub), { recursive: true })
      const batch: Batch = { length: list.length, columns: fileFields.map((f) => column(f, list)) }
      const stats = new DeltaStats(fileFields)
      stats.add(batch)
      const w = await writeParquetFile(path.join(dir, sub), c, [batch])
      files.push({ path: `${sub}/${w.name}`, size: w.size, stats: stats.toJSON(), partitionValues: { region } })
    }
    const common = { files, engineInfo: 'test', timestampMs: Date.now() }
    if (c === 0) {
      await commitActions(dir, 0, createTableActions({ ...common, schema: ROW_FIELDS, partitionColumns: ['region'], configuration: opts.configuration ?? {} }))
    } else {
      await commitActions(dir, c, appendActions(await loadSnapshot(dir), common))
    }
  }
  return rows
}
