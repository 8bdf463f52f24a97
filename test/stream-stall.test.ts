// Streams under stress must neither stall nor lose bytes: many concurrent NDJSON explores
// (lakehouse and PostgreSQL) read by raw sockets that pause and resume at random, a quarter
// disconnecting mid-stream. Each completed body is parsed as HTTP chunked encoding (a chunk
// whose bytes went missing breaks the framing) and compared with the reference body. A
// watchdog fails the test with the stream's state when one goes silent while its client reads.
import t from 'tap'
import net from 'node:net'
import crypto from 'node:crypto'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'
import { createPgConnector, pgTestDatabase } from './helpers/pg.js'

const ROWS = 120_000
const PAD = 'x'.repeat(12) // chunks of 1,000 PostgreSQL rows are ~45 KB: over uWS's 16 KB cork buffer
const STREAMS_PER_SOURCE = 60
const CONCURRENCY = 12
const SILENCE_MS = 30_000 // generous: a healthy stream on a loaded 2-core box never waits this long
const BUDGET_MS = 20_000 // per source: stop starting new streams after this (bounded runtime)

type Sub = Parameters<Parameters<typeof t.test>[0]>[0]

interface Outcome { kind: 'complete' | 'left'; bytes: number; body?: Buffer }

let seed = 7
const rand = () => { seed = (seed * 1103515245 + 12345) & 0x7fffffff; return seed / 0x7fffffff }

/** Parses an HTTP/1.1 chunked response incrementally; throws on broken framing. */
class ChunkedParser {
  head: string | null = null
  body: Buffer[] = []
  bodyBytes = 0
  done = false
  #buf: Buffer = Buffer.alloc(0)
  get need(): number { return this.#need }
  #need = -1 // bytes of chunk data still expected; -1 while reading a size line

  push(data: Buffer): void {
    this.#buf = this.#buf.length ? Buffer.concat([this.#buf, data]) : data
    if (this.head === null) {
      const end = this.#buf.indexOf('\r\n\r\n')
      if (end < 0) return
      this.head = this.#buf.subarray(0, end).toString('latin1')
      this.#buf = this.#buf.subarray(end + 4)
    }
    for (;;) {
      if (this.done) {
        if (this.#buf.length) throw new Error(`${this.#buf.length} bytes after the last chunk`)
        return
      }
      if (this.#need < 0) {
        const nl = this.#buf.indexOf('\r\n')
        if (nl < 0) { if (this.#buf.length > 20) throw new Error(`bad chunk size line ${JSON.stringify(this.#buf.subarray(0, 20).toString('latin1'))}`); return }
        const line = this.#buf.subarray(0, nl).toString('latin1')
        if (!/^[0-9a-fA-F]{1,8}$/.test(line)) throw new Error(`bad chunk size line ${JSON.stringify(line.slice(0, 20))} after ${this.bodyBytes} body bytes`)
        this.#need = parseInt(line, 16)
        this.#buf = this.#buf.subarray(nl + 2)
      }
      if (this.#need === 0) {
        if (this.#buf.length < 2) return
        if (this.#buf[0] !== 13 || this.#buf[1] !== 10) throw new Error('no CRLF after the last chunk')
        this.#buf = this.#buf.subarray(2)
        this.done = true
        continue
      }
      if (this.#buf.length < this.#need + 2) return
      if (this.#buf[this.#need] !== 13 || this.#buf[this.#need + 1] !== 10) throw new Error(`chunk of ${this.#need} bytes not followed by CRLF after ${this.bodyBytes} body bytes`)
      this.body.push(this.#buf.subarray(0, this.#need))
      this.bodyBytes += this.#need
      this.#buf = this.#buf.subarray(this.#need + 2)
      this.#need = -1
    }
  }
}

interface Live { id: string; bytes: number; lastData: number; paused: boolean; sock: net.Socket; parser: ChunkedParser; fail(err: Error): void }

/** One GET over a raw socket that reads in random bursts; may leave after `leaveAfter` bytes. */
function rawStream(s: TestServer, token: string, path: string, id: string, live: Set<Live>, leaveAfter: number | null): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const sock = net.connect(s.port, '127.0.0.1')
    const parser = new ChunkedParser()
    let settled = false
    const state: Live = { id, bytes: 0, lastData: Date.now(), paused: false, sock, parser, fail: (e) => finish(e) }
    live.add(state)
    const finish = (err: Error | null, out?: Outcome) => {
      if (settled) return
      settled = true
      live.delete(state)
      sock.destroy()
      if (err) reject(err)
      else resolve(out!)
    }
    const pauseFor = (ms: number) => {
      sock.pause()
      state.paused = true
      setTimeout(() => { state.paused = false; state.lastData = Date.now(); sock.resume() }, ms)
    }
    sock.on('connect', () => { sock.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\n\r\n`); pauseFor(200) })
    sock.on('data', (d: Buffer) => {
      state.bytes += d.length
      state.lastData = Date.now()
      try { parser.push(d) } catch (e) { finish(new Error(`${id}: ${(e as Error).message}`)); return }
      if (parser.head !== null && !parser.head.startsWith('HTTP/1.1 200')) { finish(new Error(`${id}: ${parser.head.split('\r\n')[0]}`)); return }
      if (parser.done) { finish(null, { kind: 'complete', bytes: parser.bodyBytes, body: Buffer.concat(parser.body) }); return }
      if (leaveAfter !== null && parser.bodyBytes >= leaveAfter) { finish(null, { kind: 'left', bytes: parser.bodyBytes }); return }
      // read in bursts, now and then stopping long enough for the kernel's buffers to fill up
      const r = rand()
      if (r < 0.3) pauseFor(r < 0.03 ? 100 + Math.floor(rand() * 200) : Math.floor(rand() * 20))
    })
    sock.on('error', (e) => finish(new Error(`${id}: socket error ${e.message}`)))
    sock.on('close', () => finish(new Error(`${id}: connection closed after ${parser.bodyBytes} body bytes, before the end`)))
  })
}

/** Runs `total` streams of `path`, `CONCURRENCY` at a time, checking each complete body. */
async function stress(t: Sub, s: TestServer, path: string, label: string): Promise<void> {
  const token = await s.token()
  const ref = await s.api(path)
  t.equal(ref.status, 200, `${label}: reference request`)
  const expected = Buffer.from(await ref.arrayBuffer())
  const digest = crypto.createHash('sha256').update(expected).digest('hex')
  t.ok(expected.length > 1 << 20, `${label}: body of ${(expected.length / 2 ** 20).toFixed(1)} MB`)

  const live = new Set<Live>()
  let silent: Error | null = null
  let longestQuiet = 0
  const watchdog = setInterval(() => {
    for (const l of live) {
      const quiet = Date.now() - l.lastData
      if (!l.paused) longestQuiet = Math.max(longestQuiet, quiet)
      if (!l.paused && quiet > SILENCE_MS) {
        const rid = /x-request-id: *(\S+)/i.exec(l.parser.head ?? '')?.[1]
        const logged = s.logs.find((line) => rid && line.includes(rid)) ?? 'no log line yet (the server has not finished it)'
        silent = new Error(`STALL: ${label} stream ${l.id} got no bytes for ${quiet} ms at ${l.parser.bodyBytes} body bytes of ${expected.length} (chunk bytes still expected: ${l.parser.need}) while its client was reading; server: ${logged}`)
        for (const x of live) x.fail(silent)
      }
    }
  }, 1000)
  const started = Date.now()
  let next = 0
  let complete = 0
  let left = 0
  const failures: string[] = []
  const worker = async () => {
    while (next < STREAMS_PER_SOURCE && !silent && Date.now() - started < BUDGET_MS) {
      const i = next++
      const leaveAfter = rand() < 0.25 ? Math.floor(rand() * expected.length * 0.9) : null
      try {
        const out = await rawStream(s, token, path, `${label}#${i}`, live, leaveAfter)
        if (out.kind === 'left') { left++; continue }
        complete++
        const got = crypto.createHash('sha256').update(out.body!).digest('hex')
        if (out.bytes !== expected.length || got !== digest) failures.push(`${label}#${i}: ${out.bytes} bytes, expected ${expected.length} (digest ${got === digest ? 'same' : 'differs'})`)
      } catch (e) {
        failures.push((e as Error).message)
      }
    }
  }
  await Promise.all(Array.from({ length: CONCURRENCY }, worker))
  clearInterval(watchdog)
  t.comment(`${label}: longest silence of a reading client ${(longestQuiet / 1000).toFixed(1)} s (${Math.round((Date.now() - started) / 1000)} s for ${next} streams)`)
  t.equal(silent, null, silent ? (silent as Error).message : `${label}: no stream went silent for ${SILENCE_MS / 1000} s`)
  t.same(failures.slice(0, 5), [], `${label}: every completed stream has the full body and a proper end (${complete} complete, ${left} left early)`)
  t.ok(complete >= 10, `${label}: ${complete} streams completed`)
}

function csv(): Buffer {
  const lines = ['id,label,pad']
  for (let i = 0; i < ROWS; i++) lines.push(`${i},r${i % 997},${PAD}${i}`)
  return Buffer.from(lines.join('\n') + '\n')
}

t.test('lakehouse NDJSON streams under stress', async (t) => {
  const s = await startServer({ RESULT_CACHE_BYTES: '0' })
  t.teardown(() => s.stop())
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'wide' }, { name: 'wide.csv', content: csv() }) })
  t.equal(up.status, 201, 'uploaded')
  await stress(t, s, '/api/datasets/wide/explore?format=ndjson', 'lakehouse')
})

t.test('PostgreSQL NDJSON streams under stress', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE public.wide AS SELECT g::int8 AS id, 'r' || (g % 997) AS label, repeat('x', 12) || g AS pad FROM generate_series(0, ${ROWS - 1}) g`)
  const s = await startServer({ RESULT_CACHE_BYTES: '0' })
  t.teardown(() => s.stop())
  await createPgConnector(s, db, 'pgstress')
  const reg = await s.api('/api/datasets', {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'pgwide', connector_id: 'pgstress', source_query: 'SELECT id, label, pad FROM public.wide ORDER BY id' }),
  })
  t.equal(reg.status, 201, 'registered')
  await stress(t, s, '/api/datasets/pgwide/explore?format=ndjson', 'postgres')
})
