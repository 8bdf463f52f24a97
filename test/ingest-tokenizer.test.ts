// The hand-written CSV tokenizer (workers/ingest/csv-source.ts) on its own: RFC 4180 quoting,
// line ends, blank lines, errors naming the line, record offsets, and read-chunk boundaries
// (1 MiB) falling inside a quoted field, a CRLF or a multi-byte character. A differential
// fuzz test compares it with csv-parse (the parser it replaced).
import t from 'tap'
import { parse as csvParse } from 'csv-parse/sync'
import { CsvScanner } from '../workers/ingest/csv-source.js'
import { csvFile, type TestLike } from './helpers/ingest.js'

const CHUNK = 1024 * 1024

interface Scan { records: string[][]; starts: number[] }

async function scan(t: TestLike, content: string | Buffer, delimiter = ',', bom = 0): Promise<Scan> {
  const file = csvFile(t, content)
  const scanner = new CsvScanner(file, delimiter, bom)
  const records: string[][] = []
  const starts: number[] = []
  await scanner.run({ onRecord: (f) => { records.push(f); starts.push(scanner.recordStart) } })
  return { records, starts }
}

async function scanError(t: TestLike, content: string | Buffer, delimiter = ','): Promise<string> {
  try {
    await scan(t, content, delimiter)
  } catch (e) {
    return (e as Error).message
  }
  return 'no error'
}

t.test('quoted fields: delimiters, doubled quotes, line breaks of every kind', async (t) => {
  const { records } = await scan(t, 'a,b\n"x,y","say ""hi"""\n"1\r\n2\n3\r4",""\n"""",z\n')
  t.same(records, [['a', 'b'], ['x,y', 'say "hi"'], ['1\r\n2\n3\r4', ''], ['"', 'z']])
})

t.test('mixed line ends, empty fields at line ends, final line without a line break', async (t) => {
  const { records, starts } = await scan(t, 'a,b,c\r\n1,,\n,2,\r,,\r\n4,5,6')
  t.same(records, [['a', 'b', 'c'], ['1', '', ''], ['', '2', ''], ['', '', ''], ['4', '5', '6']])
  t.same(starts, [0, 7, 11, 15, 19])
  t.same((await scan(t, 'a,b\n1,')).records, [['a', 'b'], ['1', '']])
  t.same((await scan(t, 'a,b\n1,"x"')).records, [['a', 'b'], ['1', 'x']])
  t.same((await scan(t, 'a,b\n1,"x"\r')).records, [['a', 'b'], ['1', 'x']])
  t.same((await scan(t, 'a,b\n1,2\r')).records, [['a', 'b'], ['1', '2']])
})

t.test('blank lines: skipped, kept as empty cells inside a one-column file, trailing dropped', async (t) => {
  t.same((await scan(t, '\n\na,b\n\n1,2\n\r\n\n')).records, [['a', 'b'], ['1', '2']])
  t.same((await scan(t, 'a\n1\n\n2\n\n\n')).records, [['a'], ['1'], [''], ['2']])
  t.same((await scan(t, 'a\n1\n""\n2\n')).records, [['a'], ['1'], [''], ['2']], 'a quoted empty line is blank too')
})

t.test('other delimiters, also outside the BMP', async (t) => {
  t.same((await scan(t, 'a;b\n"x;y";2\n', ';')).records, [['a', 'b'], ['x;y', '2']])
  t.same((await scan(t, 'a\tb\n1\t2\n', '\t')).records, [['a', 'b'], ['1', '2']])
  t.same((await scan(t, 'a😀b\n"1😀"😀2\n', '😀')).records, [['a', 'b'], ['1😀', '2']])
})

t.test('errors name the line where the record starts', async (t) => {
  t.match(await scanError(t, 'a,b\n1,2\n3,4,5\n'), /^line 3: expected 2 fields, found 3/)
  t.match(await scanError(t, 'a,b\n1,2\n3\n'), /^line 3: expected 2 fields, found 1/)
  // (a quote inside an unquoted field is data since csv-spectrum conformance: see below)
  t.match(await scanError(t, 'a,b\n1,"x\r\ny"\r\n3,"ab"c\n'), /^line 4: a closing quote is followed/)
  t.match(await scanError(t, 'a,b\n1,2\n"ab"c,1\n'), /^line 3: a closing quote is followed/)
  t.match(await scanError(t, 'a,b\n1,2\n"ab" ,1\n'), /^line 3: a closing quote is followed/)
  t.match(await scanError(t, 'a,b\r1,2\r3,"open\r\n\r\n'), /^line 3: a quoted field is not closed/)
  t.match(await scanError(t, 'a,b\n1,"""\n'), /^line 2: a quoted field is not closed/)
  t.match(await scanError(t, 'a,b\n1,2\n3,"\n'), /^line 3: a quoted field is not closed/)
})

t.test('non-ASCII text: values and byte offsets', async (t) => {
  const text = 'ä,€\n"𝄞,x",ü\nß,"é\n"\n'
  const { records, starts } = await scan(t, text)
  t.same(records, [['ä', '€'], ['𝄞,x', 'ü'], ['ß', 'é\n']])
  const b = (s: string): number => Buffer.byteLength(s)
  t.same(starts, [0, b('ä,€\n'), b('ä,€\n"𝄞,x",ü\n')])
  t.match(await scanError(t, 'ä,b\n€,"𝄞\n'), /^line 2: a quoted field is not closed/)
  t.match(await scanError(t, 'ä,b\n€,𝄞\n1\n'), /^line 3: expected 2 fields, found 1/)
})

/** A file whose byte `CHUNK + k` starts `tail` (a padding of `x,y\n` rows first). */
function aroundBoundary(k: number, tail: string, header = 'a,b\n'): { text: string; padRows: number } {
  const padBytes = CHUNK + k - header.length
  const rows = Math.floor(padBytes / 4)
  let pad = 'x,y\n'.repeat(rows)
  const extra = padBytes - rows * 4
  if (extra > 0) pad = pad.slice(0, pad.length - 4) + 'x,' + 'y'.repeat(1 + extra) + '\n'
  const text = header + pad + tail
  return { text, padRows: rows }
}

t.test('read-chunk boundaries inside quoted fields, CRLF, doubled quotes and characters', async (t) => {
  // tail placed so that the 1 MiB boundary falls at each of its first few bytes
  const tails = [
    '"quoted,\r\nfield","a""b"\r\n1,2\r\n', // inside a quoted field and its CRLF
    '1,"x"\r\n2,3\r\n', // between closing quote and CRLF, inside CRLF
    '1,2\r\n3,4\r\n',
    '€,𝄞\n"ü𝄞",é\n', // inside multi-byte characters
    '1,""""\n2,""\n', // inside doubled quotes
    '1,2\r3,4\r',
  ]
  for (const tail of tails) {
    for (let k = -6; k <= 2; k++) {
      const { text, padRows } = aroundBoundary(k, tail)
      const { records, starts } = await scan(t, text)
      const expected = csvParse(text, { record_delimiter: ['\r\n', '\n', '\r'] }) as string[][]
      const ok = records.length === expected.length && JSON.stringify(records.slice(padRows - 2)) === JSON.stringify(expected.slice(padRows - 2))
      t.ok(ok, `${JSON.stringify(tail)} at boundary ${k}`)
      if (!ok) t.same(records.slice(padRows - 2), expected.slice(padRows - 2))
      // offsets: every start is just after a line end of a complete previous record
      const buf = Buffer.from(text)
      const tailStart = buf.length - Buffer.byteLength(tail)
      const tailRecords = records.length - 1 - padRows
      t.equal(starts[1 + padRows], tailStart, `offset of the first tail record, boundary ${k}`)
      t.equal(tailRecords, expected.length - 1 - padRows)
    }
  }
})

t.test('a quote inside an unquoted field is a character (as csv-spectrum expects)', async (t) => {
  t.same((await scan(t, 'a,b\n3,ab"c\n4,12"\n')).records, [['a', 'b'], ['3', 'ab"c'], ['4', '12"']])
})

t.test('text after a closing quote or an unclosed quote after the first chunk names the right line', async (t) => {
  for (let k = -3; k <= 3; k++) {
    const { padRows } = aroundBoundary(k, '')
    const line = padRows + 2
    t.match(await scanError(t, aroundBoundary(k, '1,"a\r\nb"\r\n2,"ab"c\r\n').text), new RegExp(`^line ${line + 2}: a closing quote is followed`))
    t.match(await scanError(t, aroundBoundary(k, '1,"a\r\nb\r\n2,3\r\n').text), new RegExp(`^line ${line}: a quoted field is not closed`))
    t.match(await scanError(t, aroundBoundary(k, '1,"a\r\nb",3\r\n').text), new RegExp(`^line ${line}: expected 2 fields, found 3`))
  }
})

t.test('differential fuzz against csv-parse, files of several chunks', async (t) => {
  let seed = 7
  const rnd = (n: number): number => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) % n
  const pieces = ['a', 'bc', ' ', 'é', '𝄞', '€', '1.5', '""', ',', '\r\n', '\n', '\r', 'xyz']
  const ends = ['\n', '\r\n', '\r']
  for (let f = 0; f < 3; f++) {
    const width = 1 + rnd(4)
    const lines: string[] = []
    let size = 0
    while (size < 2.5 * CHUNK) {
      const cells: string[] = []
      for (let c = 0; c < width; c++) {
        const quoted = rnd(3) === 0
        let v = ''
        for (let k = rnd(5); k > 0; k--) {
          const p = pieces[rnd(pieces.length)]!
          if (quoted || !/[",\r\n]/.test(p)) v += p
        }
        if (!quoted && v === '' && width === 1) v = 'e' // no blank lines in this test
        cells.push(quoted ? `"${v}"` : v)
      }
      const line = cells.join(',') + ends[rnd(3)]
      lines.push(line)
      size += line.length
    }
    const text = lines.join('')
    const expected = (csvParse(text, { record_delimiter: ['\r\n', '\n', '\r'], relax_column_count: true }) as string[][])
      .filter((r) => !(width > 1 && r.length === 1 && r[0] === ''))
    // leading and trailing blank records (`""` lines in a one-column file) are dropped
    const blank = (r: string[] | undefined): boolean => r !== undefined && r.length === 1 && r[0] === ''
    while (blank(expected.at(-1))) expected.pop()
    while (blank(expected[0])) expected.shift()
    const { records } = await scan(t, text)
    t.equal(records.length, expected.length, `file ${f}: record count`)
    t.ok(JSON.stringify(records) === JSON.stringify(expected), `file ${f}: same records`)
  }
})

t.test('an unclosed quote in a large file stops at the record size limit, naming its line', async (t) => {
  const text = 'a,b\n1,2\n3,"open\n' + 'x,y\n'.repeat(4_500_000) // 18 MB after the quote
  t.match(await scanError(t, text), /^line 3: a record is larger than 16777216 bytes/)
})
