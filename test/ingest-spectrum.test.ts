// csv-spectrum conformance: every case of the csv-spectrum test data, uploaded over HTTP with
// infer_types=false and null_values=[] (nothing is null: csv-spectrum expects "" for empty
// fields, where Sluice's default reads an empty cell as null), explores to exactly the
// values of the case's JSON (all strings).
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ROOT, startServer, uploadForm } from './helpers/server.js'

const DIR = path.join(ROOT, 'node_modules', 'csv-spectrum')
const cases = fs.readdirSync(path.join(DIR, 'csvs')).filter((f) => f.endsWith('.csv')).map((f) => f.slice(0, -4)).sort()

/**
 * Upstream errata of csv-spectrum 2.0.0's JSON (the CSV is the data under test): in
 * location_coordinates the JSON is one object (not an array) and its phone number,
 * "1234567890", is not the one in the CSV ("2095257564"). Only these fields are corrected.
 */
const ERRATA: Record<string, (rows: Record<string, string>[]) => void> = {
  location_coordinates: (rows) => {
    rows[0]!['Contact Phone Number'] = '2095257564'
  },
}

function expected(name: string): Record<string, string>[] {
  const json = JSON.parse(fs.readFileSync(path.join(DIR, 'json', `${name}.json`), 'utf8')) as unknown
  const rows = (Array.isArray(json) ? json : [json]) as Record<string, string>[]
  ERRATA[name]?.(rows)
  return rows
}

t.test('csv-spectrum', async (t) => {
  t.ok(cases.length >= 12, `found the cases (${cases.join(' ')})`)
  const s = await startServer()
  t.teardown(() => s.stop())

  for (const name of cases) {
    t.test(name, async (t) => {
      const content = fs.readFileSync(path.join(DIR, 'csvs', `${name}.csv`))
      const want = expected(name)
      const fields = { name: `spectrum_${name}`, infer_types: 'false', null_values: '[]' }
      const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm(fields, { name: `${name}.csv`, content }) })
      t.equal(up.status, 201, await up.clone().text())
      const r = await s.api(`/api/datasets/spectrum_${name}/explore?format=json&limit=100`)
      t.equal(r.status, 200)
      const body = (await r.json()) as { columns: { name: string; type: string }[]; rows: Record<string, unknown>[] }
      t.same(body.columns.map((c) => c.name), Object.keys(want[0]!), 'column names in order')
      t.ok(body.columns.every((c) => c.type === 'string'), 'every column a string')
      t.strictSame(body.rows, want, 'exactly the expected values')
    })
  }

  t.test('the preview of the same upload gives the same rows and echoes the options', async (t) => {
    const content = fs.readFileSync(path.join(DIR, 'csvs', 'empty_crlf.csv'))
    const r = await s.api('/api/datasets/file/preview', { method: 'POST', body: uploadForm({ infer_types: 'false', null_values: '[]' }, { name: 'e.csv', content }) })
    t.equal(r.status, 200)
    const p = (await r.json()) as { dialect: Record<string, unknown>; rows: unknown[] }
    t.strictSame(p.rows, expected('empty_crlf'))
    t.match(p.dialect, { infer_types: false, null_values: [], header: true, delimiter: ',' })
  })

  t.test('with the default null_values an empty field is null, not ""', async (t) => {
    const content = fs.readFileSync(path.join(DIR, 'csvs', 'empty.csv'))
    const r = await s.api('/api/datasets/file/preview', { method: 'POST', body: uploadForm({ infer_types: 'false' }, { name: 'e.csv', content }) })
    const p = (await r.json()) as { rows: unknown[] }
    t.strictSame(p.rows, [{ a: '1', b: null, c: null }, { a: '2', b: '3', c: '4' }])
  })
})
