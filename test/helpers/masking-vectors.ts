/**
 * The masking test vectors, one table for every implementation that must agree: the worker
 * kernel (workers/kernels/mask.ts) and the PostgreSQL push-down (test/masking-vectors.test.ts),
 * the BigQuery push-down run on DuckDB (test/bigquery-masking-sql.test.ts), and the smoke
 * command's copy for a real BigQuery project (src/smoke/masking-vectors.ts, which src cannot
 * import from test/: test/masking-vectors.test.ts checks it is a subset of this table).
 * Expected values are written by hand; hashes are hex SHA-256 of SALT + the wire text,
 * computed with `printf %s | sha256sum`.
 */
import type { MaskingStrategy } from '../../proto/masking.js'
import type { Field } from '../../proto/types.js'

export const SALT = 'pepper'

export interface Vector {
  strategy: MaskingStrategy
  params?: Record<string, unknown>
  field: Omit<Field, 'name' | 'nullable'>
  /** PostgreSQL type the input text is cast to; the value expression follows postgres-types.ts */
  pg: string
  /** inputs as wire text (null = SQL NULL) */
  input: (string | null)[]
  /** expected wire text, by hand; omitted: the two implementations are only compared with each other */
  expected?: (string | null)[]
}

const H = (hex: string) => hex
export const V: Vector[] = [
  // redact
  { strategy: 'redact', field: { type: 'string' }, pg: 'text', input: ['alice', '', null, '😀'], expected: ['****', '****', null, '****'] },
  { strategy: 'redact', params: { replacement: "it's [x]" }, field: { type: 'int64' }, pg: 'int8', input: ['1', null], expected: ["it's [x]", null] },
  { strategy: 'redact', field: { type: 'timestamp' }, pg: 'timestamptz', input: ['2024-03-01T10:00:00.000000Z'], expected: ['****'] },
  // null
  { strategy: 'null', field: { type: 'int32' }, pg: 'int4', input: ['5', null], expected: [null, null] },
  { strategy: 'null', field: { type: 'decimal', precision: 10, scale: 2 }, pg: 'numeric(10,2)', input: ['1.00'], expected: [null] },
  // hash, every canonical text form
  {
    strategy: 'hash', field: { type: 'string' }, pg: 'text', input: ['alice', '', 'é😀', null],
    expected: [H('b1b68da447843a6519d8dd7a9c13c90aa1148805cbe55810f86712e6c294ff36'), H('8cbbcf29d9cef89675c5f5c1dcfe827d0570416a5aaba30dd0de159661ad905b'),
      H('d21f019d301ea1d6a4240ba06f306c24ad83260f7c580b7f63b5b0accc2714dd'), null],
  },
  { strategy: 'hash', params: { length: 12 }, field: { type: 'string' }, pg: 'text', input: ['alice'], expected: ['b1b68da44784'] },
  {
    strategy: 'hash', field: { type: 'int64' }, pg: 'int8', input: ['-9223372036854775808', '9223372036854775807'],
    expected: ['82c88bcd449266110ebd1f5e2446aaf1f3a51498db22ed1976dd580e08f5fe94', 'a234989a98ddc5f868253c8c6ae1e86162493102b4c888c7030274deb754f98d'],
  },
  { strategy: 'hash', field: { type: 'int16' }, pg: 'int2', input: ['-32768'], expected: ['d9e3765cd0d644da86e04367042d9198574c8e3672cc35922d5da2481d906331'] },
  { strategy: 'hash', field: { type: 'int32' }, pg: 'int4', input: ['0', '-1', '2147483647'] },
  {
    strategy: 'hash', field: { type: 'decimal', precision: 10, scale: 2 }, pg: 'numeric(10,2)', input: ['12.30', '-0.05', '0.00'],
    expected: ['775b3513c0d4b44c019eb57dce8af674a9f37f20497cd95e498074ad5751be1f', 'd320689166570e01a7a99c3de47d06f2bb6f87830fdea9c53ef1497cc9d9c852', undefined as never],
  },
  {
    strategy: 'hash', field: { type: 'boolean' }, pg: 'bool', input: ['true', 'false'],
    expected: ['f1ed73112cdd02dba87c22913e359d710c350d09afb6b4fa669440866066eee9', '2dcbdf2e20a2fef264b0074adbb9e663b63d3f0d98f3118f69828c60703a88b9'],
  },
  {
    strategy: 'hash', field: { type: 'date' }, pg: 'date', input: ['2024-02-29', '0001-01-01', '1970-01-01', '9999-12-31'],
    expected: ['185eae086b70f16a795329315a0e513d106b2cf96f1fdbd26c1c6e7646d98b5e', 'e12a6965bca3820ddb85f44b630db606dbaa5ab4f2bb8dd3bc04be8efa406e39', undefined as never, undefined as never],
  },
  {
    strategy: 'hash', field: { type: 'timestamp' }, pg: 'timestamptz', input: ['2024-03-01T10:00:00.123456Z', '1969-12-31T23:59:59.999999Z', '0001-01-01T00:00:00.000000Z'],
    expected: ['b35925b27ec64a655cbdbc19201f7d66a24e1a618cb722f8f38ec08bb0cb0279', '4f0b0521cf142cd7051e343133fe855065fe965d18521efb0b2a587fe1cff89b', undefined as never],
  },
  {
    strategy: 'hash', field: { type: 'time' }, pg: 'time', input: ['00:00:00.000000', '23:59:59.999999', '12:34:56.000001'],
    expected: ['cd60549729e10cb13dc0f233e3c978ba89352ba9be7c49b3ffd039c0c8db60d7', '8b63dd07e769e76271670d5d2ab3e87182c492cc971928678a097b022d50de3f', undefined as never],
  },
  {
    strategy: 'hash', field: { type: 'binary' }, pg: 'bytea', input: ['AAEC/w==', '', 'BwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcHBwcH'],
    expected: ['84282506c41162fa0c9669c50fecd18eea5cbaf9ddf4573b4ba7dab5d4aafb8c', undefined as never, undefined as never],
  },
  { strategy: 'hash', field: { type: 'json' }, pg: 'text', input: ['{"a":1}'], expected: ['faa9c19ff81acac836d40c81c85eb498a17a3861f864ac9f6af1eeb65fae451f'] },
  // partial (code points)
  {
    strategy: 'partial', field: { type: 'string' }, pg: 'text', input: ['4111111111111111', 'abc', 'abcd', 'abcde', '', '😀😀😀😀😀é', null],
    expected: ['************1111', '***', '****', '*bcde', '', '**😀😀😀é', null],
  },
  {
    strategy: 'partial', params: { keep_first: 2, keep_last: 2, mask_char: '•' }, field: { type: 'string' }, pg: 'text',
    input: ['abcdef', 'abcd', 'a😀b😀c'], expected: ['ab••ef', '••••', 'a😀•😀c'],
  },
  { strategy: 'partial', params: { keep_first: 1, keep_last: 0, mask_char: '😀' }, field: { type: 'string' }, pg: 'text', input: ['xyz', 'x'], expected: ['x😀😀', '😀'] },
  { strategy: 'partial', params: { keep_first: 0, keep_last: 0, mask_char: "'" }, field: { type: 'string' }, pg: 'text', input: ['ab'], expected: ["''"] },
  // email
  {
    strategy: 'email', field: { type: 'string' }, pg: 'text',
    input: ['alice@example.com', 'a@b@c.org', 'noat', 'trailing@', '@x.io', '', null, 'ü@bücher.de'],
    expected: ['****@example.com', '****@c.org', '****', '****', '****@x.io', '****', null, '****@bücher.de'],
  },
  // round: exact for integers and decimals, ties away from zero, overflow toward zero
  { strategy: 'round', params: { step: 10 }, field: { type: 'int32' }, pg: 'int4', input: ['14', '15', '-15', '-14', '25', '0', null], expected: ['10', '20', '-20', '-10', '30', '0', null] },
  { strategy: 'round', params: { step: 2.5 }, field: { type: 'int32' }, pg: 'int4', input: ['4', '-4', '1', '3', '6'], expected: ['5', '-5', '0', '3', '5'] },
  { strategy: 'round', params: { step: 100 }, field: { type: 'int16' }, pg: 'int2', input: ['32767', '-32768', '50'], expected: ['32700', '-32700', '100'] },
  {
    strategy: 'round', params: { step: 10 }, field: { type: 'int64' }, pg: 'int8', input: ['9223372036854775807', '-9223372036854775808', '-5'],
    expected: ['9223372036854775800', '-9223372036854775800', '-10'],
  },
  { strategy: 'round', params: { step: 1e21 }, field: { type: 'int64' }, pg: 'int8', input: ['9223372036854775807', '-1'], expected: ['0', '0'] },
  {
    strategy: 'round', params: { step: 0.25 }, field: { type: 'decimal', precision: 10, scale: 2 }, pg: 'numeric(10,2)',
    input: ['1.12', '1.13', '-1.13', '0.00', '12345678.99', '-0.13', '-0.12', '0.38'], expected: ['1.00', '1.25', '-1.25', '0.00', '12345679.00', '-0.25', '0.00', '0.50'],
  },
  { strategy: 'round', params: { step: 10 }, field: { type: 'decimal', precision: 3, scale: 0 }, pg: 'numeric(3,0)', input: ['995', '-995', '994'], expected: ['990', '-990', '990'] },
  { strategy: 'round', params: { step: 0.3 }, field: { type: 'decimal', precision: 6, scale: 1 }, pg: 'numeric(6,1)', input: ['1.0', '0.4', '0.5'], expected: ['0.9', '0.3', '0.6'] },
  { strategy: 'round', params: { step: 0.75 }, field: { type: 'decimal', precision: 6, scale: 1 }, pg: 'numeric(6,1)', input: ['0.7', '-0.7'], expected: ['0.8', '-0.8'] },
  { strategy: 'round', params: { step: 1e-7 }, field: { type: 'decimal', precision: 38, scale: 9 }, pg: 'numeric(38,9)', input: ['1.000000050', '-99999999999999999999999999999.999999999'] },
  {
    strategy: 'round', params: { step: 0.5 }, field: { type: 'float64' }, pg: 'float8', input: ['1.26', '-1.25', '2.75', 'NaN', 'Infinity', '-Infinity', '-0.1', '0', null],
    expected: ['1.5', '-1.5', '3', 'NaN', 'Infinity', '-Infinity', '0', '0', null],
  },
  { strategy: 'round', params: { step: 0.1 }, field: { type: 'float64' }, pg: 'float8', input: ['0.15', '1.05', '1e300', '-123456.789', '5e-324'] },
  { strategy: 'round', params: { step: 0.1 }, field: { type: 'float32' }, pg: 'float4', input: ['0.3', '1.05', '-3.4028235e38'] },
  // date_trunc
  { strategy: 'date_trunc', params: { unit: 'week' }, field: { type: 'date' }, pg: 'date', input: ['2024-03-03', '2024-03-04', '1970-01-01', '2021-01-03', null], expected: ['2024-02-26', '2024-03-04', '1969-12-29', '2020-12-28', null] },
  { strategy: 'date_trunc', params: { unit: 'month' }, field: { type: 'date' }, pg: 'date', input: ['2024-02-29'], expected: ['2024-02-01'] },
  { strategy: 'date_trunc', params: { unit: 'quarter' }, field: { type: 'date' }, pg: 'date', input: ['2024-08-15', '2024-12-31', '2024-01-01'], expected: ['2024-07-01', '2024-10-01', '2024-01-01'] },
  { strategy: 'date_trunc', params: { unit: 'year' }, field: { type: 'date' }, pg: 'date', input: ['2024-12-31', '0001-06-01'], expected: ['2024-01-01', '0001-01-01'] },
  { strategy: 'date_trunc', params: { unit: 'hour' }, field: { type: 'date' }, pg: 'date', input: ['2024-12-31'], expected: ['2024-12-31'] },
  {
    strategy: 'date_trunc', params: { unit: 'second' }, field: { type: 'timestamp' }, pg: 'timestamptz',
    input: ['2024-03-01T10:11:12.999999Z', '1969-12-31T23:59:59.999999Z'], expected: ['2024-03-01T10:11:12.000000Z', '1969-12-31T23:59:59.000000Z'],
  },
  { strategy: 'date_trunc', params: { unit: 'minute' }, field: { type: 'timestamp' }, pg: 'timestamptz', input: ['2024-03-01T10:11:12.5Z'], expected: ['2024-03-01T10:11:00.000000Z'] },
  { strategy: 'date_trunc', params: { unit: 'hour' }, field: { type: 'timestamp' }, pg: 'timestamptz', input: ['1969-12-31T23:59:59.999999Z'], expected: ['1969-12-31T23:00:00.000000Z'] },
  { strategy: 'date_trunc', params: { unit: 'day' }, field: { type: 'timestamp' }, pg: 'timestamptz', input: ['1969-12-31T23:59:59.999999Z', null], expected: ['1969-12-31T00:00:00.000000Z', null] },
  { strategy: 'date_trunc', params: { unit: 'week' }, field: { type: 'timestamp' }, pg: 'timestamptz', input: ['2024-03-03T23:59:59.999999Z'], expected: ['2024-02-26T00:00:00.000000Z'] },
  { strategy: 'date_trunc', params: { unit: 'quarter' }, field: { type: 'timestamp' }, pg: 'timestamptz', input: ['2024-06-30T23:59:59.999999Z'], expected: ['2024-04-01T00:00:00.000000Z'] },
  { strategy: 'date_trunc', params: { unit: 'year' }, field: { type: 'timestamp' }, pg: 'timestamptz', input: ['1969-07-20T20:17:40.000000Z'], expected: ['1969-01-01T00:00:00.000000Z'] },
]
