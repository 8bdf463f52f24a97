// Worker threads load their task modules with import(), never through require(esm): a thread
// terminated while require() links an ES module graph aborts the whole process on Node 20
// (src/pool.ts). The server runs with --trace-require-module=all, which prints a warning for
// every ES module loaded through require(), on any thread; the work below loads the task
// modules of an upload (with its range helper thread), preview, explore, profile, column
// stats and classification.
import t from 'tap'
import { startServer, uploadForm } from './helpers/server.js'

t.test('no worker loads an ES module through require()', async (t) => {
  const s = await startServer({ NODE_OPTIONS: '--trace-require-module=all', CSV_PARALLEL_MIN_BYTES: '0' })
  t.teardown(() => s.stop())
  const csv = 'id,region,ts,amount\n' + Array.from({ length: 2000 }, (_, i) => `${i},${['EU', 'US', 'APAC'][i % 3]},2024-01-0${1 + (i % 9)}T10:00:00Z,${i * 1.5}`).join('\n') + '\n'
  const form = () => uploadForm({ name: 'sales' }, { name: 'sales.csv', content: csv })
  t.equal((await s.api('/api/datasets/file/preview', { method: 'POST', body: form() })).status, 200)
  t.equal((await s.api('/api/datasets/file/upload', { method: 'POST', body: form() })).status, 201)
  const calls = [
    '/api/datasets/sales/explore?select=region,n:count()&group=region&format=arrow',
    '/api/datasets/sales/explore?order=id&limit=5&format=ndjson',
    '/api/datasets/sales/profile',
    '/api/datasets/sales/column-stats?time_column=ts&bucket=1d&window=30d',
    '/api/datasets/sales/classification',
  ]
  for (const c of calls) {
    const r = await s.api(c)
    await r.arrayBuffer()
    t.equal(r.status, 200, c)
  }
  await s.stop()
  const traced = s.stderr.join('')
  t.notMatch(traced, /using require\(\)|loading ES Module/, 'no require(esm) on any thread')
})
