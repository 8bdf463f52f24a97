// A PostgreSQL connector's config (src/connectors/postgres-config.ts): the two shapes, the
// password split off (also from a url), defaults, PATCH merging, and where it connects.
import t from 'tap'
import { SluiceError } from '../proto/errors.js'
import { durationMs, mergePgConfig, pgTarget, validatePgConfig } from '../src/connectors/postgres-config.js'

const fails = (fn: () => unknown, field: RegExp) => {
  try {
    fn()
  } catch (err) {
    if (err instanceof SluiceError && err.code === 'invalid_parameter' && field.test(err.message)) return true
    throw err
  }
  throw new Error('expected 422 invalid_parameter')
}

t.test('host form: defaults and the password apart', async (t) => {
  const { config, secrets } = validatePgConfig({ host: 'db', database: 'dw', user: 'me', password: 'pw' })
  t.same(config, { host: 'db', port: 5432, database: 'dw', user: 'me', ssl: false, pool_size: 5, statement_timeout: '30s', queue_timeout: '10s' })
  t.same(secrets, { password: 'pw' })
  t.same(pgTarget(config), { host: 'db', port: 5432, database: 'dw', user: 'me', ssl: false })
  t.same(validatePgConfig({ host: 'db', database: 'dw', user: 'me', ssl: true, port: '6432' }).config.ssl, 'require')
  t.same(validatePgConfig({ host: 'db', database: 'dw', user: 'me' }).secrets, {}, 'no password: no secrets')
})

t.test('url form: stored without its password, percent-decoding, sslmode', async (t) => {
  const { config, secrets } = validatePgConfig({ url: 'postgresql://r%40x:p%2Fw%3A1@[::1]:6000/my%20db?sslmode=verify-full' })
  t.equal(config.url, 'postgresql://r%40x@[::1]:6000/my%20db?sslmode=verify-full')
  t.same(secrets, { password: 'p/w:1' })
  t.same(pgTarget(config), { host: '::1', port: 6000, database: 'my db', user: 'r@x', ssl: 'verify-full' })
  t.same(validatePgConfig({ url: 'postgres://u@h/d', password: 'x' }).secrets, { password: 'x' }, 'a password beside a url without one')
  fails(() => validatePgConfig({ url: 'postgres://u:a@h/d', password: 'b' }), /config\.password/)
  fails(() => validatePgConfig({ url: 'postgres://u@h/d?application_name=x' }), /config\.url.*application_name/)
  fails(() => validatePgConfig({ url: 'postgres://h/d' }), /config\.url.*user/)
  fails(() => validatePgConfig({ url: 'postgres://u@h:99999/d' }), /config\.url/)
})

t.test('durations', async (t) => {
  t.same([durationMs('250ms'), durationMs('30s'), durationMs('5m'), durationMs('1h'), durationMs(1234)], [250, 30_000, 300_000, 3_600_000, 1234])
  fails(() => validatePgConfig({ host: 'h', database: 'd', user: 'u', statement_timeout: 1.5 }), /statement_timeout/)
  fails(() => validatePgConfig({ host: 'h', database: 'd', user: 'u', statement_timeout: '25h' }), /statement_timeout.*at most/)
  t.equal(validatePgConfig({ host: 'h', database: 'd', user: 'u', statement_timeout: 0 }).config.statement_timeout, 0, '0 = no timeout')
})

t.test('PATCH: merge, keep the password, switch shapes', async (t) => {
  const stored = validatePgConfig({ host: 'db', database: 'dw', user: 'me', password: 'pw', pool_size: 7 }).config
  t.same(mergePgConfig(stored, 'pw', { pool_size: 8 }), { config: { ...stored, pool_size: 8 }, secrets: { password: 'pw' } })
  t.same(mergePgConfig(stored, 'pw', { pool_size: null }).config.pool_size, 5)
  t.same(mergePgConfig(stored, 'pw', { password: null }).secrets, {})
  t.same(mergePgConfig(stored, 'pw', { password: 'new' }).secrets, { password: 'new' })
  const toUrl = mergePgConfig(stored, 'pw', { url: 'postgres://u:urlpw@h/d' })
  t.same(toUrl, { config: { url: 'postgres://u@h/d', pool_size: 7, statement_timeout: '30s', queue_timeout: '10s' }, secrets: { password: 'urlpw' } })
  const back = mergePgConfig(toUrl.config, 'urlpw', { host: 'h2', database: 'd2', user: 'u2' })
  t.same(back.config, { host: 'h2', port: 5432, database: 'd2', user: 'u2', ssl: false, pool_size: 7, statement_timeout: '30s', queue_timeout: '10s' })
  t.same(back.secrets, { password: 'urlpw' })
  fails(() => mergePgConfig(stored, 'pw', { url: 'postgres://u@h/d', host: 'x' }), /config\.host/)
  fails(() => mergePgConfig(stored, 'pw', { database: '' }), /config\.database/)
})
