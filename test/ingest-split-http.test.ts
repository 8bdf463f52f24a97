// The two-thread CSV ingest (ingest-split.ts) through the server: the dataset holds every row
// in order, and cancelling the job mid-ingest leaves nothing behind (the helper thread's files
// included). CSV_PARALLEL_MIN_BYTES=0 splits every file; CSV_INFER_SAMPLE_BYTES=1 samples one chunk.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

function leftovers(s: TestServer): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else out.push(path.relative(s.dataDir, p))
    }
  }
  walk(path.join(s.dataDir, 'tables'))
  walk(path.join(s.dataDir, 'tmp'))
  return out
}

t.test('split CSV uploads over HTTP', async (t) => {
  const s = await startServer({ MAX_UPLOAD_BYTES: String(200 * 2 ** 20), CSV_PARALLEL_MIN_BYTES: '0', CSV_INFER_SAMPLE_BYTES: '1' })
  t.teardown(() => s.stop())

  t.test('every row, in order, in two part files', async (t) => {
    const lines = ['id,note,amount']
    for (let i = 0; i < 100_000; i++) lines.push(`${i},${i % 9 === 0 ? `"two\nlines ${i}"` : `row ${i}`},${i}.5`)
    const r = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'halves' }, { name: 'h.csv', content: lines.join('\n') + '\n' }) })
    t.equal(r.status, 201)
    const d = (await r.json()) as { id: string; row_count: number; schema: { name: string; type: string }[] }
    t.equal(d.row_count, 100_000)
    t.same(d.schema.map((c) => c.type), ['int64', 'string', 'float64'])
    const parts = fs.readdirSync(path.join(s.dataDir, 'tables', d.id)).filter((f) => f.endsWith('.parquet')).sort()
    t.equal(parts.length, 2, 'one file per range')
    t.match(parts, [/^part-00000-/, /^part-00001-/])
    const last = await s.api('/api/datasets/halves/explore?id=gte.99998&format=ndjson')
    const rows = (await last.text()).trim().split('\n').slice(1)
    t.same(rows, ['{"id":99998,"note":"row 99998","amount":99998.5}', '{"id":99999,"note":"two\\nlines 99999","amount":99999.5}'])
  })

  t.test('cancelling a split ingest leaves nothing behind', async (t) => {
    const before = leftovers(s)
    const lines = ['id,text,amount']
    for (let i = 0; i < 1_500_000; i++) lines.push(`${i},row number ${i},${i * 0.5}`)
    const r = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'doomed', async: 'true' }, { name: 'd.csv', content: lines.join('\n') }) })
    t.equal(r.status, 202)
    const { job } = (await r.json()) as { job: { id: string } }
    await new Promise((r) => setTimeout(r, 1500))
    const del = await s.api(`/api/jobs/${job.id}`, { method: 'DELETE' })
    t.equal(del.status, 200)
    t.equal(((await del.json()) as { job: { state: string } }).job.state, 'cancelled')
    t.equal((await s.api('/api/datasets/doomed')).status, 404, 'no dataset')
    // the DELETE answers once the task has ended, both threads' files deleted
    t.same(leftovers(s).filter((f) => !before.includes(f)), [], 'no files')
  })
})
