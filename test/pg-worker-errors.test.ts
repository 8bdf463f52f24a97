// proto/pg-errors.ts: driver, server and network errors → API errors, without SQL text,
// hosts, users or passwords in the message.
import t from 'tap'
import pg from 'pg'
import { SluiceError } from '../proto/errors.js'
import { isConnectionFailure, pgErrorToSluice } from '../proto/pg-errors.js'

function dbError(code: string, message: string): Error {
  const err = new pg.DatabaseError(message, 0, 'error')
  err.code = code
  return err
}

function nodeError(code: string, message = `connect ${code} 10.1.2.3:5432`): Error {
  return Object.assign(new Error(message), { code, address: '10.1.2.3', port: 5432 })
}

t.test('statement problems are 422 invalid_query with PostgreSQL\'s message', async (t) => {
  for (const [code, message] of [
    ['42703', 'column "nope" does not exist'], ['42883', 'function foo(integer) does not exist'],
    ['42601', 'syntax error at or near "FORM"'], ['42804', 'argument of WHERE must be type boolean, not type integer'],
    ['42P01', 'relation "missing" does not exist'], ['42501', 'permission denied for table secrets'],
    ['22P02', 'invalid input syntax for type integer: "x"'], ['22003', 'integer out of range'], ['22012', 'division by zero'],
    ['22008', 'date/time field value out of range'], ['25006', 'cannot execute INSERT in a read-only transaction'],
    ['0A000', 'cannot copy from view "v"'], ['21000', 'more than one row returned by a subquery used as an expression'],
  ] as const) {
    const e = pgErrorToSluice(dbError(code, message))
    t.same([e.status, e.code, e.message], [422, 'invalid_query', message], code)
    t.equal(isConnectionFailure(dbError(code, message)), false)
  }
})

t.test('timeouts and cancels', async (t) => {
  const timeout = pgErrorToSluice(dbError('57014', 'canceling statement due to statement timeout'))
  t.same([timeout.status, timeout.code], [504, 'query_timeout'])
  const userCancel = dbError('57014', 'canceling statement due to user request')
  t.same([pgErrorToSluice(userCancel).status, pgErrorToSluice(userCancel).code], [503, 'connector_unavailable'], 'cancelled by someone else')
  t.same([pgErrorToSluice(userCancel, { cancelledByUs: true }).status, pgErrorToSluice(userCancel, { cancelledByUs: true }).code], [499, 'cancelled'])
  t.equal(pgErrorToSluice(new Error('Connection terminated'), { cancelledByUs: true }).code, 'cancelled', 'the connection we closed')
  t.equal(pgErrorToSluice(dbError('42703', 'column "x" does not exist'), { cancelledByUs: true }).code, 'invalid_query', 'a real error still is one')
})

t.test('unreachable databases are 503 connector_unavailable, saying nothing about the connection', async (t) => {
  const cases: [Error, RegExp][] = [
    [dbError('08006', 'connection failure'), /connection failure/],
    [dbError('08001', 'could not connect'), /connection failure/],
    [dbError('57P01', 'terminating connection due to administrator command'), /shutting down/],
    [dbError('57P02', 'terminating connection due to crash of another server process'), /shutting down/],
    [dbError('57P03', 'the database system is starting up'), /not accepting connections/],
    [dbError('53300', 'sorry, too many clients already'), /too many connections/],
    [dbError('28P01', 'password authentication failed for user "bob"'), /authentication failed/],
    [dbError('28000', 'no pg_hba.conf entry for host "10.1.2.3", user "bob", database "sales", no encryption'), /authentication failed/],
    [dbError('3D000', 'database "sales" does not exist'), /database does not exist/],
    [nodeError('ECONNREFUSED'), /connection refused/],
    [nodeError('ECONNRESET', 'read ECONNRESET'), /connection lost/],
    [nodeError('ETIMEDOUT'), /timed out/],
    [nodeError('EHOSTUNREACH'), /unreachable/],
    [nodeError('ENOTFOUND', 'getaddrinfo ENOTFOUND db.internal.example'), /host not found/],
    [Object.assign(new AggregateError([nodeError('ECONNREFUSED'), nodeError('ECONNREFUSED')], ''), { code: 'ECONNREFUSED' }), /connection refused/],
    [new AggregateError([nodeError('ECONNREFUSED')], ''), /connection refused/],
    [new Error('Connection terminated unexpectedly'), /connection lost/],
    [new Error('Connection terminated due to connection timeout'), /timed out/],
    [new Error('timeout expired'), /timed out/],
    [new Error('SASL: SCRAM-SERVER-FIRST-MESSAGE: client password must be a non-empty string'), /authentication failed/],
    [new Error('The server does not support SSL connections'), /TLS/],
    [nodeError('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), /TLS/],
  ]
  for (const [err, reason] of cases) {
    const e = pgErrorToSluice(err)
    t.same([e.status, e.code], [503, 'connector_unavailable'], err.message)
    t.match(e.message, /^the connector's database is unreachable: /)
    t.match(e.message, reason)
    t.notMatch(e.message, /bob|sales|10\.1\.2\.3|example|pg_hba/, 'no user, database or host')
    t.equal(isConnectionFailure(err), true)
  }
})

t.test('anything else is a 500 that shows nothing', async (t) => {
  for (const err of [new TypeError('x is not a function'), dbError('XX000', 'internal error: secret detail'), dbError('40001', 'could not serialize access'), 'a string', null, undefined]) {
    const e = pgErrorToSluice(err)
    t.same([e.status, e.code, e.message], [500, 'internal', 'internal error'])
    t.equal(isConnectionFailure(err), false)
  }
  const own = new SluiceError(422, 'schema_mismatch', 'x')
  t.equal(pgErrorToSluice(own), own, 'a SluiceError passes through')
  t.equal(isConnectionFailure(own), false)
})
