/**
 * Helpers of the test/pg-*.test.ts files: a PgConnection for a test database, column
 * metadata, and running the pg-scan task in-process with a MessageChannel as the main thread
 * would (credit, cancel, collected messages).
 */
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import type { PgConnection, PgScanTask } from '../../proto/postgres.js'
import type { ScanToMain } from '../../proto/scan.js'
import type { ColumnMeta, LogicalType } from '../../proto/types.js'
import type { PgTestDatabase } from './pg.js'
import pgScan from '../../workers/pg-scan.js'

export function pgConnectionOf(db: PgTestDatabase, over: Partial<PgConnection> = {}): PgConnection {
  return {
    host: db.host, port: db.port, database: db.database, user: db.user, password: db.password || null,
    ssl: false, statementTimeoutMs: 0, connectTimeoutMs: 5000, applicationName: 'sluice-test', ...over,
  }
}

export function meta(name: string, logical: LogicalType, extra: { precision?: number; scale?: number } = {}): ColumnMeta {
  const type = logical === 'decimal' ? `decimal(${extra.precision ?? 38},${extra.scale ?? 0})` : logical
  return { name, type, logical, masked: false, ...extra }
}

export interface ScanRun {
  /** every message the worker sent, in order */
  messages: ScanToMain[]
  /** the task's promise (the task module's return value) */
  finished: Promise<unknown>
  /** ms from start until the task resolved (set when it has) */
  elapsedMs: number | null
  /** main-thread side of the port */
  port: MessagePort
  grant(chunks: number): void
  cancel(): void
  /** bytes of all chunks so far, concatenated */
  bytes(): Buffer
  /** resolves when a message matching `pred` has arrived */
  waitFor(pred: (m: ScanToMain) => boolean, timeoutMs?: number): Promise<ScanToMain>
}

/**
 * Start the pg-scan task in this thread. With `autoCredit` every chunk is answered with one
 * more credit (a fast client); without, only `initialCredit` chunks may ever come.
 */
export function startScan(
  task: Omit<PgScanTask, 'kind' | 'port' | 'initialCredit' | 'format' | 'batchRows'> & Partial<Pick<PgScanTask, 'initialCredit' | 'format' | 'batchRows'>>,
  opts: { autoCredit?: boolean } = {},
): ScanRun {
  const { port1, port2 } = new MessageChannel()
  const messages: ScanToMain[] = []
  const waiters: { pred: (m: ScanToMain) => boolean; resolve: (m: ScanToMain) => void }[] = []
  port1.on('message', (m: ScanToMain) => {
    messages.push(m)
    if (m.type === 'chunk' && opts.autoCredit) port1.postMessage({ type: 'credit', chunks: 1 })
    for (const w of waiters.splice(0)) { if (w.pred(m)) w.resolve(m); else waiters.push(w) }
  })
  const t0 = performance.now()
  const run: ScanRun = {
    messages,
    elapsedMs: null,
    port: port1,
    finished: null as unknown as Promise<unknown>,
    grant: (chunks) => port1.postMessage({ type: 'credit', chunks }),
    cancel: () => port1.postMessage({ type: 'cancel' }),
    bytes: () => Buffer.concat(messages.flatMap((m) => (m.type === 'chunk' ? [Buffer.from(m.bytes)] : []))),
    waitFor: (pred, timeoutMs = 10_000) => {
      const seen = messages.find(pred)
      if (seen) return Promise.resolve(seen)
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching message within ${timeoutMs} ms: ${JSON.stringify(messages.map((m) => m.type))}`)), timeoutMs)
        waiters.push({ pred, resolve: (m) => { clearTimeout(timer); resolve(m) } })
      })
    },
  }
  run.finished = pgScan({
    kind: 'pg-scan', format: 'ndjson', batchRows: 1000, initialCredit: 4, ...task, port: port2,
  } as PgScanTask).then(async (r) => {
    run.elapsedMs = performance.now() - t0
    await new Promise((resolve) => setTimeout(resolve, 20)) // let the last messages arrive
    port1.close()
    return r
  })
  return run
}

/** Run a scan to the end with a fast client; returns the messages. */
export async function scanAll(task: Parameters<typeof startScan>[0]): Promise<ScanToMain[]> {
  const run = startScan(task, { autoCredit: true })
  await run.finished
  return run.messages
}

/** The rows of NDJSON output (the first line is the columns line). */
export function ndjsonRows(bytes: Buffer): Record<string, unknown>[] {
  const lines = bytes.toString('utf8').split('\n').filter((l) => l.length > 0)
  return lines.slice(1).map((l) => JSON.parse(l) as Record<string, unknown>)
}

/** pg_stat_activity rows of sessions with this application_name (other than idle ones, if `activeOnly`). */
export async function sessionsOf(db: PgTestDatabase, applicationName: string): Promise<{ state: string; query: string; wait_event: string | null }[]> {
  const r = await db.query<{ state: string; query: string; wait_event: string | null }>(
    'SELECT state, query, wait_event FROM pg_stat_activity WHERE application_name = $1 AND pid <> pg_backend_pid()', [applicationName])
  return r.rows
}

/** Polls `check` every 20 ms until it returns true or `timeoutMs` passes; returns the ms it took, or null. */
export async function within(timeoutMs: number, check: () => Promise<boolean>): Promise<number | null> {
  const t0 = performance.now()
  for (;;) {
    if (await check()) return performance.now() - t0
    if (performance.now() - t0 > timeoutMs) return null
    await new Promise((r) => setTimeout(r, 20))
  }
}
