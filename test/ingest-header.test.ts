// Header names (empty → column_N, duplicates made unique, warnings), header=false, and header
// detection when `header` is not given.
import t from 'tap'
import { columnNames } from '../workers/ingest/dialect.js'
import { csvFile, ingest, preview, typesOf } from './helpers/ingest.js'

t.test('empty and duplicate names are renamed, each with a warning', async (t) => {
  const p = await preview(csvFile(t, 'id,,name,Name,name,\n1,2,a,b,c,3\n'))
  t.same(p.fields.map((f) => f.name), ['id', 'column_2', 'name', 'Name_2', 'name_3', 'column_6'])
  t.equal(p.warnings.length, 4)
  t.match(p.warnings[0], /column 2 .*empty.*column_2/)
  t.match(p.warnings[1], /column 4: duplicate name "Name" renamed to "Name_2"/)
  t.match(p.warnings[2], /column 5: duplicate name "name" renamed to "name_3"/)
  t.match(p.warnings[3], /column 6 .*empty.*column_6/)
  t.equal(p.dialect.header, true)
})

t.test('a generated name that is taken gets a suffix too', async (t) => {
  const { names, warnings } = columnNames(['column_2', '', 'x'], 3)
  t.same(names, ['column_2', 'column_2_2', 'x'])
  t.equal(warnings.length, 2)
})

t.test('header=false: names column_1..N and the first row is data', async (t) => {
  const file = csvFile(t, 'a,b\n1,2\n')
  const p = await preview(file, { header: false })
  t.same(p.fields.map((f) => f.name), ['column_1', 'column_2'])
  t.equal(p.rowCount, 2)
  t.same(typesOf(p), { column_1: 'string', column_2: 'string' }, 'the first row takes part in inference')
  t.same(p.warnings, [])
  t.equal(p.dialect.header, false)
  const r = await ingest(t, file, { header: false })
  t.equal(r.rowCount, 2)
})

t.test('header=true keeps a numeric first row as names', async (t) => {
  const p = await preview(csvFile(t, '1,2\n3,4\n'), { header: true })
  t.same(p.fields.map((f) => f.name), ['1', '2'])
  t.equal(p.rowCount, 1)
})

t.test('detection: a first row that fits the typed columns is data', async (t) => {
  const p = await preview(csvFile(t, '1,x,2024-01-01\n2,y,2024-01-02\n3,z,\n'))
  t.equal(p.dialect.header, false)
  t.same(p.fields.map((f) => f.name), ['column_1', 'column_2', 'column_3'])
  t.same(typesOf(p), { column_1: 'int64', column_2: 'string', column_3: 'date' })
  t.equal(p.rowCount, 3)
  t.same(Array.from(p.rows.columns[0]!.values as BigInt64Array), [1n, 2n, 3n])
})

t.test('detection: names over typed columns are a header; an all-string file keeps the header', async (t) => {
  const typed = await preview(csvFile(t, 'id,when\n1,2024-01-01\n2,2024-01-02\n'))
  t.equal(typed.dialect.header, true)
  const strings = await preview(csvFile(t, 'name,city\nbob,paris\n'))
  t.equal(strings.dialect.header, true)
  t.same(strings.fields.map((f) => f.name), ['name', 'city'])
  const onlyHeader = await preview(csvFile(t, 'a,b,c\n'))
  t.equal(onlyHeader.dialect.header, true)
  t.equal(onlyHeader.rowCount, 0)
  t.same(typesOf(onlyHeader), { a: 'string', b: 'string', c: 'string' })
})

t.test('a file with a header and no rows ingests to zero files', async (t) => {
  const r = await ingest(t, csvFile(t, 'a,b\n'))
  t.equal(r.rowCount, 0)
  t.same(r.files, [])
  t.same(typesOf(r), { a: 'string', b: 'string' })
})
