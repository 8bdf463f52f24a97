import t from 'tap'
import { Table, tableFromIPC, tableToIPC } from 'apache-arrow'
import { batchToRecordBatch } from '../workers/kernels/arrow-to.js'
import { IpcScratch } from '../workers/kernels/ipc-scratch.js'
import { ALL_FIELDS, randomBatch } from './helpers/kernels.js'

t.test('the bytes are exactly tableToIPC\'s, call after call, as the buffer grows and is reused', async (t) => {
  const scratch = new IpcScratch()
  // sizes up and down: the buffer grows, then smaller streams reuse it
  const sizes = [0, 1, 3000, 17, 20_000, 5, 20_000, 1234]
  sizes.forEach((n, k) => {
    const rb = batchToRecordBatch(randomBatch(ALL_FIELDS, n, 100 + k))
    const expected = tableToIPC(new Table([rb]), 'stream')
    const got = scratch.streamOf(rb)
    t.equal(got.byteLength, expected.byteLength, `${n} rows: same length`)
    t.ok(Buffer.from(got).equals(Buffer.from(expected)), `${n} rows: same bytes`)
  })
  t.ok(scratch.capacity >= tableToIPC(new Table([batchToRecordBatch(randomBatch(ALL_FIELDS, 20_000, 104))]), 'stream').byteLength)
})

t.test('a stream read back is the batch (and a later call reuses the same memory)', async (t) => {
  const scratch = new IpcScratch()
  const a = batchToRecordBatch(randomBatch(ALL_FIELDS, 500, 7))
  const first = scratch.streamOf(a)
  // read back and written again by apache-arrow itself: the same stream
  const again = (bytes: Uint8Array) => Buffer.from(tableToIPC(tableFromIPC(bytes.slice()), 'stream'))
  t.ok(again(first).equals(Buffer.from(tableToIPC(new Table([a]), 'stream'))))
  t.equal(tableFromIPC(first.slice()).numRows, 500)
  const b = batchToRecordBatch(randomBatch(ALL_FIELDS, 400, 8))
  const second = scratch.streamOf(b)
  t.equal(second.buffer, first.buffer, 'the same buffer: a stream is valid until the next call')
  t.ok(again(second).equals(Buffer.from(tableToIPC(new Table([b]), 'stream'))))
  t.equal(tableFromIPC(second.slice()).numRows, 400)
})
