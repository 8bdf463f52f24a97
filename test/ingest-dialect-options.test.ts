// Dialect options over HTTP: quote, escape, decimal comma, null_values, infer_types, their
// echo in the preview's `dialect`, an upload that stores what the preview showed, and
// 422 invalid_parameter for bad values.
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

type Sub = Parameters<Parameters<typeof t.test>[0]>[0]

interface Preview {
  dialect: Record<string, unknown>
  columns: { name: string; type: string }[]
  rows: Record<string, unknown>[]
}

async function post(s: TestServer, route: 'preview' | 'upload', content: string, fields: Record<string, string> = {}): Promise<Response> {
  return s.api(`/api/datasets/file/${route}`, { method: 'POST', body: uploadForm(fields, { name: 'f.csv', content }) })
}

async function preview(t: Sub, s: TestServer, content: string, fields: Record<string, string> = {}): Promise<Preview> {
  const r = await post(s, 'preview', content, fields)
  const body = (await r.json()) as Preview
  t.equal(r.status, 200, JSON.stringify(body).slice(0, 300))
  return body
}

const types = (p: Preview): string[] => p.columns.map((c) => `${c.name}:${c.type}`)

t.test('dialect options', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())

  t.test('the defaults are echoed in full', async (t) => {
    const p = await preview(t, s, 'a,b\n1,x\n')
    t.strictSame(p.dialect, {
      delimiter: ',', quote: '"', escape: '"', header: true, encoding: 'utf-8', encoding_detected: true,
      decimal: '.', null_values: [''], infer_types: true,
    })
  })

  t.test('quote= another character; a doubled quote escapes it', async (t) => {
    const p = await preview(t, s, "id|note\n1|'a|b'\n2|'it''s'\n3|x'y\n", { quote: "'" })
    t.match(p.dialect, { quote: "'", escape: "'", delimiter: '|' })
    t.same(p.rows, [{ id: 1, note: 'a|b' }, { id: 2, note: "it's" }, { id: 3, note: "x'y" }])
  })

  t.test('escape=\\ : \\" is a quote, \\\\ a backslash, a backslash before anything else stays', async (t) => {
    const csv = 'id,s\n1,"say \\"hi\\""\n2,"C:\\\\dir"\n3,"a\\nb"\n4,"x,""y"""\n'
    const p = await preview(t, s, csv, { escape: '\\' })
    t.match(p.dialect, { quote: '"', escape: '\\' })
    t.same(p.rows.map((r) => r.s), ['say "hi"', 'C:\\dir', 'a\\nb', 'x,"y"'])
    // without escape=, the same file does not parse: \" closes the field
    const r = await post(s, 'preview', csv)
    t.equal(r.status, 422)
    t.match(await r.json(), { error: 'invalid_file', message: /^line 2: a closing quote is followed/ })
  })

  t.test('decimal=, reads 3,5 as 3.5 and rules , out as the delimiter', async (t) => {
    const p = await preview(t, s, 'name;price;qty\na;3,5;1\nb;-0,25;2\nc;1,5e3;3\n', { decimal: ',' })
    t.match(p.dialect, { decimal: ',', delimiter: ';' })
    t.same(types(p), ['name:string', 'price:float64', 'qty:int64'])
    t.same(p.rows.map((r) => r.price), [3.5, -0.25, 1500])
    // one value with a dot: not a number under decimal=, (the column stays text, nothing lost)
    const dot = await preview(t, s, 'v;w\n3,5;1\n2.5;2\n', { decimal: ',' })
    t.same(types(dot), ['v:string', 'w:int64'])
    t.same(dot.rows.map((r) => r.v), ['3,5', '2.5'])
    // no delimiter but , on the first line: with decimal=, it is one column
    const one = await preview(t, s, 'x\n1,5\n2,25\n', { decimal: ',' })
    t.same(types(one), ['x:float64'])
    // the default decimal point leaves 3,5 text (with ; as the delimiter)
    const plain = await preview(t, s, 'a;b\n3,5;1\n')
    t.same(types(plain), ['a:string', 'b:int64'])
    const bad = await post(s, 'preview', 'a;b\n1;2\n', { decimal: ',', delimiter: ',' })
    t.equal(bad.status, 422)
    t.match(await bad.json(), { error: 'invalid_parameter', message: /decimal/ })
  })

  t.test('null_values: default only empty cells; a JSON list; a comma list; [] for none', async (t) => {
    const csv = 'id,n,s\n1,NA,x\n2,,NULL\n3,7,\\N\n'
    const def = await preview(t, s, csv)
    t.same(types(def), ['id:int64', 'n:string', 's:string'], 'NA is text by default')
    t.same(def.rows[1], { id: 2, n: null, s: 'NULL' })
    const json = await preview(t, s, csv, { null_values: '["","NA","NULL","\\\\N"]' })
    t.same(json.dialect.null_values, ['', 'NA', 'NULL', '\\N'])
    t.same(types(json), ['id:int64', 'n:int64', 's:string'])
    t.same(json.rows, [{ id: 1, n: null, s: 'x' }, { id: 2, n: null, s: null }, { id: 3, n: 7, s: null }])
    // a comma list is the complete list: without a leading , empty cells are not null
    const list = await preview(t, s, csv, { null_values: 'NA,NULL' })
    t.same(list.dialect.null_values, ['NA', 'NULL'])
    t.same(types(list), ['id:int64', 'n:string', 's:string'], '"" is a value: n is text')
    t.same(list.rows.map((r) => r.n), [null, '', '7'])
    const withEmpty = await preview(t, s, csv, { null_values: ',NA' })
    t.same(withEmpty.dialect.null_values, ['', 'NA'])
    t.same(types(withEmpty), ['id:int64', 'n:int64', 's:string'])
    const none = await preview(t, s, 'a,b\n1,\n2,""\n', { null_values: '[]' })
    t.same(none.rows, [{ a: 1, b: '' }, { a: 2, b: '' }])
  })

  t.test('infer_types=false keeps every column text (zeros and all); columns= still forces a type', async (t) => {
    const csv = 'id,zip,when\n1,007,2024-01-02\n2,010,2024-01-03\n'
    const p = await preview(t, s, csv, { infer_types: 'false' })
    t.equal(p.dialect.infer_types, false)
    t.equal(p.dialect.header, true)
    t.same(types(p), ['id:string', 'zip:string', 'when:string'])
    t.same(p.rows[0], { id: '1', zip: '007', when: '2024-01-02' })
    const forced = await preview(t, s, csv, { infer_types: 'false', columns: '{"id":"int64"}' })
    t.same(types(forced), ['id:int64', 'zip:string', 'when:string'])
    // header detection still sees the data's types: 1,2 over numbers is a data row
    const noHeader = await preview(t, s, '1,2\n3,4\n', { infer_types: 'false' })
    t.equal(noHeader.dialect.header, false)
    t.same(noHeader.rows, [{ column_1: '1', column_2: '2' }, { column_1: '3', column_2: '4' }])
  })

  t.test('an upload stores exactly what the preview showed (decimal, nulls, escape, Latin-1)', async (t) => {
    const csv = 'k;v;note\n1;3,5;"a \\"q\\""\n2;NA;NA\n'
    const fields = { decimal: ',', null_values: '["","NA"]', escape: '\\' }
    const p = await preview(t, s, csv, fields)
    const up = await post(s, 'upload', csv, { ...fields, name: 'opts_upload' })
    t.equal(up.status, 201)
    const r = await s.api('/api/datasets/opts_upload/explore?format=json')
    const body = (await r.json()) as Preview
    t.same(types(body), types(p))
    t.same(body.rows, [{ k: 1, v: 3.5, note: 'a "q"' }, { k: 2, v: null, note: null }])
    t.same(body.rows, p.rows)
  })

  t.test('header=false names the columns column_1..N; CRLF and trailing blank lines are fine', async (t) => {
    const p = await preview(t, s, 'a\t1\r\nb\t2\r\n\r\n\r\n', { header: 'false' })
    t.match(p.dialect, { header: false, delimiter: '\t' })
    t.same(p.rows, [{ column_1: 'a', column_2: 1 }, { column_1: 'b', column_2: 2 }])
  })

  t.test('bad option values are 422 invalid_parameter naming the option', async (t) => {
    for (const [k, v] of [['quote', 'ab'], ['escape', 'ab'], ['decimal', ';'], ['null_values', '[1]'], ['null_values', '["x"'], ['infer_types', 'maybe'], ['encoding', 'utf-32']] as const) {
      const r = await post(s, 'preview', 'a\n1\n', { [k]: v })
      t.equal(r.status, 422, `${k}=${v}`)
      t.match(await r.json(), { error: 'invalid_parameter', message: new RegExp(k) }, `${k}=${v}`)
    }
    // the escape and the quote cannot be the delimiter
    const r = await post(s, 'preview', 'a\n1\n', { quote: ';', delimiter: ';' })
    t.equal(r.status, 422)
    t.match(await r.json(), { error: 'invalid_parameter', message: /delimiter/ })
  })
})
