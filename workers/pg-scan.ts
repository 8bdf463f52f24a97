/**
 * PostgreSQL scan task: run one statement in a READ ONLY transaction, encode its rows in the
 * output format and stream the bytes to the main thread with the credit protocol of
 * proto/scan.ts. Rows are read only while there is credit, so a slow client makes PostgreSQL
 * wait instead of filling memory. A cancel message cancels the statement on the server and
 * ends the task at once (workers/pg/task.ts).
 *
 * Two ways from PostgreSQL's text to our bytes:
 * - JSON and NDJSON read through COPY are transcoded straight from COPY's bytes
 *   (workers/pg/copy-json.ts), byte-identical to the Batch path, in the same batches,
 *   with about 2.4x less CPU (loadtest/postgres.ts);
 * - everything else decodes rows into Batches (workers/pg/decode.ts) and encodes those.
 *
 * Always resolves `{ok: true, value: null}`: failures travel as `{type: 'error'}` on the port
 * (mapped by proto/pg-errors.ts); a statement we cancelled is not reported.
 */
import type pg from 'pg'
import { toTaskFailure } from '../proto/errors.js'
import { pgErrorToSluice } from '../proto/pg-errors.js'
import type { PgScanTask } from '../proto/postgres.js'
import { CreditedPort, concatBytes } from './kernels/credited-port.js'
import { createEncoder } from './kernels/encode.js'
import { CopyJsonWriter, copyJsonSupported } from './pg/copy-json.js'
import type { DecodeField } from './pg/decode.js'
import { DEFAULT_BATCH_ROWS, beginReadOnly, copyChunks, copyStatement, pgBatches } from './pg/source.js'
import { CANCELLED, PgTaskConnection, isServerError } from './pg/task.js'

/** A transcoded batch is cut short at this many bytes (very wide rows): bounded chunks. */
const MAX_BATCH_BYTES = 1 << 20

export default async function pgScan(task: PgScanTask): Promise<{ ok: true; value: null }> {
  const port = new CreditedPort(task.port, task.initialCredit)
  const session = new PgTaskConnection(task.connection)
  port.onCancel(() => session.cancel())
  try {
    const client = await session.open()
    if (client === CANCELLED) return { ok: true, value: null }
    if (await session.race(beginReadOnly(client, task.settings)) === CANCELLED) return { ok: true, value: null }
    const fields: DecodeField[] = task.columns.map((c) => ({ name: c.name, type: c.logical, precision: c.precision, scale: c.scale }))
    const copySql = (task.format === 'ndjson' || task.format === 'json') && copyJsonSupported(fields) ? copyStatement(task) : null
    const rowCount = copySql !== null
      ? await transcodeCopy(task, session, client, port, fields, copySql)
      : await encodeBatches(task, session, client, port, fields)
    if (rowCount !== null && !port.cancelled) port.post({ type: 'done', rowCount })
  } catch (err) {
    if (isServerError(err)) session.statementDone = true // PostgreSQL already ended it
    if (!session.cancelled) {
      const mapped = pgErrorToSluice(err)
      if (mapped.status === 500) console.error('pg-scan failed', err)
      port.post({ type: 'error', failure: toTaskFailure(mapped) })
    }
  } finally {
    await session.close()
    port.close()
  }
  return { ok: true, value: null }
}

/** Rows decoded into Batches, each encoded and sent; the row count, or null when cancelled. */
async function encodeBatches(
  task: PgScanTask, session: PgTaskConnection, client: pg.Client, port: CreditedPort, fields: DecodeField[],
): Promise<number | null> {
  const encoder = createEncoder(task.format, task.columns)
  const batches = pgBatches(client, {
    sql: task.sql, params: task.params, fields, batchRows: task.batchRows, source: task.source, timeout: session.statementTimeout(),
  })
  let rowCount = 0
  // The start bytes wait for the first batch (or the end), so an error before any output
  // can still become a proper HTTP error status on the main thread.
  let pending: Uint8Array | null = encoder.start()
  for (;;) {
    // the next batch is read only now, after the previous one was granted credit and sent
    const next = await session.race(batches.next())
    if (next === CANCELLED) return null
    if (next.done) break
    rowCount += next.value.length
    const bytes = encoder.batch(next.value)
    await port.send(pending ? concatBytes(pending, bytes) : bytes)
    pending = null
    if (port.cancelled) return null
  }
  session.statementDone = true
  const end = encoder.end(rowCount)
  await port.send(pending ? concatBytes(pending, end) : end)
  return rowCount
}

/**
 * JSON / NDJSON rows transcoded from COPY's bytes (copy-json.ts), sent in batches of
 * `batchRows` rows as encodeBatches does; the row count, or null when cancelled.
 */
async function transcodeCopy(
  task: PgScanTask, session: PgTaskConnection, client: pg.Client, port: CreditedPort, fields: DecodeField[], copySql: string,
): Promise<number | null> {
  // the encoder writes what comes before and after the rows; the rows are the writer's
  const encoder = createEncoder(task.format, task.columns)
  const writer = new CopyJsonWriter(fields, task.format === 'ndjson'
    ? { first: '', before: '', after: '\n' }
    : { first: '', before: ',', after: '' }, task.batchRows || DEFAULT_BATCH_ROWS, MAX_BATCH_BYTES)
  const chunks = copyChunks(client, copySql, session.statementTimeout())
  // as in encodeBatches: the start bytes go with the first rows (or the end)
  let pending: Uint8Array | null = encoder.start()
  for (let done = false; !done;) {
    // the next chunk is read only now, after the previous batches were granted credit and sent
    const next = await session.race(chunks.next())
    if (next === CANCELLED) return null
    if (next.done) {
      writer.end()
      session.statementDone = true
      done = true
    } else {
      writer.push(next.value)
    }
    for (let bytes; (bytes = writer.takeBatch());) {
      await port.send(pending ? concatBytes(pending, bytes) : bytes)
      pending = null
      if (port.cancelled) return null
    }
  }
  const end = encoder.end(writer.rows)
  await port.send(pending ? concatBytes(pending, end) : end)
  return writer.rows
}
