/**
 * How a workbook's parts are read (workers/ingest/xlsx-read.ts, built): by the zip's central
 * directory, whatever the order of the entries, with UTF-8 characters whole across chunk
 * boundaries, and the same answer on every read (exceljs's streaming reader lost the last zip
 * entry about once in 700 reads: "Cannot read properties of undefined (reading 'sheets')").
 */
import t from 'tap'
import { readIngested, values } from './helpers/ingest.js'
import { fileOf, ingestXlsx, previewXlsxResult, workbookFile, zipOf } from './helpers/xlsx.js'

const NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
const REL = 'http://schemas.openxmlformats.org/officeDocument/2006/relationships'

t.test('entry order does not matter: sheets first, shared strings after them, workbook.xml last', async (t) => {
  const sheet = (rows: string) => `<?xml version="1.0"?><worksheet ${NS}><sheetData>${rows}</sheetData></worksheet>`
  const content = zipOf({
    'xl/worksheets/sheet2.xml': sheet('<row r="1"><c t="s"><v>0</v></c><c t="s"><v>1</v></c></row><row r="2"><c t="s"><v>2</v></c><c><v>7</v></c></row>'),
    'xl/worksheets/sheet1.xml': sheet('<row r="1"><c t="inlineStr"><is><t>first</t></is></c></row>'),
    // a shared strings part with an unusual name, found through the workbook's relationships
    'xl/strings.xml': `<?xml version="1.0"?><sst ${NS}><si><t>name</t></si><si><t>n</t><rPh><t>phonetic</t></rPh></si><si><r><t>ri</t></r><r><t>ch_x000D_</t></r></si></sst>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/worksheet" Target="worksheets/sheet2.xml"/><Relationship Id="rId3" Type="${REL}/sharedStrings" Target="strings.xml"/></Relationships>`,
    '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    'xl/workbook.xml': `<?xml version="1.0"?><workbook ${NS}><sheets><sheet name="One" sheetId="1" r:id="rId1"/><sheet name="Two" sheetId="2" r:id="rId2"/></sheets></workbook>`,
  })
  const r = await previewXlsxResult(fileOf(t, content), { sheet: 'Two' })
  if (!r.ok) return t.fail(r.message)
  t.same(r.value.sheets, [{ name: 'One', rows: 1, columns: 1 }, { name: 'Two', rows: 2, columns: 2 }])
  t.equal(r.value.rowsJson, '[{"name":"rich\\r","n":7}]')
})

t.test('multi-byte characters survive every chunk boundary of big deflated parts', async (t) => {
  // ~1.4 MB of shared strings and as much sheet XML: file and inflate chunks split characters
  // (exceljs's own writer breaks some of these emoji, so the package is written by hand)
  const text = (i: number) => `ü${i}日本語😀${'é'.repeat(i % 17)}ß`
  const n = 20_000
  const si: string[] = []
  let rows = '<row r="1"><c t="inlineStr"><is><t>shared</t></is></c><c t="inlineStr"><is><t>inline</t></is></c></row>'
  for (let i = 0; i < n; i++) {
    si.push(i % 2 ? `<si><t>${text(i)}</t></si>` : `<si><r><t>${text(i).slice(0, 3)}</t></r><r><t>${text(i).slice(3)}</t></r></si>`)
    rows += `<row r="${i + 2}"><c t="s"><v>${i}</v></c><c t="inlineStr"><is><t>${text(n - i)}✓</t></is></c></row>`
  }
  const content = zipOf({
    '[Content_Types].xml': '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/></Types>',
    'xl/workbook.xml': `<?xml version="1.0"?><workbook ${NS}><sheets><sheet name="u" sheetId="1" r:id="rId1"/></sheets></workbook>`,
    'xl/_rels/workbook.xml.rels': `<?xml version="1.0"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="${REL}/worksheet" Target="worksheets/sheet1.xml"/><Relationship Id="rId2" Type="${REL}/sharedStrings" Target="sharedStrings.xml"/></Relationships>`,
    'xl/sharedStrings.xml': `<?xml version="1.0"?><sst ${NS}>${si.join('')}</sst>`,
    'xl/worksheets/sheet1.xml': `<?xml version="1.0"?><worksheet ${NS}><sheetData>${rows}</sheetData></worksheet>`,
  }, { deflate: true })
  const r = await ingestXlsx(t, fileOf(t, content))
  const table = await readIngested(r)
  const shared = values(table.getChild('shared')) as string[]
  const inline = values(table.getChild('inline')) as string[]
  t.equal(shared.length, n)
  t.equal(shared.filter((v, i) => v !== text(i)).length, 0, 'every shared string intact')
  t.equal(inline.filter((v, i) => v !== `${text(n - i)}✓`).length, 0, 'every inline string intact')
})

t.test('the same workbook reads the same every time (the last zip entry is never lost)', async (t) => {
  let failures = 0
  const messages = new Set<string>()
  for (let i = 0; i < 150; i++) {
    // exceljs writes xl/workbook.xml as the zip's last entry; a new date changes its bytes
    const file = await workbookFile(t, (wb) => {
      wb.created = new Date(Date.UTC(2020, 0, 1) + i * 3_600_000)
      wb.addWorksheet('Empty')
      wb.addWorksheet('Notes').addRow(['just a note'])
      const s = wb.addWorksheet('Sales')
      s.addRow(['id', 'region'])
      s.addRow([i, 'EU'])
    }, `w${i}.xlsx`)
    const r = await previewXlsxResult(file, {})
    if (!r.ok || r.value.sheet !== 'Notes' || r.value.sheets?.length !== 3) {
      failures++
      messages.add(r.ok ? `read ${r.value.sheet}` : r.message)
    }
  }
  t.equal(failures, 0, [...messages].join('; '))
})
