/**
 * The masking test vectors (test/helpers/masking-vectors.ts), run through BOTH
 * implementations: the worker kernel (workers/kernels/mask.ts) and the PostgreSQL push-down
 * (src/query/masking-sql.ts) on a real server with Sluice's session options. Outputs are
 * compared as API.md wire text, byte for byte, with each other and (where given) with the
 * expected values written by hand. Also: the smoke command's copy is a subset of the table.
 */
import t from 'tap'
import type pg from 'pg'
import type { Column } from '../proto/batch.js'
import type { Field, LogicalType } from '../proto/types.js'
import { maskedField, type MaskRule, type MaskingStrategy } from '../proto/masking.js'
import { createClient } from '../proto/pg-session.js'
import { maskColumn } from '../workers/kernels/mask.js'
import { formatFloat32, textGetter } from '../workers/kernels/text.js'
import { daysFromCivil } from '../workers/kernels/calendar.js'
import { canonicalTextSql, maskSql } from '../src/query/masking-sql.js'
import { pgTestDatabase } from './helpers/pg.js'
import { SALT, V, type Vector } from './helpers/masking-vectors.js'
import { SALT as SMOKE_SALT, VECTORS as SMOKE_VECTORS } from '../src/smoke/masking-vectors.js'

/** The wire text `s` as a Batch value of `type`. */
function parseWire(type: LogicalType, s: string): string | number | bigint | Uint8Array {
  switch (type) {
    case 'string': case 'json': case 'decimal': return s
    case 'int16': case 'int32': return Number(s)
    case 'int64': return BigInt(s)
    case 'float32': return Math.fround(Number(s))
    case 'float64': return Number(s)
    case 'boolean': return s === 'true' ? 1 : 0
    case 'date': { const [y, m, d] = s.split('-').map(Number); return daysFromCivil(y!, m!, d!) }
    case 'time': return timeMicros(s)
    case 'timestamp': {
      const [date, time] = s.slice(0, -1).split('T')
      const [y, m, d] = date!.split('-').map(Number)
      return BigInt(daysFromCivil(y!, m!, d!)) * 86_400_000_000n + timeMicros(time!)
    }
    case 'binary': return new Uint8Array(Buffer.from(s, 'base64'))
  }
}

function timeMicros(s: string): bigint {
  const [h, mi, sec] = s.split(':')
  const [whole, frac = ''] = sec!.split('.')
  return ((BigInt(h!) * 60n + BigInt(mi!)) * 60n + BigInt(whole!)) * 1_000_000n + BigInt(frac.padEnd(6, '0'))
}

function column(field: Field, input: (string | null)[]): Column {
  const n = input.length
  const nulls = new Uint8Array(n)
  const vals = input.map((s, i) => { if (s === null) { nulls[i] = 1; return null } return parseWire(field.type, s) })
  let values: Column['values']
  switch (field.type) {
    case 'string': case 'json': case 'decimal': values = vals.map((v) => (v ?? '') as string); break
    case 'int16': case 'int32': case 'date': values = Int32Array.from(vals.map((v) => (v ?? 0) as number)); break
    case 'int64': case 'timestamp': case 'time': values = BigInt64Array.from(vals.map((v) => (v ?? 0n) as bigint)); break
    case 'float32': case 'float64': values = Float64Array.from(vals.map((v) => (v ?? 0) as number)); break
    case 'boolean': values = Uint8Array.from(vals.map((v) => (v ?? 0) as number)); break
    case 'binary': values = vals.map((v) => (v ?? new Uint8Array(0)) as Uint8Array); break
  }
  return { name: field.name, type: field.type, values, nulls, precision: field.precision, scale: field.scale }
}

/** The value expression postgres-types.ts would give a column of this PostgreSQL type, over the bound text $2. */
function inputExpr(v: Vector): string {
  if (v.pg === 'timestamptz') return `($2::timestamptz AT TIME ZONE 'UTC')`
  if (v.pg === 'bytea') return `decode($2, 'base64')`
  return `$2::${v.pg}`
}

/** SQL output (raw text with the session options) → API.md wire text of the masked field. */
async function sqlWire(client: pg.Client, v: Vector, field: Field, rule: MaskRule, input: string | null): Promise<string | null> {
  const out = maskedField(field, rule)
  const masked = maskSql(rule, inputExpr(v), field, '$1')
  const float = out.type === 'float32' || out.type === 'float64'
  // $1 and $2 typed even when the strategy uses neither (null, redact)
  const sql = `SELECT ${float ? masked : canonicalTextSql(masked, out)} AS m, $1::text AS salt, $2::text AS input`
  const r = await client.query<{ m: string | null }>(sql, [SALT, input])
  const m = r.rows[0]!.m
  if (m === null || !float) return m
  return out.type === 'float32' ? formatFloat32(Number(m)) : String(Number(m))
}

t.test('kernel and PostgreSQL give byte-identical masked values', async (t) => {
  const db = await pgTestDatabase(t)
  const client = createClient({
    host: db.host, port: db.port, database: db.database, user: db.user, password: db.password || null, ssl: false,
    statementTimeoutMs: 0, connectTimeoutMs: 10_000, applicationName: 'sluice-test-masking',
  })
  await client.connect()
  t.teardown(() => client.end())
  for (const v of V) {
    const field: Field = { name: 'c', nullable: true, ...v.field }
    const rule: MaskRule = { column: 'c', strategy: v.strategy, params: v.params ?? {} }
    const label = `${v.strategy} ${JSON.stringify(v.params ?? {})} on ${v.pg}`
    const masked = maskColumn(column(field, v.input), rule, { salt: SALT })
    t.equal(masked.type, maskedField(field, rule).type, `${label}: kernel result type`)
    const text = textGetter(masked)
    for (let i = 0; i < v.input.length; i++) {
      const kernel = text(i)
      let sql: string | null
      try { sql = await sqlWire(client, v, field, rule, v.input[i]!) } catch (err) { sql = `error: ${(err as Error).message}` }
      t.equal(sql, kernel, `${label} [${JSON.stringify(v.input[i])}]: SQL = kernel`)
      const want = v.expected?.[i]
      if (want !== undefined) t.equal(kernel, want, `${label} [${JSON.stringify(v.input[i])}]: expected`)
    }
  }
})

/** Seeded random inputs (xorshift32), same comparison as above; no expected values. */
function randomVectors(seed: number): Vector[] {
  let s = seed >>> 0
  const rnd = () => { s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0; return s / 4294967296 }
  const int = (n: number) => Math.floor(rnd() * n)
  const pick = <T>(a: readonly T[]) => a[int(a.length)]!
  const chars = ['a', 'Z', '@', '.', ' ', 'é', '😀', '\u0301', "'", '\\', '中']
  const str = () => Array.from({ length: int(12) }, () => pick(chars)).join('')
  const big = () => (BigInt(int(2 ** 31)) * BigInt(int(2 ** 31)) * BigInt(int(2) + 1) * (rnd() < 0.5 ? -1n : 1n)).toString()
  const dec = () => { const u = BigInt(int(1e9)) * BigInt(int(1e6)); const t = u.toString().padStart(3, '0'); return (rnd() < 0.5 ? '-' : '') + t.slice(0, -2) + '.' + t.slice(-2) }
  const us = () => BigInt(int(2 ** 31) - 2 ** 30) * 1_000_000n * 7n + BigInt(int(1e6))
  const ts = us
  const tsText = (x: bigint) => {
    // via text.ts, so inputs are exactly what a Batch prints
    return textGetter({ name: 'c', type: 'timestamp', values: BigInt64Array.from([x]), nulls: null })(0)!
  }
  const n = 40
  const list = <T>(f: () => T) => Array.from({ length: n }, f)
  const steps = [1, 3, 10, 0.5, 0.25, 0.1, 7.5, 1e-3, 1000000]
  const units = ['second', 'minute', 'hour', 'day', 'week', 'month', 'quarter', 'year']
  return [
    { strategy: 'partial', params: { keep_first: int(4), keep_last: int(4), mask_char: pick(['*', '😀', 'x']) }, field: { type: 'string' }, pg: 'text', input: list(str) },
    { strategy: 'email', field: { type: 'string' }, pg: 'text', input: list(str) },
    { strategy: 'hash', params: { length: 8 + int(57) }, field: { type: 'string' }, pg: 'text', input: list(str) },
    { strategy: 'hash', field: { type: 'timestamp' }, pg: 'timestamptz', input: list(() => tsText(ts())) },
    { strategy: 'round', params: { step: pick(steps) }, field: { type: 'int64' }, pg: 'int8', input: list(big) },
    { strategy: 'round', params: { step: pick(steps) }, field: { type: 'decimal', precision: 20, scale: 2 }, pg: 'numeric(20,2)', input: list(dec) },
    { strategy: 'round', params: { step: pick(steps) }, field: { type: 'float64' }, pg: 'float8', input: list(() => String((rnd() - 0.5) * 10 ** int(12))) },
    ...units.map((unit): Vector => ({ strategy: 'date_trunc', params: { unit }, field: { type: 'timestamp' }, pg: 'timestamptz', input: list(() => tsText(ts())) })),
  ]
}

t.test('random inputs: kernel = PostgreSQL', async (t) => {
  const db = await pgTestDatabase(t)
  const client = createClient({
    host: db.host, port: db.port, database: db.database, user: db.user, password: db.password || null, ssl: false,
    statementTimeoutMs: 0, connectTimeoutMs: 10_000, applicationName: 'sluice-test-masking',
  })
  await client.connect()
  t.teardown(() => client.end())
  const seed = Number(process.env.MASKING_SEED ?? 20261128)
  for (const v of randomVectors(seed)) {
    const field: Field = { name: 'c', nullable: true, ...v.field }
    const rule: MaskRule = { column: 'c', strategy: v.strategy, params: v.params ?? {} }
    const text = textGetter(maskColumn(column(field, v.input), rule, { salt: SALT }))
    let bad = 0
    for (let i = 0; i < v.input.length; i++) {
      let sql: string | null
      try { sql = await sqlWire(client, v, field, rule, v.input[i]!) } catch (err) { sql = `error: ${(err as Error).message}` }
      if (sql !== text(i)) { bad++; t.equal(sql, text(i), `seed ${seed} ${v.strategy} ${JSON.stringify(v.params)} [${JSON.stringify(v.input[i])}]`) }
    }
    t.equal(bad, 0, `seed ${seed}: ${v.strategy} ${JSON.stringify(v.params ?? {})} on ${v.pg}, ${v.input.length} values agree`)
  }
})

t.test('the smoke command\'s vectors (src/smoke/masking-vectors.ts) are taken from this table', async (t) => {
  t.equal(SMOKE_SALT, SALT)
  const rule = (v: { strategy: string; params?: unknown; field: unknown }) => JSON.stringify([v.strategy, v.params ?? {}, v.field])
  for (const v of SMOKE_VECTORS) {
    // every (input, expected) pair of the copy is a pair of a table vector of the same rule
    const pairs = new Set(V.filter((w) => rule(w) === rule(v) && w.expected).flatMap((w) => w.input.map((x, i) => JSON.stringify([x, w.expected![i]]))))
    const missing = v.input.map((x, i) => JSON.stringify([x, v.expected[i]])).filter((p) => !pairs.has(p))
    t.same(missing, [], `${v.strategy} ${JSON.stringify(v.params ?? {})} on ${v.field.type}`)
  }
  t.ok(SMOKE_VECTORS.length >= 10, `${SMOKE_VECTORS.length} smoke vectors`)
})
