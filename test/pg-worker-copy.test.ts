// The COPY path's two pure pieces: the COPY text-format parser (any chunking, every escape)
// and inlining bound parameters as literals (only where PostgreSQL's lexer would see a
// parameter; refuse whatever could end the COPY query early) — then both against a real server.
import t from 'tap'
import { CopyTextParser, unescape } from '../workers/pg/copy-text.js'
import { inlineParams } from '../workers/pg/inline-params.js'
import { openConnection } from '../proto/pg-session.js'
import { beginReadOnly, pgBatches } from '../workers/pg/source.js'
import type { DecodeField } from '../workers/pg/decode.js'
import { pgTestDatabase } from './helpers/pg.js'
import { pgConnectionOf } from './helpers/pg-worker.js'

function parseAll(bytes: Buffer, width: number, batchRows: number, cuts: number[]): (string | null)[][] {
  const p = new CopyTextParser(width, batchRows)
  const rows: (string | null)[][] = []
  const take = () => {
    for (let b; (b = p.takeBatch());) {
      for (let i = 0; i < b.length; i++) rows.push(b.columns.map((c) => c[i]!))
    }
  }
  let from = 0
  for (const cut of [...cuts, bytes.length]) {
    p.push(bytes.subarray(from, cut))
    take()
    from = cut
  }
  p.end()
  take()
  return rows
}

t.test('COPY text: escapes, \\N, empty strings, multibyte characters split anywhere', async (t) => {
  const text = 'a\\tb\t\\N\t\n' + // "a<TAB>b", null, ""
    '\\\\N\tx\\ny\\rz\t\\b\\f\\v\n' + // "\N" (a string), "x<LF>y<CR>z", control chars
    'é😀ü\t\\101\\x41\\x4a\\7\t\\q\n' // unicode, octal A, hex A and J, octal 7, escaped ordinary char
  const bytes = Buffer.from(text, 'utf8')
  const expected = [
    ['a\tb', null, ''],
    ['\\N', 'x\ny\rz', '\b\f\v'],
    ['é😀ü', 'AAJ\u0007', 'q'],
  ]
  for (let cut = 0; cut <= bytes.length; cut++) {
    const rows = parseAll(bytes, 3, 2, [cut])
    if (JSON.stringify(rows) !== JSON.stringify(expected)) {
      t.same(rows, expected, `split at byte ${cut}`)
      return
    }
  }
  t.same(parseAll(bytes, 3, 1, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)), expected, 'one byte at a time')
  t.equal(unescape('\\\\\\t', 0, 4), '\\\t')
})

t.test('COPY text: a row with the wrong number of fields is an error', async (t) => {
  t.throws(() => parseAll(Buffer.from('a\tb\n'), 3, 10, []), { code: 'schema_mismatch' })
  t.throws(() => parseAll(Buffer.from('a\tb\tc\td\n'), 3, 10, []), { code: 'schema_mismatch' })
  t.throws(() => parseAll(Buffer.from('a\tb\tc'), 3, 10, []), /ended inside a row/)
})

t.test('inlineParams: parameters only outside strings, identifiers, dollar quotes and comments', async (t) => {
  const q = (v: string) => `$sluice0$${v}$sluice0$`
  t.equal(inlineParams('SELECT $1, $2::int, $10', ['a', '2', '3', '4', '5', '6', '7', '8', '9', 'ten']), `SELECT ${q('a')}, ${q('2')}::int, ${q('ten')}`)
  t.equal(inlineParams("SELECT $1 WHERE x = 'it''s $1' AND y = E'\\'$1' AND \"col$1\" = a$1", ['v']),
    `SELECT ${q('v')} WHERE x = 'it''s $1' AND y = E'\\'$1' AND "col$1" = a$1`)
  t.equal(inlineParams('SELECT $$ $1 $$, $q$ $1 ) ; $q$, $1 -- $1 ;\n /* $1 /* ; */ ) */ + 1', ['x']),
    `SELECT $$ $1 $$, $q$ $1 ) ; $q$, ${q('x')} -- $1 ;\n /* $1 /* ; */ ) */ + 1`)
  t.equal(inlineParams('SELECT $1, $2', ['plain text, 100% 😀', null]), `SELECT ${q('plain text, 100% 😀')}, NULL`)
  t.equal(inlineParams('SELECT $1 AS "$sluice0$"', ['v']), 'SELECT $sluice1$v$sluice1$ AS "$sluice0$"', 'a tag the statement does not contain')
  t.equal(inlineParams('SELECT (1)', []), 'SELECT (1)')
  t.equal(inlineParams('SELECT 1 -- c\r; DROP TABLE x\n', []), null, 'a -- comment ends at CR, as PostgreSQL reads it')
  const refused: [string, string[]][] = [
    ['SELECT 1; DROP TABLE x', []],
    ['SELECT 1) TO STDOUT; COPY (SELECT 2', []],
    ['SELECT (1', []],
    ["SELECT 'open", []],
    ['SELECT "open', []],
    ['SELECT $x$ open', []],
    ['SELECT /* open', []],
    ['SELECT $2', ['a']],
    ['SELECT $0', ['a']],
    ['SELECT $1', ['nul\0']],
    // values that could end a string, identifier, comment or dollar quote are never inlined
    ...["o'brien", 'a"b', 'back\\slash', 'a$b', 'line\nbreak', 'cr\r', 'x*/y', 'x/*y'].map((v): [string, string[]] => ['SELECT $1', [v]]),
  ]
  for (const [sql, params] of refused) t.equal(inlineParams(sql, params), null, `refused: ${JSON.stringify(sql)} ${JSON.stringify(params)}`)
})

t.test('a real server: COPY with inlined parameters equals the cursor with bound ones', async (t) => {
  const db = await pgTestDatabase(t)
  await db.query(`CREATE TABLE p (id int8, name text, note text)`)
  await db.query(`INSERT INTO p VALUES (1, 'o''brien', 'a\\b'), (2, 'x', NULL), (3, '$1', E'tab\\there'), (4, 'é😀', ';) --')`)
  const fields: DecodeField[] = [{ name: 'id', type: 'int64' }, { name: 'name', type: 'string' }, { name: 'note', type: 'string' }]
  const read = async (source: 'cursor' | 'copy', sql: string, params: (string | null)[]) => {
    const client = await openConnection(pgConnectionOf(db))
    try {
      await beginReadOnly(client)
      const rows: unknown[][] = []
      for await (const b of pgBatches(client, { sql, params, fields, batchRows: 2, source })) {
        for (let i = 0; i < b.length; i++) rows.push(b.columns.map((c) => (c.nulls?.[i] ? null : (c.values as ArrayLike<unknown>)[i])))
      }
      return rows
    } finally {
      await client.end()
    }
  }
  const cases: [string, (string | null)[]][] = [
    // values that cannot be inlined (quotes, $, backslashes): the COPY source uses the cursor
    [`SELECT id, name, note FROM p WHERE name = $1 OR name = $2 OR note = $3 ORDER BY id`, ["o'brien", '$1', ';) --']],
    [`SELECT id, name || $1, coalesce(note, $2) FROM p WHERE name <> '$1' AND "id" = ANY($3::int8[]) ORDER BY id`, ['\\', "'); DROP TABLE p; --", '{1,2,3}']],
    // inlined: untyped literals resolve from context like untyped parameters
    [`SELECT id, name, note FROM p WHERE id >= $1 AND (note IS NOT NULL OR $2::text IS NULL) ORDER BY id`, ['2', null]],
    [`SELECT id, name || $1, coalesce(note, $2) FROM p WHERE name <> '$1' AND id = ANY($3) AND name <> $4 ORDER BY id`, [' ;) -- ', 'n/a', '{1,2,3,4}', 'é😀']],
    [`SELECT id, $1 || name, note FROM p WHERE id < $2 + 1 AND $3 ORDER BY id LIMIT $4`, ['> ', '3', 'true', '10']],
    // not inlinable (a ';' inside the statement): the copy source falls back to the cursor, which refuses it as PostgreSQL does
  ]
  for (const [i, [sql, params]] of cases.entries()) {
    t.equal(inlineParams(sql, params) !== null, i >= 2, i >= 2 ? 'inlined: COPY runs it' : 'not inlinable: the cursor runs it')
    const viaCursor = await read('cursor', sql, params)
    t.ok(viaCursor.length > 0, sql)
    t.same(await read('copy', sql, params), viaCursor, `copy = cursor: ${sql}`)
  }
  t.same(await read('copy', 'SELECT 1::int8, $1::text, $1', ['x\ty']), [[1n, 'x\ty', 'x\ty']])
  const twoStatements = await read('copy', 'SELECT 1::int8, 2::text, 3::text; SELECT 1', []).then(() => null, (e: { code?: string }) => e)
  t.equal(twoStatements?.code, '42601', 'a second statement never runs: PostgreSQL refuses it (cursor fallback)')
  t.equal((await db.query('SELECT count(*)::int AS n FROM p')).rows[0].n, 4)
})
