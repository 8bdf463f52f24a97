// Progress messages on a MessagePort: phases in order, throttled, counters that make sense.
import { MessageChannel } from 'node:worker_threads'
import t from 'tap'
import type { IngestProgress } from '../proto/ingest.js'
import run from '../workers/ingest-csv.js'
import { csvFile, tempDir } from './helpers/ingest.js'

t.test('inferring then writing, at most one message per ~100 ms', async (t) => {
  const N = 300_000
  const text = 'id,name,when\n' + Array.from({ length: N }, (_, i) => `${i},name ${i},2024-01-01T00:00:${String(i % 60).padStart(2, '0')}`).join('\n') + '\n'
  const file = csvFile(t, text)
  const size = Buffer.byteLength(text)
  const { port1, port2 } = new MessageChannel()
  const got: IngestProgress[] = []
  port1.on('message', (m: IngestProgress) => got.push(m))
  const started = Date.now()
  const r = await run({ kind: 'csv-ingest', file, options: {}, outDir: tempDir(t), progress: port2 })
  const elapsedMs = Date.now() - started
  t.ok(r.ok)
  await new Promise((resolve) => setTimeout(resolve, 50)) // let the last messages arrive
  port1.close()
  t.ok(got.length >= 2, `${got.length} messages`)
  t.same(got[0], { ...got[0], phase: 'inferring', bytesRead: 0, rowsParsed: 0, totalBytes: size })
  const firstWriting = got.findIndex((m) => m.phase === 'writing')
  t.ok(firstWriting > 0, 'writing comes after inferring')
  t.ok(got.slice(firstWriting).every((m) => m.phase === 'writing'), 'phases do not interleave')
  for (let i = 1; i < got.length; i++) {
    const [a, b] = [got[i - 1]!, got[i]!]
    if (a.phase === b.phase) {
      t.ok(b.bytesRead >= a.bytesRead && b.rowsParsed >= a.rowsParsed, 'counters grow within a phase')
    }
    t.ok(b.bytesRead <= b.totalBytes)
  }
  // arrival times mean nothing on the posting thread (messages queue up while it parses), so
  // count instead: one per phase start plus at most one per 100 ms
  t.ok(got.length <= 2 + Math.ceil(elapsedMs / 100), `${got.length} messages in ${elapsedMs} ms`)
  const lastWriting = got.filter((m) => m.phase === 'writing').at(-1)!
  t.ok(lastWriting.rowsParsed > 0 && lastWriting.rowsParsed <= N)
})
