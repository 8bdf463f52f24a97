// CreditedPort.send copies a view into a buffer of its own before transferring it. A Node
// Buffer that is a view on a larger buffer used to go out whole: Buffer#slice is a view, so
// the chunk carried (and detached) every byte of the underlying buffer.
import t from 'tap'
import { MessageChannel } from 'node:worker_threads'
import type { ScanToMain } from '../proto/scan.js'
import { CreditedPort } from '../workers/kernels/credited-port.js'

async function sendOne(bytes: Uint8Array): Promise<Uint8Array> {
  const { port1, port2 } = new MessageChannel()
  const sender = new CreditedPort(port2, 1)
  const got = new Promise<Uint8Array>((resolve) => port1.once('message', (m: ScanToMain) => { if (m.type === 'chunk') resolve(new Uint8Array(m.bytes)) }))
  await sender.send(bytes)
  const chunk = await got
  port1.close()
  sender.close()
  return chunk
}

t.test('a Buffer view goes out as its own bytes; the buffer it views stays usable', async (t) => {
  const whole = Buffer.alloc(1000, 0x61)
  whole.write('hello', 100)
  const view = whole.subarray(100, 105)
  const chunk = await sendOne(view)
  t.equal(Buffer.from(chunk).toString(), 'hello')
  t.equal(chunk.byteLength, 5)
  t.equal(whole.byteLength, 1000, 'the viewed buffer is not detached')
  t.equal(whole.toString('latin1', 0, 3), 'aaa')
})

t.test('a Uint8Array view is copied too; an exactly-sized buffer is transferred as is', async (t) => {
  const whole = new Uint8Array([1, 2, 3, 4, 5, 6])
  t.same([...(await sendOne(whole.subarray(2, 4)))], [3, 4])
  t.equal(whole.byteLength, 6)
  const own = new Uint8Array([9, 8, 7])
  t.same([...(await sendOne(own))], [9, 8, 7])
  t.equal(own.byteLength, 0, 'transferred without a copy')
})
