// The bytes of answers from the result cache, read off a raw socket: their heads are prepared
// once (src/http/prepared-head.ts) and written in one call, so this checks what a strict
// client sees — one header per line, each once, the 200 and the 304 — and that pipelined
// requests answered inside the uWS handler (no cork of our own) come back whole and in order.
// Also: prepareHead refuses what could split a response, and request ids stay UUID-shaped
// and distinct.
import t from 'tap'
import net from 'node:net'
import { prepareHead } from '../src/http/prepared-head.js'
import { startServer, uploadForm } from './helpers/server.js'

interface RawResponse { statusLine: string; headers: [string, string][]; body: Buffer }

/** The body of a chunked response starting at `at`, and where it ends; null while incomplete. */
function dechunk(buf: Buffer, at: number): { body: Buffer; end: number } | null {
  const parts: Buffer[] = []
  for (;;) {
    const eol = buf.indexOf('\r\n', at)
    if (eol < 0) return null
    const size = parseInt(buf.subarray(at, eol).toString('latin1'), 16)
    if (buf.length < eol + 2 + size + 2) return null
    if (size === 0) return { body: Buffer.concat(parts), end: eol + 4 }
    parts.push(buf.subarray(eol + 2, eol + 2 + size))
    at = eol + 2 + size + 2
  }
}

/** Reads `count` responses (Content-Length or chunked) from one socket after writing `request`. */
function rawExchange(port: number, request: string, count: number): Promise<RawResponse[]> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(port, '127.0.0.1', () => sock.write(request))
    let buf = Buffer.alloc(0)
    const out: RawResponse[] = []
    const fail = (err: Error) => { sock.destroy(); reject(err) }
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) break
        const lines = buf.subarray(0, end).toString('latin1').split('\r\n')
        const headers: [string, string][] = []
        for (const l of lines.slice(1)) {
          const m = /^([!#$%&'*+.^_`|~0-9A-Za-z-]+): ([\x20-\x7e]*)$/.exec(l)
          if (!m) return fail(new Error(`malformed header line ${JSON.stringify(l)}`))
          headers.push([m[1]!.toLowerCase(), m[2]!])
        }
        let body: Buffer
        let next: number
        if (headers.some(([k, v]) => k === 'transfer-encoding' && v === 'chunked')) {
          const d = dechunk(buf, end + 4)
          if (d === null) break
          body = d.body
          next = d.end
        } else {
          const length = lines[0]!.startsWith('HTTP/1.1 304') ? 0 : Number(headers.find(([k]) => k === 'content-length')?.[1] ?? 0)
          if (buf.length < end + 4 + length) break
          body = buf.subarray(end + 4, end + 4 + length)
          next = end + 4 + length
        }
        out.push({ statusLine: lines[0]!, headers, body })
        buf = buf.subarray(next)
        if (out.length === count) {
          sock.end()
          resolve(out)
          return
        }
      }
    })
    sock.on('error', fail)
    sock.on('close', () => { if (out.length < count) reject(new Error(`socket closed after ${out.length} of ${count} responses`)) })
  })
}

const header = (r: RawResponse, name: string) => r.headers.filter(([k]) => k === name).map(([, v]) => v)
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

t.test('prepareHead spells the status and headers, and refuses what could split a response', async (t) => {
  t.equal(prepareHead(200, { 'Content-Type': 'application/json', ETag: 'W/"abc"' }).text, '200 OK\r\nContent-Type: application/json\r\nETag: W/"abc"')
  t.equal(prepareHead(304, {}).text, '304 Not Modified')
  t.throws(() => prepareHead(200, { ETag: 'a\r\nSet-Cookie: x=1' }), /not a safe header/, 'CR LF in a value')
  t.throws(() => prepareHead(200, { ETag: 'a\nb' }), /not a safe header/, 'a bare LF')
  t.throws(() => prepareHead(200, { ETag: 'a\u0000b' }), /not a safe header/, 'a NUL')
  t.throws(() => prepareHead(200, { 'X-A: 1\r\nX-B': '2' }), /not a safe header/, 'a name that is not a token')
  t.throws(() => prepareHead(200, { '': 'x' }), /not a safe header/, 'an empty name')
})

t.test('answers from the result cache over a raw socket', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const csv = 'id,region,amount\n' + Array.from({ length: 40 }, (_, i) => `${i},${i % 3 ? 'EU' : 'US'},${i * 5}`).join('\n') + '\n'
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales' }, { name: 'sales.csv', content: csv }) })
  t.equal(up.status, 201)
  const path = '/api/datasets/sales/explore?select=region,n:count(),total:amount.sum()&group=region&order=region&format=json'
  const token = await s.token()
  const request = (extra = '') => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n${extra}\r\n`

  const [miss] = await rawExchange(s.port, request(), 1)
  t.equal(header(miss!, 'x-cache')[0], 'miss')
  const [hit] = await rawExchange(s.port, request(), 1)
  t.equal(hit!.statusLine, 'HTTP/1.1 200 OK')
  t.same(header(hit!, 'x-cache'), ['hit'], 'answered from the cache')
  for (const name of ['content-type', 'etag', 'cache-control', 'x-request-id', 'content-length', 'date']) {
    t.equal(header(hit!, name).length, 1, `${name} exactly once`)
  }
  t.same(header(hit!, 'content-type'), ['application/json'])
  t.same(header(hit!, 'cache-control'), ['private, no-cache'])
  t.same(header(hit!, 'etag'), header(miss!, 'etag'), 'the ETag of the miss')
  t.match(header(hit!, 'x-request-id')[0], UUID)
  t.equal(hit!.body.toString(), miss!.body.toString(), 'the bytes of the miss')
  const expected = ['EU', 'US'].map((region) => {
    const ids = Array.from({ length: 40 }, (_, i) => i).filter((i) => (i % 3 ? 'EU' : 'US') === region)
    return { region, n: ids.length, total: ids.reduce((sum, i) => sum + i * 5, 0) }
  })
  t.same(JSON.parse(hit!.body.toString()).rows, expected)

  const etag = header(hit!, 'etag')[0]!
  const [notModified] = await rawExchange(s.port, request(`If-None-Match: ${etag}\r\n`), 1)
  t.equal(notModified!.statusLine, 'HTTP/1.1 304 Not Modified')
  t.same(header(notModified!, 'etag'), [etag])
  t.same(header(notModified!, 'cache-control'), ['private, no-cache'])
  t.equal(header(notModified!, 'x-request-id').length, 1)
  t.equal(header(notModified!, 'content-type').length, 0, 'a 304 names no body type')
  t.equal(header(notModified!, 'content-length').length, 0, 'nor a length (it would have to be the 200\'s)')

  // Three requests in one write: uWS answers them one after another inside its handler.
  const given = 'trace-pipelined-1'
  const piped = await rawExchange(s.port, request() + request(`X-Request-Id: ${given}\r\n`) + request(`If-None-Match: ${etag}\r\n`), 3)
  t.same(piped.map((r) => r.statusLine), ['HTTP/1.1 200 OK', 'HTTP/1.1 200 OK', 'HTTP/1.1 304 Not Modified'])
  t.equal(piped[0]!.body.toString(), miss!.body.toString())
  t.equal(piped[1]!.body.toString(), miss!.body.toString())
  t.same(header(piped[1]!, 'x-request-id'), [given], 'a given request id is echoed')

  // a 204 carries no Content-Length either
  const [deleted] = await rawExchange(s.port, `DELETE /api/datasets/sales HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`, 1)
  t.equal(deleted!.statusLine, 'HTTP/1.1 204 No Content')
  t.equal(header(deleted!, 'content-length').length, 0, 'a 204 has no Content-Length')
})

t.test('request ids are UUID-shaped and distinct', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const ids = new Set<string>()
  for (let i = 0; i < 300; i++) {
    const r = await s.api('/api/datasets?limit=1')
    await r.arrayBuffer()
    const id = r.headers.get('x-request-id')!
    t.ok(UUID.test(id), `UUID-shaped: ${id}`, { diagnostic: false })
    ids.add(id)
  }
  t.equal(ids.size, 300, 'no id repeats')
})

t.test('large cached answers to a pipelining client that reads late arrive whole and in order', async (t) => {
  // A cached body bigger than uWS's 16 KB cork buffer, answered inside the handler while the
  // socket cannot take it (the client is not reading yet): every byte must still arrive.
  const s = await startServer()
  t.teardown(() => s.stop())
  const csv = 'id,name,amount\n' + Array.from({ length: 3000 }, (_, i) => `${i},customer number ${i},${i * 1.25}`).join('\n') + '\n'
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'big' }, { name: 'big.csv', content: csv }) })
  t.equal(up.status, 201)
  const path = '/api/datasets/big/explore?order=id&format=json'
  const token = await s.token()
  const first = await s.api(path)
  const body = await first.text()
  t.ok(body.length > 64 * 1024, `a ${body.length}-byte answer`)
  t.equal((await s.api(path)).headers.get('x-cache'), 'hit')

  const count = 60
  const request = `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`
  const responses = await new Promise<RawResponse[]>((resolve, reject) => {
    const sock = net.connect(s.port, '127.0.0.1', () => {
      sock.pause() // read nothing until every request is out and the server's buffers are full
      sock.write(request.repeat(count), () => setTimeout(() => sock.resume(), 300))
    })
    let buf = Buffer.alloc(0)
    const out: RawResponse[] = []
    const timer = setTimeout(() => { sock.destroy(); reject(new Error(`only ${out.length} of ${count} responses within 30 s`)) }, 30_000)
    sock.on('data', (chunk) => {
      buf = Buffer.concat([buf, chunk])
      for (;;) {
        const end = buf.indexOf('\r\n\r\n')
        if (end < 0) return
        const head = buf.subarray(0, end).toString('latin1')
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? NaN)
        if (!Number.isFinite(length)) { clearTimeout(timer); sock.destroy(); reject(new Error(`no Content-Length in ${JSON.stringify(head.slice(0, 200))}`)); return }
        if (buf.length < end + 4 + length) return
        out.push({ statusLine: head.split('\r\n')[0]!, headers: [], body: buf.subarray(end + 4, end + 4 + length) })
        buf = buf.subarray(end + 4 + length)
        if (out.length === count) { clearTimeout(timer); sock.end(); resolve(out) }
      }
    })
    sock.on('error', (err) => { clearTimeout(timer); reject(err) })
  })
  t.equal(responses.length, count)
  t.ok(responses.every((r) => r.statusLine === 'HTTP/1.1 200 OK'), 'every answer is a 200')
  t.ok(responses.every((r) => r.body.toString() === body), 'every body is the whole answer')
})

t.test('a request pipelined behind one answered later closes the connection, with no partial answer', async (t) => {
  // uWS refuses to parse a request while the previous one on the connection is unanswered
  // ("denying async pipelining"): it closes the socket. A new token is verified asynchronously,
  // so it is such a request. The client sees a clean close (no bytes), never a hang, and the
  // same requests on a new connection, once the token is known, are answered in order.
  const s = await startServer()
  t.teardown(() => s.stop())
  const token = await s.token({ sub: 'pipeliner' })
  const request = (path: string) => `GET ${path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${token}\r\n\r\n`
  const pair = request('/api/datasets') + request('/healthz')
  const got = await new Promise<{ bytes: number; closed: boolean }>((resolve) => {
    const sock = net.connect(s.port, '127.0.0.1', () => sock.write(pair))
    let bytes = 0
    const timer = setTimeout(() => { sock.destroy(); resolve({ bytes, closed: false }) }, 10_000)
    sock.on('data', (c: Buffer) => { bytes += c.length })
    sock.on('error', () => {})
    sock.on('close', () => { clearTimeout(timer); resolve({ bytes, closed: true }) })
  })
  t.same(got, { bytes: 0, closed: true }, 'closed at once, nothing written')
  const [list, health] = await rawExchange(s.port, pair, 2)
  t.equal(list!.statusLine, 'HTTP/1.1 200 OK')
  t.match(JSON.parse(list!.body.toString()), { items: [] })
  t.equal(health!.statusLine, 'HTTP/1.1 200 OK')
})
