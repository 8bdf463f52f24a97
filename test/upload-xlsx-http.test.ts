// Excel over real HTTP: preview lists the sheets, `sheet=` picks one, upload → explore gives
// the typed values; appending a workbook to a table casts to its types; options of other
// formats are refused.
import t from 'tap'
import fs from 'node:fs'
import ExcelJS from 'exceljs'
import { startServer, uploadForm } from './helpers/server.js'
import { workbookFile } from './helpers/xlsx.js'

t.test('xlsx preview → upload → explore', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const file = await workbookFile(t, (wb: ExcelJS.Workbook) => {
    wb.addWorksheet('Empty')
    const notes = wb.addWorksheet('Notes')
    notes.addRow(['just a note'])
    const sales = wb.addWorksheet('Sales')
    sales.addRow(['id', 'region', 'amount', 'day', 'paid'])
    sales.addRow([1, 'EU', 12.5, new Date(Date.UTC(2024, 2, 1)), true])
    sales.addRow([2, 'US', 7, new Date(Date.UTC(2024, 2, 2)), false])
    sales.addRow([9007199254740991, 'APAC', -3.25, new Date(Date.UTC(2024, 1, 29)), true])
  })
  const content = fs.readFileSync(file)

  const preview = await s.api('/api/datasets/file/preview?sheet=Sales', { method: 'POST', body: uploadForm({}, { name: 'book.xlsx', content }) })
  t.equal(preview.status, 200)
  const p = (await preview.json()) as { format: string; sheets: { name: string; rows: number; columns: number }[]; sheet: string; columns: { name: string; type: string }[]; rows: unknown[] }
  t.equal(p.format, 'xlsx')
  t.same(p.sheets, [{ name: 'Empty', rows: 0, columns: 0 }, { name: 'Notes', rows: 1, columns: 1 }, { name: 'Sales', rows: 4, columns: 5 }])
  t.equal(p.sheet, 'Sales')
  t.same(p.columns.map((c) => `${c.name}:${c.type}`), ['id:int64', 'region:string', 'amount:float64', 'day:date', 'paid:boolean'])

  const up = await s.api('/api/datasets/file/upload?sheet=Sales', { method: 'POST', body: uploadForm({ name: 'sales_xlsx' }, { name: 'book.xlsx', content }) })
  t.equal(up.status, 201)
  const d = (await up.json()) as { provenance: { format: string; sheet: string } }
  t.match(d.provenance, { format: 'xlsx', sheet: 'Sales' })
  const rows = ((await (await s.api('/api/datasets/sales_xlsx/explore?order=id')).json()) as { rows: unknown[] }).rows
  t.same(rows, [
    { id: 1, region: 'EU', amount: 12.5, day: '2024-03-01', paid: true },
    { id: 2, region: 'US', amount: 7, day: '2024-03-02', paid: false },
    { id: 9007199254740991, region: 'APAC', amount: -3.25, day: '2024-02-29', paid: true },
  ])

  // raw body, default sheet = the first non-empty one (Notes)
  const raw = await s.api('/api/datasets/file/upload?name=notes_xlsx', {
    method: 'POST', body: content, headers: { 'content-type': 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' },
  })
  const rawBody = await raw.json()
  t.equal(raw.status, 201, `raw body upload: ${JSON.stringify(rawBody)}`)
  t.match(rawBody, { provenance: { sheet: 'Notes' } })

  const csvOption = await s.api('/api/datasets/file/upload?delimiter=%3B', { method: 'POST', body: uploadForm({ name: 'bad' }, { name: 'book.xlsx', content }) })
  t.match([csvOption.status, await csvOption.json()], [422, { error: 'invalid_parameter', message: /delimiter.*Excel/ }])
  const noSheet = await s.api('/api/datasets/file/upload?sheet=Nope', { method: 'POST', body: uploadForm({ name: 'bad' }, { name: 'book.xlsx', content }) })
  t.match([noSheet.status, await noSheet.json()], [422, { error: 'invalid_parameter', message: /sheet/ }])
})
