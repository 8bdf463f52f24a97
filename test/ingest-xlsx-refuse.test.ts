/** What the xlsx worker refuses: legacy .xls, macro-enabled workbooks, corrupt or non-xlsx zips. */
import { readFileSync } from 'node:fs'
import t from 'tap'
import { fileOf, handmadeXlsx, ingestXlsxResult, previewXlsxResult, workbookFile, zipOf } from './helpers/xlsx.js'

const ROWS = '<row r="1"><c r="A1" t="inlineStr"><is><t>a</t></is></c></row><row r="2"><c r="A2"><v>1</v></c></row>'

t.test('legacy .xls (OLE2) is refused with a clear message', async (t) => {
  const ole = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(504)])
  const r = await previewXlsxResult(fileOf(t, ole, 'old.xls'))
  t.match(r, { ok: false, status: 422, code: 'invalid_file', message: /\.xls.*save it as \.xlsx/ })
})

t.test('macro-enabled workbooks are refused: by content type and by vbaProject.bin', async (t) => {
  const byType = handmadeXlsx({ sheetData: ROWS, contentTypesExtra: '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.ms-excel.sheet.macroEnabled.main+xml"/>' })
  const byPart = handmadeXlsx({ sheetData: ROWS, extraParts: { 'xl/vbaProject.bin': Buffer.from('VBA') } })
  for (const [name, buf] of [['type', byType], ['part', byPart]] as const) {
    const r = await ingestXlsxResult(t, fileOf(t, buf, 'm.xlsm'))
    t.match(r, { ok: false, status: 422, code: 'invalid_file', message: /macro-enabled/ }, name)
  }
  // the same package without either is read
  t.match(await previewXlsxResult(fileOf(t, handmadeXlsx({ sheetData: ROWS }))), { ok: true, value: { rowCount: 1 } })
})

t.test('corrupt or non-xlsx zips are 422 invalid_file', async (t) => {
  const good = await workbookFile(t, (wb) => { const s = wb.addWorksheet('s'); s.addRow(['a']); for (let i = 0; i < 200; i++) s.addRow([`v${i}`]) })
  const bytes = readFileSync(good)
  const cases: [string, Buffer, RegExp][] = [
    ['not a zip', Buffer.from('a,b\n1,2\n'), /not an \.xlsx workbook/],
    ['truncated', bytes.subarray(0, Math.floor(bytes.length / 2)), /zip/],
    ['zip without workbook', zipOf({ 'hello.txt': 'hi' }), /no xl\/workbook\.xml/],
    ['bad sheet XML', handmadeXlsx({ sheetData: '<row r="1"><c r="A1"><v>1</v></row>' }), /could not be read/],
  ]
  // corrupt the middle of the data (central directory intact)
  const flipped = Buffer.from(bytes)
  for (let i = 200; i < flipped.length - 2000; i += 7) flipped[i] ^= 0x5a
  cases.push(['flipped bytes', flipped, /./])
  for (const [name, buf, msg] of cases) {
    const r = await previewXlsxResult(fileOf(t, buf))
    t.match(r, { ok: false, status: 422, code: 'invalid_file', message: msg }, name)
  }
})
