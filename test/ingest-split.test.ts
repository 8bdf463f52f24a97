// A large CSV written as two byte ranges by two threads must give what the exact one-thread
// ingest gives (types, header, rows and values in order, errors); a split that lands inside a
// quoted field, a late widening or an error in either range falls back to the exact way and
// leaves no file behind. CSV_PARALLEL_MIN_BYTES=0 splits small files here.
import { readdirSync } from 'node:fs'
import { MessageChannel } from 'node:worker_threads'
import t, { type Test } from 'tap'
import type { CsvOptions, IngestProgress } from '../proto/ingest.js'
import runTask from '../workers/ingest-csv.js'
import { csvFile, readIngested, tempDir, values } from './helpers/ingest.js'

const PAD = 'p'.repeat(60)
const N = 40_000

async function run(t: Test, file: string, options: CsvOptions, fast: boolean) {
  const saved = { s: process.env.CSV_INFER_SAMPLE_BYTES, p: process.env.CSV_PARALLEL_MIN_BYTES }
  process.env.CSV_INFER_SAMPLE_BYTES = fast ? '1' : '0'
  process.env.CSV_PARALLEL_MIN_BYTES = fast ? '0' : '-1'
  const outDir = tempDir(t)
  const channel = new MessageChannel()
  const messages: IngestProgress[] = []
  channel.port1.on('message', (m: IngestProgress) => messages.push(m))
  try {
    const r = await runTask({ kind: 'csv-ingest', file, options, outDir, progress: channel.port2 })
    await new Promise((resolve) => setImmediate(resolve))
    const phases = messages.map((m) => m.phase).filter((p, i, a) => i === 0 || a[i - 1] !== p)
    return { ...r, outDir, phases, messages }
  } finally {
    channel.port1.close()
    for (const [k, v] of [['CSV_INFER_SAMPLE_BYTES', saved.s], ['CSV_PARALLEL_MIN_BYTES', saved.p]] as const) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Split ingest vs exact ingest of the same text; returns the split one. */
async function same(t: Test, text: string | Buffer, options: CsvOptions = {}) {
  const file = csvFile(t, text)
  const fast = await run(t, file, options, true)
  const exact = await run(t, file, options, false)
  if (!exact.ok || !fast.ok) {
    t.same({ ...fast, outDir: '', phases: [], messages: [] }, { ...exact, outDir: '', phases: [], messages: [] }, 'same failure')
    t.same(readdirSync(fast.outDir), [], 'a failed ingest leaves no file')
    return fast
  }
  t.same(fast.value.fields, exact.value.fields, 'same fields')
  t.same(fast.value.dialect, exact.value.dialect, 'same dialect')
  t.equal(fast.value.rowCount, exact.value.rowCount, 'same row count')
  t.equal(fast.value.files.reduce((a, f) => a + f.numRecords, 0), exact.value.rowCount, 'files hold every row')
  t.same(readdirSync(fast.outDir).sort(), fast.value.files.map((f) => f.name).sort(), 'no stray files')
  const a = await readIngested({ outDir: fast.outDir, files: fast.value.files })
  const b = await readIngested({ outDir: exact.outDir, files: exact.value.files })
  for (const f of exact.value.fields) t.same(values(a.getChild(f.name)), values(b.getChild(f.name)), `column ${f.name}: same values in the same order`)
  return fast
}

function rows(n: number, cell: (i: number) => string[], eol = '\n'): string {
  let s = ''
  for (let i = 0; i < n; i++) s += cell(i).join(',') + `,${PAD}${eol}`
  return s
}

const ONE_PASS_SPLIT = ['inferring', 'writing']
const FELL_BACK = ['inferring', 'writing', 'inferring', 'writing']

t.test('a clean split: two ranges, two files, the exact rows in order', async (t) => {
  const fast = await same(t, 'id,x,note,pad\n' + rows(N, (i) => [String(i), `${i}.5`, i % 5 === 0 ? `"multi\nline, ""${i}"""` : `n${i}`]))
  t.same(fast.phases, ONE_PASS_SPLIT)
  t.equal(fast.ok && fast.value.files.length, 2, 'one file per range')
  t.ok(fast.ok && fast.value.files.every((f, i) => f.name.startsWith(`part-0000${i}-`)), 'files numbered in order')
  const writing = fast.messages.filter((m) => m.phase === 'writing')
  t.ok(writing.every((m, i) => i === 0 || m.bytesRead >= writing[i - 1]!.bytesRead), 'progress grows')
  t.equal(writing.at(-1)!.bytesRead, writing.at(-1)!.totalBytes, 'progress ends at the whole file')
  t.equal(writing.at(-1)!.rowsParsed, N)
})

t.test('CRLF, a BOM, and a transcoded Latin-1 file split cleanly', async (t) => {
  const crlf = await same(t, 'id,note,pad\r\n' + rows(N, (i) => [String(i), i % 3 ? `"a\r\nb ${i}"` : 'x'], '\r\n'))
  t.same(crlf.phases, ONE_PASS_SPLIT)
  const bom = await same(t, '\ufeffid,name,pad\n' + rows(N, (i) => [String(i), `é${i}`]))
  t.same(bom.phases, ONE_PASS_SPLIT)
  t.ok(bom.ok && bom.value.fields[0]!.name === 'id')
  const latin = await same(t, Buffer.from('name,n,pad\n' + rows(N, (i) => [`caf\xe9 ${i}`, String(i)]), 'latin1'))
  t.same(latin.phases, ONE_PASS_SPLIT)
  t.ok(latin.ok && latin.value.dialect.encoding === 'iso-8859-1')
})

t.test('a file that is UTF-8 only at its start: the one pass checks every byte, then the full detection decides', async (t) => {
  const LATE = N - 100
  // ASCII up to one Latin-1 byte deep in the second range, or in the first: Latin-1 throughout
  const late = await same(t, Buffer.from('name,n,pad\n' + rows(N, (i) => [i === LATE ? 'caf\xe9' : `cafe ${i}`, String(i)]), 'latin1'))
  t.same(late.phases, FELL_BACK)
  t.ok(late.ok && late.value.dialect.encoding === 'iso-8859-1')
  const early = await same(t, Buffer.from('name,n,pad\n' + rows(N, (i) => [i === 5000 ? 'caf\xe9' : `cafe ${i}`, String(i)]), 'latin1'))
  t.ok(early.ok && early.value.dialect.encoding === 'iso-8859-1')
  // UTF-8 characters, then a byte that is not UTF-8: refused, naming its line
  const bad = await same(t, Buffer.concat([Buffer.from('name,n,pad\n' + rows(LATE, (i) => [`é${i}`, String(i)])), Buffer.from([0xe9]), Buffer.from(`,1,${PAD}\n`)]))
  t.match(bad, { ok: false, status: 422, message: new RegExp(`^line ${LATE + 2}: the file is not valid UTF-8`) })
})

t.test('a split inside a quoted field with line breaks falls back to the exact way', async (t) => {
  // a huge quoted field full of line breaks around the middle of the file, and before it a
  // stray quote in an unquoted field (a plain character) that misleads the quote parity
  const half = rows(N / 2, (i) => [String(i), i === 10 ? '12"' : 'x'])
  const big = `"${'inside\n'.repeat(60_000)}"`
  const fast = await same(t, 'id,note,pad\n' + half + `${N / 2},${big},${PAD}\n` + rows(N / 2, (i) => [String(N / 2 + 1 + i), 'y']))
  t.same(fast.phases, FELL_BACK, 'the first range ended inside the quote')
  t.equal(fast.ok && fast.value.rowCount, N + 1)
  // without the stray quote the parity finds the end of the big field
  const clean = await same(t, 'id,note,pad\n' + rows(N / 2, (i) => [String(i), 'x']) + `${N / 2},${big},${PAD}\n` + rows(N / 2, (i) => [String(N / 2 + 1 + i), 'y']))
  t.same(clean.phases, ONE_PASS_SPLIT)
  t.equal(clean.ok && clean.value.files.length, 2)
})

t.test('a late widening or an error in the second range', async (t) => {
  const LATE = N - 100
  const widened = await same(t, 'id,v,pad\n' + rows(N, (i) => [String(i), i === LATE ? '2.5' : String(i)]))
  t.same(widened.phases, FELL_BACK)
  t.ok(widened.ok && widened.value.fields[1]!.type === 'float64')
  const bad = await same(t, 'id,v,pad\n' + rows(N, (i) => (i === LATE ? [String(i), '1', '2'] : [String(i), 'x'])))
  t.match(bad, { ok: false, status: 422, code: 'invalid_file', message: new RegExp(`^line ${LATE + 2}: expected 3 fields, found 4`) })
  const early = await same(t, 'id,v,pad\n' + rows(N, (i) => (i === 100 ? [String(i), '1', '2'] : [String(i), i === LATE ? '2.5' : String(i)])))
  t.match(early, { ok: false, status: 422, message: /^line 102: expected 3 fields, found 4/ })
})
