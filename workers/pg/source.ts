/**
 * Decoded Batches of one PostgreSQL statement, read only as fast as they are consumed. Two
 * ways to get rows, chosen by `source`:
 *
 * - `cursor`: a pg-query-stream cursor (extended protocol, bound parameters, `rowMode:
 *   'array'`); each batch is one Execute of `batchRows` rows. While the consumer does not ask
 *   for the next batch, no Execute is sent and PostgreSQL waits with the portal suspended.
 * - `copy`: `COPY (sql) TO STDOUT` (text format) through pg-copy-streams, parsed here
 *   (copy-text.ts). COPY takes no bound parameters, so they are inlined as literals
 *   (inline-params.ts); a statement it cannot inline safely goes through the cursor.
 *   Backpressure is the socket's: while the consumer does not pull, the stream stops reading
 *   and PostgreSQL blocks writing (wait_event ClientWrite).
 *
 * The statement timeout is enforced here, per wait for rows (statement-timeout.ts), because
 * PostgreSQL's own would also count the time spent waiting for a slow consumer.
 *
 * Runs in worker threads. The caller owns the client: on early exit it cancels the statement
 * (proto/pg-session.ts cancelBackend) and ends the client; nothing here needs closing.
 */
import type pg from 'pg'
import QueryStream from 'pg-query-stream'
import copyStreams from 'pg-copy-streams'
import type { Batch } from '../../proto/batch.js'
import type { PgSource } from '../../proto/postgres.js'
import { decodeColumns, decodeRows, type DecodeField } from './decode.js'
import { CopyTextParser } from './copy-text.js'
import { fastCopyOut } from './copy-out.js'
import { inlineParams } from './inline-params.js'
import type { StatementTimeout } from './statement-timeout.js'


/**
 * COPY is the default (loadtest/pg-source.ts, 5 M rows x 6 columns, 2 shared cores): rows to
 * Batches at ~1.55 M rows/s vs ~1.0 M for the cursor (psql \copy: ~1.7 M). The whole scan task
 * is bound by encoding, so there the gain is smaller: NDJSON ~0.52 vs 0.46 M rows/s (1.1x),
 * Arrow ~0.93 vs 0.70 M rows/s (1.3x).
 */
export const DEFAULT_SOURCE: PgSource = 'copy'
export const DEFAULT_BATCH_ROWS = 1000

export interface PgSourceOptions {
  sql: string
  params: readonly (string | null)[]
  fields: readonly DecodeField[]
  /** rows per Batch (and per cursor fetch) */
  batchRows: number
  source?: PgSource
  /**
   * The statement timeout, applied to each wait for rows (statement-timeout.ts); absent: none.
   * `beginReadOnly` turns PostgreSQL's own statement_timeout off for the transaction.
   */
  timeout?: StatementTimeout
}

/**
 * Open the read-only transaction every task statement runs in, with PostgreSQL's
 * statement_timeout off inside it: the source enforces the timeout itself
 * (statement-timeout.ts). One round trip (a multi-statement simple query).
 */
export async function beginReadOnly(client: pg.Client, settings: Readonly<Record<string, string>> = {}): Promise<void> {
  await client.query('BEGIN TRANSACTION READ ONLY; SET LOCAL statement_timeout = 0')
  // Transaction-local settings (the masking salt) go as bound parameters of their own
  // statement: the main statement may be inlined into COPY text, these never are.
  for (const [name, value] of Object.entries(settings)) await client.query('SELECT set_config($1, $2, true)', [name, value])
}

/**
 * Batches of the statement's rows, decoded per `fields` (one per result column, in order).
 * Throws pg's errors (map them with proto/pg-errors.ts) and decode errors (SluiceError 422).
 * `copy` falls back to the cursor for a statement inline-params.ts refuses to inline.
 */
export function pgBatches(client: pg.Client, opts: PgSourceOptions): AsyncGenerator<Batch> {
  const batchRows = Math.max(1, Math.floor(opts.batchRows || DEFAULT_BATCH_ROWS))
  const copy = copyStatement(opts)
  if (copy !== null) return copyBatches(client, copy, opts.fields, batchRows, opts.timeout)
  // not COPY, or not safely inlinable: the cursor runs any single statement with bound parameters
  return cursorBatches(client, opts, batchRows)
}

/** The `COPY (...) TO STDOUT` statement of the options, or null when they read through the cursor. */
export function copyStatement(opts: Pick<PgSourceOptions, 'sql' | 'params' | 'source'>): string | null {
  if ((opts.source ?? DEFAULT_SOURCE) !== 'copy') return null
  const inlined = inlineParams(opts.sql, opts.params)
  return inlined === null ? null : `COPY (${inlined}) TO STDOUT`
}

/**
 * The raw bytes of a COPY statement's text output, in the chunks they arrive in (lines may
 * be split anywhere). Backpressure as for `copyBatches`: nothing is read while the consumer
 * does not pull.
 */
export async function* copyChunks(client: pg.Client, copySql: string, timeout?: StatementTimeout): AsyncGenerator<Buffer> {
  const stream = client.query(copyStreams.to(copySql))
  fastCopyOut(stream) // CopyData messages taken apart in place (copy-out.ts)
  const chunks = (stream as AsyncIterable<Buffer>)[Symbol.asyncIterator]()
  for (;;) {
    const next = timeout ? await timeout.wait(chunks.next()) : await chunks.next()
    if (next.done) return
    yield next.value
  }
}

interface Cursor {
  read(rows: number): Promise<(string | null)[][]>
}

async function* cursorBatches(client: pg.Client, opts: PgSourceOptions, batchRows: number): AsyncGenerator<Batch> {
  const stream = new QueryStream(opts.sql, opts.params as (string | null)[], { rowMode: 'array', batchSize: batchRows })
  client.query(stream)
  // The stream's own Readable side would push row by row; its cursor reads whole batches.
  const cursor = stream.cursor as Cursor
  const read = (): Promise<(string | null)[][]> => {
    const p = cursor.read(batchRows)
    p.catch(() => {}) // observed when awaited; never an unhandled rejection if the consumer left
    return p
  }
  const wait = opts.timeout ? opts.timeout.wait.bind(opts.timeout) : <T>(p: Promise<T>) => p
  let pending = read()
  for (;;) {
    const rows = await wait(pending)
    if (rows.length === 0) return
    const more = rows.length === batchRows
    // One fetch ahead: PostgreSQL produces the next batch while this one is decoded and sent.
    // A consumer that stops pulling leaves at most this one batch in flight.
    if (more) pending = read()
    yield decodeRows(opts.fields, rows)
    if (!more) return
  }
}

async function* copyBatches(
  client: pg.Client, sql: string, fields: readonly DecodeField[], batchRows: number, timeout?: StatementTimeout,
): AsyncGenerator<Batch> {
  const parser = new CopyTextParser(fields.length, batchRows)
  for await (const chunk of copyChunks(client, sql, timeout)) {
    parser.push(chunk)
    for (let cells; (cells = parser.takeBatch()); ) yield decodeColumns(fields, cells.columns, cells.length)
  }
  parser.end()
  for (let cells; (cells = parser.takeBatch()); ) yield decodeColumns(fields, cells.columns, cells.length)
}
