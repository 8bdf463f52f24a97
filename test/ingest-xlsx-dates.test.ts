/**
 * Excel dates: the 1900 and 1904 date systems, Excel's phantom 1900-02-29, date vs timestamp,
 * and independence from the server's time zone (the task run in child processes with TZ set).
 * Expected values are computed by hand: days since 1970-01-01.
 */
import t from 'tap'
import { fileOf, handmadeXlsx, inChild, previewXlsx } from './helpers/xlsx.js'

// style 0: General; style 1: built-in 14 (m/d/yyyy); style 2: custom "yyyy-mm-dd hh:mm"
const STYLES = { cellXfs: [0, 14, 164], numFmts: { 164: 'yyyy-mm-dd hh:mm' } }

function sheet(rows: [string, number][]): string {
  return '<row r="1"><c r="A1" t="inlineStr"><is><t>d</t></is></c></row>' +
    rows.map(([s, v], i) => `<row r="${i + 2}"><c r="A${i + 2}" s="${s}"><v>${v}</v></c></row>`).join('')
}

t.test('1900 system: serial 45306 is 2024-01-15; serials below 61 follow Excel (1 = 1900-01-01)', async (t) => {
  const file = fileOf(t, handmadeXlsx({ ...STYLES, sheetData: sheet([['1', 45306], ['1', 1], ['1', 59], ['1', 61], ['1', 2958465]]) }))
  const p = await previewXlsx(file)
  t.same(p.fields, [{ name: 'd', type: 'date', nullable: true }])
  // 45306 - 25569 = 19737 days = 2024-01-15; 2958465 = 9999-12-31, the last Excel date
  t.equal(p.rowsJson, '[{"d":"2024-01-15"},{"d":"1900-01-01"},{"d":"1900-02-28"},{"d":"1900-03-01"},{"d":"9999-12-31"}]')
})

t.test('1904 system (date1904="1" and "true"): serial 43844 is 2024-01-15', async (t) => {
  for (const flag of ['1', 'true']) {
    const file = fileOf(t, handmadeXlsx({ ...STYLES, workbookPr: `<workbookPr date1904="${flag}"/>`, sheetData: sheet([['1', 43844], ['1', 0], ['2', 43844.75]]) }))
    const p = await previewXlsx(file)
    t.same(p.fields.map((f) => f.type), ['timestamp'], flag)
    // 43844 - 24107 = 19737 days since 1970 = 2024-01-15; serial 0 = 1904-01-01; .75 day = 18:00
    t.equal(p.rowsJson, '[{"d":"2024-01-15T00:00:00.000000Z"},{"d":"1904-01-01T00:00:00.000000Z"},{"d":"2024-01-15T18:00:00.000000Z"}]', flag)
  }
})

t.test('a number without a date format stays a number; a time with ms keeps them', async (t) => {
  const file = fileOf(t, handmadeXlsx({ ...STYLES, sheetData: sheet([['0', 45306], ['0', 45306.5]]) }))
  t.equal((await previewXlsx(file)).rowsJson, '[{"d":45306},{"d":45306.5}]')
  // 0.5 day + 1.5 s = 43201.5 s → 12:00:01.500
  const ms = fileOf(t, handmadeXlsx({ ...STYLES, sheetData: sheet([['2', 45306 + 43201.5 / 86400]]) }))
  t.equal((await previewXlsx(ms)).rowsJson, '[{"d":"2024-01-15T12:00:01.500000Z"}]')
})

t.test('the same values whatever the server time zone', async (t) => {
  const file = fileOf(t, handmadeXlsx({ ...STYLES, sheetData: sheet([['1', 45306], ['2', 45306.25], ['2', 45291.999988426]]) }))
  // 45291.999988426 = 2023-12-31 23:59:59 (0.999988426 × 86400 = 86399.0 s)
  const expected = '[{"d":"2024-01-15T00:00:00.000000Z"},{"d":"2024-01-15T06:00:00.000000Z"},{"d":"2023-12-31T23:59:59.000000Z"}]'
  for (const tz of ['UTC', 'America/New_York', 'Asia/Kolkata', 'Pacific/Chatham']) {
    const out = await inChild(`const r = await TASK({ kind: 'xlsx-preview', file: ${JSON.stringify(file)}, options: {}, limit: 10 }); console.log(JSON.stringify({ tz: new Date(0).getTimezoneOffset(), rows: r.value.rowsJson }))`, { TZ: tz }) as { tz: number; rows: string }
    t.equal(out.rows, expected, tz)
    if (tz !== 'UTC') t.not(out.tz, 0, `${tz} is really set in the child`)
  }
})
