// GET /api/datasets/{name}/column-stats over an uploaded dataset: every bucket checked against plain JS over the same rows.
import t, { type Test } from 'tap'
import { startServer, uploadForm } from './helpers/server.js'
import { generateRows, toCsv, type Row } from './helpers/data.js'
import fs from 'node:fs'
import { readdir } from 'node:fs/promises'
import { Int32, TimestampMicrosecond } from 'apache-arrow'
import { orgDir, registered, writeCommit, writeParquet } from './helpers/lakehouse.js'
import path from 'node:path'
import columnStats from '../workers/column-stats.js'
import { hllAdd, hllEstimate, hllMerge, newHll } from '../workers/kernels/profile/hll.js'
const newRegisters = () => newHll(12)
import { addRow, compareCodePoints, compareDecimals, distinctCount, mergeStates, newWorkingState, toBucketState, wireValue } from '../workers/kernels/column-stats-state.js'
import type { Field } from '../proto/types.js'

const rows = generateRows(3000)
const HOUR = 3_600_000_000
const DAY = 24 * HOUR
const WEEK = 7 * DAY
const COLUMNS = ['id', 'region', 'ts', 'day', 'qty', 'amount', 'ok', 'label'] as const
type Col = (typeof COLUMNS)[number]
const NUMERIC = new Set<Col>(['id', 'qty', 'amount'])

const us = (iso: string) => Date.parse(iso) * 1000
const iso = (micros: number) => new Date(micros / 1000).toISOString().replace(/\.(\d{3})Z$/, '.$1000Z')
const cpCmp = (a: string, b: string): number => {
  const x = [...a].map((c) => c.codePointAt(0)!)
  const y = [...b].map((c) => c.codePointAt(0)!)
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!
  return x.length - y.length
}
const cmp = (a: unknown, b: unknown) => typeof a === 'string' ? cpCmp(a, b as string) : Number(a) - Number(b)

interface Stats { count: number; null_count: number; null_rate: number; distinct_count: number; min: unknown; max: unknown; mean: number | null; rolling?: { null_rate: number | null; distinct_count: number | null; mean: number | null } }
interface Bucket { start: string; columns: Record<string, Stats> }
interface Body { time_column: string; bucket: string; from: string; to: string; columns: { name: string; type: string; masked: boolean }[]; buckets: Bucket[]; error?: unknown }

const avg = (xs: (number | null)[]) => {
  const v = xs.filter((x): x is number => x !== null)
  return v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length
}

/** The expected body, computed from the generated rows. */
function expected(opts: { time: 'ts' | 'day'; from: number; to: number; width: number; columns: readonly Col[]; rolling?: number }): Bucket[] {
  const n = Math.round((opts.to - opts.from) / opts.width)
  const per: Row[][] = Array.from({ length: n }, () => [])
  for (const r of rows) {
    const t = opts.time === 'ts' ? us(r.ts) : us(r.day + 'T00:00:00Z')
    if (t < opts.from || t >= opts.to) continue
    per[Math.floor((t - opts.from) / opts.width)]!.push(r)
  }
  const out: Bucket[] = per.map((bucketRows, b) => {
    const columns: Record<string, Stats> = {}
    for (const c of opts.columns) {
      const values = bucketRows.map((r) => r[c]).filter((v) => v !== null)
      const sorted = [...values].sort(cmp)
      const count = bucketRows.length
      const nulls = count - values.length
      columns[c] = {
        count, null_count: nulls, null_rate: count === 0 ? 0 : nulls / count,
        distinct_count: new Set(values).size,
        min: sorted.length ? sorted[0] : null, max: sorted.length ? sorted[sorted.length - 1] : null,
        mean: NUMERIC.has(c) && values.length ? (values as number[]).reduce((a, v) => a + v, 0) / values.length : null,
      }
    }
    return { start: iso(opts.from + b * opts.width), columns }
  })
  if (opts.rolling) {
    out.forEach((bucket, b) => {
      const win = out.slice(Math.max(0, b - opts.rolling! + 1), b + 1)
      for (const c of opts.columns) {
        bucket.columns[c]!.rolling = {
          null_rate: avg(win.map((w) => w.columns[c]!.null_rate)),
          distinct_count: avg(win.map((w) => w.columns[c]!.distinct_count)),
          mean: avg(win.map((w) => w.columns[c]!.mean)),
        }
      }
    })
  }
  return out
}

const close = (a: number | null | undefined, b: number | null | undefined) =>
  a === b || (typeof a === 'number' && typeof b === 'number' && Math.abs(a - b) <= 1e-9 * Math.max(1, Math.abs(b)))

/** Exact comparison, except means (and rolling values) within 1e-9. */
function compareBuckets(t: Test, got: Bucket[], want: Bucket[], label: string): void {
  t.equal(got.length, want.length, `${label}: bucket count`)
  let bad = 0
  for (let b = 0; b < Math.min(got.length, want.length) && bad < 5; b++) {
    const g = got[b]!
    const w = want[b]!
    if (g.start !== w.start) { bad++; t.fail(`${label}: bucket ${b} starts ${g.start}, expected ${w.start}`); continue }
    t.same(Object.keys(g.columns), Object.keys(w.columns), `${label}: bucket ${b} columns`)
    for (const [c, ws] of Object.entries(w.columns)) {
      const gs = g.columns[c]!
      const { mean: gm, rolling: gr, ...gRest } = gs
      const { mean: wm, rolling: wr, ...wRest } = ws
      let ok = JSON.stringify(gRest) === JSON.stringify(wRest) && close(gm, wm)
      if (wr || gr) ok = ok && !!gr && !!wr && close(gr.null_rate, wr.null_rate) && close(gr.distinct_count, wr.distinct_count) && close(gr.mean, wr.mean)
      if (!ok) { bad++; t.fail(`${label}: bucket ${w.start} column ${c}`, { found: gs, wanted: ws }) }
    }
  }
  if (bad === 0) t.pass(`${label}: every bucket matches`)
}

t.test('column-stats', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales' }, { name: 'sales.csv', content: toCsv(rows) }) })
  t.equal(up.status, 201)
  const get = async (q: string, init?: RequestInit) => {
    const r = await s.api(`/api/datasets/sales/column-stats?${q}`, init)
    const text = await r.text()
    if (r.status !== 200) throw new Error(`${q}: ${r.status} ${text}`)
    return { r, text }
  }
  const json = async (q: string) => JSON.parse((await get(q)).text) as Body

  t.test('explicit range, daily buckets, every column', async (t) => {
    const b = await json('from=2024-01-01&to=2024-04-01&bucket=1d')
    t.match(b, { time_column: 'ts', bucket: '1d', from: '2024-01-01T00:00:00.000000Z', to: '2024-04-01T00:00:00.000000Z' })
    t.equal(b.buckets.length, 91)
    compareBuckets(t, b.buckets, expected({ time: 'ts', from: us('2024-01-01T00:00:00Z'), to: us('2024-04-01T00:00:00Z'), width: DAY, columns: COLUMNS }), 'daily')
    const first = b.buckets[0]!.columns
    t.equal(typeof first.id!.min, 'number', 'int64 min is a JSON number')
    t.match(first.ts!.min, /^2024-01-01T\d\d:\d\d:\d\d\.\d{3}000Z$/, 'timestamps in wire encoding')
    t.match(first.day!.max, /^2024-01-01$/, 'dates as YYYY-MM-DD')
  })

  t.test('default window: 30 days back from the newest value', async (t) => {
    const b = await json('columns=qty,region')
    const newest = Math.max(...rows.map((r) => us(r.ts)))
    const to = Math.ceil((newest + 1) / DAY) * DAY
    const from = to - 30 * DAY
    t.equal(b.to, iso(to))
    t.equal(b.from, iso(from))
    compareBuckets(t, b.buckets, expected({ time: 'ts', from, to, width: DAY, columns: ['qty', 'region'] }), 'default window')
  })

  t.test('window with from; empty buckets have zero counts', async (t) => {
    const b = await json('from=2023-12-25&window=9d&columns=amount,label')
    t.equal(b.buckets.length, 9)
    const from = us('2023-12-25T00:00:00Z')
    compareBuckets(t, b.buckets, expected({ time: 'ts', from, to: from + 9 * DAY, width: DAY, columns: ['amount', 'label'] }), 'window')
    t.same(b.buckets[0]!.columns.amount, { count: 0, null_count: 0, null_rate: 0, distinct_count: 0, min: null, max: null, mean: null }, 'an empty bucket')
    t.ok(b.buckets[8]!.columns.amount!.count > 0, 'the last bucket has rows')
  })

  t.test('ISO weeks start on Monday; from rounds down', async (t) => {
    const b = await json('bucket=1w&from=2024-01-03T12:00:00Z&to=2024-03-20')
    t.equal(b.from, '2024-01-01T00:00:00.000000Z', 'rounded down to Monday 2024-01-01')
    t.equal(b.to, '2024-03-25T00:00:00.000000Z', 'rounded up to a Monday')
    compareBuckets(t, b.buckets, expected({ time: 'ts', from: us('2024-01-01T00:00:00Z'), to: us('2024-03-25T00:00:00Z'), width: WEEK, columns: COLUMNS }), 'weekly')
    const b2 = await json('bucket=1w&from=2023-12-20&to=2023-12-28&columns=qty')
    t.same(b2.buckets.map((x) => x.start), ['2023-12-18T00:00:00.000000Z', '2023-12-25T00:00:00.000000Z'], 'Monday starts')
  })

  t.test('hourly buckets, date time column, rolling means', async (t) => {
    const h = await json('bucket=1h&from=2024-01-10T00:00:00Z&to=2024-01-12T00:00:00Z&columns=qty,region')
    compareBuckets(t, h.buckets, expected({ time: 'ts', from: us('2024-01-10T00:00:00Z'), to: us('2024-01-12T00:00:00Z'), width: HOUR, columns: ['qty', 'region'] }), 'hourly')
    const d = await json('time_column=day&from=2024-02-01&to=2024-03-01&columns=day,ok')
    t.equal(d.time_column, 'day')
    compareBuckets(t, d.buckets, expected({ time: 'day', from: us('2024-02-01T00:00:00Z'), to: us('2024-03-01T00:00:00Z'), width: DAY, columns: ['day', 'ok'] }), 'date column')
    const r = await json('from=2023-12-30&to=2024-02-01&columns=amount,region,label&rolling=7')
    compareBuckets(t, r.buckets, expected({ time: 'ts', from: us('2023-12-30T00:00:00Z'), to: us('2024-02-01T00:00:00Z'), width: DAY, columns: ['amount', 'region', 'label'], rolling: 7 }), 'rolling 7')
    t.same(r.buckets[0]!.columns.amount!.rolling, { null_rate: 0, distinct_count: 0, mean: null }, 'rolling over only empty buckets')
  })

  t.test('NDJSON: a header line, then one bucket per line', async (t) => {
    const q = 'from=2024-01-01&to=2024-01-15&columns=qty,amount&rolling=3'
    const whole = await json(q)
    const { r, text } = await get(q + '&format=ndjson')
    t.match(r.headers.get('content-type'), /application\/x-ndjson/)
    t.ok(text.endsWith('\n'))
    const lines = text.trimEnd().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>)
    t.same(lines[0], { time_column: 'ts', time_column_masked: false, bucket: '1d', from: whole.from, to: whole.to, columns: whole.columns }, 'header line')
    t.same(whole.columns, [{ name: 'qty', type: 'int64', masked: false }, { name: 'amount', type: 'float64', masked: false }], 'column metadata')
    t.same(lines.slice(1), whole.buckets, 'the same buckets as JSON')
    const viaAccept = await get(q, { headers: { accept: 'application/x-ndjson' } })
    t.equal(viaAccept.text, text, 'Accept: application/x-ndjson')
  })

  t.test('every parameter is validated', async (t) => {
    const cases: [string, string, string][] = [
      ['bucket=2d', 'invalid_parameter', 'bucket'],
      ['bucket=', 'invalid_parameter', 'bucket'],
      ['window=30x', 'invalid_parameter', 'window'],
      ['window=0d', 'invalid_parameter', 'window'],
      ['from=yesterday', 'invalid_parameter', 'from'],
      ['from=2024-02-30', 'invalid_parameter', 'from'],
      ['to=2024-13-01', 'invalid_parameter', 'to'],
      ['from=2024-02-01&to=2024-02-01', 'invalid_parameter', 'from'],
      ['from=2024-03-01&to=2024-02-01', 'invalid_parameter', 'from'],
      ['from=2024-01-01&to=2024-02-01&window=3d', 'invalid_parameter', 'window'],
      ['bucket=1h&from=2020-01-01&to=2024-01-01', 'query_too_expensive', ''],
      ['bucket=1h&window=500d', 'query_too_expensive', ''],
      ['bucket=1h&window=300d', 'query_too_expensive', ''],
      ['rolling=0', 'invalid_parameter', 'rolling'],
      ['rolling=101', 'invalid_parameter', 'rolling'],
      ['rolling=abc', 'invalid_parameter', 'rolling'],
      ['columns=qty,nope', 'invalid_parameter', 'columns'],
      ['columns=', 'invalid_parameter', 'columns'],
      ['time_column=nope', 'invalid_parameter', 'time_column'],
      ['time_column=qty', 'invalid_parameter', 'time_column'],
      ['format=csv', 'invalid_parameter', 'format'],
      ['colums=qty', 'invalid_parameter', 'colums'],
      ['bucket=1d&bucket=1h', 'invalid_parameter', 'bucket'],
    ]
    for (const [q, code, param] of cases) {
      const r = await s.api(`/api/datasets/sales/column-stats?${q}`)
      const body = (await r.json()) as { error: string; message: string }
      t.equal(r.status, 422, `${q}: 422`)
      t.equal(body.error, code, `${q}: ${code}`)
      if (param) t.match(body.message, `"${param}"`, `${q}: names ${param}`)
    }
    const missing = await s.api('/api/datasets/nope/column-stats')
    t.equal(missing.status, 404)
    t.equal(((await missing.json()) as { error: string }).error, 'dataset_not_found')
    const plain = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'plain' }, { name: 'plain.csv', content: 'a,b\n1,x\n2,y\n' }) })
    t.equal(plain.status, 201)
    const none = await s.api('/api/datasets/plain/column-stats')
    t.equal(none.status, 422, 'no date or timestamp column')
    t.match(((await none.json()) as { message: string }).message, '"time_column"')
  })
})

t.test('kernels: HyperLogLog, exact sets turning into sketches, code-point order', async (t) => {
  const a = newRegisters()
  const b = newRegisters()
  for (let i = 0; i < 60_000; i++) hllAdd(a, `k${i}`)
  for (let i = 30_000; i < 100_000; i++) hllAdd(b, `k${i}`)
  const within = (x: number, n: number, tol: number) => Math.abs(x - n) / n <= tol
  t.ok(within(hllEstimate(a), 60_000, 0.05), `60k estimated as ${hllEstimate(a)}`)
  hllMerge(a, b)
  t.ok(within(hllEstimate(a), 100_000, 0.05), `merged 100k estimated as ${hllEstimate(a)}`)
  const small = newRegisters()
  for (let i = 0; i < 500; i++) hllAdd(small, String(i))
  t.ok(within(hllEstimate(small), 500, 0.03), `500 estimated as ${hllEstimate(small)}`)

  const col = (n: number, offset: number) => ({ name: 'x', type: 'int64' as const, values: BigInt64Array.from({ length: n }, (_, i) => BigInt(i + offset)), nulls: null })
  const s1 = newWorkingState()
  const c1 = col(3000, 0)
  for (let i = 0; i < 3000; i++) addRow(s1, c1, i)
  const s2 = newWorkingState()
  const c2 = col(400, 2900)
  for (let i = 0; i < 400; i++) addRow(s2, c2, i)
  const p1 = toBucketState(s1)
  const p2 = toBucketState(s2)
  t.equal(p1.distinct.kind, 'hll', 'above the exact limit: a sketch')
  t.equal(p2.distinct.kind, 'set', 'below it: exact keys')
  t.equal(distinctCount(p2.distinct), 400)
  const m = mergeStates('int64', p1, p2)
  t.ok(within(distinctCount(m.distinct), 3300, 0.05), `merged sketch and set: ${distinctCount(m.distinct)}`)
  t.same([m.count, m.min, m.max, m.sum / m.n], [3400, 0n, 3299n, (2999 * 3000 / 2 + (2900 + 3299) * 400 / 2) / 3400])
  const sets = mergeStates('int64', p2, toBucketState(s2))
  t.same(sets.distinct.kind === 'set' && sets.distinct.keys.length, 400, 'two sets merge exactly')
  const big = mergeStates('int64', toBucketState(s2), toBucketState((() => { const w = newWorkingState(); const c = col(300, 0); for (let i = 0; i < 300; i++) addRow(w, c, i); return w })()))
  t.equal(big.distinct.kind, 'hll', 'two sets above the limit together become a sketch')
  t.ok(within(distinctCount(big.distinct), 700, 0.03), `700 estimated as ${distinctCount(big.distinct)}`)

  t.ok(compareCodePoints('\uffff', '😀') < 0, 'U+FFFF before U+1F600 (code units would say otherwise)')
  t.ok(compareCodePoints('Ωmega', 'émoji') > 0)
  t.ok(compareCodePoints('ab', 'abc') < 0)
  t.ok(compareDecimals('-12.30', '-3.5') < 0)
  t.ok(compareDecimals('10.5', '9.75') > 0)
  t.equal(compareDecimals('1.50', '1.5'), 0)
  t.ok(compareDecimals('-0.01', '0.00') < 0)
  const f = (type: Field['type'], extra: Partial<Field> = {}): Field => ({ name: 'c', type, nullable: true, ...extra })
  t.equal(wireValue(f('int64'), 9007199254740993n), '9007199254740993', 'int64: exact digits')
  t.equal(wireValue(f('decimal', { precision: 10, scale: 2 }), '-3.50'), '"-3.50"')
  t.equal(wireValue(f('float32'), Math.fround(0.1)), '0.1')
  t.equal(wireValue(f('float64'), Infinity), '"Infinity"')
  t.equal(wireValue(f('time'), 34_200_250_000n), '"09:30:00.250000"')
  t.equal(wireValue(f('timestamp'), -1n), '"1969-12-31T23:59:59.999999Z"')
  t.equal(wireValue(f('date'), -1), '"1969-12-31"')
  t.equal(wireValue(f('boolean'), false), 'false')
  t.equal(wireValue(f('string'), 'a"b'), '"a\\"b"')
})

t.test('worker: the newest time value when file stats cannot tell', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales' }, { name: 'sales.csv', content: toCsv(rows) }) })
  t.equal(up.status, 201)
  const tables = path.join(s.dataDir, 'tables')
  const [id] = await readdir(tables)
  const files = (await readdir(path.join(tables, id!), { recursive: true })).filter((f) => f.endsWith('.parquet')).map((f) => ({ path: path.join(tables, id!, f) }))
  t.ok(files.length > 0)
  const fields: Field[] = [{ name: 'ts', type: 'timestamp', nullable: true }, { name: 'day', type: 'date', nullable: true }]
  const r = await columnStats({ kind: 'column-stats-max', files, fields, timeColumn: 'ts' })
  t.same(r, { ok: true, value: Math.max(...rows.map((x) => us(x.ts))) })
  const d = await columnStats({ kind: 'column-stats-max', files, fields, timeColumn: 'day' })
  t.same(d, { ok: true, value: Math.max(...rows.map((x) => us(x.day + 'T00:00:00Z'))) })
})

t.test('registered Delta table: partition time column, a file without stats', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const dir = path.join(orgDir(s), 'events')
  fs.mkdirSync(path.join(dir, '_delta_log'), { recursive: true })
  // two partitions (d), x with nulls; file b has no stats, so the newest ts needs a scan
  const parts = {
    '2024-05-01': { ts: ['2024-05-01T01:00:00Z', '2024-05-01T02:30:00Z', '2024-05-01T23:59:59Z'], x: [1, null, 3] },
    '2024-05-03': { ts: ['2024-05-03T00:00:00Z', '2024-05-03T12:00:00.250Z'], x: [7, 7] },
  }
  const adds = Object.entries(parts).map(([d, c], i) => {
    const name = `d=${d}/part-${i}.parquet`
    const size = writeParquet(path.join(dir, name), { ts: { type: new TimestampMicrosecond('UTC'), values: c.ts.map((x) => Date.parse(x)) }, x: { type: new Int32(), values: c.x } })
    const stats = i === 0 ? JSON.stringify({ numRecords: 3, minValues: { ts: '2024-05-01T01:00:00.000Z', x: 1 }, maxValues: { ts: '2024-05-01T23:59:59.000Z', x: 3 }, nullCount: { ts: 0, x: 1 } }) : undefined
    return { add: { path: name, partitionValues: { d }, size, modificationTime: 0, dataChange: true, ...(stats ? { stats } : {}) } }
  })
  writeCommit(dir, 0, [
    { commitInfo: { timestamp: Date.UTC(2024, 4, 4), operation: 'WRITE', operationParameters: { mode: 'ErrorIfExists' } } },
    { protocol: { minReaderVersion: 1, minWriterVersion: 2 } },
    { metaData: {
      id: 'test-events', format: { provider: 'parquet', options: {} },
      schemaString: JSON.stringify({ type: 'struct', fields: [
        { name: 'ts', type: 'timestamp', nullable: true, metadata: {} }, { name: 'x', type: 'integer', nullable: true, metadata: {} },
        { name: 'd', type: 'date', nullable: true, metadata: {} }] }),
      partitionColumns: ['d'], configuration: {}, createdTime: Date.UTC(2024, 4, 4),
    } },
    ...adds,
  ])
  await registered(s, 'events', 'events')
  const get = async (q: string) => {
    const r = await s.api(`/api/datasets/events/column-stats?${q}`)
    const b = (await r.json()) as Body
    if (r.status !== 200) throw new Error(`${q}: ${r.status} ${JSON.stringify(b)}`)
    return b
  }
  const st = (count: number, nulls: number, distinct: number, min: unknown, max: unknown, mean: number | null) =>
    ({ count, null_count: nulls, null_rate: count ? nulls / count : 0, distinct_count: distinct, min, max, mean })

  const w = await get('window=3d&columns=x')
  t.equal(w.to, '2024-05-04T00:00:00.000000Z', 'newest value found by scanning the file without stats')
  t.equal(w.from, '2024-05-01T00:00:00.000000Z', 'three daily buckets, the last holding the newest value')
  t.same(w.buckets.map((b) => b.columns.x), [st(3, 1, 2, 1, 3, 2), st(0, 0, 0, null, null, null), st(2, 0, 1, 7, 7, 7)])

  const byPartition = await get('time_column=d&window=2d&columns=d,ts')
  t.equal(byPartition.from, '2024-05-02T00:00:00.000000Z', 'newest value from the partition values')
  t.same(byPartition.buckets.map((b) => b.columns.d), [st(0, 0, 0, null, null, null), st(2, 0, 1, '2024-05-03', '2024-05-03', null)])
  t.same(byPartition.buckets[1]!.columns.ts!.max, '2024-05-03T12:00:00.250000Z')

  const hourly = await get('bucket=1h&from=2024-05-01T02:00:00Z&to=2024-05-01T03:00:00Z&columns=x,ts,d')
  t.same(hourly.buckets, [{ start: '2024-05-01T02:00:00.000000Z', columns: {
    x: st(1, 1, 0, null, null, null), ts: st(1, 0, 1, '2024-05-01T02:30:00.000000Z', '2024-05-01T02:30:00.000000Z', null),
    d: st(1, 0, 1, '2024-05-01', '2024-05-01', null),
  } }], 'a partition column reads as a constant; the other partition is pruned')
})

t.test('registered plain Parquet folder: Hive partitions, newest value found by a scan', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const dir = path.join(orgDir(s), 'raw', 'clicks')
  const write = (region: string, ts: string[], x: (number | null)[]) => writeParquet(path.join(dir, `region=${region}`, 'part-0.parquet'), {
    ts: { type: new TimestampMicrosecond('UTC'), values: ts.map((v) => Date.parse(v)) }, x: { type: new Int32(), values: x },
  })
  write('EU', ['2024-05-01T01:00:00Z', '2024-05-02T05:00:00Z'], [1, null])
  write('US', ['2024-05-02T06:00:00Z', '2024-05-02T07:00:00Z', '2024-05-03T00:00:01Z'], [4, 6, 8])
  await registered(s, 'clicks', 'raw/clicks')
  const r = await s.api('/api/datasets/clicks/column-stats?window=3d&columns=x,region')
  const b = (await r.json()) as Body
  t.equal(r.status, 200, JSON.stringify(b))
  t.equal(b.to, '2024-05-04T00:00:00.000000Z', 'the newest value (no stats in a plain folder) comes from a scan')
  const st = (count: number, nulls: number, distinct: number, min: unknown, max: unknown, mean: number | null) =>
    ({ count, null_count: nulls, null_rate: count ? nulls / count : 0, distinct_count: distinct, min, max, mean })
  t.same(b.buckets.map((x) => x.columns.x), [st(1, 0, 1, 1, 1, 1), st(3, 1, 2, 4, 6, 5), st(1, 0, 1, 8, 8, 8)], 'per-day stats of x')
  t.same(b.buckets.map((x) => x.columns.region!.distinct_count), [1, 2, 1], 'the partition column reads as a constant per file')
})
