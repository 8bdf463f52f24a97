// Parquet uploads at the worker level: the built task module (SLUICE_DIST) run in-process on
// files written here with apache-arrow + parquet-wasm (and, when present, files written by
// Spark under /work/shared/conformance), its output read back with our scan path.
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { MessageChannel } from 'node:worker_threads'
import t from 'tap'
import * as A from 'apache-arrow'
import * as pq from 'parquet-wasm'
import type { Batch } from '../proto/batch.js'
import type { TaskResult } from '../proto/errors.js'
import type { CommonUploadOptions, IngestProgress, UploadIngestResult, UploadPreviewResult } from '../proto/ingest.js'
import type { Field } from '../proto/types.js'
import { DIST } from './helpers/server.js'

type Task = (task: object) => Promise<TaskResult<UploadIngestResult | UploadPreviewResult>>
type ReadBatches = (path: string, opts: { fields: Field[] }) => AsyncGenerator<Batch>
const task = (await import(join(DIST, 'workers/ingest-parquet.js'))).default as Task
const { readParquetBatches } = (await import(join(DIST, 'workers/kernels/parquet-read.js'))) as { readParquetBatches: ReadBatches }
const { DeltaStats } = (await import(join(DIST, 'workers/ingest/stats.js'))) as { DeltaStats: new (f: Field[]) => { add(b: Batch): void; toJSON(): string } }

const dir = mkdtempSync(join(tmpdir(), 'sluice-pq-upload-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))
let seq = 0

// ---- writing test files -------------------------------------------------------------------

/** A validity bitmap with `nullAt` unset. */
function validity(n: number, nullAt: number[]): { nullBitmap?: Uint8Array; nullCount: number } {
  if (nullAt.length === 0) return { nullCount: 0 }
  const bm = new Uint8Array(Math.ceil(n / 8)).fill(0xff)
  for (const i of nullAt) bm[i >> 3]! &= ~(1 << (i & 7))
  return { nullBitmap: bm, nullCount: nullAt.length }
}

/** A fixed-width Arrow vector from raw values (exact: no conversion through JS dates or floats). */
function fixed<T extends A.DataType>(type: T, data: ArrayBufferView & ArrayLike<number | bigint>, nullAt: number[] = [], length = data.length): A.Vector<T> {
  return A.makeVector(A.makeData({ type, length, data, ...validity(length, nullAt) } as never)) as A.Vector<T>
}

/** Decimal128 words of unscaled values. */
function decimal(precision: number, scale: number, unscaled: bigint[], nullAt: number[] = []): A.Vector {
  const words = new Uint32Array(unscaled.length * 4)
  unscaled.forEach((v, i) => {
    let x = BigInt.asUintN(128, v)
    for (let w = 0; w < 4; w++) { words[i * 4 + w] = Number(x & 0xffffffffn); x >>= 32n }
  })
  return fixed(new A.Decimal(scale, precision, 128), words, nullAt, unscaled.length)
}

function props(opts: { rowGroupRows?: number; stats?: boolean; dictionary?: boolean } = {}): pq.WriterProperties {
  let b = new pq.WriterPropertiesBuilder().setCompression(pq.Compression.SNAPPY)
  if (opts.rowGroupRows) b = b.setMaxRowGroupSize(opts.rowGroupRows)
  if (opts.stats === false) b = b.setStatisticsEnabled(pq.EnabledStatistics.None)
  if (opts.dictionary === false) b = b.setDictionaryEnabled(false)
  return b.build()
}

function writeParquet(columns: Record<string, A.Vector>, opts: Parameters<typeof props>[0] = {}): string {
  const table = new A.Table(columns)
  const wasm = pq.Table.fromIPCStream(A.tableToIPC(table, 'stream'))
  const bytes = pq.writeParquet(wasm, props(opts))
  const path = join(dir, `in-${seq++}.parquet`)
  writeFileSync(path, bytes)
  return path
}

// ---- running the task and reading back -----------------------------------------------------

async function run(file: string, options: CommonUploadOptions = {}, extra: object = {}): Promise<TaskResult<UploadIngestResult> & { outDir: string }> {
  const outDir = mkdtempSync(join(dir, 'out-'))
  const r = await task({ kind: 'parquet-ingest', file, options, outDir, ...extra }) as TaskResult<UploadIngestResult>
  return { ...r, outDir }
}

async function ingest(file: string, options: CommonUploadOptions = {}, extra: object = {}): Promise<UploadIngestResult & { outDir: string }> {
  const r = await run(file, options, extra)
  if (!r.ok) throw new Error(`ingest failed: ${r.status} ${r.code} ${r.message}`)
  return { ...r.value, outDir: r.outDir }
}

async function preview(file: string, options: CommonUploadOptions = {}, limit = 10): Promise<UploadPreviewResult> {
  const r = await task({ kind: 'parquet-preview', file, options, limit }) as TaskResult<UploadPreviewResult>
  if (!r.ok) throw new Error(`preview failed: ${r.status} ${r.code} ${r.message}`)
  return r.value
}

/** Every row of the ingested files, read with explore's reader, as {column: value|null}. */
async function readBack(r: UploadIngestResult & { outDir: string }): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = []
  for (const f of r.files) {
    for await (const b of readParquetBatches(join(r.outDir, f.name), { fields: r.fields })) {
      for (let i = 0; i < b.length; i++) {
        const row: Record<string, unknown> = {}
        for (const c of b.columns) {
          const v = (c.values as ArrayLike<unknown>)[i]
          row[c.name] = c.nulls?.[i] ? null : v instanceof Uint8Array ? Array.from(v) : v
        }
        rows.push(row)
      }
    }
  }
  return rows
}

const column = (rows: Record<string, unknown>[], name: string) => rows.map((r) => r[name])
const types = (fields: Field[]) => Object.fromEntries(fields.map((f) => [f.name, f.type === 'decimal' ? `decimal(${f.precision},${f.scale})` : f.type]))

// ---- the tests -----------------------------------------------------------------------------

// 2024-03-01T10:00:00.123456Z, 1969-12-31T23:59:59.999999Z, in µs
const TS1 = 1709287200123456n
const TS2 = -1n
const INT64_BIG = 9007199254740993n // 2^53 + 1: not a double

function allTypes(): Record<string, A.Vector> {
  return {
    i16: fixed(new A.Int16(), new Int16Array([-32768, 0, 32767])),
    i32: fixed(new A.Int32(), new Int32Array([-2147483648, 7, 0]), [2]),
    i64: fixed(new A.Int64(), new BigInt64Array([INT64_BIG, -9223372036854775808n, 0n]), [2]),
    f32: fixed(new A.Float32(), new Float32Array([1.5, -0.25, 0]), [2]),
    f64: fixed(new A.Float64(), new Float64Array([0.1, -1e300, 0]), [2]),
    s: A.vectorFromArray(['héllo', null, 'a,b "c"'], new A.Utf8()),
    dict: A.vectorFromArray(['x', 'x', null]), // inferred as Dictionary<Utf8>
    bin: A.vectorFromArray([new Uint8Array([0, 255]), null, new Uint8Array(0)], new A.Binary()),
    b: fixed(new A.Bool(), new Uint8Array([0b001]), [1], 3), // bit-packed: true, null, false
    d: fixed(new A.DateDay(), new Int32Array([19783, -1, 0]), [2]), // 2024-03-01, 1969-12-31
    ts: fixed(new A.TimestampMicrosecond('UTC'), new BigInt64Array([TS1, TS2, 0n]), [2]),
    dec: decimal(20, 2, [123456789012345678n, -5n, 0n], [2]), // 1234567890123456.78, -0.05
    tm: fixed(new A.TimeMicrosecond(), new BigInt64Array([45296789012n, 0n, 0n]), [1, 2]), // 12:34:56.789012
  }
}

t.test('a file in our canonical types is used as it is, and reads back exactly', async (t) => {
  const file = writeParquet(allTypes())
  const r = await ingest(file)
  t.equal(r.format, 'parquet')
  t.equal(r.rewritten, false, 'not rewritten')
  t.equal(r.rowCount, 3)
  t.same(types(r.fields), {
    i16: 'int16', i32: 'int32', i64: 'int64', f32: 'float32', f64: 'float64', s: 'string', dict: 'string',
    bin: 'binary', b: 'boolean', d: 'date', ts: 'timestamp', dec: 'decimal(20,2)', tm: 'time',
  })
  t.equal(r.files.length, 1)
  const f = r.files[0]!
  t.match(f.name, /^part-00000-[0-9a-f-]{36}\.c000\.snappy\.parquet$/)
  t.equal(f.size, statSync(file).size)
  t.same(readFileSync(join(r.outDir, f.name)), readFileSync(file), 'the uploaded bytes, unchanged')
  t.equal(f.numRecords, 3)
  t.same(readdirSync(r.outDir), [f.name], 'nothing else in outDir')

  const rows = await readBack(r)
  t.same(column(rows, 'i16'), [-32768, 0, 32767])
  t.same(column(rows, 'i32'), [-2147483648, 7, null])
  t.same(column(rows, 'i64'), [INT64_BIG, -9223372036854775808n, null], 'int64 exact beyond 2^53')
  t.same(column(rows, 'f32'), [1.5, -0.25, null])
  t.same(column(rows, 'f64'), [0.1, -1e300, null])
  t.same(column(rows, 's'), ['héllo', null, 'a,b "c"'])
  t.same(column(rows, 'dict'), ['x', 'x', null])
  t.same(column(rows, 'bin'), [[0, 255], null, []])
  t.same(column(rows, 'b'), [1, null, 0])
  t.same(column(rows, 'd'), [19783, -1, null])
  t.same(column(rows, 'ts'), [TS1, TS2, null], 'timestamps µs UTC, exact')
  t.same(column(rows, 'dec'), ['1234567890123456.78', '-0.05', null], 'decimals exact')
  t.same(column(rows, 'tm'), [45296789012n, null, null])

  // hand-written: as Spark writes them (stats.ts); min/max from the footer statistics
  t.equal(f.stats, '{"numRecords":3,'
    + '"minValues":{"i16":-32768,"i32":-2147483648,"i64":-9223372036854775808,"f32":-0.25,"f64":-1e+300,"s":"a,b \\"c\\"","dict":"x","d":"1969-12-31","ts":"1969-12-31T23:59:59.999Z"},'
    + '"maxValues":{"i16":32767,"i32":7,"i64":9007199254740993,"f32":1.5,"f64":0.1,"s":"héllo","dict":"x","d":"2024-03-01","ts":"2024-03-01T10:00:00.123Z"},'
    + '"nullCount":{"i16":0,"i32":1,"i64":1,"f32":1,"f64":1,"s":1,"dict":1,"bin":1,"b":1,"d":1,"ts":1,"dec":1,"tm":2}}')
})

t.test('stats: footer statistics give what reading the data gives; without them the columns are read', async (t) => {
  const n = 5000
  const ids = new BigInt64Array(n).map((_, i) => BigInt(i * 7919 % n) - 2500n)
  const fl = new Float64Array(n).map((_, i) => (i % 13) / 4 - 1)
  const names = Array.from({ length: n }, (_, i) => (i % 97 === 0 ? null : `name ${(i * 31) % 1000} ${'ü'.repeat(i % 3)}`))
  const long = Array.from({ length: n }, (_, i) => `${'z'.repeat(40)}${i}`)
  const cols = () => ({
    id: fixed(new A.Int64(), ids, [3]),
    fl: fixed(new A.Float64(), fl),
    name: A.vectorFromArray(names, new A.Utf8()),
    long: A.vectorFromArray(long, new A.Utf8()),
    ts: fixed(new A.TimestampMicrosecond('UTC'), ids.map((x) => x * 1_000_003n)),
  })
  const withStats = await ingest(writeParquet(cols(), { rowGroupRows: 1000 }))
  const without = await ingest(writeParquet(cols(), { rowGroupRows: 1000, stats: false }))
  t.equal(withStats.rewritten, false)
  t.equal(without.rewritten, false)
  // the reference: DeltaStats over the data as our reader reads it
  const ref = new DeltaStats(withStats.fields)
  for await (const b of readParquetBatches(join(withStats.outDir, withStats.files[0]!.name), { fields: withStats.fields })) ref.add(b)
  t.equal(withStats.files[0]!.stats, ref.toJSON(), 'from the footer')
  t.equal(without.files[0]!.stats, ref.toJSON(), 'from reading the columns')
  const stats = JSON.parse(withStats.files[0]!.stats)
  t.equal(stats.numRecords, 5000)
  t.same(stats.nullCount, { id: 1, fl: 0, name: 52, long: 0, ts: 0 })
  t.equal(stats.minValues.id, -2500)
  t.equal(stats.maxValues.id, 2499)
  t.equal(stats.maxValues.long, `${'z'.repeat(31)}{`, 'a long max is cut to 32 code points and incremented')
})

t.test('rewrites: int96-less legacy and odd encodings become our canonical types', async (t) => {
  const ms = 1709287200123n
  const ns = 1709287200123456789n
  const file = writeParquet({
    tms: fixed(new A.TimestampMillisecond('UTC'), new BigInt64Array([ms, -1n]), [1]),
    tns: fixed(new A.TimestampNanosecond(), new BigInt64Array([ns, -1n])), // local, ns
    tlocal: fixed(new A.TimestampMicrosecond(), new BigInt64Array([TS1, 0n])), // local, µs
    i8: fixed(new A.Int8(), new Int8Array([-128, 127])),
    u32: fixed(new A.Uint32(), new Uint32Array([4000000000, 0])),
    u64: fixed(new A.Uint64(), new BigUint64Array([9223372036854775807n, 1n])),
    h: fixed(new A.Float16(), new Uint16Array([0x3e00, 0xc000])), // 1.5, -2
    tms32: fixed(new A.TimeMillisecond(), new Int32Array([45296789, 0])),
  })
  const r = await ingest(file)
  t.equal(r.rewritten, true)
  t.same(types(r.fields), { tms: 'timestamp', tns: 'timestamp', tlocal: 'timestamp', i8: 'int16', u32: 'int64', u64: 'int64', h: 'float32', tms32: 'time' })
  const rows = await readBack(r)
  t.same(column(rows, 'tms'), [ms * 1000n, null], 'ms → µs')
  t.same(column(rows, 'tns'), [1709287200123456n, -1n], 'ns → µs, rounded down')
  t.same(column(rows, 'tlocal'), [TS1, 0n], 'local wall-clock kept as UTC')
  t.same(column(rows, 'i8'), [-128, 127])
  t.same(column(rows, 'u32'), [4000000000n, 0n])
  t.same(column(rows, 'u64'), [9223372036854775807n, 1n])
  t.same(column(rows, 'h'), [1.5, -2])
  t.same(column(rows, 'tms32'), [45296789000n, 0n])
  t.match(r.warnings.join('\n'), /column "tns": local timestamps/)
  t.match(r.warnings.join('\n'), /column "tlocal": local timestamps/)
  // the rewritten file is ours: the canonical Parquet types
  const again = await ingest(join(r.outDir, r.files[0]!.name))
  t.equal(again.rewritten, false, 'our output needs no second rewrite')
  const st = JSON.parse(r.files[0]!.stats)
  t.equal(st.minValues.tms, '2024-03-01T10:00:00.123Z')
  t.equal(st.maxValues.u32, 4000000000)
})

t.test('an unsigned 64-bit value beyond int64 is a 422 naming the column', async (t) => {
  const r = await run(writeParquet({ big: fixed(new A.Uint64(), new BigUint64Array([18446744073709551615n])) }))
  t.equal(r.ok, false)
  if (r.ok) return
  t.equal(r.status, 422)
  t.equal(r.code, 'invalid_file')
  t.match(r.message, /column "big"/)
  t.same(readdirSync(r.outDir), [], 'nothing left in outDir')
})

t.test('renames, overrides and table types force a rewrite', async (t) => {
  const cols = () => ({
    a: fixed(new A.Int32(), new Int32Array([1, 2, 3])),
    A: fixed(new A.Int64(), new BigInt64Array([4n, 5n, 6n])),
  })
  const dup = await ingest(writeParquet(cols()))
  t.equal(dup.rewritten, true, 'a duplicate name (case-insensitive) is renamed')
  t.same(dup.fields.map((f) => f.name), ['a', 'A_2'])
  t.match(dup.warnings.join('\n'), /duplicate name "A" renamed to "A_2"/)
  t.same(column(await readBack(dup), 'A_2'), [4n, 5n, 6n])

  const one = () => writeParquet({ n: fixed(new A.Int32(), new Int32Array([1, -2])), s: A.vectorFromArray(['x', 'y'], new A.Utf8()) })
  const forced = await ingest(one(), { columns: { N: 'int64' } })
  t.equal(forced.rewritten, true)
  t.same(types(forced.fields), { n: 'int64', s: 'string' })
  t.same(column(await readBack(forced), 'n'), [1n, -2n])

  const asText = await ingest(one(), { columns: { n: 'string' } })
  t.same(column(await readBack(asText), 'n'), ['1', '-2'])

  const same = await ingest(one(), { columns: { n: 'int32', s: 'json' } })
  t.equal(same.rewritten, false, 'overrides to the types the file already has: no rewrite')

  const table: Field[] = [{ name: 'N', type: 'float64', nullable: true }, { name: 's', type: 'string', nullable: true }, { name: 'x', type: 'date', nullable: true }]
  const append = await ingest(one(), { tableFields: table })
  t.equal(append.rewritten, true)
  t.same(types(append.fields), { N: 'float64', s: 'string' }, "the table's spelling and type")
  t.same(column(await readBack(append), 'N'), [1, -2])

  const fits = await ingest(one(), { tableFields: [{ name: 'n', type: 'int32', nullable: true }] })
  t.equal(fits.rewritten, false, 'an append whose types already match')

  const mismatch = await ingest(one(), { tableFields: [{ name: 's', type: 'date', nullable: true }] })
  t.same(types(mismatch.fields), { n: 'int32', s: 'string' }, 'no cast string → date: the file type stays, for the commit to report')

  const bad = await run(one(), { columns: { nope: 'int64' } })
  t.match(bad, { ok: false, status: 422, code: 'invalid_parameter', message: /columns.*nope/ })
  const badType = await run(one(), { columns: { n: 'decimal' } })
  t.match(badType, { ok: false, status: 422, code: 'invalid_parameter' })
  const noCast = await run(one(), { columns: { s: 'date' } })
  t.match(noCast, { ok: false, status: 422, code: 'invalid_parameter', message: /"s": string cannot be converted to date/ })
})

t.test('several row groups, split into files of targetRowsPerFile when rewritten', async (t) => {
  const n = 10_000
  const v = new BigInt64Array(n).map((_, i) => BigInt(i))
  const file = writeParquet({ v: fixed(new A.Int64(), v), w: fixed(new A.Int8(), new Int8Array(n).map((_, i) => i % 100)) }, { rowGroupRows: 1000 })
  const r = await ingest(file, {}, { targetRowsPerFile: 3000 })
  t.equal(r.rewritten, true)
  t.same(r.files.map((f) => f.numRecords), [3000, 3000, 3000, 1000])
  t.same(r.files.map((f) => JSON.parse(f.stats).minValues.v), [0, 3000, 6000, 9000])
  const rows = await readBack(r)
  t.equal(rows.length, n)
  t.same(column(rows, 'v').slice(2998, 3002), [2998n, 2999n, 3000n, 3001n])

  const p = await preview(file, {}, 5)
  t.equal(p.rowCount, n)
  t.equal(p.rows.length, 5)
  t.equal(p.rowsJson, '[{"v":0,"w":0},{"v":1,"w":1},{"v":2,"w":2},{"v":3,"w":3},{"v":4,"w":4}]')
})

t.test('preview: the fields and values an ingest commits, as API.md writes them', async (t) => {
  const p = await preview(writeParquet(allTypes()), {}, 2)
  t.equal(p.format, 'parquet')
  t.equal(p.rowCount, 3)
  t.same(p.warnings, [])
  t.same(types(p.fields), {
    i16: 'int16', i32: 'int32', i64: 'int64', f32: 'float32', f64: 'float64', s: 'string', dict: 'string',
    bin: 'binary', b: 'boolean', d: 'date', ts: 'timestamp', dec: 'decimal(20,2)', tm: 'time',
  })
  // JSON.parse would round the int64 values: they are checked as text below
  const parsed = JSON.parse(p.rowsJson, (k, v) => (k === 'i64' ? undefined : v))
  t.same(parsed, [
    { i16: -32768, i32: -2147483648, f32: 1.5, f64: 0.1, s: 'héllo', dict: 'x', bin: 'AP8=', b: true, d: '2024-03-01', ts: '2024-03-01T10:00:00.123456Z', dec: '1234567890123456.78', tm: '12:34:56.789012' },
    { i16: 0, i32: 7, f32: -0.25, f64: -1e300, s: null, dict: 'x', bin: null, b: null, d: '1969-12-31', ts: '1969-12-31T23:59:59.999999Z', dec: '-0.05', tm: null },
  ])
  t.match(p.rowsJson, /"i64":9007199254740993,/, 'int64 digits exact in rowsJson')
  t.match(p.rowsJson, /"i64":-9223372036854775808,/)
  const none = await preview(writeParquet(allTypes()), {}, 0)
  t.equal(none.rows.length, 0)
  t.equal(none.rowsJson, '[]')
})

t.test('unsupported columns: 422 invalid_file naming the column', async (t) => {
  const struct = A.makeVector(A.makeData({
    type: new A.Struct([new A.Field('x', new A.Int32())]), length: 1, nullCount: 0,
    children: [A.makeData({ type: new A.Int32(), length: 1, data: new Int32Array([1]) })],
  }))
  const list = A.vectorFromArray([[1, 2]], new A.List(new A.Field('item', new A.Int32(), true)))
  const ok = fixed(new A.Int32(), new Int32Array([1]))
  for (const [name, vec] of [['nested', struct], ['tags', list]] as const) {
    for (const kind of ['parquet-preview', 'parquet-ingest']) {
      const file = writeParquet({ ok, [name]: vec })
      const r = await task({ kind, file, options: {}, limit: 5, outDir: mkdtempSync(join(dir, 'o-')) })
      t.match(r, { ok: false, status: 422, code: 'invalid_file', message: new RegExp(`column "${name}": Parquet type (STRUCT|LIST) \\(nested\\) is not supported`) }, `${name} (${kind})`)
    }
  }
})

t.test('not Parquet, truncated, corrupt: 422 invalid_file', async (t) => {
  const good = readFileSync(writeParquet(allTypes()))
  const cases: [string, Buffer, RegExp][] = [
    ['csv', Buffer.from('a,b\n1,2\n'), /not Parquet/],
    ['empty', Buffer.alloc(0), /not Parquet/],
    ['truncated', good.subarray(0, good.length - 100), /truncated/],
    ['half', good.subarray(0, good.length >> 1), /truncated/],
    ['footer length', Buffer.concat([good.subarray(0, good.length - 8), Buffer.from([0xff, 0xff, 0xff, 0x7f]), Buffer.from('PAR1')]), /truncated or its footer is corrupt/],
  ]
  // a footer whose bytes are garbage (length and magic intact)
  const len = good.readUInt32LE(good.length - 8)
  const garbled = Buffer.from(good)
  garbled.fill(0xee, good.length - 8 - len, good.length - 8)
  cases.push(['garbled footer', garbled, /footer is corrupt/])
  // data pages cut out of the middle: offsets in the footer point past the data
  cases.push(['cut middle', Buffer.concat([good.subarray(0, 4), good.subarray(good.length - 8 - len)]), /truncated or corrupt|footer is corrupt/])
  for (const [what, bytes, msg] of cases) {
    const file = join(dir, `bad-${seq++}.parquet`)
    writeFileSync(file, bytes)
    for (const kind of ['parquet-preview', 'parquet-ingest']) {
      const outDir = mkdtempSync(join(dir, 'o-'))
      const r = await task({ kind, file, options: {}, limit: 5, outDir })
      t.match(r, { ok: false, status: 422, code: 'invalid_file', message: msg }, `${what} (${kind})`)
      t.same(readdirSync(outDir), [], 'nothing written')
    }
  }
})

t.test('an empty file (no rows) gives no data files', async (t) => {
  const r = await ingest(writeParquet({ a: fixed(new A.Int32(), new Int32Array(0)) }))
  t.equal(r.rowCount, 0)
  t.same(r.files, [])
  t.same(types(r.fields), { a: 'int32' })
})

t.test('progress: phase writing, bytes and rows, at most every 100 ms', async (t) => {
  const n = 200_000
  const file = writeParquet({ v: fixed(new A.Int16(), new Int16Array(n).map((_, i) => i)), w: fixed(new A.Int8(), new Int8Array(n)) }, { rowGroupRows: 20_000 })
  const ch = new MessageChannel()
  const got: IngestProgress[] = []
  ch.port1.on('message', (m: IngestProgress) => got.push(m))
  const r = await ingest(file, {}, { progress: ch.port2 })
  await new Promise((resolve) => setTimeout(resolve, 50))
  ch.port1.close()
  t.equal(r.rewritten, true)
  t.ok(got.length >= 1)
  t.ok(got.every((m) => m.phase === 'writing' && m.totalBytes === statSync(file).size))
  t.same(got[0], { phase: 'writing', bytesRead: 0, totalBytes: statSync(file).size, rowsParsed: 0 })
  for (let i = 1; i < got.length; i++) t.ok(got[i]!.rowsParsed >= got[i - 1]!.rowsParsed && got[i]!.bytesRead <= got[i]!.totalBytes)
})

const CONFORMANCE = '/work/shared/conformance/delta'

t.test('files written by Spark (conformance tables)', { skip: existsSync(CONFORMANCE) ? false : `${CONFORMANCE} is absent` }, async (t) => {
  // Spark 3.5: INT96 timestamps and INT(8) bytes → rewritten
  const all = join(CONFORMANCE, 'data-skipping-basic-stats-all-types')
  const part = readdirSync(all).find((f) => f.startsWith('part-00001'))!
  const r = await ingest(join(all, part))
  t.equal(r.rewritten, true)
  t.same(types(r.fields), {
    as_int: 'int32', as_long: 'int64', as_byte: 'int16', as_short: 'int16', as_float: 'float32', as_double: 'float64',
    as_string: 'string', as_date: 'date', as_timestamp: 'timestamp', as_big_decimal: 'decimal(1,0)',
  })
  const rows = await readBack(r)
  t.same(rows, [{
    as_int: 0, as_long: 0n, as_byte: 0, as_short: 0, as_float: 0, as_double: 0, as_string: '0', as_date: 10957,
    as_timestamp: 946713600000000n, // 2000-01-01T00:00:00-08:00
    as_big_decimal: '0',
  }])
  t.match(r.warnings.join('\n'), /as_timestamp": INT96/)

  // Spark's stats of the same data (its timestamp text has an offset, its floats "0.0"): ours must agree in value
  const spark = JSON.parse(readFileSync(join(all, '_delta_log', '00000000000000000000.json'), 'utf8').split('\n').filter(Boolean)
    .map((l) => JSON.parse(l)).find((a) => a.add?.path === part).add.stats)
  const ours = JSON.parse(r.files[0]!.stats)
  t.equal(ours.numRecords, spark.numRecords)
  t.same(ours.nullCount, spark.nullCount)
  for (const side of ['minValues', 'maxValues']) {
    for (const [k, v] of Object.entries(ours[side] as Record<string, unknown>)) {
      t.same(k === 'as_timestamp' ? Date.parse(v as string) : v, k === 'as_timestamp' ? Date.parse(spark[side][k]) : spark[side][k], `${side}.${k}`)
    }
  }

  // delta-rs (python 0.25.5): a file of longs with stats is used as it is, stats as delta-rs wrote them
  const py = join(CONFORMANCE, 'python-0.25.5-checkpoint')
  const add = JSON.parse(readFileSync(join(py, '_delta_log', '00000000000000000000.json'), 'utf8').split('\n').find((l) => l.includes('"add"'))!).add
  const p = await ingest(join(py, add.path))
  t.equal(p.rewritten, false)
  t.equal(p.files[0]!.stats, add.stats)
})
