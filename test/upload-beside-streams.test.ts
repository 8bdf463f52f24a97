// Cancellable work (an upload, a profile) runs beside streams on the pool's threads. It used to
// be handed to piscina with an abort signal, and piscina runs such a task only on a thread with
// nothing else on it: while dashboard clients held streams open (paused, reading slowly), an
// upload waited until their streams ended. Cancelling is now cooperative (proto/cancel.ts).
import t from 'tap'
import { startServer, uploadForm } from './helpers/server.js'

const ROWS = 600_000

t.test('an upload and a profile are answered while paused streams hold both threads', async (t) => {
  const s = await startServer({ WORKER_THREADS: '2' })
  t.teardown(() => s.stop())
  const lines = ['id,text,amount']
  for (let i = 0; i < ROWS; i++) lines.push(`${i},row number ${i},${i * 0.5}`)
  const base = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'base' }, { name: 'base.csv', content: lines.join('\n') }) })
  t.equal(base.status, 201)
  const running = async () => ((await (await fetch(`${s.url}/healthz?detail=1`)).json()) as { pool: { running: number } }).pool.running

  // four streams of ~30 MB each, read once and then not at all: each holds its task
  const readers: ReadableStreamDefaultReader<Uint8Array>[] = []
  for (let i = 0; i < 4; i++) {
    const r = await s.api(`/api/datasets/base/explore?format=ndjson&limit=${ROWS}&amount=gte.${i}`)
    t.equal(r.status, 200)
    const reader = r.body!.getReader()
    await reader.read()
    readers.push(reader)
  }
  t.equal(await running(), 4, 'four streams hold their tasks')

  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'small' }, { name: 'small.csv', content: 'a,b\n1,x\n2,y\n' }) })
  t.equal(up.status, 201, 'the upload is done')
  const profile = await s.api('/api/datasets/small/profile')
  t.equal(profile.status, 200, 'and so is a profile')
  t.equal(await running(), 4, 'while the four streams are still open, paused')

  for (const r of readers) await r.cancel()
  for (let i = 0; i < 200 && (await running()) > 0; i++) await new Promise((r) => setTimeout(r, 50))
  t.equal(await running(), 0, 'the streams end when their clients leave')
})
