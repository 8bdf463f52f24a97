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
 * v8::Module::IsGraphAsync ... must be used on an instantiated module`), and piscina
 * terminates the thread of an aborted task, which may be loading its module then (a cancelled
 * upload: about 1 in 200 cancels). With require(esm) off, piscina falls back to import(),
 * where termination is an ordinary rejection. The flag exists from Node 20.17.
 */
const WORKER_EXEC_ARGV = process.allowedNodeEnvironmentFlags.has('--experimental-require-module')
  ? [...process.execArgv, '--no-experimental-require-module']
  : process.execArgv

/**
 * After a cancel, how long a task may take to notice its flag and end before piscina's abort
 * terminates its thread (the last resort). Piscina runs a task given an abort signal alone on
 * its thread, so that terminating it harms no other task; ours keep that.
 */
export const CANCEL_GRACE_MS = 10_000

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
   * thread kept) and throws the signal's reason. A task that has not ended CANCEL_GRACE_MS
   * later has its thread terminated.
   */
  async run<T>(filename: string, task: unknown, opts: { signal?: AbortSignal; transferList?: (ArrayBuffer | import('node:worker_threads').MessagePort)[] } = {}): Promise<T> {
    const { signal } = opts
    signal?.throwIfAborted()
    let message = task
    let terminate: AbortController | undefined
    let grace: NodeJS.Timeout | undefined
    const onAbort = () => {
      raiseCancelFlag((message as { cancel: Int32Array }).cancel)
      grace = setTimeout(() => terminate!.abort(), CANCEL_GRACE_MS)
    }
    if (signal && typeof task === 'object' && task !== null) {
      message = { ...task, cancel: newCancelFlag() }
      terminate = new AbortController()
      signal.addEventListener('abort', onAbort, { once: true })
    }
    let result: TaskResult<T>
    this.#running++
    try {
      result = await this.#pool.run(message, { filename, signal: terminate?.signal, transferList: opts.transferList as never })
    } catch (err) {
      if (signal?.aborted) throw signal.reason
      if ((err as Error).message?.includes('Task queue is at limit')) throw new SluiceError(503, 'overloaded', 'all workers are busy, try again')
      throw err
    } finally {
      this.#running--
      clearTimeout(grace)
      signal?.removeEventListener('abort', onAbort)
    }
    if (signal?.aborted) throw signal.reason
    if (result.ok) return result.value
    throw fromTaskFailure(result)
  }

  async close(): Promise<void> {
    await this.#pool.close({ force: true })
  }
}
