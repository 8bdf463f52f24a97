// Shared fixtures for test/query-*.test.ts: one schema with every logical type and the
// awkward names (spaces, commas, quotes, reserved words), and an assertion for 422s.
import type { Test } from 'tap'
import { SluiceError } from '../../proto/errors.js'
import type { Plan } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'

export const schema: Field[] = [
  { name: 'region', type: 'string', nullable: true },
  { name: 'ts', type: 'timestamp', nullable: true },
  { name: 'birth', type: 'date', nullable: true },
  { name: 'at', type: 'time', nullable: true },
  { name: 'small', type: 'int16', nullable: true },
  { name: 'qty', type: 'int32', nullable: true },
  { name: 'user_id', type: 'int64', nullable: false },
  { name: 'price', type: 'float64', nullable: true },
  { name: 'ratio', type: 'float32', nullable: true },
  { name: 'amount', type: 'decimal', nullable: true, precision: 12, scale: 2 },
  { name: 'cents', type: 'decimal', nullable: true, precision: 5, scale: 0 },
  { name: 'active', type: 'boolean', nullable: true },
  { name: 'payload', type: 'json', nullable: true },
  { name: 'blob', type: 'binary', nullable: true },
  { name: 'unit price', type: 'float64', nullable: true },
  { name: 'a,b(c)"d', type: 'string', nullable: true },
  { name: 'select', type: 'string', nullable: true },
  { name: 'limit', type: 'int32', nullable: true },
]

/** a non-aggregate plan with the given parts; everything else at its default */
export function plan(parts: Partial<Plan>): Plan {
  return { select: [], group: [], aggregate: false, filter: null, order: [], limit: null, offset: 0, columns: [], ...parts }
}

/**
 * Asserts that `fn` throws a 422 SluiceError with `code` whose message names `param`
 * (as its first word for invalid_query, as `parameter "x"` for invalid_parameter) and
 * contains every `tokens` entry.
 */
export function fails(t: Test, fn: () => unknown, code: 'invalid_query' | 'invalid_parameter', param: string, ...tokens: string[]) {
  let err: unknown
  try {
    fn()
  } catch (e) {
    err = e
  }
  if (!(err instanceof SluiceError)) {
    t.fail(`expected a SluiceError, got ${err === undefined ? 'no error' : String(err)}`)
    return
  }
  t.equal(err.status, 422, 'status 422')
  t.equal(err.code, code, `code ${code}`)
  const prefix = code === 'invalid_parameter' ? `parameter "${param}": ` : `${param}: `
  t.ok(err.message.startsWith(prefix), `message ${JSON.stringify(err.message)} starts with ${JSON.stringify(prefix)}`)
  for (const token of tokens) {
    t.ok(err.message.includes(token), `message ${JSON.stringify(err.message)} names ${JSON.stringify(token)}`)
  }
}

/** the message of the error `fn` throws */
export function messageOf(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    return (e as Error).message
  }
  return '(no error)'
}
