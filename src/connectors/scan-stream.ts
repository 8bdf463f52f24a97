/**
 * Runs a streaming worker task (proto/scan.ts protocol) and exposes its output as an async
 * iterable of byte chunks. Credit-based flow control: the worker may have at most
 * `initialCredit` chunks in flight; one more credit is granted each time the consumer
 * takes a chunk (i.e. after the HTTP layer wrote the previous one to the socket). Leaving
 * the loop early (client gone) sends `cancel`, so the worker stops reading files.
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { SluiceError, fromTaskFailure } from '../../proto/errors.js'
import type { ScanToMain } from '../../proto/scan.js'
import type { WorkerPool } from '../pool.js'

export const INITIAL_CREDIT = 4

/**
 * Helper tasks that feed the streaming task directly (the parts of a parallel scan): started
 * before it, so they are queued first and never wait behind the task that waits for them.
 * A helper failing (crash, queue full) fails the stream; cancel reaches them through the
 * streaming task. `transfer` lists ports handed to the streaming task.
 */
export interface StreamHelpers {
  start: () => Promise<unknown>[]
  transfer: MessagePort[]
}

export async function* streamTask(
  pool: WorkerPool,
  filename: string,
  buildTask: (port: MessagePort, initialCredit: number) => object,
  signal: AbortSignal,
  helpers?: StreamHelpers,
): AsyncGenerator<Uint8Array> {
  const { port1, port2 } = new MessageChannel()
  const queue: ScanToMain[] = []
  let wake: (() => void) | null = null
  let crashed: unknown = null
  const notify = () => { const w = wake; wake = null; w?.() }
  port1.on('message', (m: ScanToMain) => { queue.push(m); notify() })

  const task = buildTask(port2, INITIAL_CREDIT)
  const helping = (helpers?.start() ?? []).map((p) => p.catch((err) => { crashed ??= err; notify() }))
  // No abort signal to piscina: terminating the thread is not cancelling (ARCHITECTURE.md);
  // the worker gets an explicit cancel message and ends its task itself.
  const running = pool.run(filename, task, { transferList: [port2, ...(helpers?.transfer ?? [])] }).catch((err) => { crashed = err; notify() })
  const onAbort = () => notify()
  signal.addEventListener('abort', onAbort, { once: true })
  let finished = false
  try {
    for (;;) {
      if (signal.aborted) throw signal.reason
      const m = queue.shift()
      if (!m) {
        if (crashed) throw crashed instanceof SluiceError ? crashed : new SluiceError(500, 'internal', 'a worker failed while scanning')
        await new Promise<void>((r) => { wake = r })
        continue
      }
      if (m.type === 'chunk') {
        yield new Uint8Array(m.bytes)
        port1.postMessage({ type: 'credit', chunks: 1 })
      } else if (m.type === 'done') {
        finished = true
        return
      } else {
        finished = true
        throw fromTaskFailure(m.failure)
      }
    }
  } finally {
    signal.removeEventListener('abort', onAbort)
    if (!finished) port1.postMessage({ type: 'cancel' })
    await running
    await Promise.all(helping)
    port1.close()
  }
}
