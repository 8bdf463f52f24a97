// Property tests of the COPY → JSON transcoder (workers/pg/copy-json.ts) and of the fast
// CopyData reader (workers/pg/copy-out.ts), without a database: random strings (escapes,
// control characters, backslashes, quotes, any Unicode) written as PostgreSQL's COPY text
// writes them (and with the octal / hex escapes COPY FROM text may hold), cut into chunks at
// random places, must come out as JSON.stringify writes the same rows; CopyData messages
// cut anywhere must give back exactly their payloads.
import t from 'tap'
import fc from 'fast-check'
import copyStreams from 'pg-copy-streams'
import { CopyJsonWriter } from '../workers/pg/copy-json.js'
import { fastCopyOut } from '../workers/pg/copy-out.js'
import type { DecodeField } from '../workers/pg/decode.js'

/** A value as COPY TO writes it: backslash and the six control characters escaped, the rest raw. */
function copyText(s: string, alt: number[]): string {
  let out = ''
  let k = 0
  for (const ch of s) {
    const c = ch.codePointAt(0)!
    const mode = alt.length ? alt[k++ % alt.length]! : 0
    if (c < 128 && mode === 1 && c !== 0) out += '\\' + c.toString(8).padStart(3, '0') // octal, as COPY FROM accepts
    else if (c < 128 && mode === 2 && c !== 0) out += '\\x' + c.toString(16).padStart(2, '0') // hex
    else if (ch === '\\') out += '\\\\'
    else if (ch === '\n') out += '\\n'
    else if (ch === '\t') out += '\\t'
    else if (ch === '\r') out += '\\r'
    else if (ch === '\b') out += '\\b'
    else if (ch === '\f') out += '\\f'
    else if (ch === '\v') out += '\\v'
    else out += ch
  }
  return out
}

/** Characters the transcoder treats specially, mixed into random strings often. */
const special = fc.constantFrom('"', '\\', '\n', '\t', '\r', '\b', '\f', '\v', '\x00', '\x01', '\x1f', '\x7f', '\u2028', 'é', '😀', 'N', ' ', '\\N')
const text = fc.oneof(
  fc.string({ unit: fc.oneof(fc.constantFrom('a', 'b', '@', '.'), special), maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 30 }),
  fc.string({ unit: 'binary', maxLength: 30 }).map((s) => s.replace(/[\ud800-\udfff]/g, '?')), // UTF-8 has no lone surrogates
  fc.string({ maxLength: 70 }), // long runs: the four-bytes-at-a-time path
)
const FIELDS: DecodeField[] = [
  { name: 's', type: 'string' }, { name: 'n', type: 'int64' }, { name: 'weird "key"\\é', type: 'string' }, { name: 'j', type: 'string' },
]
const row = fc.tuple(fc.option(text, { nil: null }), fc.option(fc.integer(), { nil: null }), fc.option(text, { nil: null }), text)

/** `bytes` cut at the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = []
  let from = 0
  for (const c of [...new Set(at.filter((x) => x > 0 && x < bytes.length))].sort((a, b) => a - b).concat(bytes.length)) {
    out.push(bytes.subarray(from, c))
    from = c
  }
  return out
}

t.test('transcoder output equals JSON.stringify of the rows, any escaping, any chunking, any batch size', async (t) => {
  let runs = 0
  fc.assert(fc.property(
    fc.array(row, { minLength: 1, maxLength: 12 }), fc.array(fc.nat({ max: 2 }), { maxLength: 5 }),
    fc.array(fc.nat({ max: 4000 }), { maxLength: 8 }), fc.integer({ min: 1, max: 5 }), fc.boolean(),
    (rows, alt, cuts, batchRows, ndjson) => {
      const copy = Buffer.from(rows.map((r) => r.map((v) => v === null ? '\\N' : copyText(String(v), alt)).join('\t') + '\n').join(''), 'utf8')
      const objects = rows.map((r) => JSON.stringify(Object.fromEntries(FIELDS.map((f, k) => [f.name, r[k]]))))
      const expected = ndjson ? objects.map((o) => o + '\n').join('') : objects.join(',')
      const w = new CopyJsonWriter(FIELDS, ndjson ? { first: '', before: '', after: '\n' } : { first: '', before: ',', after: '' }, batchRows)
      const out: Buffer[] = []
      let batches = 0
      for (const ch of cut(copy, cuts.map((c) => c % (copy.length + 1)))) {
        w.push(ch)
        for (let b; (b = w.takeBatch());) { out.push(Buffer.from(b)); batches++ }
      }
      w.end()
      for (let b; (b = w.takeBatch());) { out.push(Buffer.from(b)); batches++ }
      runs++
      return Buffer.concat(out).toString('utf8') === expected && w.rows === rows.length && batches === Math.ceil(rows.length / batchRows)
    },
  ), { numRuns: 1500 })
  t.equal(runs >= 1500, true, 'ran')
})

t.test('a long clean string, a quote or control character at every offset', async (t) => {
  // the four-bytes-at-a-time scan must stop at the right byte whatever its position in the word
  const fields: DecodeField[] = [{ name: 's', type: 'string' }]
  let bad = 0
  for (const ch of ['"', '\\', '\n', '\t', '\x01', '\x1f', 'é', '😀']) {
    for (let at = 0; at < 24; at++) {
      const s = 'abcdefghijklmnopqrstuvwxyz'.slice(0, at) + ch + 'ABCDEFGHIJKLMNOP'.slice(0, 23 - at)
      const w = new CopyJsonWriter(fields, { first: '', before: '', after: '\n' }, 100)
      w.push(Buffer.from(copyText(s, []) + '\n' + copyText(s + s, []) + '\n'))
      w.end()
      const got = Buffer.from(w.takeBatch()!).toString('utf8')
      if (got !== JSON.stringify({ s }) + '\n' + JSON.stringify({ s: s + s }) + '\n') bad++
    }
  }
  t.equal(bad, 0)
})

interface ParseTarget { _parse(chunk: Buffer): unknown }

/** CopyData messages of `payloads`, with a NoticeResponse after the ones `notices` marks. */
function messages(payloads: Buffer[], notices: boolean[]): Buffer {
  const parts: Buffer[] = []
  payloads.forEach((p, k) => {
    const h = Buffer.alloc(5)
    h[0] = 0x64
    h.writeUInt32BE(p.length + 4, 1)
    parts.push(h, p)
    if (notices[k]) {
      const body = Buffer.from('SWARNING\0Mnotice\0\0')
      const n = Buffer.alloc(5)
      n[0] = 0x4e
      n.writeUInt32BE(body.length + 4, 1)
      parts.push(n, body)
    }
  })
  return Buffer.concat(parts)
}

t.test('fast CopyData reader: the payloads back, whatever the cuts, with notices in between', async (t) => {
  fc.assert(fc.property(
    fc.array(fc.uint8Array({ maxLength: 300 }), { minLength: 1, maxLength: 30 }), fc.array(fc.boolean(), { maxLength: 30 }),
    fc.array(fc.nat(), { maxLength: 12 }),
    (arrays, notices, cuts) => {
      const payloads = arrays.map((a) => Buffer.from(a))
      const raw = messages(payloads, notices)
      const stream = copyStreams.to('COPY x TO STDOUT')
      if (!fastCopyOut(stream)) return false
      // the chunks are fresh buffers each (as from the socket): the reader moves bytes inside them
      for (const ch of cut(raw, cuts.map((c) => c % (raw.length + 1)))) (stream as unknown as ParseTarget)._parse(Buffer.from(ch))
      let all = Buffer.alloc(0)
      for (let b; (b = stream.read() as Buffer | null);) all = Buffer.concat([all, b])
      return all.equals(Buffer.concat(payloads))
    },
  ), { numRuns: 1000 })
  t.pass('payloads identical')
})

t.test('fast CopyData reader: not installed on a stream of another shape', async (t) => {
  t.equal(fastCopyOut({}), false)
  t.equal(fastCopyOut({ _parse: () => true, _state: 2, _buffer: { size: 0 }, _copyDataChunks: { size: 0 } }), false)
})
