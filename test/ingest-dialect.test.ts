// Dialect: delimiter detection and override, UTF-8 BOM, CRLF, blank lines, RFC 4180 quoting.
import t from 'tap'
import { sniffDelimiter } from '../workers/ingest/dialect.js'
import { csvFile, ingest, preview, readIngested, typesOf, values } from './helpers/ingest.js'

function strings(p: { rows: { columns: { values: unknown; nulls: Uint8Array | null }[] } }, c: number): (string | null)[] {
  const col = p.rows.columns[c]!
  return (col.values as string[]).map((v, i) => (col.nulls?.[i] ? null : v))
}

t.test('detects , ; tab | from the start of the file', async (t) => {
  for (const d of [',', ';', '\t', '|']) {
    const file = csvFile(t, ['name', 'qty', 'price'].join(d) + '\n' + ['a', '1', '2.5'].join(d) + '\n' + ['b', '2', '3.5'].join(d) + '\n')
    const p = await preview(file)
    t.equal(p.dialect.delimiter, d, JSON.stringify(d))
    t.same(typesOf(p), { name: 'string', qty: 'int64', price: 'float64' })
  }
})

t.test('detection: consistency wins over counts; quotes hide delimiters; default comma', async (t) => {
  t.equal(sniffDelimiter('a;b;c\n"1,5";2,1;3\n"4,5";5;6\n', true), ';', 'decimal commas inside data')
  t.equal(sniffDelimiter('"x,y,z"|b\n"1,2,3"|2\n', true), '|', 'commas inside quotes do not count')
  t.equal(sniffDelimiter('one column\nvalue\n', true), ',', 'no candidate: comma')
  t.equal(sniffDelimiter('a\tb\n1\t2\n3\t4\n5\t', false), '\t', 'incomplete last line ignored')
})

t.test('a given delimiter wins; an invalid one is invalid_parameter', async (t) => {
  const file = csvFile(t, 'a;b,c\n1;2,3\n')
  const semi = await preview(file, { delimiter: ';' })
  t.same(typesOf(semi), { a: 'int64', 'b,c': 'string' })
  const comma = await preview(file, { delimiter: ',' })
  t.same(typesOf(comma), { 'a;b': 'string', c: 'int64' })
  const { previewResult } = await import('./helpers/ingest.js')
  const bad = await previewResult(file, { delimiter: '::' })
  t.match(bad, { ok: false, status: 422, code: 'invalid_parameter', message: /delimiter/ })
})

t.test('a UTF-8 BOM is stripped', async (t) => {
  const file = csvFile(t, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('id,name\n1,é\n')]))
  const p = await preview(file)
  t.same(p.fields.map((f) => f.name), ['id', 'name'])
  t.same(typesOf(p), { id: 'int64', name: 'string' })
  t.equal(p.dialect.encoding, 'utf-8')
})

t.test('a UTF-16 file read with encoding=utf-8 is refused with a clear message', async (t) => {
  // without encoding= it is decoded (test/ingest-encoding*.test.ts)
  const { previewResult } = await import('./helpers/ingest.js')
  const file = csvFile(t, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a,b\n', 'utf16le')]))
  t.match(await previewResult(file, { encoding: 'utf-8' }), { ok: false, status: 422, code: 'invalid_file', message: /line 1: .*UTF-16/ })
})

t.test('CRLF line ends and trailing blank lines', async (t) => {
  const file = csvFile(t, 'id,name\r\n1,a\r\n2,b\r\n\r\n\r\n')
  const p = await preview(file)
  t.equal(p.rowCount, 2)
  t.same(strings(p, 1), ['a', 'b'], 'no \\r left in values')
  t.same(typesOf(p), { id: 'int64', name: 'string' })
})

t.test('blank lines inside a multi-column file are skipped; in a one-column file they are nulls', async (t) => {
  const multi = await preview(csvFile(t, '\n\nid,name\n1,a\n\n2,b\n\n'))
  t.equal(multi.rowCount, 2)
  t.same(multi.fields.map((f) => f.name), ['id', 'name'], 'leading blank lines skipped')
  const one = await preview(csvFile(t, 'v\n1\n\n3\n\n\n'))
  t.equal(one.rowCount, 3, 'middle blank = null, trailing blanks dropped')
  t.same(Array.from(one.rows.columns[0]!.nulls!), [0, 1, 0])
})

t.test('quoted fields hold delimiters, line breaks and doubled quotes', async (t) => {
  const text = 'id,text,n\r\n1,"a,b",1\r\n2,"line1\nline2\r\nline3",2\r\n3,"say ""hi""",3\r\n4,"",4\r\n5,"""",5\r\n'
  const file = csvFile(t, text)
  const p = await preview(file)
  t.equal(p.rowCount, 5)
  t.same(strings(p, 1), ['a,b', 'line1\nline2\r\nline3', 'say "hi"', null, '"'])
  t.same(typesOf(p), { id: 'int64', text: 'string', n: 'int64' })
  const r = await ingest(t, file)
  t.same(values((await readIngested(r)).getChild('text')), ['a,b', 'line1\nline2\r\nline3', 'say "hi"', null, '"'])
})

t.test('a file without a final line break', async (t) => {
  const p = await preview(csvFile(t, 'a,b\n1,2\n3,4'))
  t.equal(p.rowCount, 2)
  t.same(Array.from(p.rows.columns[1]!.values as BigInt64Array), [2n, 4n])
})

t.test('multi-byte characters split across 1 MiB read chunks', async (t) => {
  // a row is 17 bytes; after the 7-byte header the 1 MiB and 2 MiB boundaries fall inside '𝄞'
  const row = 'x,é€𝄞 text\n'
  let text = 'aaaa,b\n'
  t.equal(Buffer.byteLength(row), 17)
  t.equal((1048576 - 7) % 17, 9)
  while (text.length < 2_300_000) text += row
  const p = await preview(csvFile(t, text), {}, 1)
  t.equal(p.rowCount, (text.split('\n').length - 2))
  t.same(strings(p, 1), ['é€𝄞 text'])
})
