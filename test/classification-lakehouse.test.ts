// Classification of a registered plain Parquet folder over real HTTP: nothing is classified
// at registration; the first GET classifies from a sample read in a worker, with the Hive
// partition column filled from the folder names.
import path from 'node:path'
import t from 'tap'
import { Utf8, Float64 } from 'apache-arrow'
import { startServer } from './helpers/server.js'
import { orgDir, registered, writeParquet } from './helpers/lakehouse.js'

t.test('a registered Parquet folder classifies on first read', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const dir = path.join(orgDir(s), 'crm', 'contacts')
  for (const region of ['EU', 'US']) {
    const n = 40
    writeParquet(path.join(dir, `region=${region}`, 'part-0.parquet'), {
      mail: { type: new Utf8(), values: Array.from({ length: n }, (_, i) => `person${i}.${region.toLowerCase()}@example.org`) },
      spend: { type: new Float64(), values: Array.from({ length: n }, (_, i) => i * 1.5) },
    })
  }
  await registered(s, 'contacts', 'crm/contacts')
  t.notOk(s.logs.some((l) => l.includes('"dataset classified"')), 'registering classifies nothing')
  const r = await s.api('/api/datasets/contacts/classification')
  const b = await r.json() as { columns: { name: string; semantic_type: string; source: string }[] }
  t.equal(r.status, 200, JSON.stringify(b))
  t.same(b.columns.map((c) => [c.name, c.semantic_type, c.source]), [
    ['mail', 'email', 'auto'], ['spend', 'measure', 'auto'], ['region', 'categorical', 'auto'],
  ], 'partition values are part of the sample')
})
