// Malformed files: 422 invalid_file naming the physical line (quoted line breaks and CRLF
// counted as in an editor), in preview and ingest alike; an ingest that fails leaves no files.
import { readdirSync } from 'node:fs'
import t from 'tap'
import type { CsvOptions } from '../proto/ingest.js'
import { csvFile, ingestResult, previewResult } from './helpers/ingest.js'

type Sub = Parameters<Parameters<typeof t.test>[0]>[0]

async function failsWith(t: Sub, content: string | Buffer, message: RegExp, options: CsvOptions = {}): Promise<void> {
  const file = csvFile(t, content)
  const p = await previewResult(file, options)
  t.match(p, { ok: false, status: 422, code: 'invalid_file' }, 'preview')
  t.match(!p.ok && p.message, message, 'preview message')
  const i = await ingestResult(t, file, options, 2)
  t.match(i, { ok: false, status: 422, code: 'invalid_file', message }, 'ingest')
  t.same(readdirSync(i.outDir), [], 'no files left behind')
}

t.test('unclosed quote names the line where the field opens', async (t) => {
  await failsWith(t, 'a,b\n1,2\n3,"never closed\n4,5\n6,7\n', /^line 3: a quoted field is not closed/)
})

t.test('a record with more or fewer fields', async (t) => {
  await failsWith(t, 'a,b,c\n1,2,3\n4,5\n', /^line 3: expected 3 fields, found 2/)
  await failsWith(t, 'a,b\n1,2\n3,4,5\n', /^line 3: expected 2 fields, found 3/)
})

t.test('line numbers count line breaks inside quoted fields, and CRLF once', async (t) => {
  await failsWith(t, 'a,b\r\n1,"x\r\ny\r\nz"\r\n2,3\r\n4\r\n', /^line 6: expected 2 fields, found 1/)
  await failsWith(t, 'a,b\n1,"x\ny"\n\n\n2,3,4\n', /^line 6: expected 2 fields, found 3/)
})

t.test('text after a closing quote', async (t) => {
  // a quote inside an unquoted field (3,ab"c) is a character: test/ingest-tokenizer.test.ts
  await failsWith(t, 'a,b\n1,2\n3,"ab"c\n', /^line 3: a closing quote is followed/)
})

// encoding=utf-8 given: without it such files are detected as Latin-1 (test/ingest-encoding*.test.ts)
const UTF8 = { encoding: 'utf-8' } as const

t.test('bytes that are not UTF-8', async (t) => {
  await failsWith(t, Buffer.concat([Buffer.from('a,b\n1,2\n3,'), Buffer.from([0xff, 0xfe]), Buffer.from('\n')]), /^line 3: the file is not valid UTF-8/, UTF8)
  // Latin-1 é inside a quoted multi-line field: the line of the byte itself
  await failsWith(t, Buffer.concat([Buffer.from('a,b\n1,"x\ncaf'), Buffer.from([0xe9]), Buffer.from('"\n')]), /^line 3: the file is not valid UTF-8/, UTF8)
  // a truncated sequence at the very end
  await failsWith(t, Buffer.concat([Buffer.from('a,b\n1,2\n3,'), Buffer.from([0xe2, 0x82])]), /^line 3: the file is not valid UTF-8/, UTF8)
  // an overlong encoding and a surrogate
  await failsWith(t, Buffer.concat([Buffer.from('a\n'), Buffer.from([0xc0, 0xaf]), Buffer.from('\n')]), /^line 2: /, UTF8)
  await failsWith(t, Buffer.concat([Buffer.from('a\nx\n'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('\n')]), /^line 3: /, UTF8)
})

t.test('invalid UTF-8 far into the file (after the first read chunk)', async (t) => {
  const rows = 'x,1\n'.repeat(400_000) // 1.6 MB
  await failsWith(t, Buffer.concat([Buffer.from('a,b\n' + rows), Buffer.from([0x80]), Buffer.from(',2\n')]), /^line 400002: the file is not valid UTF-8/, UTF8)
})

t.test('an empty file', async (t) => {
  await failsWith(t, '', /^line 1: the file is empty/)
  await failsWith(t, '\n\r\n\n', /^line 1: the file is empty/)
  await failsWith(t, Buffer.from([0xef, 0xbb, 0xbf]), /^line 1: the file is empty/)
})

t.test('ragged rows late in a large file stop an ingest and remove written files', async (t) => {
  const rows = Array.from({ length: 50_000 }, (_, i) => `${i},${i}`).join('\n')
  await failsWith(t, 'a,b\n' + rows + '\n1,2,3\n', /^line 50002: expected 2 fields, found 3/)
})
