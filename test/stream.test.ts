// Streaming for real: 5 million rows through a slow reader with flat server memory, and a
// client that disconnects stops the scan.
import t from 'tap'
import fs from 'node:fs'
import http from 'node:http'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

const ROWS = 5_000_000

function cpuSeconds(pid: number): number {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')
  return (Number(fields[11]) + Number(fields[12])) / 100 // utime + stime in clock ticks
}

/** GETs a URL, reading slowly; calls onProgress with bytes so far; resolves with the total. */
function slowRead(s: TestServer, token: string, p: string, opts: { pauseMs: number; everyBytes: number; stopAfterBytes?: number; onTick?: () => void }): Promise<{ bytes: number; tail: string; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const req = http.get(s.url + p, { headers: { authorization: `Bearer ${token}` } }, (res) => {
      let bytes = 0
      let sinceePause = 0
      let tail = ''
      res.on('data', (c: Buffer) => {
        bytes += c.byteLength
        sinceePause += c.byteLength
        tail = (tail + c.toString('latin1')).slice(-200)
        opts.onTick?.()
        if (opts.stopAfterBytes && bytes >= opts.stopAfterBytes) {
          req.destroy()
          resolve({ bytes, tail, complete: false })
          return
        }
        if (sinceePause >= opts.everyBytes) {
          sinceePause = 0
          res.pause()
          setTimeout(() => res.resume(), opts.pauseMs)
        }
      })
      res.on('end', () => resolve({ bytes, tail, complete: true }))
      res.on('error', reject)
    })
    req.on('error', (err) => (opts.stopAfterBytes ? undefined : reject(err)))
  })
}

t.test('5 million rows stream with flat memory; disconnect stops the work', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const lines: string[] = ['id,label']
  for (let i = 0; i < ROWS; i++) lines.push(`${i},r${i % 1000}`)
  const csv = Buffer.from(lines.join('\n') + '\n')
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'big' }, { name: 'big.csv', content: csv }) })
  t.equal(up.status, 201, 'uploaded 5M rows')
  const token = await s.token()

  // Warm both workers (each loads its own wasm instance) so idle RSS includes them.
  await Promise.all([1, 2].map(() => s.api('/api/datasets/big/explore?limit=10').then((r) => r.text())))
  await new Promise((r) => setTimeout(r, 500))
  const idle = s.rss()
  let peak = idle
  const sample = setInterval(() => { peak = Math.max(peak, s.rss()) }, 50)
  const result = await slowRead(s, token, '/api/datasets/big/explore?format=ndjson', { pauseMs: 5, everyBytes: 1 << 20 })
  clearInterval(sample)
  t.ok(result.complete, 'the stream ended')
  const rowsSeen = result.tail.trim().split('\n').pop()
  t.equal(rowsSeen, `{"id":${ROWS - 1},"label":"r${(ROWS - 1) % 1000}"}`, 'the last row arrived')
  const growthMb = (peak - idle) / 2 ** 20
  t.comment(`RSS idle ${(idle / 2 ** 20).toFixed(0)} MB, peak ${(peak / 2 ** 20).toFixed(0)} MB, growth ${growthMb.toFixed(1)} MB, body ${(result.bytes / 2 ** 20).toFixed(0)} MB`)
  t.ok(growthMb < 100, `RSS grew by ${growthMb.toFixed(1)} MB (< 100 MB)`)

  // Disconnect after 1 MB: the server must stop scanning (its CPU goes quiet).
  const partial = await slowRead(s, token, '/api/datasets/big/explore?format=json', { pauseMs: 0, everyBytes: 1 << 30, stopAfterBytes: 1 << 20 })
  t.notOk(partial.complete)
  await new Promise((r) => setTimeout(r, 1000))
  const before = cpuSeconds(s.proc.pid!)
  await new Promise((r) => setTimeout(r, 1500))
  const used = cpuSeconds(s.proc.pid!) - before
  t.ok(used < 0.3, `server used ${used.toFixed(2)} s of CPU in 1.5 s after the client left (work stopped)`)
  const aborted = s.logs.filter((l) => l.includes('"aborted":true'))
  t.ok(aborted.length >= 1, 'the request is logged as aborted')
})
