// The pg-scan task (workers/pg-scan.ts) against a real server, in-process with a
// MessageChannel as the main thread would drive it: output and the start bytes, credit
// backpressure (PostgreSQL waits), cancel during a long statement (the server stops too),
// error mapping — for both sources — and through a piscina pool sharing one thread.
import net from 'node:net'
import { fileURLToPath } from 'node:url'
import { MessageChannel } from 'node:worker_threads'
import t from 'tap'
import { Piscina } from 'piscina'
import type { ScanToMain } from '../proto/scan.js'
import { TASKS_PER_WORKER } from '../src/pool.js'
import { pgTestDatabase } from './helpers/pg.js'
import { meta, ndjsonRows, pgConnectionOf, scanAll, sessionsOf, startScan, within } from './helpers/pg-worker.js'

const SOURCES = ['cursor', 'copy'] as const
const failureOf = (messages: ScanToMain[]) => {
  const m = messages.find((x) => x.type === 'error')
  return m?.type === 'error' ? m.failure : null
}

t.test('rows stream out; the first chunk carries the start bytes; done counts rows', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    const messages = await scanAll({
      connection: pgConnectionOf(db), source, batchRows: 2,
      sql: `SELECT g::int8 AS id, 'n' || g AS name FROM generate_series(1, $1::int) g`, params: ['5'],
      columns: [meta('id', 'int64'), meta('name', 'string')],
    })
    t.same(messages.map((m) => m.type), ['chunk', 'chunk', 'chunk', 'chunk', 'done'], `${source}: 3 batches + end`)
    const first = Buffer.from((messages[0] as { bytes: ArrayBuffer }).bytes).toString()
    t.match(first, /^\{"columns":\[\{"name":"id","type":"int64"/, `${source}: first chunk starts with the columns line`)
    t.match(first, /"id":1,"name":"n1"/, `${source}: ...and carries the first batch`)
    const bytes = Buffer.concat(messages.flatMap((m) => (m.type === 'chunk' ? [Buffer.from(m.bytes)] : [])))
    t.same(ndjsonRows(bytes), [1, 2, 3, 4, 5].map((i) => ({ id: i, name: `n${i}` })))
    t.same(messages.at(-1), { type: 'done', rowCount: 5 })

    const empty = await scanAll({ connection: pgConnectionOf(db), source, sql: 'SELECT 1::int8 AS x WHERE false', params: [], columns: [meta('x', 'int64')], format: 'json' })
    t.same(empty.map((m) => m.type), ['chunk', 'done'], `${source}: empty result = one chunk`)
    t.same(JSON.parse(Buffer.from((empty[0] as { bytes: ArrayBuffer }).bytes).toString()), { columns: [{ name: 'x', type: 'int64', masked: false }], rows: [], row_count: 0 })
  }
})

t.test('arrow output of all types', async (t) => {
  const db = await pgTestDatabase(t)
  const { tableFromIPC } = await import('apache-arrow')
  for (const source of SOURCES) {
    const messages = await scanAll({
      connection: pgConnectionOf(db), source, format: 'arrow', batchRows: 1,
      sql: `SELECT 1::int8 a, 2.5::float8 b, 12.30::numeric(10,2) c, true d, date '2024-03-01' e, timestamptz '2024-03-01 10:00:00.5+00' f, '\\x0102'::bytea g, 'x' h
            UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL`,
      params: [],
      columns: [meta('a', 'int64'), meta('b', 'float64'), meta('c', 'decimal', { precision: 10, scale: 2 }), meta('d', 'boolean'), meta('e', 'date'), meta('f', 'timestamp'), meta('g', 'binary'), meta('h', 'string')],
    })
    t.equal(failureOf(messages), null)
    const table = tableFromIPC(Buffer.concat(messages.flatMap((m) => (m.type === 'chunk' ? [Buffer.from(m.bytes)] : []))))
    t.equal(table.numRows, 2)
    const row = table.get(0)!.toJSON() as Record<string, unknown>
    t.equal(row.a, 1n)
    t.equal(row.b, 2.5)
    t.equal(row.d, true)
    t.equal(row.f, Date.parse('2024-03-01T10:00:00.500Z'))
    t.same([...(row.g as Uint8Array)], [1, 2])
    t.equal(row.h, 'x')
    t.same(Object.values(table.get(1)!.toJSON()), [null, null, null, null, null, null, null, null], `${source}: nulls`)
  }
})

t.test('backpressure: without credit no more chunks are sent and PostgreSQL waits', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    const app = `sluice-credit-${source}`
    const run = startScan({
      connection: pgConnectionOf(db, { applicationName: app }), source, initialCredit: 2, batchRows: 100,
      // ~100 MB of output: far more than socket buffers, so COPY must block too
      sql: `SELECT g::int8 AS id, repeat('x', 100) AS pad FROM generate_series(1, 1000000) g`, params: [],
      columns: [meta('id', 'int64'), meta('pad', 'string')],
    })
    await run.waitFor((m) => m.type === 'chunk')
    await new Promise((r) => setTimeout(r, 500))
    t.equal(run.messages.length, 2, `${source}: exactly the 2 granted chunks`)
    const waiting = await within(3000, async () => {
      const s = await sessionsOf(db, app)
      // cursor: the portal is suspended, the backend waits for our next Execute (ClientRead);
      // COPY: the backend is blocked writing to the full socket (ClientWrite)
      return s.length === 1 && s[0]!.state === 'active' && s[0]!.wait_event === (source === 'cursor' ? 'ClientRead' : 'ClientWrite')
    })
    t.not(waiting, null, `${source}: PostgreSQL is waiting for us: ${JSON.stringify(await sessionsOf(db, app))}`)
    const before = run.messages.length
    await new Promise((r) => setTimeout(r, 300))
    t.equal(run.messages.length, before, `${source}: still nothing more`)
    run.grant(3)
    await within(3000, async () => run.messages.length >= 5)
    t.equal(run.messages.length, 5, `${source}: three more chunks after three more credits`)
    run.cancel()
    await run.finished
    t.ok(run.messages.every((m) => m.type === 'chunk'), `${source}: a cancelled scan reports no error and no done`)
    t.not(await within(1000, async () => (await sessionsOf(db, app)).length === 0), null, `${source}: the session is gone`)
  }
})

t.test('memory stays flat however many rows stream through', async (t) => {
  // regression: racing each read against one long-lived cancel promise kept every Batch alive
  // until the task ended (~130 bytes a row); the heap must not grow with the result
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    const heapMb = () => process.memoryUsage().heapUsed / 1048576
    const start = heapMb()
    let peak = start
    let n = 0
    const run = startScan({
      connection: pgConnectionOf(db), source, batchRows: 1000,
      sql: `SELECT g::int8 AS id, md5(g::text) AS h, round(g * 0.5, 9) AS x FROM generate_series(1, 1500000) g`, params: [],
      columns: [meta('id', 'int64'), meta('h', 'string'), meta('x', 'decimal', { precision: 38, scale: 9 })],
    })
    run.port.on('message', (m: ScanToMain) => {
      if (m.type !== 'chunk') return
      run.messages.length = 0 // a client that forgets what it sent on
      if (++n % 100 === 0) peak = Math.max(peak, heapMb())
      run.grant(1)
    })
    await run.finished
    t.equal(n, 1501, `${source}: every batch came`)
    t.ok(peak - start < 60, `${source}: heap grew ${(peak - start).toFixed(0)} MB for 1.5 M rows (with the leak: ~120 MB)`)
  }
})

t.test('cancel during a long statement ends the task and the query within a second', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    const app = `sluice-cancel-${source}`
    const run = startScan({
      connection: pgConnectionOf(db, { applicationName: app }), source,
      sql: 'SELECT pg_sleep(30)::text AS slept', params: [], columns: [meta('slept', 'string')],
    })
    t.not(await within(5000, async () => (await sessionsOf(db, app)).some((s) => s.state === 'active' && s.query.includes('pg_sleep'))), null, `${source}: running`)
    const t0 = performance.now()
    run.cancel()
    await run.finished
    const taskMs = performance.now() - t0
    t.ok(taskMs < 1000, `${source}: task ended ${taskMs.toFixed(0)} ms after cancel`)
    const goneMs = await within(1000, async () => !(await sessionsOf(db, app)).some((s) => s.state === 'active'))
    t.not(goneMs, null, `${source}: no active query with that application_name within 1 s`)
    t.same(run.messages, [], `${source}: nothing sent, not even an error`)
  }
})

t.test('cancel before the connection is made', async (t) => {
  // a server that accepts connections and never answers: connect hangs until its timeout
  const sockets: import('node:net').Socket[] = []
  let closed = 0
  const mute = net.createServer((s) => { sockets.push(s); s.resume(); s.on('close', () => closed++) })
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r))
  t.teardown(() => { for (const s of sockets) s.destroy(); mute.close() })
  const run = startScan({
    connection: { host: '127.0.0.1', port: (mute.address() as import('node:net').AddressInfo).port, database: 'x', user: 'x', password: null, ssl: false, statementTimeoutMs: 0, connectTimeoutMs: 10_000, applicationName: 'sluice-early' },
    sql: 'SELECT 1', params: [], columns: [meta('x', 'string')],
  })
  await new Promise((r) => setTimeout(r, 100))
  t.equal(run.elapsedMs, null, 'still connecting')
  const t0 = performance.now()
  run.cancel()
  await run.finished
  t.ok(performance.now() - t0 < 500, 'ended at once')
  t.same(run.messages, [])
  t.ok(await within(1000, async () => sockets.length === 1 && closed === 1), 'the half-open connection was dropped')
})

t.test('a connection that never completes times out as 503', async (t) => {
  const sockets: import('node:net').Socket[] = []
  const mute = net.createServer((s) => { sockets.push(s) })
  await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r))
  t.teardown(() => { for (const s of sockets) s.destroy(); mute.close() })
  const t0 = performance.now()
  const messages = await scanAll({
    connection: { host: '127.0.0.1', port: (mute.address() as import('node:net').AddressInfo).port, database: 'x', user: 'x', password: null, ssl: false, statementTimeoutMs: 0, connectTimeoutMs: 300, applicationName: 'sluice-slow' },
    sql: 'SELECT 1', params: [], columns: [meta('x', 'string')],
  })
  t.match(failureOf(messages), { status: 503, code: 'connector_unavailable', message: /timed out/ })
  t.ok(performance.now() - t0 < 1500)
})

t.test('a connection without a password never borrows the server process\'s PGPASSWORD', async (t) => {
  // a fake server that asks for a cleartext password and records what it gets
  const received: string[] = []
  const fake = net.createServer((s) => {
    let startup = true
    s.on('data', (buf) => {
      if (startup) {
        startup = false
        s.write(Buffer.from([0x52, 0, 0, 0, 8, 0, 0, 0, 3])) // AuthenticationCleartextPassword
        return
      }
      if (buf[0] === 0x70 /* p */) {
        received.push(buf.subarray(5, buf.readInt32BE(1) + 1 - 1).toString())
        const msg = Buffer.from('SFATAL\0C28P01\0Mpassword authentication failed for user "x"\0\0')
        const head = Buffer.alloc(5)
        head[0] = 0x45 // ErrorResponse
        head.writeInt32BE(msg.length + 4, 1)
        s.end(Buffer.concat([head, msg]))
      }
    })
  })
  await new Promise<void>((r) => fake.listen(0, '127.0.0.1', r))
  t.teardown(() => { fake.close() })
  const saved = process.env.PGPASSWORD
  process.env.PGPASSWORD = 'the-server-own-secret'
  t.teardown(() => { if (saved === undefined) delete process.env.PGPASSWORD; else process.env.PGPASSWORD = saved })
  const port = (fake.address() as import('node:net').AddressInfo).port
  for (const password of [null, '']) {
    const messages = await scanAll({
      connection: { host: '127.0.0.1', port, database: 'x', user: 'x', password, ssl: false, statementTimeoutMs: 0, connectTimeoutMs: 2000, applicationName: 'sluice-nopw' },
      sql: 'SELECT 1', params: [], columns: [meta('x', 'string')],
    })
    t.match(failureOf(messages), { status: 503, code: 'connector_unavailable', message: /authentication failed/ })
  }
  t.same(received, ['', ''], 'an empty password was sent, not PGPASSWORD')
})

t.test('errors map to API errors, before any output', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query('CREATE TABLE w (id int8)')
  for (const source of SOURCES) {
    const run = (sql: string, over: Parameters<typeof pgConnectionOf>[1] = {}) =>
      scanAll({ connection: pgConnectionOf(db, over), source, sql, params: [], columns: [meta('x', 'string')] })

    let messages = await run('SELECT nope AS x FROM w')
    t.same(messages.map((m) => m.type), ['error'], `${source}: no chunk before the error`)
    t.same(failureOf(messages), { ok: false, status: 422, code: 'invalid_query', message: 'column "nope" does not exist' })

    messages = await run('SELECT 1/0 AS x')
    t.match(failureOf(messages), { status: 422, code: 'invalid_query', message: 'division by zero' })

    messages = await run(`SELECT 'x'::int::text AS x`)
    t.match(failureOf(messages), { status: 422, code: 'invalid_query' })

    messages = await run('INSERT INTO w VALUES (1) RETURNING id::text AS x')
    t.match(failureOf(messages), { status: 422, code: 'invalid_query', message: /read-only transaction/ }, `${source}: a write in the READ ONLY transaction`)
    t.equal((await db.query('SELECT count(*)::int AS n FROM w')).rows[0].n, 0)

    const t0 = performance.now()
    messages = await run('SELECT pg_sleep(5)::text AS x', { statementTimeoutMs: 100 })
    t.same(failureOf(messages), { ok: false, status: 504, code: 'query_timeout', message: 'the query timed out (statement_timeout)' })
    t.ok(performance.now() - t0 < 2000, `${source}: the timeout fired`)

    const t1 = performance.now()
    messages = await scanAll({
      connection: { ...pgConnectionOf(db), host: '127.0.0.1', port: 1, password: 'hunter2-secret' }, source,
      sql: 'SELECT 1', params: [], columns: [meta('x', 'string')],
    })
    const f = failureOf(messages)
    t.match(f, { status: 503, code: 'connector_unavailable' })
    t.notMatch(f?.message, /hunter2|127\.0\.0\.1|postgres/, 'no connection details in the message')
    t.ok(performance.now() - t1 < 1000, `${source}: a closed port fails quickly`)

    messages = await scanAll({ connection: { ...pgConnectionOf(db), database: 'no_such_db_here' }, source, sql: 'SELECT 1', params: [], columns: [meta('x', 'string')] })
    t.match(failureOf(messages), { status: 503, code: 'connector_unavailable' }, `${source}: unknown database`)
    t.notMatch(failureOf(messages)?.message, /no_such_db_here/)
  }
})

t.test('statement timeout: each wait for PostgreSQL, never the time waiting for the client', async (t) => {
  const db = await pgTestDatabase(t)
  for (const source of SOURCES) {
    // a slow client: no credit for twice the timeout, then everything
    const run = startScan({
      connection: pgConnectionOf(db, { statementTimeoutMs: 400 }), source, initialCredit: 1, batchRows: 1000,
      sql: `SELECT g::int8 AS id, repeat('x', 100) AS pad FROM generate_series(1, 200000) g`, params: [],
      columns: [meta('id', 'int64'), meta('pad', 'string')],
    })
    await run.waitFor((m) => m.type === 'chunk')
    await new Promise((r) => setTimeout(r, 900))
    run.port.on('message', (m: ScanToMain) => { if (m.type === 'chunk') run.grant(1) })
    run.grant(4)
    await run.finished
    t.same(run.messages.at(-1), { type: 'done', rowCount: 200000 }, `${source}: a pause of the client is not a query timeout`)

    // PostgreSQL stalls in the middle of the result: a mid-stream 504
    const stalled = await scanAll({
      connection: pgConnectionOf(db, { statementTimeoutMs: 300 }), source, batchRows: 100,
      sql: `SELECT g::int8 AS id FROM generate_series(1, 100000) g WHERE g <> 5000 OR pg_sleep(3) IS NOT NULL`, params: [],
      columns: [meta('id', 'int64')],
    })
    t.ok(stalled.filter((m) => m.type === 'chunk').length > 0, `${source}: rows came first`)
    t.same(failureOf(stalled), { ok: false, status: 504, code: 'query_timeout', message: 'the query timed out (statement_timeout)' }, `${source}: then the stall timed out`)
  }
})

t.test('through piscina: one thread runs several streaming tasks at once', async (t) => {
  const db = await pgTestDatabase(t)
  const filename = fileURLToPath(new URL('../workers/pg-scan.ts', import.meta.url))
  const pool = new Piscina({ filename, minThreads: 1, maxThreads: 1, concurrentTasksPerWorker: TASKS_PER_WORKER })
  t.teardown(() => pool.destroy())
  const start = (sql: string, onMessage: (m: ScanToMain, port: import('node:worker_threads').MessagePort) => void) => {
    const { port1, port2 } = new MessageChannel()
    port1.on('message', (m: ScanToMain) => onMessage(m, port1))
    const task = { kind: 'pg-scan', connection: pgConnectionOf(db), sql, params: [], columns: [meta('id', 'int64')], format: 'ndjson', batchRows: 10, initialCredit: 1, port: port2 }
    return { port: port1, done: pool.run(task, { transferList: [port2] }) }
  }
  // two slow clients: one chunk each, then no credit
  const slow = [0, 1].map(() => start('SELECT g::int8 AS id FROM generate_series(1, 100000) g', () => {}))
  await new Promise((r) => setTimeout(r, 300))
  let rows = -1
  const fast = start('SELECT g::int8 AS id FROM generate_series(1, 50) g', (m, port) => {
    if (m.type === 'chunk') port.postMessage({ type: 'credit', chunks: 1 })
    if (m.type === 'done') rows = m.rowCount
  })
  await fast.done
  t.equal(rows, 50, 'a third task completes while two are stalled on the same thread')
  for (const s of slow) s.port.postMessage({ type: 'cancel' })
  await Promise.all(slow.map((s) => s.done))
  for (const s of [...slow, fast]) s.port.close()
})
