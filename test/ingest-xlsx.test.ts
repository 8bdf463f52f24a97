/**
 * Excel uploads at the worker level (workers/ingest-xlsx.ts, built): sheets, header detection,
 * cell types, formulas, merged cells, rich text, errors, ranges, widening, options.
 */
import { join } from 'node:path'
import t from 'tap'
import { readIngested, typesOf, values } from './helpers/ingest.js'
import { fileOf, handmadeXlsx, ingestXlsx, ingestXlsxResult, previewXlsx, previewXlsxResult, workbookFile } from './helpers/xlsx.js'

t.test('sheets are listed with their used range; the first non-empty one is read by default', async (t) => {
  const file = await workbookFile(t, (wb) => {
    wb.addWorksheet('Empty')
    const a = wb.addWorksheet('Sales')
    a.getCell('B3').value = 'region'
    a.getCell('C3').value = 'qty'
    a.getCell('B4').value = 'EU'
    a.getCell('C4').value = 5
    a.getCell('B5').value = 'US'
    a.getCell('C5').value = 7
    a.getCell('F20').numFmt = '0.00' // styled but empty: not part of the used range
    const b = wb.addWorksheet('Other')
    b.addRow(['x'])
    b.addRow([1.5])
  })
  const p = await previewXlsx(file)
  t.same(p.sheets, [{ name: 'Empty', rows: 0, columns: 0 }, { name: 'Sales', rows: 3, columns: 2 }, { name: 'Other', rows: 2, columns: 1 }])
  t.equal(p.format, 'xlsx')
  t.equal(p.sheet, 'Sales')
  t.same(typesOf(p), { region: 'string', qty: 'int64' })
  t.equal(p.rowsJson, '[{"region":"EU","qty":5},{"region":"US","qty":7}]')
  t.equal(p.rowCount, 2)

  const other = await previewXlsx(file, { sheet: 'other' }) // case-insensitive
  t.equal(other.sheet, 'Other')
  t.equal(other.rowsJson, '[{"x":1.5}]')

  const bad = await previewXlsxResult(file, { sheet: 'Nope' })
  t.match(bad, { ok: false, status: 422, code: 'invalid_parameter', message: /parameter "sheet": no sheet named "Nope".*"Sales"/ })
  const empty = await previewXlsxResult(file, { sheet: 'Empty' })
  t.match(empty, { ok: false, status: 422, code: 'invalid_file', message: /sheet "Empty" is empty/ })
  const ing = await ingestXlsxResult(t, file, { sheet: 'Nope' })
  t.match(ing, { ok: false, code: 'invalid_parameter', message: /"sheet"/ })
})

t.test('header detection: text over typed columns is a header, numbers over numbers are data', async (t) => {
  const named = await workbookFile(t, (wb) => { const s = wb.addWorksheet('s'); s.addRow(['a', 'b']); s.addRow([1, 2]); s.addRow([3, 4]) })
  const p1 = await previewXlsx(named)
  t.same(p1.fields.map((f) => f.name), ['a', 'b'])
  t.equal(p1.rowCount, 2)

  const data = await workbookFile(t, (wb) => { const s = wb.addWorksheet('s'); s.addRow([1, 'x']); s.addRow([2, 'y']) })
  const p2 = await previewXlsx(data)
  t.same(p2.fields.map((f) => [f.name, f.type]), [['column_1', 'int64'], ['column_2', 'string']])
  t.equal(p2.rowsJson, '[{"column_1":1,"column_2":"x"},{"column_1":2,"column_2":"y"}]')

  const allText = await workbookFile(t, (wb) => { const s = wb.addWorksheet('s'); s.addRow(['k', 'v']); s.addRow(['a', 'b']) })
  t.same((await previewXlsx(allText)).fields.map((f) => f.name), ['k', 'v'])
  // the option overrides detection both ways
  t.same((await previewXlsx(data, { header: true })).fields.map((f) => [f.name, f.type]), [['1', 'int64'], ['x', 'string']])
  t.equal((await previewXlsx(allText, { header: false })).rowCount, 2)
  // names as CSV: empty → column_N, duplicates case-insensitively → _2, with warnings
  const dup = await workbookFile(t, (wb) => { const s = wb.addWorksheet('s'); s.addRow(['id', null, 'ID']); s.addRow(['a', 'b', 'c']) })
  const p3 = await previewXlsx(dup, { header: true })
  t.same(p3.fields.map((f) => f.name), ['id', 'column_2', 'ID_2'])
  t.equal(p3.warnings.length, 2)
})

t.test('cell types: ints, floats, big numbers, booleans, text, rich text, hyperlinks, formulas, errors', async (t) => {
  const file = await workbookFile(t, (wb) => {
    const s = wb.addWorksheet('types')
    s.addRow(['int', 'float', 'big', 'bool', 'text', 'f_num', 'f_str', 'f_bool', 'err'])
    s.addRow([1, 1.25, 9007199254740991, true, { richText: [{ text: 'Hello ' }, { font: { bold: true }, text: 'World' }] },
      { formula: 'A2*2', result: 2 }, { formula: 'UPPER("x")', result: 'X' }, { formula: 'A2>0', result: true }, { error: '#N/A' }])
    s.addRow([-42, 3, 9007199254740992, false, { text: 'site', hyperlink: 'https://example.com' },
      { formula: 'A3*2', result: -84 }, { formula: 'T("")', result: 'y' }, { formula: 'A3>0', result: false }, { formula: '1/0', result: { error: '#DIV/0!' } }])
  })
  const p = await previewXlsx(file)
  // 2^53 is not a safe integer: a double that may have been rounded, so the column is float64
  t.same(typesOf(p), { int: 'int64', float: 'float64', big: 'float64', bool: 'boolean', text: 'string', f_num: 'int64', f_str: 'string', f_bool: 'boolean', err: 'string' })
  t.equal(p.rowsJson, '[' +
    '{"int":1,"float":1.25,"big":9007199254740991,"bool":true,"text":"Hello World","f_num":2,"f_str":"X","f_bool":true,"err":null},' +
    '{"int":-42,"float":3,"big":9007199254740992,"bool":false,"text":"site","f_num":-84,"f_str":"y","f_bool":false,"err":null}]')
  t.same(p.warnings, ['2 error cells (#N/A, #DIV/0!) read as null, the first at I2'])

  const r = await ingestXlsx(t, file)
  t.equal(r.rowCount, 2)
  t.equal(r.files.length, 1)
  const table = await readIngested(r)
  t.same(values(table.getChild('int')), [1n, -42n])
  t.same(values(table.getChild('big')), [9007199254740991, 9007199254740992])
  t.same(values(table.getChild('bool')), [true, false])
  t.same(values(table.getChild('err')), [null, null])
  t.match(JSON.parse(r.files[0]!.stats), { numRecords: 2, minValues: { int: -42, text: 'Hello World' }, maxValues: { int: 1, text: 'site' }, nullCount: { err: 2, int: 0 } })
})

t.test('merged cells keep the value in the top-left cell and nulls elsewhere (no fill)', async (t) => {
  const file = await workbookFile(t, (wb) => {
    const s = wb.addWorksheet('m')
    s.addRow(['group', 'item'])
    s.addRow(['fruit', 'apple'])
    s.addRow([null, 'pear'])
    s.addRow(['veg', 'leek'])
    s.mergeCells('A2:A3')
  })
  const p = await previewXlsx(file)
  t.equal(p.rowsJson, '[{"group":"fruit","item":"apple"},{"group":null,"item":"pear"},{"group":"veg","item":"leek"}]')
})

t.test('empty rows inside the data are skipped with a warning; leading/trailing empties are not the range', async (t) => {
  const file = await workbookFile(t, (wb) => {
    const s = wb.addWorksheet('gaps')
    s.getCell('B2').value = 'a'
    s.getCell('C2').value = 'b'
    s.getCell('B3').value = 1
    s.getCell('B6').value = 2
    s.getCell('C6').value = 'z'
    s.getCell('H30').value = '' // an empty string is no value
    s.getCell('D40').numFmt = '0%'
  })
  const p = await previewXlsx(file)
  t.same(p.sheets, [{ name: 'gaps', rows: 5, columns: 2 }])
  t.equal(p.rowsJson, '[{"a":1,"b":null},{"a":2,"b":"z"}]')
  t.same(p.warnings, ['2 empty rows inside the data skipped'])
})

t.test('a late type change widens the column as CSV does', async (t) => {
  const file = await workbookFile(t, (wb) => {
    const s = wb.addWorksheet('late')
    s.addRow(['n', 'm', 'd'])
    for (let i = 1; i <= 500; i++) s.addRow([i, i, new Date(Date.UTC(2024, 0, 1))])
    s.addRow(['n/a', 0.5, new Date(Date.UTC(2024, 0, 1, 12))])
  })
  const r = await ingestXlsx(t, file)
  // number + text → string (the number as its shortest round-trip text); int + float → float; date + timestamp → timestamp
  t.same(typesOf(r), { n: 'string', m: 'float64', d: 'timestamp' })
  const table = await readIngested(r)
  const n = values(table.getChild('n'))
  t.same([n[0], n[499], n[500]], ['1', '500', 'n/a'])
  const d = values(table.getChild('d'))
  // 2024-01-01 = 19723 days since 1970; 12:00 = 43200 s
  t.same([d[0], d[500]], [19723n * 86_400_000_000n, 19723n * 86_400_000_000n + 43_200_000_000n])
})

t.test('infer_types=false, overrides and table types as CSV applies them', async (t) => {
  const file = await workbookFile(t, (wb) => {
    const s = wb.addWorksheet('o')
    s.addRow(['id', 'zip', 'amount', 'flag'])
    s.addRow([1, '00123', 10, true])
    s.addRow([2, '04567', 2.5, false])
  })
  const strings = await previewXlsx(file, { inferTypes: false })
  t.same(typesOf(strings), { id: 'string', zip: 'string', amount: 'string', flag: 'string' })
  t.equal(strings.rowsJson, '[{"id":"1","zip":"00123","amount":"10","flag":"TRUE"},{"id":"2","zip":"04567","amount":"2.5","flag":"FALSE"}]')

  const forced = await previewXlsx(file, { columns: { ZIP: 'int64', id: 'float64' } })
  t.same(typesOf(forced), { id: 'float64', zip: 'int64', amount: 'float64', flag: 'boolean' })
  t.equal(forced.rowsJson, '[{"id":1,"zip":123,"amount":10,"flag":true},{"id":2,"zip":4567,"amount":2.5,"flag":false}]')

  const badType = await previewXlsxResult(file, { columns: { amount: 'int64' } })
  t.match(badType, { ok: false, status: 422, code: 'invalid_file', message: 'sheet "o" cell C3: column "amount": "2.5" is not a valid int64' })
  const unknown = await previewXlsxResult(file, { columns: { nope: 'int64' } })
  t.match(unknown, { ok: false, code: 'invalid_parameter', message: /"columns": no column named "nope"/ })

  // appending to a table: its types apply to the columns the sheet has
  const r = await ingestXlsx(t, file, { tableFields: [{ name: 'id', type: 'string', nullable: true }, { name: 'other', type: 'int64', nullable: true }] })
  t.same(typesOf(r), { id: 'string', zip: 'string', amount: 'float64', flag: 'boolean' })
  t.same(values((await readIngested(r)).getChild('id')), ['1', '2'])
})

t.test('hand-made packages: inline rich strings, t="d", cells without r, _xHHHH_ escapes, uncached formulas', async (t) => {
  const file = fileOf(t, handmadeXlsx({
    sharedStrings: ['<si><t>name</t></si>', '<si><r><t>ri</t></r><r><t>ch</t></r></si>', '<si><t>line_x000D_end</t></si>'],
    sheetData:
      '<row r="1"><c t="s"><v>0</v></c><c t="inlineStr"><is><t>when</t></is></c><c t="inlineStr"><is><t>calc</t></is></c></row>' +
      '<row r="2"><c r="A2" t="s"><v>1</v></c><c r="B2" t="d"><v>2024-02-29T06:00:00</v></c><c r="C2"><f>1+1</f></c></row>' +
      '<row r="3"><c r="A3" t="inlineStr"><is><r><t>in</t></r><r><t>line</t></r><rPh><t>ignored</t></rPh></is></c><c r="B3" t="d"><v>2024-03-01T00:00:00Z</v></c><c r="C3"><v>3</v></c></row>' +
      '<row r="4"><c r="A4" t="s"><v>2</v></c></row>',
  }))
  const p = await previewXlsx(file)
  t.same(typesOf(p), { name: 'string', when: 'timestamp', calc: 'int64' })
  t.equal(p.rowsJson, '[{"name":"rich","when":"2024-02-29T06:00:00.000000Z","calc":null},{"name":"inline","when":"2024-03-01T00:00:00.000000Z","calc":3},{"name":"line\\rend","when":null,"calc":null}]')
  t.match(p.warnings, [/1 formula cell without a cached value .* the first at C2/])
})

t.test('Parquet files roll over at targetRowsPerFile', async (t) => {
  const file = await workbookFile(t, (wb) => { const s = wb.addWorksheet('s'); s.addRow(['v']); for (let i = 0; i < 25; i++) s.addRow([i]) })
  const r = await ingestXlsx(t, file, {}, 10)
  t.same(r.files.map((f) => f.numRecords), [10, 10, 5])
  t.same(values((await readIngested(r)).getChild('v')), Array.from({ length: 25 }, (_, i) => BigInt(i)))
  t.ok(r.files.every((f) => !f.name.includes('/') && join(r.outDir, f.name)))
})
