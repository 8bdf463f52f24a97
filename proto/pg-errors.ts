/**
 * PostgreSQL driver errors → SluiceError (API.md, Errors). Pure: used by the PostgreSQL
 * workers and by the main thread (connector metadata queries) alike, so one failure reads the
 * same wherever it happens.
 *
 * Messages never carry the SQL text, the host, the user or the password: a query problem
 * repeats PostgreSQL's own message (which may quote a token or a column name, never
 * connection details); a connection problem says only what kind of problem it was.
 */
import { SluiceError } from './errors.js'

/** What the main thread records when a task ended because it was told to cancel. Never sent to a client. */
export const taskCancelled = () => new SluiceError(499, 'cancelled', 'the task was cancelled')

/** Node socket error codes that mean "the server cannot be reached". */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
  'EPIPE', 'ECONNABORTED', 'EADDRNOTAVAIL',
])

/** TLS failures: the server is there but we cannot talk to it safely. */
const TLS_CODES: ReadonlySet<string> = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER', 'EPROTO',
])

/** SQLSTATEs that are a problem with the statement or its values (422 invalid_query). */
const QUERY_STATES: ReadonlySet<string> = new Set([
  '25006', // read_only_sql_transaction: a write inside our READ ONLY transaction
  '0A000', // feature_not_supported
  '21000', // cardinality_violation (a scalar subquery returned more than one row)
  '2201B', // invalid_regular_expression (class 22 anyway, listed for the reader)
  '54001', // statement_too_complex
  '54011', // too_many_columns
  '54023', // too_many_arguments
])

function sqlState(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined
}

function nodeCode(err: unknown): string | undefined {
  if (!err || typeof err !== 'object') return undefined
  const code = (err as { code?: unknown }).code
  if (typeof code === 'string' && !/^[0-9A-Z]{5}$/.test(code)) return code
  // net.connect with several addresses (autoSelectFamily) fails with an AggregateError
  const inner = (err as { errors?: unknown }).errors
  if (Array.isArray(inner)) for (const e of inner) { const c = nodeCode(e); if (c) return c }
  return undefined
}

function messageOf(err: unknown): string {
  const m = (err as { message?: unknown } | null)?.message
  return typeof m === 'string' ? m : ''
}

function unavailable(reason: string, cause: unknown): SluiceError {
  return new SluiceError(503, 'connector_unavailable', `the connector's database is unreachable: ${reason}`, undefined, { cause })
}

/**
 * Why a connection could not be made or was lost, or null when `err` is not that kind of
 * failure. The reason is a fixed phrase: no host, no user, no password.
 */
function connectionFailureReason(err: unknown): string | null {
  const state = sqlState(err)
  if (state) {
    if (state.startsWith('08')) return 'connection failure'
    if (state.startsWith('28')) return 'authentication failed'
    if (state === '3D000') return 'the database does not exist'
    if (state === '53300') return 'too many connections'
    if (state === '57P01' || state === '57P02') return 'the server is shutting down'
    if (state === '57P03') return 'the server is not accepting connections yet'
    return null
  }
  const code = nodeCode(err)
  if (code) {
    if (code === 'ECONNREFUSED') return 'connection refused'
    if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'host not found'
    if (code === 'ETIMEDOUT') return 'connection timed out'
    if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return 'host unreachable'
    if (NETWORK_CODES.has(code)) return 'connection lost'
    if (TLS_CODES.has(code)) return 'TLS failure'
  }
  const msg = messageOf(err)
  // pg's own errors (lib/client.js): connectionTimeoutMillis fired, socket closed under it
  if (msg === 'timeout expired' || msg === 'Connection terminated due to connection timeout') return 'connection timed out'
  if (msg.startsWith('Connection terminated')) return 'connection lost'
  if (msg === 'The server does not support SSL connections') return 'the server does not support TLS'
  if (msg.startsWith('SASL:') || msg.includes('password authentication') || msg.includes('client password must be')) return 'authentication failed'
  if (/\bcertificate\b|\bSSL\b|\bTLS\b/i.test(msg) && !state) return 'TLS failure'
  return null
}

/** True when `err` means the database could not be reached or the connection was lost. */
export function isConnectionFailure(err: unknown): boolean {
  return !(err instanceof SluiceError) && connectionFailureReason(err) !== null
}

/**
 * Map an error of pg / the network / a Sluice error to a SluiceError:
 * - SluiceError: returned as is.
 * - `cancelledByUs`: the task was told to cancel, so 57014 (and a connection we closed) is
 *   not a failure to report: `taskCancelled()`.
 * - class 42 (syntax, undefined column/table/function, privilege, datatype mismatch...),
 *   class 22 (bad cast, out of range, division by zero...), 25006, 0A000, 21000 → 422
 *   `invalid_query` with PostgreSQL's message.
 * - 57014 with "statement timeout" in the message → 504 `query_timeout`.
 * - class 08 and 28, 3D000, 53300, 57P01-03, node network/TLS errors, pg's "Connection
 *   terminated" / "timeout expired" → 503 `connector_unavailable`.
 * - anything else → 500 `internal` (the cause is kept for the log, never shown).
 * Never throws. Any thread.
 */
export function pgErrorToSluice(err: unknown, opts: { cancelledByUs?: boolean } = {}): SluiceError {
  if (err instanceof SluiceError) return err
  const state = sqlState(err)
  if (opts.cancelledByUs && (state === '57014' || !state)) return taskCancelled()
  if (state) {
    const cls = state.slice(0, 2)
    if (cls === '42' || cls === '22' || cls === '2F' || QUERY_STATES.has(state)) {
      return new SluiceError(422, 'invalid_query', messageOf(err) || 'PostgreSQL rejected the query', undefined, { cause: err })
    }
    if (state === '57014') {
      if (/statement timeout/i.test(messageOf(err))) return new SluiceError(504, 'query_timeout', 'the query timed out (statement_timeout)', undefined, { cause: err })
      return new SluiceError(503, 'connector_unavailable', "the connector's database cancelled the query", undefined, { cause: err })
    }
    if (state === '25P03' || state === '57P05') return unavailable('the session timed out', err) // idle(-in-transaction) session timeout
  }
  const reason = connectionFailureReason(err)
  if (reason) return unavailable(reason, err)
  return new SluiceError(500, 'internal', 'internal error', undefined, { cause: err })
}
