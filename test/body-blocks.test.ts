// Request bodies are queued in 1 MiB blocks (src/http/body.ts): whatever pieces the client
// writes and uWS hands over, every byte arrives once and in order. Raw uploads of sizes around
// the block size, sent in irregular pieces (1 byte, odd sizes, larger than a block), must store
// exactly the rows sent.
import http from 'node:http'
import t from 'tap'
import { startServer, type TestServer } from './helpers/server.js'

const MiB = 1024 * 1024

/** A CSV of exactly `size` bytes: rows `i,<text>` and a last row padded to fit. */
function csvOfSize(size: number): { body: Buffer; rows: number; idSum: number; last: string } {
  let text = 'id,note\n'
  let rows = 0
  let idSum = 0
  while (text.length < size - 64) {
    text += `${rows},r${rows}x${'abcdefghij'.slice(0, rows % 11)}\n`
    idSum += rows
    rows++
  }
  const head = `${rows},`
  const last = 'z'.repeat(size - text.length - head.length - 1)
  text += `${head}${last}\n`
  idSum += rows
  rows++
  return { body: Buffer.from(text), rows, idSum, last }
}

/** POST `body` raw, written in pieces of the given sizes (cycled), yielding between pieces. */
async function postInPieces(s: TestServer, path: string, body: Buffer, pieces: number[]): Promise<{ status: number; text: string }> {
  const url = new URL(s.url + path)
  const token = await s.token()
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      headers: { 'content-type': 'text/csv', 'content-length': body.length, authorization: `Bearer ${token}` },
    }, (res) => {
      const parts: Buffer[] = []
      res.on('data', (c: Buffer) => parts.push(c))
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString() }))
    })
    req.on('error', reject)
    let at = 0
    let k = 0
    const next = (): void => {
      if (at >= body.length) { req.end(); return }
      const n = pieces[k++ % pieces.length]!
      req.write(body.subarray(at, at + n))
      at += n
      setImmediate(next)
    }
    next()
  })
}

t.test('raw bodies around the 1 MiB block size arrive whole, in order', async (t) => {
  const s = await startServer({ MAX_UPLOAD_BYTES: String(8 * MiB) })
  t.teardown(() => s.stop())
  const cases: [number, number[]][] = [
    [MiB - 1, [MiB]],
    [MiB, [1, 7, 65_536, 300_001]],
    [MiB + 1, [MiB + 1]],
    [2 * MiB + 17, [1, 1, 1, 2 * MiB]],
    [3 * MiB + 5, [123_457, 999_999]],
  ]
  for (const [i, [size, pieces]] of cases.entries()) {
    const { body, rows, idSum, last } = csvOfSize(size)
    t.equal(body.length, size)
    const r = await postInPieces(s, `/api/datasets/file/upload?name=blocks_${i}&filename=b.csv`, body, pieces)
    t.equal(r.status, 201, `${size} bytes: ${r.text.slice(0, 200)}`)
    const d = JSON.parse(r.text) as { row_count: number; provenance: { file: { bytes: number } } }
    t.equal(d.provenance.file.bytes, size, `${size} bytes received`)
    t.equal(d.row_count, rows, `${size} bytes: every row`)
    const agg = await (await s.api(`/api/datasets/blocks_${i}/explore?select=n:count(),t:id.sum()`)).json() as { rows: { n: number; t: number }[] }
    t.same(agg.rows, [{ n: rows, t: idSum }], `${size} bytes: ids in order, none lost or repeated`)
    const tail = await (await s.api(`/api/datasets/blocks_${i}/explore?id=eq.${rows - 1}`)).json() as { rows: { note: string }[] }
    t.equal(tail.rows[0]?.note, last, `${size} bytes: the last bytes`)
  }
})
