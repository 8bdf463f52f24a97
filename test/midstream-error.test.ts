// A failure after the first byte must never look like a clean, complete response:
// JSON gets an error tail, NDJSON an error line, CSV and Arrow lose the connection.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startServer, uploadForm } from './helpers/server.js'

t.test('mid-stream failure per format', async (t) => {
  // Small data files, so the table has several and the scan can fail between them.
  const s = await startServer({ PARQUET_ROWS_PER_FILE: '20000' })
  t.teardown(() => s.stop())
  const rows = ['id,label']
  for (let i = 0; i < 100_000; i++) rows.push(`${i},label-${i}`)
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'parts' }, { name: 'p.csv', content: rows.join('\n') }) })
  t.equal(up.status, 201)
  const { id } = (await up.json()) as { id: string }
  const dir = path.join(s.dataDir, 'tables', id)
  const files = fs.readdirSync(dir).filter((f) => f.endsWith('.parquet')).sort()
  t.equal(files.length, 5, 'five data files of 20,000 rows')

  // Remove a data file behind the log's back: the scan fails when it reaches it.
  const victim = files[3]
  fs.renameSync(path.join(dir, victim), path.join(s.dataDir, victim))
  t.teardown(() => fs.renameSync(path.join(s.dataDir, victim), path.join(dir, victim)))

  const json = await (await s.api('/api/datasets/parts/explore?format=json')).text()
  t.match(json, /^\{"columns":/, 'JSON started normally')
  t.match(json, /\],"error":\{"error":"unsupported_table","message":"data file \\"part-[^"]*\\" referenced by the table is missing"\}\}$/, 'JSON ends with the error tail, naming the missing file')
  t.notMatch(json, /"row_count"/, 'and no row_count')
  t.doesNotThrow(() => JSON.parse(json), 'the document is still valid JSON')

  const nd = (await (await s.api('/api/datasets/parts/explore?format=ndjson')).text()).trim().split('\n')
  t.ok(nd.length > 2, 'NDJSON rows arrived before the failure')
  t.match(JSON.parse(nd[nd.length - 1]), { error: { error: 'unsupported_table' } }, 'NDJSON ends with an error line')

  for (const format of ['csv', 'arrow']) {
    const r = await s.api(`/api/datasets/parts/explore?format=${format}`)
    t.equal(r.status, 200, `${format} started with 200`)
    await t.rejects(r.arrayBuffer(), `${format}: the body fails instead of ending cleanly`)
  }

  // Before the first byte, the same failure is a proper error status.
  const agg = await s.api('/api/datasets/parts/explore?select=n:count()')
  t.equal(agg.status, 422, 'an aggregate fails before any output: a real status')
  t.match(await agg.json(), { error: 'unsupported_table', message: /missing/ })
  t.notMatch(JSON.stringify(await (await s.api('/api/datasets/parts/explore?select=n:count()')).json()), s.dataDir, 'no server path in the message')
  t.equal((await s.api('/api/datasets/parts/explore?limit=10')).status, 200, 'reads that stop before the missing file still work')
})
