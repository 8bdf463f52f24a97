/**
 * Profile and column stats against DuckDB: Parquet files written by Sluice (several files, one
 * empty, nulls, skew, unicode incl. emoji and '', int64 at ±2^63, decimals beyond 2^53 unscaled,
 * floats, NaN, dates, timestamps, booleans, a partition column) are profiled by the two worker
 * tasks in-process, split into two partials so merging is exercised, and compared with DuckDB
 * over the same files: counts, distinct counts (exact, and within 2 % once an HLL), min, max,
 * avg, stddev_samp, quantile_cont, string lengths, empty strings, top values, histogram totals;
 * and, on 1.1M values, approximate quantiles within 1 % rank error checked by rank in DuckDB.
 *
 * NaN (column fnan): DuckDB orders NaN above every number (max = NaN), counts it as one
 * distinct value, and avg/quantile_cont give NaN when they touch it; we do the same and write
 * "NaN" (API.md float encoding). DuckDB's stddev_samp raises "out of range" on NaN; we answer
 * "NaN" instead of failing the whole profile.
 */
import t from 'tap'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { DuckDBInstance, type DuckDBConnection } from '@duckdb/node-api'
import type { Batch } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import type { ColumnProfile, ProfileFinishResult, ProfilePartial } from '../proto/profile.js'
import type { ScanFile } from '../proto/scan.js'
import type { TaskResult } from '../proto/errors.js'
import { buildColumn, type Cell } from '../workers/kernels/column.js'
import { unscaledToDecimal } from '../workers/kernels/decimal.js'
import { formatTimestamp } from '../workers/kernels/text.js'
import { writeParquetFile } from '../workers/ingest/parquet-write.js'
import profileScan from '../workers/profile-scan.js'
import profileFinish from '../workers/profile-finish.js'
import { rng } from './helpers/kernels.js'

const dir = mkdtempSync(join(tmpdir(), 'sluice-profile-'))
t.teardown(() => rmSync(dir, { recursive: true, force: true }))

const FIELDS: Field[] = [
  { name: 'id', type: 'int64', nullable: false },
  { name: 'i64', type: 'int64', nullable: true },
  { name: 'ext', type: 'int64', nullable: true },
  { name: 'i32', type: 'int32', nullable: true },
  { name: 'f64', type: 'float64', nullable: true },
  { name: 'fnan', type: 'float64', nullable: true },
  { name: 's', type: 'string', nullable: true },
  { name: 'hs', type: 'string', nullable: true },
  { name: 'dec', type: 'decimal', nullable: true, precision: 18, scale: 3 },
  { name: 'd', type: 'date', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'b', type: 'boolean', nullable: true },
]
const REGION: Field = { name: 'region', type: 'string', nullable: true }
const ALL = [...FIELDS, REGION]
const WORDS = ['', 'a', 'B', 'é', '😀', 'zeta', 'Ωmega', '\uE000x', '😀😀', 'naïve café', 'a b']
const EXT = [9223372036854775807n, -9223372036854775808n, 0n, 1n, -1n, 9007199254740992n, 9007199254740993n, -9007199254740993n]

function makeBatch(start: number, n: number, seed: number): Batch {
  const r = rng(seed)
  const cols: Cell[][] = FIELDS.map(() => [])
  const z = (k: number) => Math.min(k - 1, Math.floor(1 / (r() + 1 / k)) - 1) // skewed 0..k-1
  for (let i = 0; i < n; i++) {
    const row = start + i
    const nul = () => r() < 0.08
    const vals: Cell[] = [
      BigInt(row),
      nul() ? null : BigInt(Math.floor(-Math.log(1 - r()) * 1e6)) - 300_000n,
      nul() ? null : EXT[z(EXT.length)]!,
      nul() ? null : z(500),
      nul() ? null : (r() - 0.3) * 1000 * (r() < 0.01 ? 1e6 : 1),
      nul() ? null : r() < 0.01 ? NaN : r() * 100,
      nul() ? null : WORDS[z(WORDS.length)]!,
      nul() ? null : `h${row}-${Math.floor(r() * 1e6).toString(36)}`,
      nul() ? null : unscaledToDecimal(r() < 0.001 ? (r() < 0.5 ? -1n : 1n) * 999_999_999_999_999_999n + BigInt(row % 7) * (r() < 0.5 ? 1n : -1n) * 0n : BigInt(Math.floor((r() - 0.5) * 2e9)), 3),
      nul() ? null : 19_000 + Math.floor(-Math.log(1 - r()) * 150) % 650,
      nul() ? null : BigInt(Date.UTC(2024, 2, 1)) * 1000n + BigInt(Math.floor(r() * 80 * 86_400e6)),
      nul() ? null : r() < 0.7 ? 1 : 0,
    ]
    vals.forEach((v, j) => cols[j]!.push(v))
  }
  return { length: n, columns: FIELDS.map((f, j) => buildColumn(f.name, f.type, cols[j]!, f.precision, f.scale)) }
}

async function withDuck<T>(fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const db = await DuckDBInstance.create(':memory:', { autoinstall_known_extensions: 'false', autoload_known_extensions: 'false' })
  const c = await db.connect()
  try { return await fn(c) } finally { c.closeSync() }
}

async function rows(c: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  return (await c.runAndReadAll(sql)).getRowObjectsJson() as Record<string, unknown>[]
}

/** JSON.parse keeping integers of 16+ digits as strings (exact int64). */
function parseProfiles(json: string): ColumnProfile[] {
  return JSON.parse(json.replace(/([:[,])(-?\d{16,})(?=[,\]}])/g, '$1"$2"')) as ColumnProfile[]
}

async function profile(groups: ScanFile[][], fields: Field[], top = 10): Promise<{ rowCount: number; cols: Map<string, ColumnProfile> }> {
  const partials: ProfilePartial[] = []
  for (const files of groups) {
    const r = await profileScan({ kind: 'profile-scan', files, fields, columns: fields.map((f) => f.name) })
    if (!r.ok) throw new Error(r.message)
    // through structured clone, as between threads
    partials.push(structuredClone(r.value))
  }
  const fin: TaskResult<ProfileFinishResult> = await profileFinish({ kind: 'profile-finish', fields, columns: fields.map((f) => f.name), partials, top })
  if (!fin.ok) throw new Error(fin.message)
  return { rowCount: fin.value.rowCount, cols: new Map(parseProfiles(fin.value.columnsJson).map((c) => [c.name, c])) }
}

const close = (a: number, b: number, rel: number) => Math.abs(a - b) <= rel * Math.max(Math.abs(a), Math.abs(b), 1e-300)

t.test('profile of many files equals DuckDB', async (t) => {
  const files: ScanFile[] = []
  const FILE_ROWS = 40_000
  for (let k = 0; k < 4; k++) {
    const w = await writeParquetFile(dir, k, [makeBatch(k * FILE_ROWS, FILE_ROWS, 100 + k)], { rows: 16_384 })
    files.push({ path: join(dir, w.name), partitionValues: { region: k < 3 ? 'EU' : 'US' } })
  }
  // an empty file with the same schema
  const empty = join(dir, 'empty.parquet')
  await withDuck((c) => c.run(`copy (select * from read_parquet('${files[0]!.path}') limit 0) to '${empty}' (format parquet)`))
  files.splice(1, 0, { path: empty, partitionValues: { region: 'EU' } })
  const paths = `read_parquet([${files.map((f) => `'${f.path}'`).join(',')}])`
  const t0 = performance.now()
  const { rowCount, cols } = await profile([files.slice(0, 3), files.slice(3)], ALL)
  t.comment(`profiled ${4 * FILE_ROWS} rows × ${ALL.length} columns in ${((performance.now() - t0) / 1000).toFixed(2)} s`)
  t.equal(rowCount, 4 * FILE_ROWS)

  await withDuck(async (c) => {
    for (const f of FIELDS) {
      const p = cols.get(f.name)!
      const x = `"${f.name}"`
      const numeric = ['int64', 'int32', 'float64', 'decimal'].includes(f.type)
      const [d] = await rows(c, `select count(*) n, count(${x}) nn, count(distinct ${x}) nd,
        min(${x})::varchar mn, max(${x})::varchar mx,
        ${f.type === 'timestamp' ? `epoch_us(min(${x})) mnu, epoch_us(max(${x})) mxu,` : ''}
        ${numeric ? `avg(${x}::double) avg, ${f.name === 'fnan' ? 'null' : `stddev_samp(${x}::double)`} sd, quantile_cont(${x}::double, [0.25, 0.5, 0.75]) q,` : ''}
        ${f.type === 'string' ? `min(length(${x})) mnl, max(length(${x})) mxl, avg(length(${x})) avl, count(*) filter (${x} = '') empty,` : ''}
        1 from ${paths}`)
      await t.test(f.name, async (t) => {
        t.equal(p.count, Number(d!.n), 'count')
        t.equal(p.null_count, Number(d!.n) - Number(d!.nn), 'null_count')
        const nd = Number(d!.nd)
        if (nd > 100_000) {
          t.ok(p.distinct_approximate, 'distinct from HLL')
          t.ok(Math.abs(p.distinct_count / nd - 1) <= 0.02, `distinct ${p.distinct_count} vs ${nd}`)
        } else {
          t.notOk(p.distinct_approximate)
          t.equal(p.distinct_count, nd, 'distinct exact')
        }
        switch (f.type) {
          case 'float64':
            t.equal(String(p.min), d!.mn === 'nan' ? 'NaN' : String(Number(d!.mn)), 'min')
            t.equal(String(p.max), String(d!.mx).toLowerCase() === 'nan' ? 'NaN' : String(Number(d!.mx)), 'max')
            break
          case 'timestamp':
            t.equal(p.min, formatTimestamp(BigInt(d!.mnu as string)), 'min')
            t.equal(p.max, formatTimestamp(BigInt(d!.mxu as string)), 'max')
            break
          case 'boolean':
            t.equal(p.min, d!.mn === 'true'); t.equal(p.max, d!.mx === 'true')
            break
          default:
            t.equal(String(p.min), d!.mn, 'min')
            t.equal(String(p.max), d!.mx, 'max')
        }
        if (numeric) {
          const q = d!.q as (number | string)[]
          if (f.name === 'fnan') {
            t.equal(p.mean, 'NaN' as unknown as number, 'avg NaN as in DuckDB')
            t.equal(p.stddev, 'NaN' as unknown as number, 'stddev NaN (DuckDB raises out of range)')
            t.same([p.p25, p.p50, p.p75], q, 'quantile_cont, NaN last')
          } else {
            const sd = Number(d!.sd)
            t.ok(Math.abs(p.mean! - Number(d!.avg)) <= 1e-9 * Math.max(Math.abs(Number(d!.avg)), sd), `avg ${p.mean} vs ${d!.avg}`)
            t.ok(close(p.stddev!, sd, 1e-9), `stddev ${p.stddev} vs ${sd}`)
            const exact = f.type !== 'decimal' && f.name !== 'ext' ? 0 : 1e-12
            ;[p.p25, p.p50, p.p75].forEach((v, i) => t.ok(close(v!, q[i] as number, exact), `p${[25, 50, 75][i]} ${v} vs ${q[i]}`))
            t.equal(p.quantiles_approximate, false)
          }
        }
        if (f.type === 'string') {
          t.equal(p.min_length, Number(d!.mnl)); t.equal(p.max_length, Number(d!.mxl))
          t.ok(close(p.mean_length!, Number(d!.avl), 1e-12), 'mean length in code points')
          t.equal(p.empty_count, Number(d!.empty))
        }
        if (nd <= 1000 && ['int64', 'int32', 'string', 'boolean', 'decimal', 'float64'].includes(f.type)) {
          const top = await rows(c, `select ${x}::varchar v, count(*) c from ${paths} where ${x} is not null group by ${x} order by c desc, ${x} limit 10`)
          t.same(p.top_values!.map((e) => [String(e.value), e.count]), top.map((r) => [String(r.v), Number(r.c)]), 'top values')
          t.equal(p.top_values_approximate, false)
        } else if (f.type !== 'string') t.notOk(p.top_values, 'no top values past 1,000 distinct')
        if (f.type === 'date' || f.type === 'timestamp') {
          t.equal(p.histogram!.bins.reduce((s, b) => s + b.count, 0), Number(d!.nn), `histogram totals (${p.histogram!.bucket}, ${p.histogram!.bins.length} bins)`)
          t.ok(p.histogram!.bins.length <= 101)
        }
      })
    }
    // the high-cardinality string column keeps a bounded summary: its top values are the
    // most frequent ones (each appears once here), flagged approximate
    t.equal(cols.get('hs')!.top_values_approximate, true)
    const reg = cols.get('region')!
    t.same(reg.top_values, [{ value: 'EU', count: 3 * FILE_ROWS }, { value: 'US', count: FILE_ROWS }], 'partition column')
    t.equal(reg.distinct_count, 2)
  })
})

t.test('quantiles past 1,000,000 values: sketch within 1 % rank error, by DuckDB rank', async (t) => {
  const fields: Field[] = [{ name: 'x', type: 'float64', nullable: true }, { name: 'k', type: 'int64', nullable: true }]
  const files: ScanFile[] = []
  for (let k = 0; k < 2; k++) {
    const r = rng(900 + k)
    const n = 550_000
    const x: Cell[] = [], kk: Cell[] = []
    for (let i = 0; i < n; i++) {
      x.push(r() < 0.02 ? null : -Math.log(1 - r()) * 10)
      kk.push(BigInt(Math.floor(1 / (r() + 1e-6))))
    }
    const w = await writeParquetFile(dir, 10 + k, [{ length: n, columns: [buildColumn('x', 'float64', x), buildColumn('k', 'int64', kk)] }])
    files.push({ path: join(dir, w.name) })
  }
  const { cols } = await profile([[files[0]!], [files[1]!]], fields)
  const paths = `read_parquet([${files.map((f) => `'${f.path}'`).join(',')}])`
  await withDuck(async (c) => {
    for (const name of ['x', 'k']) {
      const p = cols.get(name)!
      t.equal(p.quantiles_approximate, true, `${name}: approximate`)
      const qs = [p.p25!, p.p50!, p.p75!]
      const [d] = await rows(c, `select count(${name}) n, ${qs.map((q, i) => `count(*) filter (${name} < ${q}) lt${i}, count(*) filter (${name} <= ${q}) le${i}`).join(',')} from ${paths}`)
      const n = Number(d!.n)
      ;[0.25, 0.5, 0.75].forEach((q, i) => {
        const lo = Number(d![`lt${i}`]) / n, hi = Number(d![`le${i}`]) / n
        const err = q < lo ? lo - q : q > hi ? q - hi : 0
        t.ok(err <= 0.01, `${name} p${q * 100}=${qs[i]}: ranks [${lo.toFixed(4)}, ${hi.toFixed(4)}], error ${(err * 100).toFixed(3)} %`)
      })
    }
  })
})

t.test('no rows, and columns that are all null', async (t) => {
  const fields: Field[] = [
    { name: 'n', type: 'float64', nullable: true },
    { name: 's', type: 'string', nullable: true },
    { name: 'd', type: 'date', nullable: true },
    { name: 'b', type: 'boolean', nullable: true },
  ]
  const none = await profile([[], []], fields)
  t.equal(none.rowCount, 0)
  t.match(none.cols.get('n'), { count: 0, null_count: 0, null_rate: 0, distinct_count: 0, min: null, max: null, mean: null, stddev: null, p25: null, p50: null, p75: null })
  const n = 1000
  const w = await writeParquetFile(dir, 20, [{ length: n, columns: fields.map((f) => buildColumn(f.name, f.type, new Array<Cell>(n).fill(null))) }])
  const { cols } = await profile([[{ path: join(dir, w.name) }], []], fields)
  t.match(cols.get('n'), { count: n, null_count: n, null_rate: 1, distinct_count: 0, min: null, mean: null, stddev: null, p50: null })
  t.match(cols.get('s'), { min_length: null, max_length: null, mean_length: null, empty_count: 0, top_values: [] })
  t.same(cols.get('b')!.top_values, [])
  t.equal(cols.get('d')!.histogram, undefined, 'no histogram without values')
  // one value: stddev (n − 1) is null, quantiles are the value
  const one = await writeParquetFile(dir, 21, [{ length: 1, columns: fields.map((f) => buildColumn(f.name, f.type, [f.type === 'float64' ? 2.5 : null])) }])
  const single = await profile([[{ path: join(dir, one.name) }]], fields)
  t.match(single.cols.get('n'), { mean: 2.5, stddev: null, p25: 2.5, p50: 2.5, p75: 2.5, top_values: [{ value: 2.5, count: 1 }] })
})

t.test('binary, time, float32 and json columns: wire encodings of min, max and top values', async (t) => {
  const fields: Field[] = [
    { name: 'bin', type: 'binary', nullable: true },
    { name: 'tm', type: 'time', nullable: true },
    { name: 'f32', type: 'float32', nullable: true },
    { name: 'j', type: 'json', nullable: true },
  ]
  const n = 4
  const cells: Cell[][] = [
    [new Uint8Array([0xff]), new Uint8Array([0x00, 0x01]), null, new Uint8Array([0x7f])],
    [3_600_000_000n, 1n, null, 86_399_999_999n],
    [0.1, 0.1, -2.5, null],
    ['{"a":1}', '[1,2]', '"😀"', '[1,2]'],
  ]
  const w = await writeParquetFile(dir, 30, [{ length: n, columns: fields.map((f, i) => buildColumn(f.name, f.type, cells[i]!)) }])
  const { cols } = await profile([[{ path: join(dir, w.name) }]], fields)
  t.match(cols.get('bin'), { min: 'AAE=', max: '/w==', distinct_count: 3, null_count: 1 })
  t.match(cols.get('tm'), { min: '00:00:00.000001', max: '23:59:59.999999' })
  t.match(cols.get('f32'), { min: -2.5, max: 0.1, top_values: [{ value: 0.1, count: 2 }, { value: -2.5, count: 1 }] })
  t.match(cols.get('j'), { min: '"😀"', max: '{"a":1}', min_length: 3, top_values: [{ value: '[1,2]', count: 2 }] })
})
