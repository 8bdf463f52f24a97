// A preview reports exactly what an ingest with the same options commits: dialect, fields,
// row count, warnings, and the first rows typed as stored.
import t from 'tap'
import type { Column } from '../proto/batch.js'
import type { CsvOptions } from '../proto/ingest.js'
import { csvFile, ingest, preview, readIngested, values } from './helpers/ingest.js'

/** Plain values of a preview column, shaped like helpers' values() of the Parquet column. */
function previewValues(col: Column): unknown[] {
  const v = col.values
  return Array.from({ length: v.length }, (_, i) => {
    if (col.nulls?.[i]) return null
    const x = (v as ArrayLike<unknown>)[i]
    return col.type === 'boolean' ? x === 1 : x
  })
}

const FILES: [string, string, CsvOptions][] = [
  ['mixed types, late widening', 'id;price;when;ok;zip\n' + Array.from({ length: 3000 }, (_, i) =>
    `${i};${i === 2500 ? '1.25' : i};2024-01-0${1 + (i % 9)}${i === 2999 ? 'T10:00' : ''};${i % 2 ? 'true' : 'FALSE'};${i === 1000 ? '01234' : 10000 + i}`).join('\n') + '\n', {}],
  ['headerless, detected', '1,2024-01-01\n2,\n3,2024-01-03\n', {}],
  ['overrides and renames', 'a,a,,b\n1,2,3,007\n4,5,6,008\n', { columns: { a_2: 'string', b: 'int64' } }],
  ['header=false', 'x|y\n1|2\n', { header: false }],
]

for (const [name, text, options] of FILES) {
  t.test(name, async (t) => {
    const file = csvFile(t, text)
    const p = await preview(file, options, 50)
    const r = await ingest(t, file, options)
    t.same(p.dialect, r.dialect, 'dialect')
    t.same(p.fields, r.fields, 'fields and types')
    t.equal(p.rowCount, r.rowCount, 'row count')
    t.same(p.warnings, r.warnings, 'warnings')
    const table = await readIngested(r)
    t.equal(table.numRows, r.rowCount)
    p.rows.columns.forEach((col, c) => {
      const stored = values(table.getChildAt(c)).slice(0, p.rows.length)
      t.same(previewValues(col), stored, `first rows of ${col.name}`)
    })
    const json = JSON.parse(p.rowsJson) as Record<string, unknown>[]
    t.equal(json.length, p.rows.length, 'rowsJson has the preview rows')
    t.same(Object.keys(json[0] ?? {}), p.fields.map((f) => f.name))
  })
}

t.test('limit caps the rows, not the inference', async (t) => {
  const file = csvFile(t, 'v\n' + Array.from({ length: 500 }, (_, i) => (i === 499 ? 'x' : String(i))).join('\n') + '\n')
  const p = await preview(file, {}, 10)
  t.equal(p.rows.length, 10)
  t.equal(p.rowCount, 500)
  t.equal(p.fields[0]!.type, 'string', 'the last row counts')
  t.same(p.rows.columns[0]!.values, Array.from({ length: 10 }, (_, i) => String(i)))
  t.equal((p.rows.columns[0]!.values as string[]).length, 10, 'exact-size arrays (cheap to send across threads)')
})

t.test('rowsJson encodes values as the API does', async (t) => {
  const file = csvFile(t, 'i,f,b,d,ts,s\n9223372036854775807,1.5,true,2024-01-02,2024-03-01T10:00:00.5Z,"a ""q"""\n,NaN,,,,\n')
  const p = await preview(file)
  t.equal(p.rowsJson, '[{"i":9223372036854775807,"f":1.5,"b":true,"d":"2024-01-02","ts":"2024-03-01T10:00:00.500000Z","s":"a \\"q\\""},' +
    '{"i":null,"f":"NaN","b":null,"d":null,"ts":null,"s":null}]')
})
