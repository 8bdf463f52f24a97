/**
 * The one piscina pool. Workers parse uploads, scan and aggregate Parquet, encode output
 * and write Parquet; the main thread only routes, plans and moves bytes.
 */
import { Piscina } from 'piscina'
import { fileURLToPath } from 'node:url'
import { SluiceError, fromTaskFailure, type TaskResult } from '../proto/errors.js'
import { newCancelFlag, raiseCancelFlag } from '../proto/cancel.js'

/** Task modules, resolved next to this file in the build output (dist/workers/*.js). */
export const WORKERS = {
  scan: fileURLToPath(new URL('../workers/scan.js', import.meta.url)),
  scanPart: fileURLToPath(new URL('../workers/scan-part.js', import.meta.url)),
  ingestCsv: fileURLToPath(new URL('../workers/ingest-csv.js', import.meta.url)),
  ingestParquet: fileURLToPath(new URL('../workers/ingest-parquet.js', import.meta.url)),
  ingestXlsx: fileURLToPath(new URL('../workers/ingest-xlsx.js', import.meta.url)),
  parquetFooter: fileURLToPath(new URL('../workers/parquet-footer.js', import.meta.url)),
  compact: fileURLToPath(new URL('../workers/compact.js', import.meta.url)),
  checkpoint: fileURLToPath(new URL('../workers/checkpoint.js', import.meta.url)),
  pgScan: fileURLToPath(new URL('../workers/pg-scan.js', import.meta.url)),
  bqScan: fileURLToPath(new URL('../workers/bq-scan.js', import.meta.url)),
  bqImport: fileURLToPath(new URL('../workers/bq-import.js', import.meta.url)),
  pgImport: fileURLToPath(new URL('../workers/pg-import.js', import.meta.url)),
  profileScan: fileURLToPath(new URL('../workers/profile-scan.js', import.meta.url)),
  profileFinish: fileURLToPath(new URL('../workers/profile-finish.js', import.meta.url)),
  columnStats: fileURLToPath(new URL('../workers/column-stats.js', import.meta.url)),
  classify: fileURLToPath(new URL('../workers/classify.js', import.meta.url)),
} as const

/**
 * Tasks a worker thread may run at once. Streaming tasks (scans, PostgreSQL) spend most of
 * their time waiting on the client's credit or on the database; with one task per thread, two
 * slow clients would hold every thread and stall all other work. CPU-bound tasks still go to
 * an idle thread first (piscina's least-busy balancer), and share one only when all are busy.
 */
export const TASKS_PER_WORKER = 8

/**
 * Worker threads load task modules with import(), never require(). Piscina tries require()
 * first, and Node 20.19+ can require() an ES module (our task modules) synchronously; a thread
 * terminated while that links the module graph aborts the whole process (`FATAL ERROR:
 * v8::Module::IsGraphAsync ... must be used on an instantiated module`). Threads were
 * terminated on every cancel before cancels became cooperative (about 1 cancelled upload in 200
 * killed the server); they still are when the pool closes. With require(esm) off, piscina falls
 * back to import(), where termination is an ordinary rejection. The flag exists from Node 20.17.
 */
const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has('--experimental-require-module')
  ? [...process.execArgv, '--no-experimental-require-module']
  : process.execArgv

export class WorkerPool {
  readonly #pool: Piscina

  /**
   * `maxQueue`: tasks waiting for a slot. Streaming tasks hold their slot for a whole
   * response, so a burst of 100 dashboard streams must wait its turn rather than be refused
   * (piscina's 'auto' is threads², 4 here); beyond this many, 503 overloaded.
   */
  constructor(threads: number, maxQueue = 512) {
    this.#pool = new Piscina({
      minThreads: Math.min(threads, 2),
      maxThreads: threads,
      idleTimeout: 60_000,
      maxQueue,
      concurrentTasksPerWorker: TASKS_PER_WORKER,
      execArgv: WORKER_EXEC_ARGV,
    })
  }

  get threads(): number { return this.#pool.threads.length }

  /** Tasks in flight (a streaming task counts until its stream ends): GET /healthz?detail=1, the benchmark's leak check. */
  #running = 0
  get stats(): { threads: number; queued: number; running: number } {
    return { threads: this.#pool.threads.length, queued: this.#pool.queueSize, running: this.#running }
  }

  /**
   * Runs a task module and unwraps its TaskResult: a failure returned as data becomes a
   * SluiceError again (classes do not cross threads). A worker crash becomes a 500.
   *
   * With a `signal`, the task gets a cancel flag (`task.cancel`, proto/cancel.ts) raised when
   * the signal aborts; this then waits for the task to end by itself (its files deleted, its
   * thread kept) and throws the signal's reason. The signal is not handed to piscina: piscina
   * runs a task it may abort alone on a thread that is otherwise idle (aborting terminates the
   * thread), so an upload would wait for every stream on a thread to end — a paused dashboard
   * client held uploads back for seconds. A task that never looks at its flag runs to its end.
   */
  async run<T>(filename: string, task: unknown, opts: { signal?: AbortSignal; transferList?: (ArrayBuffer | import('node:worker_threads').MessagePort)[] } = {}): Promise<T> {
    const { signal } = opts
    signal?.throwIfAborted()
    let message = task
    let onAbort: (() => void) | undefined
    if (signal && typeof task === 'object' && task !== null) {
      const cancel = newCancelFlag()
      message = { ...task, cancel }
      onAbort = () => raiseCancelFlag(cancel)
      signal.addEventListener('abort', onAbort, { once: true })
    }
    let result: TaskResult<T>
    this.#running++
    try {
      result = await this.#pool.run(message, { filename, transferList: opts.transferList as never })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      if ((err as Error).message?.includes('Task queue is at limit')) throw new SluiceError(503, 'overloaded', 'all workers are busy, try again')
      throw err
    } finally {
      this.#running--
      if (onAbort) signal!.removeEventListener('abort', onAbort)
    }
    if (signal?.aborted) throw signal.reason
    if (result.ok) return result.value
    throw fromTaskFailure(result)
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true })
  }
}
