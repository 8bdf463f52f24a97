/**
 * The classification sample of a PostgreSQL-backed dataset: the worker runs the given
 * `SELECT <value expressions> FROM <source> LIMIT n` on its own connection in a READ ONLY
 * transaction (statement timeout of the connector), decodes the rows like the scan task does
 * (workers/pg/decode.ts) and closes the connection. Worker thread.
 */
import type { Batch } from '../../../proto/batch.js'
import type { Field } from '../../../proto/types.js'
import type { PgConnection } from '../../../proto/postgres.js'
import { pgErrorToSluice } from '../../../proto/pg-errors.js'
import { beginReadOnly, pgBatches } from '../../pg/source.js'
import { CANCELLED, PgTaskConnection, isServerError } from '../../pg/task.js'
import { concatBatches } from '../column.js'

export async function postgresSample(connection: PgConnection, sql: string, fields: readonly Field[]): Promise<Batch> {
  const session = new PgTaskConnection(connection)
  try {
    const client = await session.open()
    if (client === CANCELLED) throw new Error('unreachable: classification sessions are never cancelled')
    await beginReadOnly(client)
    const parts: Batch[] = []
    // Bound parameters are none: COPY is the default source (the same as explore uses).
    for await (const b of pgBatches(client, { sql, params: [], fields, batchRows: 1000, timeout: session.statementTimeout() })) parts.push(b)
    session.statementDone = true
    return parts.length === 0 ? { length: 0, columns: [] } : concatBatches(parts)
  } catch (err) {
    if (isServerError(err)) session.statementDone = true
    throw pgErrorToSluice(err)
  } finally {
    await session.close()
  }
}
