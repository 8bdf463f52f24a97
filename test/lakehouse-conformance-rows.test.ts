// Every readable conformance table at every version EXPECTED.json lists, read through the real
// server (register → explore ?version=N): row count and, where given, every row.
import t from 'tap'
import { startServer } from './helpers/server.js'
import { conformancePresent, NO_CONFORMANCE, copyConformance, expected, registered, rows } from './helpers/lakehouse.js'

const READABLE = [
  'simple_table', 'delta-0.8.0', 'delta-0.8.0-partitioned', 'delta-0.8.0-null-partition', 'delta-0.8.0-special-partition',
  'simple_table_with_checkpoint', 'delta-0.2.0', 'python-0.25.5-checkpoint', 'data-skipping-basic-stats-all-types',
]
/** `order=` sorting like EXPECTED's rowsSorted: column by column in schema order, nulls first. */
const orderAll = (cols: string[]) => cols.map((c) => `${/^[A-Za-z_][A-Za-z0-9_]*$/.test(c) ? c : `"${c}"`}.asc.nullsfirst`).join(',')

t.test('rows of every readable table at every version', { skip: conformancePresent ? false : NO_CONFORMANCE }, async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  for (const table of READABLE) {
    const e = expected(table)
    const name = `rows_${table.replace(/[^A-Za-z0-9_]/g, '_')}`
    copyConformance(s, table, `rows/${table}`)
    await registered(s, name, `rows/${table}`)
    const order = orderAll(e.schema.map((f) => f.name))
    for (const v of e.versions) {
      const got = await rows(s, `/api/datasets/${name}/explore?version=${v.version}&order=${order}`)
      if (v.logicalRowCount !== null) t.equal(got.length, v.logicalRowCount, `${table} v${v.version}: ${v.logicalRowCount} rows`)
      if (v.rowsSorted) t.same(got, v.rowsSorted, `${table} v${v.version}: rows equal EXPECTED`)
    }
  }
})
