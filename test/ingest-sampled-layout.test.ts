// The one-pass ingest (layout inferred from a sample, every later cell checked against it)
// must give exactly what the exact two-pass ingest gives: same types, header, rows, values,
// stats and errors. A tiny sample (CSV_INFER_SAMPLE_BYTES) forces late surprises.
import { readdirSync } from 'node:fs'
import { MessageChannel } from 'node:worker_threads'
import t, { type Test } from 'tap'
import type { CsvOptions, IngestProgress } from '../proto/ingest.js'
import runTask from '../workers/ingest-csv.js'
import { csvFile, readIngested, tempDir, values } from './helpers/ingest.js'

// the sample ends after the first read chunk (1 MiB): files here are a few MiB
const SMALL = 1
const PAD = 'p'.repeat(60)

/** The ingest task's result, its outDir and the phases it went through (a fallback starts 'inferring' again). */
async function run(t: Test, file: string, options: CsvOptions, sample: number) {
  const before = process.env.CSV_INFER_SAMPLE_BYTES
  process.env.CSV_INFER_SAMPLE_BYTES = String(sample)
  const outDir = tempDir(t)
  const channel = new MessageChannel()
  const phases: string[] = []
  channel.port1.on('message', (m: IngestProgress) => { if (phases.at(-1) !== m.phase) phases.push(m.phase) })
  try {
    const r = await runTask({ kind: 'csv-ingest', file, options, outDir, progress: channel.port2 })
    await new Promise((resolve) => setImmediate(resolve))
    return { ...r, outDir, phases }
  } finally {
    channel.port1.close()
    if (before === undefined) delete process.env.CSV_INFER_SAMPLE_BYTES
    else process.env.CSV_INFER_SAMPLE_BYTES = before
  }
}

/** Ingest with a tiny sample and the exact way; both must agree in every respect. */
async function same(t: Test, text: string, options: CsvOptions = {}) {
  const file = csvFile(t, text)
  const fast = await run(t, file, options, SMALL)
  const exact = await run(t, file, options, 0)
  if (!exact.ok || !fast.ok) {
    t.same(fast, { ...exact, outDir: fast.outDir, phases: fast.phases }, 'same failure')
    t.same(readdirSync(fast.outDir), [], 'a failed ingest leaves no file')
    return { fast, exact }
  }
  t.same(fast.value.fields, exact.value.fields, 'same fields')
  t.same(fast.value.dialect, exact.value.dialect, 'same dialect')
  t.equal(fast.value.rowCount, exact.value.rowCount, 'same row count')
  t.same(fast.value.warnings, exact.value.warnings)
  t.same(fast.value.files.map((f) => [f.numRecords, f.stats]), exact.value.files.map((f) => [f.numRecords, f.stats]), 'same stats')
  if (exact.value.files.length > 0) {
    const a = await readIngested({ outDir: fast.outDir, files: fast.value.files })
    const b = await readIngested({ outDir: exact.outDir, files: exact.value.files })
    for (const f of exact.value.fields) t.same(values(a.getChild(f.name)), values(b.getChild(f.name)), `column ${f.name} values`)
  }
  return { fast, exact }
}

function rows(n: number, cell: (i: number) => string[]): string {
  let s = ''
  for (let i = 0; i < n; i++) s += cell(i).join(',') + `,${PAD}\n`
  return s
}

const N = 40_000
const LATE = 35_000

t.test('late values widen columns exactly as the exact pass does', async (t) => {
  // one late value per file, each in its own column: every guard must catch its own
  const cases: [string, (i: number) => string, string][] = [
    ['int → float64', (i) => (i === LATE ? '1.5' : String(i)), 'float64'],
    ['int → string', (i) => (i === LATE ? 'N/A' : String(i)), 'string'],
    ['date → timestamp', (i) => (i === LATE ? '2024-01-02T12:30:00Z' : '2024-01-02'), 'timestamp'],
    ['boolean → string', (i) => (i === LATE ? 'maybe' : i % 2 ? 'true' : 'false'), 'string'],
    ['leading zeros → string', (i) => (i === LATE ? '007' : String(i + 1)), 'string'],
    ['float + int beyond 2^53 → string', (i) => (i === LATE ? '9007199254740993' : `${i}.5`), 'string'],
    ['float + leading zero → string', (i) => (i === LATE ? '01.5' : `${i}.5`), 'string'],
    ['empty in the sample, text later', (i) => (i < LATE ? '' : 'x'), 'string'],
    ['empty in the sample, ints later', (i) => (i < LATE ? '' : String(i)), 'int64'],
    ['nan in the sample, numbers later', (i) => (i < LATE ? 'nan' : '2.5'), 'float64'],
    ['date → string', (i) => (i === LATE ? '2024-02-30' : '2024-01-02'), 'string'],
  ]
  for (const [label, cell, type] of cases) {
    const { fast } = await same(t, 'k,v,pad\n' + rows(N, (i) => [String(i), cell(i)]))
    t.ok(fast.ok && fast.value.fields[1]!.type === type, `${label}: ${type}`)
    t.same(fast.phases, ['inferring', 'writing', 'inferring', 'writing'], `${label}: the one pass gave way to the exact one`)
  }
})

t.test('values that keep the sampled types take the one pass', async (t) => {
  const text = 'id,x,when,ok,pad\n' + rows(N, (i) => [String(i), `${i}.25`, `2024-03-0${1 + (i % 9)} 10:00:0${i % 10}`, i % 3 ? 'TRUE' : 'false'])
  const { fast } = await same(t, text)
  if (fast.ok) t.same(fast.value.fields.map((f) => f.type), ['int64', 'float64', 'timestamp', 'boolean', 'string'])
  t.same(fast.phases, ['inferring', 'writing'], 'one pass')
  // a wide integer late in an int64 column stays int64
  await same(t, 'n,pad\n' + rows(N, (i) => [i === LATE ? '9223372036854775807' : String(i)]))
})

t.test('a late row that turns every column to text makes the first row a header', async (t) => {
  const { exact } = await same(t, '5,6,z\n' + rows(N, (i) => (i === LATE ? ['p', 'q'] : [String(i), String(i)])))
  t.ok(exact.ok && exact.value.dialect.header, 'the exact pass finds a header')
  const { exact: e2 } = await same(t, '5,6,z\n' + rows(N, (i) => [String(i), String(i)]))
  t.ok(e2.ok && !e2.value.dialect.header, 'without the late row the first row is data')
})

t.test('late errors are the exact errors and leave nothing written', async (t) => {
  const { fast } = await same(t, 'a,b,pad\n' + rows(N, (i) => (i === LATE ? ['1', '2', '3'] : [String(i), 'x'])))
  t.match(fast, { ok: false, status: 422, code: 'invalid_file', message: /^line 35002: expected 3 fields, found 4/ })
  const { fast: f2 } = await same(t, 'a,b,pad\n' + rows(N, (i) => [i === LATE ? 'nope' : String(i), 'x']), { columns: { a: 'int64' } })
  t.match(f2, { ok: false, status: 422, message: /^line 35002: column "a": "nope" is not a valid int64/ })
  const { fast: f3 } = await same(t, 'a,b,pad\n' + rows(N, (i) => [String(i), 'x']) + '"unclosed,1\n')
  t.match(f3, { ok: false, status: 422, message: /a quoted field is not closed/ })
})

t.test('forced types, quoted line breaks, CRLF, a BOM and Latin-1 in the one pass', async (t) => {
  await same(t, 'zip,n,pad\n' + rows(N, (i) => [i === LATE ? '00042' : String(10000 + i), String(i)]), { columns: { zip: 'int64' } })
  const crlf = await same(t, 'id,note,pad\r\n' + rows(N, (i) => [String(i), i % 7 === 0 ? `"line one\r\nline ""two"", ${i}"` : `plain ${i}`]).replace(/\n(?!line)/g, '\r\n'))
  t.same(crlf.fast.phases, ['inferring', 'writing'], 'quoted CRLF line breaks: one pass')
  const bom = await same(t, '\ufeffa,b,pad\n' + rows(N, (i) => [String(i), `é${i}`]))
  t.same(bom.fast.phases, ['inferring', 'writing'], 'BOM: one pass')
  t.ok(bom.fast.ok && bom.fast.value.fields[0]!.name === 'a', 'the BOM is not part of the first name')
  const latin = Buffer.from('name,n,pad\n' + rows(N, (i) => [`caf\xe9 ${i}`, String(i)]), 'latin1')
  const file = csvFile(t, latin)
  const fast = await run(t, file, {}, SMALL)
  t.ok(fast.ok && fast.value.dialect.encoding === 'iso-8859-1')
  if (fast.ok) {
    const table = await readIngested({ outDir: fast.outDir, files: fast.value.files })
    t.equal(values(table.getChild('name'))[LATE], `café ${LATE}`)
  }
})

t.test('infer_types=false with a given header ignores sampled types', async (t) => {
  const { fast } = await same(t, 'a,pad\n' + rows(N, (i) => [i === LATE ? 'x' : String(i)]), { header: true, inferTypes: false })
  t.ok(fast.ok && fast.value.fields[0]!.type === 'string')
})
