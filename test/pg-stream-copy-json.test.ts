// JSON and NDJSON transcoded straight from COPY's bytes (workers/pg/copy-json.ts) must be
// byte-identical to decoding the rows into Batches and encoding those (the path every other
// format and the cursor take): every type, its edge values and nulls, any chunking of the
// COPY bytes, non-canonical text that must go the slow way, invalid UTF-8, the same errors
// after the same batches; then through the worker (COPY vs cursor, message by message).
import t, { type Test } from 'tap'
import type { Batch } from '../proto/batch.js'
import type { ColumnMeta } from '../proto/types.js'
import type { ScanToMain } from '../proto/scan.js'
import { openConnection } from '../proto/pg-session.js'
import { createEncoder } from '../workers/kernels/encode.js'
import { CopyTextParser } from '../workers/pg/copy-text.js'
import { CopyJsonWriter, copyJsonSupported } from '../workers/pg/copy-json.js'
import { decodeColumns, type DecodeField } from '../workers/pg/decode.js'
import { beginReadOnly, copyChunks } from '../workers/pg/source.js'
import { pgTestDatabase } from './helpers/pg.js'
import { meta, pgConnectionOf, scanAll } from './helpers/pg-worker.js'

type Format = 'ndjson' | 'json'
const FRAMING = { ndjson: { first: '', before: '', after: '\n' }, json: { first: '', before: ',', after: '' } }

interface Outcome { bytes: string; error: string | null }

const fieldsOf = (cols: ColumnMeta[]): DecodeField[] => cols.map((c) => ({ name: c.name, type: c.logical, precision: c.precision, scale: c.scale }))
const errorText = (err: unknown): string => { const e = err as { code?: string; message?: string }; return `${e.code}: ${e.message}` }

/** The Batch path over COPY bytes, as workers/pg/source.ts + pg-scan.ts run it: parse, decode per batch, encode. */
function viaBatches(chunks: Buffer[], cols: ColumnMeta[], format: Format, batchRows: number): Outcome {
  const enc = createEncoder(format, cols)
  const fields = fieldsOf(cols)
  const parser = new CopyTextParser(fields.length, batchRows)
  const out: Buffer[] = []
  const take = () => { for (let c; (c = parser.takeBatch());) out.push(Buffer.from(enc.batch(decodeColumns(fields, c.columns, c.length) as Batch))) }
  try {
    for (const ch of chunks) { parser.push(ch); take() }
    parser.end()
    take()
  } catch (err) {
    return { bytes: Buffer.concat(out).toString('latin1'), error: errorText(err) }
  }
  return { bytes: Buffer.concat(out).toString('latin1'), error: null }
}

/** The transcoder over the same bytes. */
function viaTranscoder(chunks: Buffer[], cols: ColumnMeta[], format: Format, batchRows: number): Outcome & { batches: number } {
  const w = new CopyJsonWriter(fieldsOf(cols), FRAMING[format], batchRows)
  const out: Buffer[] = []
  const take = () => { for (let b; (b = w.takeBatch());) out.push(Buffer.from(b)) }
  try {
    for (const ch of chunks) { w.push(ch); take() }
    w.end()
    take()
  } catch (err) {
    return { bytes: Buffer.concat(out).toString('latin1'), error: errorText(err), batches: out.length }
  }
  return { bytes: Buffer.concat(out).toString('latin1'), error: null, batches: out.length }
}

/** `bytes` cut at the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = []
  let from = 0
  for (const c of [...at.filter((x) => x > 0 && x < bytes.length).sort((a, b) => a - b), bytes.length]) { out.push(bytes.subarray(from, c)); from = c }
  return out
}

/** Deterministic pseudo-random numbers (a test that fails must fail again). */
function rng(seed: number): () => number {
  let s = seed >>> 0
  return () => { s = (s + 0x6d2b79f5) >>> 0; let x = Math.imul(s ^ (s >>> 15), 1 | s); x ^= x + Math.imul(x ^ (x >>> 7), 61 | x); return ((x ^ (x >>> 14)) >>> 0) / 4294967296 }
}

/** Both paths agree on `bytes`, whole and cut in `cuts` ways (and one byte at a time when short). */
function agree(t: Test, bytes: Buffer, cols: ColumnMeta[], label: string, cuts = 20, batchRows = 3): void {
  const rand = rng(bytes.length)
  for (const format of ['ndjson', 'json'] as Format[]) {
    const expected = viaBatches([bytes], cols, format, batchRows)
    const ways: Buffer[][] = [[bytes]]
    for (let k = 0; k < cuts; k++) ways.push(cut(bytes, Array.from({ length: 1 + Math.floor(rand() * 6) }, () => Math.floor(rand() * bytes.length))))
    if (bytes.length < 4000) ways.push(cut(bytes, Array.from({ length: bytes.length }, (_, i) => i)))
    let bad = 0
    for (const chunks of ways) {
      const got = viaTranscoder(chunks, cols, format, batchRows)
      const old = viaBatches(chunks, cols, format, batchRows)
      if (got.bytes !== expected.bytes || got.error !== expected.error || old.bytes !== expected.bytes) {
        if (bad++ === 0) {
          t.equal(got.error, expected.error, `${label} ${format}: same error (${chunks.length} chunks)`)
          t.equal(old.bytes, expected.bytes, `${label} ${format}: the Batch path does not depend on chunking`)
          const [a, b] = [got.bytes, expected.bytes].map((x) => Buffer.from(x, 'latin1').toString().split(/(?<=\n)|(?<=\},)/))
          const i = a.findIndex((row, k) => row !== b[k])
          t.equal(a[i] ?? `(${a.length} rows)`, b[i] ?? `(${b.length} rows)`, `${label} ${format}: the first differing row (${chunks.length} chunks)`)
        }
      }
    }
    t.equal(bad, 0, `${label} ${format}: identical in ${ways.length} chunkings${expected.error ? ` (error: ${expected.error})` : ''}`)
  }
}

async function copyBytes(db: Awaited<ReturnType<typeof pgTestDatabase>>, sql: string): Promise<Buffer> {
  const client = await openConnection(pgConnectionOf(db))
  try {
    await beginReadOnly(client)
    const out: Buffer[] = []
    for await (const ch of copyChunks(client, `COPY (${sql}) TO STDOUT`)) out.push(ch)
    return Buffer.concat(out)
  } finally {
    await client.end()
  }
}

const EDGE_COLUMNS: ColumnMeta[] = [
  meta('id', 'int32'), meta('i2', 'int16'), meta('i4', 'int32'), meta('i8', 'int64'), meta('f8', 'float64'),
  meta('n', 'decimal', { precision: 12, scale: 2 }), meta('n0', 'decimal', { precision: 10, scale: 0 }),
  meta('nu', 'decimal', { precision: 38, scale: 9 }), meta('b', 'boolean'), meta('d', 'date'), meta('ts', 'timestamp'),
  meta('tsl', 'timestamp'), meta('tm', 'time'), meta('s', 'string'), meta('j', 'json'), meta('weird "key"\\é', 'string'),
]
const EDGE_SELECT = `SELECT id, i2, i4, i8, f8, n, n0, round(nu, 9), b, d, ts, (tsl AT TIME ZONE 'UTC'), tm, s, (j)::text, s AS "weird ""key""\\é" FROM edge ORDER BY id`

t.test('every type, edge values and nulls: identical bytes, any chunking', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE edge (id int4, i2 int2, i4 int4, i8 int8, f8 float8, n numeric(12,2), n0 numeric(10,0), nu numeric,
    b bool, d date, ts timestamptz, tsl timestamp, tm time, s text, j jsonb)`)
  const ints = [[0, 0, '0'], [-32768, -2147483648, '-9223372036854775808'], [32767, 2147483647, '9223372036854775807'], [-1, -1, '-1'],
    [7, 1000000000, '999999999999999999'], [10, -999999999, '-1000000000000000000'], [null, null, null]]
  const floats = ['0', '-0', 'NaN', 'Infinity', '-Infinity', '1e15', '1e16', '999999999999999', '123456789012345.6', '1e-4', '1e-5', '0.000001',
    '1.5e-7', '5e-324', '1.7976931348623157e308', '0.1', '-2.5', '100', '1e21', '1e22', '9007199254740993', '0.30000000000000004', null]
  const decimals = [['0', '0', '1.5'], ['-0.5', '-9999999999', '0.0000000001'], ['1234567890.12', '42', '123456789.1234567891234'],
    ['-1234567890.12', '1', '-0.0000000005'], ['0.01', null, '0.0000000005'], [null, '0', null], ['7.1', '3', '10']]
  const dates = ['2024-02-29', '0001-01-01', '4713-01-01 BC', '5874897-12-31', '1999-12-31', '2000-02-29', '1970-01-01', null]
  const stamps = ['2024-03-01 10:00:00+00', '2024-03-01 10:00:00.5+00', '2024-03-01 10:00:00.123456+00', '1900-01-01 00:00:00+00',
    '0001-01-01 00:00:00+00', '4713-01-01 00:00:00+00 BC', '200000-01-01 00:00:00+00', '1969-12-31 23:59:59.999999+00', '2024-03-01 10:00:00+05:30', null]
  const times = ['00:00:00', '23:59:59.999999', '24:00:00', '12:34:56.5', '01:02:03.000001', null]
  const strings = ['', 'plain', 'quote"back\\slash', 'tab\there', 'nl\nline', 'cr\rx', '\x01\x1f\x7f\x08\x0c\x0b', 'é😀ü ж 中文', '\u2028\u2029',
    '\\N', 'null', 'a\\\\N', '\\', '"', 'ends with backslash\\', null]
  const jsons = ['{"a":[1,2,{"b":"c\\"d"}]}', '"str"', 'null', '[]', '{"é":"\\u0001"}', null]
  const n = 60
  for (let i = 0; i < n; i++) {
    const [i2, i4, i8] = ints[i % ints.length]!
    const [dn, dn0, dnu] = decimals[i % decimals.length]!
    await db.query('INSERT INTO edge VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15)', [
      i, i2, i4, i8, floats[i % floats.length], dn, dn0, dnu, i % 5 === 4 ? null : i % 2 === 0, dates[i % dates.length],
      stamps[i % stamps.length], stamps[(i + 3) % stamps.length]?.replace(/[+-]\d\d(:\d\d)?( BC)?$/, '$2') ?? null,
      times[i % times.length], strings[i % strings.length], jsons[i % jsons.length],
    ])
  }
  await db.query('INSERT INTO edge (id) VALUES (1000)') // every column null
  const bytes = await copyBytes(db, EDGE_SELECT)
  t.ok(copyJsonSupported(fieldsOf(EDGE_COLUMNS)), 'every edge column is transcoded')
  agree(t, bytes, EDGE_COLUMNS, 'edge table', 30, 4)
  agree(t, bytes, EDGE_COLUMNS, 'edge table, batches of 1000', 5, 1000)
  const rows = viaTranscoder([bytes], EDGE_COLUMNS, 'ndjson', 1000).bytes
  t.equal(rows.split('\n').filter(Boolean).length, n + 1, 'every row written')
  t.match(Buffer.from(rows, 'latin1').toString(), /"ts":"2024-03-01T10:00:00\.123456Z"/, 'timestamps in the wire form')
})

t.test('random float8 values: PostgreSQL text vs String() of the decoded double', async (t) => {
  const db = await pgTestDatabase(t)
  const rand = rng(42)
  const f64 = new Float64Array(1)
  const u32 = new Uint32Array(f64.buffer)
  const values: string[] = []
  for (let i = 0; i < 60_000; i++) {
    if (i % 3 === 0) { u32[0] = (rand() * 2 ** 32) >>> 0; u32[1] = (rand() * 2 ** 32) >>> 0; values.push(String(f64[0])) } // any bit pattern
    else if (i % 3 === 1) values.push(String((rand() - 0.5) * 10 ** Math.floor(rand() * 44 - 22)))
    else values.push((Math.round(rand() * 1e8) / 10 ** Math.floor(rand() * 8)).toString())
  }
  await db.query('CREATE TABLE f (id int4, v float8)')
  await db.query('INSERT INTO f SELECT i, v::float8 FROM unnest($1::text[]) WITH ORDINALITY AS u(v, i)', [values])
  const bytes = await copyBytes(db, 'SELECT id, v FROM f ORDER BY id')
  agree(t, bytes, [meta('id', 'int32'), meta('v', 'float64')], `${values.length} doubles`, 2, 1000)
})

t.test('text PostgreSQL does not write (non-canonical forms) still agrees, errors included', async (t) => {
  const cases: [ColumnMeta, string[]][] = [
    [meta('v', 'int32'), ['007', '-0', '+5', '', '1e3', '2147483648', '-2147483648', '9999999999', '12a', '-', '0', '-12']],
    [meta('v', 'int16'), ['32768', '-32769', '123456789', '1234567890']],
    [meta('v', 'int64'), ['9223372036854775808', '-9223372036854775809', '0000000000000000001', '123456789012345678', '1234567890123456789']],
    [meta('v', 'float64'), ['1e5', '00.5', '0.50', '-0', '-0.0', '.5', '5.', '0.0000001', '0.0000012', '0.000001', '1234567890123456', '12345678901234567890',
      '1E5', 'nan', 'inf', '-Infinity', 'Infinity', 'NaN', '0.1000000000000000055511151231257827', '', 'x', '--1']],
    [meta('v', 'decimal', { precision: 5, scale: 2 }), ['1.5', '1.555', '1.554', '-1.555', '123.45', '1234.5', '001.00', '.50', '5.', 'NaN', 'Infinity', '-Infinity', '1e3', '']],
    [meta('v', 'decimal', { precision: 3, scale: 0 }), ['5', '5.0', '5.5', '999', '1000', '-0', '-']],
    [meta('v', 'boolean'), ['t', 'f', 'true', 'x', '']],
    [meta('v', 'date'), ['2023-02-29', '2024-02-29', '2024-13-01', '2024-00-10', '2024-04-31', '2024-1-01', '12345-01-01', '0000-01-01', '0044-03-15 BC', 'infinity', '-infinity', '2024-01-01x']],
    [meta('v', 'timestamp'), ['2024-01-01 00:00:00', '2024-01-01 00:00:00+00', '2024-01-01 00:00:00+05:30', '2024-01-01 00:00:00-08', '2024-01-01 00:00:00+00:00:30',
      '2024-01-01 24:00:00+00', '2024-01-01 23:59:60+00', '2024-01-01 00:00:00.1234567+00', '2024-01-01 00:00:00.+00', '2024-01-01T00:00:00+00',
      '2024-02-30 00:00:00+00', '294277-01-01 00:00:00+00', 'infinity', '2024-01-01 00:00+00', '2024-01-01 00:00:00+0']],
    [meta('v', 'time'), ['24:00:00', '23:59:60', '12:00:00.1234567', '12:00', '12:00:00.', '7:00:00', '25:00:00']],
    [meta('v', 'string'), ['\\101\\x41\\7', '\\q', '\\x', 'a\\', '\\\\x41']],
    [meta('v', 'json'), ['{"a":"\\t"}']],
  ]
  for (const [col, values] of cases) {
    for (const v of values) {
      // each value alone (its own outcome), between good rows of the same column
      const text = Buffer.from(`1\t\\N\n2\t${v}\n3\t\\N\n`, 'utf8')
      agree(t, text, [meta('id', 'int32'), col], `${col.type} ${JSON.stringify(v)}`, 3, 1)
    }
  }
})

t.test('invalid UTF-8 (a SQL_ASCII database) reads as the Batch path reads it', async (t) => {
  const text = Buffer.concat([Buffer.from('1\ta'), Buffer.from([0xff, 0xc3]), Buffer.from('b\n2\t'), Buffer.from([0xe2, 0x82]), Buffer.from('\n3\tok\n')])
  agree(t, text, [meta('id', 'int32'), meta('s', 'string')], 'invalid UTF-8', 20, 2)
})

t.test('rows with the wrong number of fields, a cut last row; what is not transcoded', async (t) => {
  const cols = [meta('a', 'int32'), meta('b', 'string')]
  for (const text of ['1\tx\n2\n', '1\tx\n2\ty\tz\n', '1\tx\n2\ty']) {
    const got = viaTranscoder([Buffer.from(text)], cols, 'ndjson', 1)
    const old = viaBatches([Buffer.from(text)], cols, 'ndjson', 1)
    t.equal(got.error, old.error, `${JSON.stringify(text)}: ${old.error}`)
    t.ok(got.error, 'is an error')
  }
  t.notOk(copyJsonSupported([]), 'no columns: the Batch path')
  t.notOk(copyJsonSupported(fieldsOf([meta('a', 'int32'), meta('f', 'float32')])), 'float32: the Batch path')
  t.notOk(copyJsonSupported(fieldsOf([meta('a', 'binary')])), 'binary: the Batch path')
})

t.test('batches: batchRows rows each; very wide rows are cut at the byte cap', async (t) => {
  const text = Buffer.from(Array.from({ length: 10 }, (_, i) => `${i}\t${'x'.repeat(100)}\n`).join(''))
  const cols = [meta('a', 'int32'), meta('b', 'string')]
  t.equal(viaTranscoder([text], cols, 'ndjson', 3).batches, 4, '10 rows in batches of 3')
  const w = new CopyJsonWriter(fieldsOf(cols), FRAMING.ndjson, 1000, 200) // rows of 115 bytes
  w.push(text)
  w.end()
  const sizes: number[] = []
  for (let b; (b = w.takeBatch());) sizes.push(b.length)
  t.same(sizes, [230, 230, 230, 230, 230], 'cut after the row that reaches a 200-byte cap')
})

t.test('through the worker: COPY (transcoded) and cursor (Batch path) send the same messages', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE edge (id int4, i2 int2, i4 int4, i8 int8, f8 float8, n numeric(12,2), n0 numeric(10,0), nu numeric,
    b bool, d date, ts timestamptz, tsl timestamp, tm time, s text, j jsonb)`)
  await db.query(`INSERT INTO edge SELECT g, (g % 100)::int2, g * 1000, g::int8 * 1000000007, g / 7.0, g / 100.0, g, g / 3.0, g % 3 = 0,
    date '2024-01-01' + g, timestamptz '2024-01-01 00:00:00+00' + g * interval '1.001 second', timestamp '2024-01-01' + g * interval '1 minute',
    time '00:00:00' + g * interval '1 second', 'name-' || g || E'\\t"é"', jsonb_build_object('g', g)
    FROM generate_series(1, 2500) g`)
  await db.query('INSERT INTO edge (id) VALUES (0)')
  const conn = pgConnectionOf(db)
  for (const format of ['ndjson', 'json'] as Format[]) {
    const run = (source: 'copy' | 'cursor') => scanAll({ connection: conn, sql: EDGE_SELECT, params: [], columns: EDGE_COLUMNS, format, batchRows: 700, source })
    const [copy, cursor] = [await run('copy'), await run('cursor')]
    const shape = (ms: ScanToMain[]) => ms.map((m) => m.type === 'chunk' ? Buffer.from(m.bytes).toString('base64') : JSON.stringify(m))
    t.equal(copy.length, 6, `${format}: 4 batches + end + done`)
    t.same(shape(copy), shape(cursor), `${format}: identical messages`)
  }
  // an error mid-stream: the same batches, then the same error
  const bad = `SELECT id, CASE WHEN id = 1500 THEN 'NaN'::numeric ELSE nu END FROM edge ORDER BY id`
  const cols = [meta('id', 'int32'), meta('nu', 'decimal', { precision: 38, scale: 9 })]
  const run = (source: 'copy' | 'cursor') => scanAll({ connection: conn, sql: bad, params: [], columns: cols, format: 'ndjson', batchRows: 500, source })
  const [copy, cursor] = [await run('copy'), await run('cursor')]
  t.same(copy.map((m) => m.type), ['chunk', 'chunk', 'chunk', 'error'], 'three batches, then the error')
  t.same(copy.map((m) => m.type === 'chunk' ? Buffer.from(m.bytes).toString() : JSON.stringify(m)),
    cursor.map((m) => m.type === 'chunk' ? Buffer.from(m.bytes).toString() : JSON.stringify(m)), 'the same as the Batch path')
})
