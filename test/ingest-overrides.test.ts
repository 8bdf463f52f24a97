// Type overrides (`options.columns`): forced types, their conversion, and their errors.
import t from 'tap'
import { csvFile, ingest, ingestResult, preview, previewResult, readIngested, typesOf, values } from './helpers/ingest.js'

t.test('forced types convert every value', async (t) => {
  const file = csvFile(t, 'zip,code,n,d\n00501,+5,1,2024-01-01\n10001,007,2,\n,42,3,2024-01-03\n')
  const opts = { columns: { zip: 'int64', code: 'string', n: 'float64', d: 'timestamp' } } as const
  const p = await preview(file, opts)
  t.same(typesOf(p), { zip: 'int64', code: 'string', n: 'float64', d: 'timestamp' })
  t.same(Array.from(p.rows.columns[0]!.values as BigInt64Array), [501n, 10001n, 0n])
  t.same(Array.from(p.rows.columns[0]!.nulls!), [0, 0, 1])
  t.same(p.rows.columns[1]!.values, ['+5', '007', '42'], 'forced string keeps the text')
  const r = await ingest(t, file, opts)
  t.same(typesOf(r), typesOf(p))
  const table = await readIngested(r)
  t.same(values(table.getChild('zip')), [501n, 10001n, null])
  t.same(values(table.getChild('n')), [1, 2, 3])
  t.same(values(table.getChild('d')), [1704067200000000n, null, 1704240000000000n])
})

t.test('a value that does not parse as the forced type: invalid_file naming line and column', async (t) => {
  // the quoted field spans two physical lines, so the bad record starts on line 5
  const file = csvFile(t, 'id,note\r\n1,"a\r\nb"\r\n2,x\r\nabc,y\r\n4,z\r\n')
  const r = await previewResult(file, { columns: { id: 'int64' } })
  t.match(r, { ok: false, status: 422, code: 'invalid_file' })
  t.match(!r.ok && r.message, /^line 5: column "id": "abc" is not a valid int64/)
  const i = await ingestResult(t, file, { columns: { id: 'int64' } })
  t.match(i, { ok: false, status: 422, code: 'invalid_file', message: /^line 5: / })
})

t.test('forced date refuses a timestamp (it would drop the time)', async (t) => {
  const file = csvFile(t, 'd\n2024-01-01\n2024-01-02T10:00\n')
  t.match(await previewResult(file, { columns: { d: 'date' } }), { ok: false, code: 'invalid_file', message: /^line 3: column "d"/ })
})

t.test('forced boolean and float errors', async (t) => {
  const file = csvFile(t, 'b,f\ntrue,1.5\nyes,2\n')
  t.match(await previewResult(file, { columns: { b: 'boolean' } }), { ok: false, message: /^line 3: column "b": "yes" is not a valid boolean/ })
  const f2 = csvFile(t, 'f\n1\n1e999\n')
  t.match(await previewResult(f2, { columns: { f: 'float64' } }), { ok: false, message: /^line 3: column "f"/ })
})

t.test('an override naming an unknown column is invalid_parameter', async (t) => {
  const file = csvFile(t, 'a,b\n1,2\n')
  t.match(await previewResult(file, { columns: { c: 'int64' } }), { ok: false, status: 422, code: 'invalid_parameter', message: /columns.*"c"/ })
  t.match(await ingestResult(t, file, { columns: { c: 'int64' } }), { ok: false, status: 422, code: 'invalid_parameter' })
})

t.test('an override with a type CSV does not produce is invalid_parameter', async (t) => {
  const file = csvFile(t, 'a,b\n1,2\n')
  t.match(await previewResult(file, { columns: { a: 'decimal' } }), { ok: false, status: 422, code: 'invalid_parameter', message: /decimal/ })
})

t.test('overrides name renamed columns; matching ignores case', async (t) => {
  const p = await preview(csvFile(t, 'x,x,\n1,2,3\n'), { columns: { X_2: 'string', column_3: 'float64' } })
  t.same(typesOf(p), { x: 'int64', x_2: 'string', column_3: 'float64' })
})

t.test('with header detection, overrides follow the detected header', async (t) => {
  const headerless = csvFile(t, '1,007\n2,008\n')
  const p = await preview(headerless, { columns: { column_2: 'int64' } })
  t.equal(p.dialect.header, false)
  t.same(typesOf(p), { column_1: 'int64', column_2: 'int64' })
  t.same(Array.from(p.rows.columns[1]!.values as BigInt64Array), [7n, 8n])
  // the same name on a file with a header is unknown
  t.match(await previewResult(csvFile(t, 'id,zip\n1,007\n'), { columns: { column_2: 'int64' } }), { ok: false, code: 'invalid_parameter' })
})

t.test('header=false: a bad first row is line 1', async (t) => {
  const file = csvFile(t, 'x\n1\n')
  t.match(await previewResult(file, { header: false, columns: { column_1: 'int64' } }), { ok: false, code: 'invalid_file', message: /^line 1: column "column_1"/ })
})

t.test('with several failing overrides, the first line in the file is reported', async (t) => {
  const file = csvFile(t, 'a,b\n1,2\n3,x\ny,4\n')
  // header detection keeps both hypotheses open, so both checks run to the end of the file
  t.match(await previewResult(file, { columns: { b: 'int64', a: 'int64' } }), { ok: false, message: /^line 3: column "b"/ })
  t.match(await previewResult(file, { header: true, columns: { b: 'int64', a: 'int64' } }), { ok: false, message: /^line 3: column "b"/ })
})
