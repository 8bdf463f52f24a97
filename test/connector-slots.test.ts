// The per-connector slot limiter: at most `size` holders, FIFO waiters, a queue timeout that
// answers 503 overloaded, an aborted waiter leaves the queue at once without taking a slot,
// release is idempotent, and failing the waiters (connector down) empties the queue.
import t from 'tap'
import { SluiceError, overloaded } from '../proto/errors.js'
import { SlotLimiter } from '../src/connectors/slot-limiter.js'
import { rejects } from './helpers/errors.js'

const limiter = (size: number, queueTimeoutMs = 1000) => new SlotLimiter({ size, queueTimeoutMs, onQueueTimeout: () => overloaded('pool full') })
const tick = () => new Promise((r) => setImmediate(r))

t.test('at most size holders; waiters are served in arrival order', async (t) => {
  const l = limiter(2)
  const a = await l.acquire()
  const b = await l.acquire()
  t.equal(l.inUse, 2)
  const order: string[] = []
  const c = l.acquire().then((r) => { order.push('c'); return r })
  const d = l.acquire().then((r) => { order.push('d'); return r })
  await tick()
  t.same([order, l.waiting], [[], 2], 'nobody gets a third slot')
  b()
  b() // idempotent: the second call frees nothing
  const releaseC = await c
  await tick()
  t.same([order, l.inUse, l.waiting], [['c'], 2, 1])
  a()
  const releaseD = await d
  t.same(order, ['c', 'd'])
  releaseC()
  releaseD()
  t.same([l.inUse, l.waiting], [0, 0])
  // a newcomer cannot jump a queue: the slot passes straight to the waiter
  const x = await l.acquire()
  const y = await l.acquire()
  const waiter = l.acquire()
  x()
  const z = l.acquire()
  await tick()
  t.equal(l.waiting, 1, 'the newcomer waits behind the one already queued')
  ;(await waiter)()
  y()
  ;(await z)()
  t.equal(l.inUse, 0)
})

t.test('queue timeout: 503 overloaded; 0 = do not wait', async (t) => {
  const l = limiter(1, 50)
  const held = await l.acquire()
  const started = Date.now()
  const err = await rejects(l.acquire())
  t.match(err, { status: 503, code: 'overloaded', message: 'pool full' })
  t.ok(Date.now() - started >= 45)
  t.same([l.inUse, l.waiting], [1, 0])
  const now = limiter(1, 0)
  const h = await now.acquire()
  t.match(await rejects(now.acquire()), { code: 'overloaded' })
  h()
  held()
})

t.test('an aborted waiter leaves the queue at once and takes no slot', async (t) => {
  const l = limiter(1, 10_000)
  const held = await l.acquire()
  const ac = new AbortController()
  const waiting = l.acquire(ac.signal)
  const next = l.acquire()
  await tick()
  t.equal(l.waiting, 2)
  ac.abort(new SluiceError(499, 'client_closed', 'gone'))
  t.match(await rejects(waiting), { code: 'client_closed' })
  t.equal(l.waiting, 1)
  held()
  ;(await next)()
  t.same([l.inUse, l.waiting], [0, 0])
  const already = new AbortController()
  already.abort(new SluiceError(499, 'client_closed', 'gone'))
  t.match(await rejects(l.acquire(already.signal)), { code: 'client_closed' }, 'an aborted signal is refused even with free slots')
  t.equal(l.inUse, 0)
})

t.test('failWaiters rejects everyone queued, holders keep their slots', async (t) => {
  const l = limiter(1)
  const held = await l.acquire()
  const w1 = l.acquire()
  const w2 = l.acquire()
  l.failWaiters(new SluiceError(503, 'connector_unavailable', 'down'))
  t.match(await rejects(w1), { code: 'connector_unavailable' })
  t.match(await rejects(w2), { code: 'connector_unavailable' })
  t.same([l.inUse, l.waiting], [1, 0])
  held()
  t.equal(l.inUse, 0)
})
