import t from 'tap'
import { tableFromIPC, Type } from 'apache-arrow'
import { createEncoder } from '../workers/kernels/encode.js'
import type { Batch } from '../proto/batch.js'
import type { ColumnMeta, Field } from '../proto/types.js'
import { typeName } from '../proto/types.js'
import { ALL_FIELDS, cellsOf, makeColumn, randomBatch } from './helpers/kernels.js'

const META: ColumnMeta[] = ALL_FIELDS.map((f, i) => ({ name: f.name, type: typeName(f), masked: i === 1, logical: f.type, precision: f.precision, scale: f.scale }))

function sample(n: number, seed: number): Batch {
  const b = randomBatch(ALL_FIELDS, n, seed)
  // keep dates within years 0001..9999 so Date#toISOString can be the reference
  const d = b.columns.find((c) => c.name === 'd')!
  d.values = Int32Array.from(d.values as Int32Array, (v) => (Math.abs(v) % 2_000_000) - 700_000)
  return b
}

const concat = (parts: Uint8Array[]) => Buffer.concat(parts.map((p) => Buffer.from(p)))
const DAY_MS = 86_400_000

/** Reference text for one cell, built with Date/Buffer/Math.fround rather than the kernel. */
function refText(type: Field['type'], v: unknown): string {
  switch (type) {
    case 'string': case 'json': case 'decimal': return v as string
    case 'int16': case 'int32': case 'int64': return String(v)
    case 'float64': return String(v)
    case 'float32': {
      const x = v as number
      if (!Number.isFinite(x)) return String(x)
      for (let p = 1; p <= 9; p++) if (Math.fround(Number(x.toPrecision(p))) === x) return String(Number(x.toPrecision(p)))
      return String(x)
    }
    case 'boolean': return v ? 'true' : 'false'
    case 'date': return new Date((v as number) * DAY_MS).toISOString().slice(0, 10)
    case 'timestamp': {
      const us = v as bigint
      const ms = us >= 0n ? us / 1000n : -((-us + 999n) / 1000n)
      const rem = us - ms * 1000n
      return new Date(Number(ms)).toISOString().replace('Z', String(rem).padStart(3, '0') + 'Z')
    }
    case 'time': {
      const us = Number(v as bigint)
      return new Date(Math.floor(us / 1000)).toISOString().slice(11, 23) + String(us % 1000).padStart(3, '0')
    }
    case 'binary': return Buffer.from(v as number[]).toString('base64')
  }
}

/** Expected JSON value of a cell. */
function refJson(type: Field['type'], v: unknown): unknown {
  if (v === null) return null
  if (type === 'float32' || type === 'float64') return Number.isFinite(v as number) ? Number(refText(type, v)) : String(v)
  if (type === 'int16' || type === 'int32') return v
  if (type === 'int64') return Number(v) // exact digits are checked on the raw text
  if (type === 'boolean') return v === 1
  return refText(type, v)
}

function expectedRows(b: Batch) {
  const cols = b.columns.map((c) => cellsOf(c, b.length))
  return Array.from({ length: b.length }, (_, i) => Object.fromEntries(ALL_FIELDS.map((f, k) => [f.name, refJson(f.type, cols[k]![i])])))
}

function int64Digits(b: Batch): string[] {
  return cellsOf(b.columns.find((c) => c.name === 'i64')!, b.length).map((v) => (v === null ? 'null' : String(v)))
}

t.test('JSON body parses back, with exact int64 digits and comma handling across batches', async (t) => {
  const batches = [sample(40, 1), sample(0, 2), sample(1, 3), sample(25, 4)]
  const enc = createEncoder('json', META)
  const rowCount = batches.reduce((s, b) => s + b.length, 0)
  const text = concat([enc.start(), ...batches.map((b) => enc.batch(b)), enc.end(rowCount)]).toString('utf8')
  t.ok(text.startsWith('{"columns":[{"name":"s","type":"string","masked":false},{"name":"j","type":"json","masked":true}'))
  const body = JSON.parse(text)
  t.same(body.columns, META.map((m) => ({ name: m.name, type: m.type, masked: m.masked })))
  t.equal(body.row_count, rowCount)
  t.same(body.rows, batches.flatMap(expectedRows))
  t.same([...text.matchAll(/"i64":(-?\d+|null)/g)].map((m) => m[1]), batches.flatMap(int64Digits))
  t.same(Object.keys(body), ['columns', 'rows', 'row_count'])
  // the decimal type name carries precision and scale
  t.equal(body.columns.find((c: { name: string }) => c.name === 'dec').type, 'decimal(38,3)')
})

t.test('JSON with no rows and with an error tail', async (t) => {
  const enc = createEncoder('json', META.slice(0, 2))
  t.same(JSON.parse(concat([enc.start(), enc.end(0)]).toString()), { columns: META.slice(0, 2).map(({ name, type, masked }) => ({ name, type, masked })), rows: [], row_count: 0 })
  const enc2 = createEncoder('json', META)
  const b = sample(3, 9)
  const failed = JSON.parse(concat([enc2.start(), enc2.batch(b), enc2.errorTail('query_timeout', 'query "x" timed out')!]).toString())
  t.equal(failed.rows.length, 3)
  t.same(failed.error, { error: 'query_timeout', message: 'query "x" timed out' })
  t.notOk('row_count' in failed)
})

t.test('NDJSON: a columns line, one object per line, an error line', async (t) => {
  const batches = [sample(30, 5), sample(12, 6)]
  const enc = createEncoder('ndjson', META)
  const text = concat([enc.start(), ...batches.map((b) => enc.batch(b)), enc.errorTail('internal', 'internal error')!]).toString()
  t.ok(text.endsWith('\n'))
  const lines = text.slice(0, -1).split('\n')
  t.same(JSON.parse(lines[0]!), { columns: META.map(({ name, type, masked }) => ({ name, type, masked })) })
  t.same(lines.slice(1, -1).map((l) => JSON.parse(l)), batches.flatMap(expectedRows))
  t.same(JSON.parse(lines[lines.length - 1]!), { error: { error: 'internal', message: 'internal error' } })
  const ok = createEncoder('ndjson', META)
  t.equal(ok.end(0).byteLength, 0)
})

/** RFC 4180 parser: returns rows of fields; a quoted field is a string, an unquoted empty one is null. */
function parseCsv(text: string): Array<Array<string | null>> {
  const rows: Array<Array<string | null>> = []
  let row: Array<string | null> = []
  let i = 0
  for (;;) {
    let field: string | null
    if (text[i] === '"') {
      let s = ''
      i++
      for (;;) {
        const q = text.indexOf('"', i)
        if (q < 0) throw new Error('unterminated quote')
        s += text.slice(i, q)
        if (text[q + 1] === '"') { s += '"'; i = q + 2 } else { i = q + 1; break }
      }
      field = s
    } else {
      let j = i
      while (j < text.length && text[j] !== ',' && text[j] !== '\r') j++
      field = j === i ? null : text.slice(i, j)
      i = j
    }
    row.push(field)
    if (text[i] === ',') { i++; continue }
    if (text.startsWith('\r\n', i)) { rows.push(row); row = []; i += 2; if (i === text.length) return rows; continue }
    throw new Error(`bad CSV at ${i}: ${JSON.stringify(text.slice(i, i + 10))}`)
  }
}

t.test('CSV: header, RFC 4180 quoting, CRLF, null vs empty string', async (t) => {
  const batches = [sample(50, 7), sample(20, 8)]
  const enc = createEncoder('csv', META)
  const text = concat([enc.start(), ...batches.map((b) => enc.batch(b)), enc.end(70)]).toString()
  t.notOk(/[^\r]\n/.test(text.replace(/"(?:[^"]|"")*"/g, '')), 'every line break outside quotes is CRLF')
  const rows = parseCsv(text)
  t.same(rows[0], META.map((m) => m.name))
  const want = batches.flatMap((b) => {
    const cols = b.columns.map((c) => cellsOf(c, b.length))
    return Array.from({ length: b.length }, (_, i) => ALL_FIELDS.map((f, k) => (cols[k]![i] === null ? null : refText(f.type, cols[k]![i]))))
  })
  t.same(rows.slice(1), want)
  t.equal(enc.errorTail('x', 'y'), null)
  // the empty string is "" and a header name with a comma is quoted
  const e = createEncoder('csv', [{ name: 'a,b', type: 'string', masked: false, logical: 'string' }, { name: 'n', type: 'int32', masked: false, logical: 'int32' }])
  const small = { length: 2, columns: [makeColumn({ name: 'a,b', type: 'string', nullable: true }, ['', null]), makeColumn({ name: 'n', type: 'int32', nullable: true }, [null, 7])] }
  t.equal(concat([e.start(), e.batch(small)]).toString(), '"a,b",n\r\n"",\r\n,7\r\n')
})

t.test('value edge cases in JSON', async (t) => {
  const fields: Field[] = [
    { name: 'd', type: 'date', nullable: true }, { name: 'ts', type: 'timestamp', nullable: true },
    { name: 'f32', type: 'float32', nullable: true }, { name: 'f64', type: 'float64', nullable: true },
    { name: 't', type: 'time', nullable: true }, { name: 's', type: 'string', nullable: true },
  ]
  const meta = fields.map((f) => ({ name: f.name, type: f.type, masked: false, logical: f.type }))
  const b: Batch = {
    length: 4,
    columns: [
      makeColumn(fields[0]!, [-719162, -1, 0, -354285]),
      makeColumn(fields[1]!, [-1n, -62135596800000000n, 1709287200000000n, -30610224000000001n]),
      makeColumn(fields[2]!, [Math.fround(0.1), Math.fround(3.4028234663852886e38), NaN, -Infinity]),
      makeColumn(fields[3]!, [Infinity, 0.1 + 0.2, 5e-324, -0]),
      makeColumn(fields[4]!, [0n, 86_399_999_999n, 1n, 45_296_000_007n]),
      makeColumn(fields[5]!, ['\ud800', 'quote " and \\ and \n', '\u2028', '😀']),
    ],
  }
  const enc = createEncoder('ndjson', meta)
  const lines = concat([enc.batch(b)]).toString().trim().split('\n')
  t.same(lines.map((l) => JSON.parse(l)), [
    { d: '0001-01-01', ts: '1969-12-31T23:59:59.999999Z', f32: 0.1, f64: 'Infinity', t: '00:00:00.000000', s: '\ud800' },
    { d: '1969-12-31', ts: '0001-01-01T00:00:00.000000Z', f32: 3.4028235e38, f64: 0.30000000000000004, t: '23:59:59.999999', s: 'quote " and \\ and \n' },
    { d: '1970-01-01', ts: '2024-03-01T10:00:00.000000Z', f32: 'NaN', f64: 5e-324, t: '00:00:00.000001', s: '\u2028' },
    { d: '1000-01-01', ts: '0999-12-31T23:59:59.999999Z', f32: '-Infinity', f64: 0, t: '12:34:56.000007', s: '😀' },
  ])
  t.match(lines[0], /"f32":0\.1,/)
  t.match(lines[0], /"s":"\\ud800"/, 'lone surrogates are escaped, so the bytes are valid UTF-8')
  t.match(lines[3], /"f64":0\}|"f64":0,/)
})

t.test('Arrow IPC stream decodes with types and field metadata', async (t) => {
  const batches = [sample(40, 11), sample(0, 12), sample(17, 13)]
  const enc = createEncoder('arrow', META)
  const bytes = concat([enc.start(), ...batches.map((b) => enc.batch(b)), enc.end(57)])
  const table = tableFromIPC(bytes)
  t.equal(table.numRows, 57)
  t.same(table.schema.fields.map((f) => [f.name, f.metadata.get('sluice.type'), f.metadata.get('sluice.masked')]), META.map((m) => [m.name, m.type, String(m.masked)]))
  const ty = (name: string) => table.schema.fields.find((f) => f.name === name)!.type
  t.equal(ty('s').typeId, Type.Utf8)
  t.equal(ty('i64').typeId, Type.Int)
  t.equal(String(ty('ts')), 'Timestamp<MICROSECOND, UTC>')
  t.equal(String(ty('t')), 'Time64<MICROSECOND>')
  t.equal(String(ty('d')), 'Date32<DAY>')
  t.equal(String(ty('dec')), 'Decimal[38e+3]')
  // values, checked with apache-arrow's own accessors
  const all = batches.flatMap((b) => { const c = b.columns.map((x) => cellsOf(x, b.length)); return Array.from({ length: b.length }, (_, i) => c.map((col) => col[i])) })
  for (const [k, f] of ALL_FIELDS.entries()) {
    if (f.type === 'decimal') continue
    const v = table.getChild(f.name)!
    // get() turns dates and timestamps into milliseconds: read their raw storage instead
    const raw = ['date', 'timestamp', 'time'].includes(f.type) ? v.data.flatMap((d) => [...(d.values as Int32Array).subarray(0, d.length)]) : null
    const got = Array.from({ length: v.length }, (_, i) => {
      const x = v.get(i)
      if (x === null) return null
      if (raw) return raw[i]
      if (f.type === 'boolean') return x ? 1 : 0
      if (f.type === 'binary') return [...(x as Uint8Array)]
      return x
    })
    t.same(got, all.map((r) => r[k]), f.name)
  }
  // zero rows: schema then end of stream
  const empty = createEncoder('arrow', META)
  const t0 = tableFromIPC(concat([empty.start(), empty.end(0)]))
  t.equal(t0.numRows, 0)
  t.same(t0.schema.fields.map((f) => f.name), META.map((m) => m.name))
  t.equal(enc.errorTail('x', 'y'), null)
})
