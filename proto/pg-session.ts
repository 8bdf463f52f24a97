/**
 * The PostgreSQL session every Sluice connection opens: the settings our decoder and compiler
 * rely on, the password never borrowed from the server's environment, and a way to cancel a
 * running statement on the server. Shared by worker tasks (one connection per task, every
 * value as raw text) and the main thread's metadata connections (pg's usual parsed values),
 * so both sides speak the same session.
 */
import net from 'node:net'
import tls from 'node:tls'
import pg from 'pg'
import type { PgConnection } from './postgres.js'

const rawText = (value: string): string => value
/** Every type arrives as PostgreSQL's text output: decoding is ours (workers/pg/decode.ts). */
const RAW_TYPES = { getTypeParser: () => rawText } as unknown as pg.CustomTypesConfig

/**
 * Session settings as `-c name=value` startup options (no extra round trip). The decoder
 * depends on them: timestamps in UTC as `YYYY-MM-DD HH:MM:SS[.ffffff]+00`, floats with
 * round-trip digits, bytea as `\x..`. standard_conforming_strings=on fixes how backslashes in
 * strings lex, which the COPY path's parameter inlining relies on (inline-params.ts).
 */
export function sessionOptions(conn: Pick<PgConnection, 'statementTimeoutMs'>): string {
  const timeout = Math.max(0, Math.floor(conn.statementTimeoutMs || 0))
  return [
    'TimeZone=UTC', 'DateStyle=ISO', 'IntervalStyle=iso_8601', 'extra_float_digits=3', 'bytea_output=hex',
    'standard_conforming_strings=on', 'client_min_messages=warning', `statement_timeout=${timeout}`,
    // belt and braces: every transaction of the session is read-only, not only the one we begin
    'default_transaction_read_only=on',
  ].map((s) => `-c ${s}`).join(' ')
}

function sslConfig(ssl: PgConnection['ssl']): pg.ClientConfig['ssl'] {
  if (ssl === false) return false
  if (ssl === 'verify-full') return { rejectUnauthorized: true }
  return { rejectUnauthorized: false }
}

/**
 * A client for `conn`, not yet connected. A null password is sent as none at all (never the
 * server process's PGPASSWORD or ~/.pgpass: a caller must not borrow the server's own
 * credentials).
 */
export function createClient(conn: PgConnection, opts: { rawText?: boolean } = {}): pg.Client {
  const client = new pg.Client({
    host: conn.host,
    port: conn.port,
    database: conn.database,
    user: conn.user,
    // A function, not a string: pg replaces a missing or empty password string with
    // PGPASSWORD or ~/.pgpass; the function's answer is used as is.
    password: () => conn.password ?? '',
    ssl: sslConfig(conn.ssl),
    connectionTimeoutMillis: conn.connectTimeoutMs > 0 ? conn.connectTimeoutMs : 0, // 0: pg waits as long as the OS does
    application_name: conn.applicationName,
    options: sessionOptions(conn),
    ...(opts.rawText === false ? {} : { types: RAW_TYPES }),
    keepAlive: true,
  })
  // An 'error' event without a listener would crash the worker (e.g. the server goes away
  // while we wait for credit); the pending query or cursor sees the failure anyway.
  client.on('error', () => {})
  return client
}

/**
 * Open and return a connected client (createClient + connect). Rejects with pg's / the
 * network's error (map it with proto/pg-errors.ts); a connection that takes longer than
 * `conn.connectTimeoutMs` fails with pg's "timeout expired".
 */
export async function openConnection(conn: PgConnection): Promise<pg.Client> {
  const client = createClient(conn)
  try {
    await client.connect()
  } catch (err) {
    await client.end().catch(() => {})
    throw err
  }
  return client
}

/** Drop the client's socket at once, connected or still connecting (pg's end() may wait). */
export function destroyConnection(client: pg.Client): void {
  try { client.connection.stream.destroy() } catch { /* no socket yet */ }
}

const CANCEL_REQUEST_CODE = 80877102
const SSL_REQUEST_CODE = 80877103
const CANCEL_TIMEOUT_MS = 2000

/**
 * Ask the server to cancel the statement `client` is running: a CancelRequest on a new
 * connection (after TLS negotiation when the connection uses TLS). Resolves once it has been
 * sent (or failed, or after 2 s); never throws. A client that never connected has no backend
 * to cancel: resolves at once.
 */
export function cancelBackend(client: pg.Client, conn: PgConnection): Promise<void> {
  const { processID, secretKey } = client as unknown as { processID: number | null; secretKey: number | null }
  if (processID == null || secretKey == null) return Promise.resolve()
  const request = Buffer.alloc(16)
  request.writeInt32BE(16, 0)
  request.writeInt32BE(CANCEL_REQUEST_CODE, 4)
  request.writeInt32BE(processID, 8)
  request.writeInt32BE(secretKey, 12)
  return new Promise<void>((resolve) => {
    let done = false
    let socket: net.Socket = net.connect({ host: conn.host, port: conn.port })
    const finish = () => {
      if (done) return
      done = true
      clearTimeout(timer)
      socket.destroy()
      resolve()
    }
    const timer = setTimeout(finish, CANCEL_TIMEOUT_MS)
    const send = (s: net.Socket) => {
      // The server closes the connection once it has read the request; end() flushes it.
      s.end(request, () => setImmediate(finish))
    }
    socket.on('error', finish)
    socket.setNoDelay(true)
    socket.once('connect', () => {
      if (conn.ssl === false) return send(socket)
      const ssl = Buffer.alloc(8)
      ssl.writeInt32BE(8, 0)
      ssl.writeInt32BE(SSL_REQUEST_CODE, 4)
      socket.write(ssl)
      socket.once('data', (answer) => {
        if (answer[0] !== 0x53 /* S */) return send(socket) // server has no TLS: plain request
        const secure = tls.connect({
          socket,
          servername: net.isIP(conn.host) ? undefined : conn.host,
          rejectUnauthorized: conn.ssl === 'verify-full',
        })
        socket = secure
        secure.on('error', finish)
        secure.once('secureConnect', () => send(secure))
      })
    })
  })
}
