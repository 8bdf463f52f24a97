// The write pass's byte path (workers/ingest/csv-bytes.ts tokenizer, columns.ts appendBytes with
// the values-bytes.ts fast paths) against the string path it must equal (csv-source.ts
// CsvScanner, columns.ts append over values.ts): random files and random cells, same records,
// same offsets, same values, same errors. The string path is the definition; a difference here
// is a bug in the byte path.
import { deepStrictEqual } from 'node:assert/strict'
import t from 'tap'
import fc from 'fast-check'
import { isUtf8Values, type WriteBatch } from '../proto/batch.js'
import type { Field } from '../proto/types.js'
import { CsvByteScanner, supportsBytes } from '../workers/ingest/csv-bytes.js'
import { CsvScanner, RecordError } from '../workers/ingest/csv-source.js'
import { BatchBuilder } from '../workers/ingest/columns.js'
import { DeltaStats } from '../workers/ingest/stats.js'
import { BOOLEAN, DATE, FLOAT, INT, STRING, TIMESTAMP } from '../workers/ingest/values.js'
import { csvFile } from './helpers/ingest.js'

const READ = 1024 * 1024

interface Scan { records: string[][]; starts: number[]; error: string | null }

async function scanStrings(file: string, delimiter: string, quote: string, end: number): Promise<Scan> {
  const s = new CsvScanner(file, delimiter, 0, quote)
  s.end = end
  const out: Scan = { records: [], starts: [], error: null }
  try {
    await s.run({ onRecord: (f) => { out.records.push(f); out.starts.push(s.recordStart) } })
  } catch (e) { out.error = (e as Error).message }
  return out
}

async function scanBytes(file: string, delimiter: string, quote: string, end: number): Promise<Scan> {
  const s = new CsvByteScanner(file, delimiter, 0, quote)
  s.end = end
  const out: Scan = { records: [], starts: [], error: null }
  try {
    await s.run({
      onRecord: (r) => {
        const buf = Buffer.from(r.buf.buffer, r.buf.byteOffset, r.buf.byteLength)
        const fields: string[] = []
        for (let f = 0; f < s.width || (s.width < 0 && f === 0); f++) fields.push(buf.toString('utf8', r.starts[f], r.ends[f]))
        out.records.push(fields)
        out.starts.push(s.recordStart)
      },
    })
  } catch (e) { out.error = (e as Error).message }
  return out
}

// text rich in what the tokenizer cares about
const DELIMS = [',', ';', '\t', '|']
const piece = (d: string, q: string) => fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('a', 'bc', '12', 'é', '😀', ' ', 'x y') },
  { weight: 4, arbitrary: fc.constantFrom(d, q, q + q, '\n', '\r\n', '\r', d + d) },
  { weight: 1, arbitrary: fc.constantFrom('\n\n', q + d + q, q + '\n' + q, '\xff') },
)

t.test('random files: the byte tokenizer gives the string tokenizer\'s records, offsets and errors', async (t) => {
  await fc.assert(fc.asyncProperty(
    fc.constantFrom(...DELIMS), fc.constantFrom('"', "'"), fc.nat(),
    fc.constantFrom(',', ';').chain((d) => fc.array(piece(d, '"'), { maxLength: 60 })),
    async (delimiter, quote, cut, parts) => {
      // the pieces were drawn for ',' and '"': map them onto this file's dialect
      const text = parts.join('').replaceAll(',', delimiter).replaceAll('"', quote)
      const bytes = Buffer.from(text.replaceAll('\xff', '\u0000'), 'utf8')
      // '\xff' stands for a byte that is not UTF-8
      for (let i = 0; i < bytes.length; i++) if (bytes[i] === 0) bytes[i] = 0xff
      const file = csvFile(t, bytes)
      const end = cut % 3 === 0 ? Infinity : cut % (bytes.length + 1)
      const a = await scanStrings(file, delimiter, quote, end)
      const b = await scanBytes(file, delimiter, quote, end)
      deepStrictEqual(b, a, JSON.stringify({ text, delimiter, quote, end }))
    },
  ), { numRuns: 400 })
  t.pass('400 random files')
})

t.test('read boundaries: a record, a doubled quote, a CRLF or a character cut by the 1 MiB read', async (t) => {
  const tails = ['"a""b",c\n', '"x\ny",z\n', 'p,q\r\n', 'é😀,ü\n', '"",""\n', 'a,b\r', 'unclosed,"x\n']
  for (const tail of tails) {
    for (let shift = 0; shift < tail.length + 2; shift++) {
      // ASCII records up to READ - shift, then the tail (which starts `shift` bytes before the cut)
      const records = Math.floor((READ - shift - 6) / 4)
      let head = 'h1,h2\n' + 'k,v\n'.repeat(records)
      head += 'w'.repeat(READ - shift - head.length) + ',v\n'
      const file = csvFile(t, head + tail + 'end,e\n')
      const a = await scanStrings(file, ',', '"', Infinity)
      const b = await scanBytes(file, ',', '"', Infinity)
      const where = `tail ${JSON.stringify(tail)} shift ${shift}`
      t.equal(b.error, a.error, `error, ${where}`)
      t.equal(b.records.length, a.records.length, `records, ${where}`)
      t.same(b.records.slice(-4), a.records.slice(-4), `last records, ${where}`)
      // (tap's deep comparison of 260k-element arrays takes minutes: first difference instead)
      const k = a.starts.findIndex((x, i) => b.starts[i] !== x)
      t.equal(k, -1, `offsets, ${where}: first difference at record ${k}`)
    }
  }
})

t.test('supportsBytes: one-byte ASCII delimiter and quote, the quote as escape', async (t) => {
  t.ok(supportsBytes(',', '"', '"'))
  t.ok(supportsBytes('\t', "'", "'"))
  t.notOk(supportsBytes(',', '"', '\\'), 'another escape: the string tokenizer')
  t.notOk(supportsBytes('§', '"', '"'), 'a non-ASCII delimiter')
  t.notOk(supportsBytes(',', '«', '«'), 'a non-ASCII quote')
})

// ---- cells -----------------------------------------------------------------------------

const TYPES = ['string', 'int64', 'float64', 'boolean', 'date', 'timestamp'] as const
const CODE: Record<string, number> = { string: STRING, int64: INT, float64: FLOAT, boolean: BOOLEAN, date: DATE, timestamp: TIMESTAMP }

/** Cell texts near every edge of values.ts, plus random digits and garbage. */
const cell = fc.oneof(
  fc.constantFrom('', '0', '-0', '+0', '00', '007', '-007', '+5', '-', '+', '1', '-12', '9007199254740991', '9007199254740993',
    '999999999999999', '1000000000000000', '9223372036854775807', '-9223372036854775808', '9223372036854775808', '12345678901234567890'),
  fc.constantFrom('1.5', '-1.5', '0.5', '.5', '5.', '01.5', '1e5', '1E+05', '-2e-3', '1e400', '1e-400', '0.0', '-0.00', '3,5', '-1,5', '1.2.3',
    '0.1', '0.30000000000000004', '123456789012.345', '1234567890123.456', '99999999999999.9', 'nan', 'NaN', 'inf', '-Infinity', 'infinity'),
  fc.constantFrom('true', 'false', 'TRUE', 'False', 'tRuE', 'yes', 'T', 'truE ', 'ſalse'),
  fc.constantFrom('2024-01-31', '2024-02-29', '2023-02-29', '0000-01-01', '0001-01-01', '9999-12-31', '2024-13-01', '2024-1-01', '2024-01-01x'),
  fc.constantFrom('2024-01-31T10:20:30', '2024-01-31 10:20:30.123456', '2024-01-31T10:20:30.1234567', '2024-01-31T10:20', '2024-01-31T10:20:30Z',
    '2024-01-31T10:20:30.5Z', '2024-01-31T10:20:30+02:00', '2024-01-31T24:00:00', '2024-01-31T10:60:00', '2024-01-31T10:20:30.Z', '1900-01-01T00:00:00.000Z'),
  fc.stringMatching(/^[+-]?\d{1,18}(\.\d{0,8})?$/),
  fc.string({ maxLength: 6 }),
  fc.constantFrom(' 42', '42 ', 'é', '😀', 'NULL', 'n/a'),
  // string bounds: code point order (U+E000 sorts below U+10000 in UTF-16, above in UTF-8), 32-code-point cuts
  fc.constantFrom('\ue000', '\uffff', '😀x', '\u{10ffff}', 'a'.repeat(40), 'é'.repeat(33), '😀'.repeat(33), '\u{10ffff}'.repeat(34), 'zz'),
)

function strings(b: WriteBatch, c: number): unknown[] {
  const v = b.columns[c]!.values
  if (isUtf8Values(v)) {
    const buf = Buffer.from(v.bytes.buffer, v.bytes.byteOffset, v.bytes.byteLength)
    return Array.from({ length: b.length }, (_, i) => buf.toString('utf8', v.offsets[i], v.offsets[i + 1]))
  }
  // (a row that failed part-way may have left strings behind: only `length` rows count)
  // -0 and NaN compared as themselves
  return Array.from(Array.prototype.slice.call(v, 0, b.length), (x) => (typeof x === 'number' && (Object.is(x, -0) || Number.isNaN(x)) ? String(Object.is(x, -0) ? '-0' : 'NaN') : x))
}

/** Append rows one by one on both paths; stop at the first error. */
function build(fields: Field[], rows: string[][], text: { nullValues?: string[]; decimalComma?: boolean }, guard: number[] | null, bytes: boolean) {
  const b = new BatchBuilder(fields, rows.length + 1, text, bytes)
  if (guard) b.guard(guard)
  let error: string | null = null
  for (const row of rows) {
    try {
      if (!bytes) { b.append(row); continue }
      b.appendBytes(record(row))
    } catch (e) {
      error = `${(e as Error).constructor.name}: ${(e as Error).message}`
      break
    }
  }
  const batch = b.finishWrite(0)
  const stats = new DeltaStats(fields)
  stats.add(batch)
  return { error, length: batch.length, stats: error ? null : stats.toJSON(), nulls: batch.columns.map((c) => (c.nulls ? Array.from(c.nulls.subarray(0, batch.length)) : null)), values: batch.columns.map((_, c) => strings(batch, c)) }
}

t.test('random cells: appendBytes converts, nulls, checks and fails exactly as append; same stats', async (t) => {
  await fc.assert(fc.property(
    fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 4 }),
    fc.array(fc.array(cell, { minLength: 4, maxLength: 4 }), { maxLength: 12 }),
    fc.constantFrom<{ nullValues?: string[]; decimalComma?: boolean }>({}, { decimalComma: true }, { nullValues: [] }, { nullValues: ['', 'NULL', 'n/a'] }),
    fc.option(fc.array(fc.constantFrom(-1, STRING, INT, FLOAT, BOOLEAN, DATE, TIMESTAMP), { minLength: 4, maxLength: 4 }), { nil: null }),
    fc.boolean(),
    (types, cells, text, randomGuard, sampled) => {
      const fields: Field[] = types.map((type, i) => ({ name: `c${i}`, type, nullable: true }))
      const rows = cells.map((r) => r.slice(0, types.length))
      // a guard as ingest sets it (each column held to its own type's code), or a random one
      const guard = sampled ? types.map((ty) => CODE[ty]!) : randomGuard && randomGuard.slice(0, types.length)
      const a = build(fields, rows, text, guard, false)
      const b = build(fields, rows, text, guard, true)
      deepStrictEqual(b, a, JSON.stringify({ types, rows, text, guard }))
    },
  ), { numRuns: 3000 })
  t.pass('3000 random record sets')
})

t.test('int64 bounds read without BigInts equal a BigInt scan (negative, beyond 2^32 and 2^53, nulls)', async (t) => {
  fc.assert(fc.property(fc.array(fc.option(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }), { nil: null }), { minLength: 1, maxLength: 50 }), (xs) => {
    const values = BigInt64Array.from(xs, (x) => x ?? 0n)
    const nulls = Uint8Array.from(xs, (x) => (x === null ? 1 : 0))
    const stats = new DeltaStats([{ name: 'v', type: 'int64' }])
    stats.add({ length: xs.length, columns: [{ name: 'v', type: 'int64', values, nulls }] })
    const present = xs.filter((x): x is bigint => x !== null)
    const min = present.reduce<bigint | null>((m, x) => (m === null || x < m ? x : m), null)
    const max = present.reduce<bigint | null>((m, x) => (m === null || x > m ? x : m), null)
    const json = JSON.parse(stats.toJSON().replace(/:(-?\d+)/g, ':"$1"')) as { minValues: { v?: string }; maxValues: { v?: string } }
    deepStrictEqual([json.minValues.v ?? null, json.maxValues.v ?? null], [min === null ? null : String(min), max === null ? null : String(max)])
  }), { numRuns: 2000 })
  t.pass('2000 random columns')
})

t.test('error paths: a record over MAX_RECORD_BYTES (an unclosed quote) and a handler\'s RecordError, as the string tokenizer reports them', async (t) => {
  // an unclosed quote on line 3 swallowing 17 MiB: refused for its size, naming line 3
  const big = csvFile(t, 'a,b\n1,2\n3,"' + 'x\n'.repeat(8.5 * 1024 * 1024) + 'y\n')
  const a = await scanStrings(big, ',', '"', Infinity)
  const b = await scanBytes(big, ',', '"', Infinity)
  t.match(a.error, /^line 3: a record is larger than/)
  t.equal(b.error, a.error)
  t.same(b.records, a.records, 'the records before it')
  // a handler refusing the second data record: its line, the handler's message
  const file = csvFile(t, 'h\n"x"\n"bad"\n"z"\n')
  const refuse = (s: string) => { if (s === 'bad') throw new RecordError('refused') }
  const sc = new CsvScanner(file, ',', 0, '"')
  const bc = new CsvByteScanner(file, ',', 0, '"')
  const e1 = await sc.run({ onRecord: (f) => refuse(f[0]!) }).then(() => 'no error', (e: Error) => e.message)
  const e2 = await bc.run({ onRecord: (r) => refuse(Buffer.from(r.buf.subarray(r.starts[0], r.ends[0])).toString()) }).then(() => 'no error', (e: Error) => e.message)
  t.equal(e1, 'line 3: refused')
  t.equal(e2, e1)
})

t.test('string bounds from UTF-8 bytes (prefix keys, across batches) equal the code-point bounds of the same strings', async (t) => {
  // short strings over a small alphabet hit every prefix-key case: shared 4-byte prefixes,
  // a string that is a prefix of another, NUL bytes (equal keys), 0xff-led and multi-byte characters
  const alphabet = ['', '\u0000', '\u0001', 'a', 'b', 'z', '\u007f', 'é', '\uffff', '😀']
  const str = fc.array(fc.constantFrom(...alphabet), { maxLength: 7 }).map((cs) => cs.join(''))
  const batch = fc.array(fc.option(str, { nil: null, freq: 6 }), { minLength: 1, maxLength: 40 })
  await fc.assert(fc.asyncProperty(fc.array(batch, { minLength: 1, maxLength: 4 }), async (batches) => {
    const field = [{ name: 's', type: 'string' as const }]
    const fromBytes = new DeltaStats(field)
    const fromStrings = new DeltaStats(field)
    for (const values of batches) {
      const nulls = Uint8Array.from(values, (v) => (v === null ? 1 : 0))
      const encoded = values.map((v) => Buffer.from(v ?? '', 'utf8'))
      const offsets = new Int32Array(values.length + 1)
      encoded.forEach((b, i) => { offsets[i + 1] = offsets[i]! + b.length })
      const bytes = new Uint8Array(Buffer.concat(encoded))
      fromBytes.add({ length: values.length, columns: [{ name: 's', type: 'string', values: { offsets, bytes }, nulls }] } as WriteBatch)
      fromStrings.add({ length: values.length, columns: [{ name: 's', type: 'string', values: values.map((v) => v ?? ''), nulls }] } as WriteBatch)
    }
    deepStrictEqual(fromBytes.toJSON(), fromStrings.toJSON())
  }), { numRuns: 3000, seed: 20261129 })
  t.pass('3000 random batch sequences: same minValues, maxValues and nullCount')
})

t.test('recycled chunk arrays: chunk after chunk, the same values, nulls and stats as fresh arrays', async (t) => {
  let reused = 0
  fc.assert(fc.property(
    fc.array(fc.constantFrom(...TYPES), { minLength: 1, maxLength: 4 }),
    fc.array(fc.array(fc.oneof(cell, fc.constant('')), { minLength: 4, maxLength: 4 }), { minLength: 1, maxLength: 40 }),
    fc.integer({ min: 1, max: 7 }),
    (types, cells, capacity) => {
      const fields: Field[] = types.map((type, i) => ({ name: `c${i}`, type, nullable: true }))
      const rows = cells.map((r) => r.slice(0, types.length))
      // only rows both paths take (a failing row ends a build): keep the ones that convert alone
      const ok = rows.filter((r) => build(fields, [r], {}, null, true).error === null)
      const recycling = new BatchBuilder(fields, capacity, {}, true)
      const seen: WriteBatch[] = []
      for (let at = 0; at < ok.length; at += capacity) {
        const chunk = ok.slice(at, at + capacity)
        for (const row of chunk) recycling.appendBytes(record(row))
        const batch = recycling.finishWrite(capacity)
        const fresh = build(fields, chunk, {}, null, true)
        const stats = new DeltaStats(fields)
        stats.add(batch)
        const got = { error: null, length: batch.length, stats: stats.toJSON(), nulls: batch.columns.map((c) => (c.nulls ? Array.from(c.nulls.subarray(0, batch.length)) : null)), values: batch.columns.map((_, c) => strings(batch, c)) }
        deepStrictEqual(got, fresh, JSON.stringify({ types, chunk }))
        if (seen.some((b) => b.columns[0]!.values !== batch.columns[0]!.values && sameMemory(b, batch))) reused++
        seen.push(batch)
        recycling.recycle(batch)
      }
    },
  ), { numRuns: 1500 })
  t.ok(reused > 100, `chunks that reused an earlier chunk's arrays: ${reused}`)
})

/** One record laid out in a buffer with something around each cell, as in a read buffer. */
function record(row: string[]) {
  const parts = row.map((s) => Buffer.from(s, 'utf8'))
  const buf = Buffer.concat(parts.flatMap((p) => [Buffer.from('9"'), p]).concat(Buffer.from('9')))
  const starts = new Int32Array(row.length)
  const ends = new Int32Array(row.length)
  let at = 0
  parts.forEach((p, f) => { at += 2; starts[f] = at; at += p.length; ends[f] = at })
  return { buf, starts, ends }
}

/** Whether two batches' first columns are backed by the same memory. */
function sameMemory(a: WriteBatch, b: WriteBatch): boolean {
  const buf = (x: WriteBatch) => { const v = x.columns[0]!.values; return isUtf8Values(v) ? v.offsets.buffer : (v as Uint8Array).buffer }
  return buf(a) === buf(b)
}
