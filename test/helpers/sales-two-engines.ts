/**
 * The same generated sales rows in both engines on one test server: uploaded to the
 * lakehouse as `sales_lake`, and loaded into a fresh PostgreSQL database behind connector
 * `warehouse` (the `public.sales` table; registering it is left to the test, which checks that).
 */
import { startServer, uploadForm, type TestServer } from './server.js'
import { toCsv, type Row } from './data.js'
import { createPgConnector, createSalesTable, pgTestDatabase, type PgTestDatabase } from './pg.js'

export async function salesInTwoEngines(t: { teardown(fn: () => unknown): void }, rows: readonly Row[]): Promise<{ s: TestServer; db: PgTestDatabase }> {
  const db = await pgTestDatabase(t)
  await createSalesTable(db, rows)
  const s = await startServer()
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'warehouse')
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales_lake' }, { name: 'sales.csv', content: toCsv([...rows]) }) })
  if (up.status !== 201) throw new Error(`uploading the lakehouse copy: ${up.status} ${await up.text()}`)
  return { s, db }
}
