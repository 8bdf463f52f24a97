/**
 * PostgreSQL scan task: run one statement in a READ ONLY transaction, decode its rows
 * (workers/pg/decode.ts), encode the output format and stream the bytes to the main thread
 * with the credit protocol of proto/scan.ts. Rows are read only while there is credit, so a
 * slow client makes PostgreSQL wait instead of filling memory. A cancel message cancels the
 * statement on the server and ends the task at once (workers/pg/task.ts).
 *
 * Always resolves `{ok: true, value: null}`: failures travel as `{type: 'error'}` on the port
 * (mapped by proto/pg-errors.ts); a statement we cancelled is not reported.
 */
import { toTaskFailure } from '../proto/errors.js'
import { pgErrorToSluice } from '../proto/pg-errors.js'
import type { PgScanTask } from '../proto/postgres.js'
import { CreditedPort, concatBytes } from './kernels/credited-port.js'
import { createEncoder } from './kernels/encode.js'
import type { DecodeField } from './pg/decode.js'
import { beginReadOnly, pgBatches } from './pg/source.js'
import { CANCELLED, PgTaskConnection, isServerError } from './pg/task.js'

export default async function pgScan(task: PgScanTask): Promise<{ ok: true; value: null }> {
  const port = new CreditedPort(task.port, task.initialCredit)
  const session = new PgTaskConnection(task.connection)
  port.onCancel(() => session.cancel())
  try {
    const client = await session.open()
    if (client === CANCELLED) return { ok: true, value: null }
    if (await session.race(beginReadOnly(client, task.settings)) === CANCELLED) return { ok: true, value: null }
    const fields: DecodeField[] = task.columns.map((c) => ({ name: c.name, type: c.logical, precision: c.precision, scale: c.scale }))
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
      if (next === CANCELLED) return { ok: true, value: null }
      if (next.done) break
      rowCount += next.value.length
      const bytes = encoder.batch(next.value)
      await port.send(pending ? concatBytes(pending, bytes) : bytes)
      pending = null
      if (port.cancelled) return { ok: true, value: null }
    }
    session.statementDone = true
    const end = encoder.end(rowCount)
    await port.send(pending ? concatBytes(pending, end) : end)
    if (!port.cancelled) port.post({ type: 'done', rowCount })
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
