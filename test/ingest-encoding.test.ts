// Encodings over HTTP (file preview): BOMs, UTF-16, Latin-1 detection, encoding= overrides,
// and bytes not valid in the encoding as 422 invalid_file naming the line (never mojibake).
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

type Sub = Parameters<Parameters<typeof t.test>[0]>[0]

interface Preview {
  dialect: { encoding: string; encoding_detected: boolean; delimiter: string; header: boolean }
  columns: { name: string; type: string }[]
  rows: Record<string, unknown>[]
  warnings: string[]
}

async function previewOf(s: TestServer, content: Buffer, fields: Record<string, string> = {}): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await s.api('/api/datasets/file/preview', { method: 'POST', body: uploadForm(fields, { name: 'f.csv', content }) })
  return { status: r.status, body: (await r.json()) as Record<string, unknown> }
}

async function ok(t: Sub, s: TestServer, content: Buffer, fields: Record<string, string> = {}): Promise<Preview> {
  const r = await previewOf(s, content, fields)
  t.equal(r.status, 200, JSON.stringify(r.body).slice(0, 300))
  return r.body as unknown as Preview
}

const bytes = (...parts: (string | number[])[]): Buffer =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'latin1') : Buffer.from(p))))

function utf16be(s: string): Buffer {
  return Buffer.from(s, 'utf16le').swap16()
}

t.test('encodings', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())

  t.test('UTF-8 without and with a BOM', async (t) => {
    const plain = await ok(t, s, Buffer.from('name,n\ncafé,1\n'))
    t.match(plain.dialect, { encoding: 'utf-8', encoding_detected: true })
    t.same(plain.rows, [{ name: 'café', n: 1 }])
    const bom = await ok(t, s, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('name,n\ncafé,1\n')]))
    t.same(bom.columns.map((c) => c.name), ['name', 'n'], 'the BOM is not part of the first name')
    t.same(bom.rows, [{ name: 'café', n: 1 }])
  })

  t.test('UTF-16 LE and BE with a BOM, surrogate pairs included', async (t) => {
    const text = 'name;n\r\nZoë 😀;1\r\n"a;b";2\r\n'
    const le = await ok(t, s, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]))
    t.match(le.dialect, { encoding: 'utf-16le', encoding_detected: true, delimiter: ';' })
    t.same(le.columns.map((c) => `${c.name}:${c.type}`), ['name:string', 'n:int64'])
    t.same(le.rows, [{ name: 'Zoë 😀', n: 1 }, { name: 'a;b', n: 2 }])
    const be = await ok(t, s, Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be(text)]))
    t.match(be.dialect, { encoding: 'utf-16be', encoding_detected: true })
    t.same(be.rows, le.rows)
  })

  t.test('UTF-16 LE without a BOM is recognised by its NUL bytes', async (t) => {
    const p = await ok(t, s, Buffer.from('id,city\n1,Köln\n', 'utf16le'))
    t.match(p.dialect, { encoding: 'utf-16le', encoding_detected: true })
    t.same(p.rows, [{ id: 1, city: 'Köln' }])
  })

  t.test('ISO-8859-1: no byte 0x80-0x9F', async (t) => {
    const p = await ok(t, s, bytes('nom;ville\nFran', [0xe7], 'ois;Besan', [0xe7], 'on\nH', [0xe9], 'l', [0xe8], 'ne;', [0xc9], 'vry\n'))
    t.match(p.dialect, { encoding: 'iso-8859-1', encoding_detected: true, delimiter: ';' })
    t.same(p.rows, [{ nom: 'François', ville: 'Besançon' }, { nom: 'Hélène', ville: 'Évry' }])
  })

  t.test('windows-1252: bytes 0x80-0x9F are its printable characters', async (t) => {
    // 0x80 euro, 0x93/0x94 curly quotes, 0x96 en dash, 0x9F Y with diaeresis
    const p = await ok(t, s, bytes('item,price\n', [0x93], 'caf', [0xe9], [0x94], ',', [0x80], '5 ', [0x96], ' ', [0x9f], '\n'))
    t.match(p.dialect, { encoding: 'windows-1252', encoding_detected: true })
    t.same(p.rows, [{ item: '“café”', price: '€5 – Ÿ' }])
  })

  t.test('encoding= wins over detection and is echoed as not detected', async (t) => {
    const latin = bytes('a\n', [0xe9], '\n')
    const p = await ok(t, s, latin, { encoding: 'WINDOWS-1252' })
    t.match(p.dialect, { encoding: 'windows-1252', encoding_detected: false })
    t.same(p.rows, [{ a: 'é' }])
    const alias = await ok(t, s, latin, { encoding: 'latin1' })
    t.match(alias.dialect, { encoding: 'iso-8859-1', encoding_detected: false })
    // the same bytes forced as UTF-8 are not valid there
    const bad = await previewOf(s, latin, { encoding: 'utf-8' })
    t.equal(bad.status, 422)
    t.match(bad.body, { error: 'invalid_file', message: /^line 2: the file is not valid UTF-8/ })
    // valid UTF-8 read as Latin-1 on request: the caller asked for it
    const forced = await ok(t, s, Buffer.from('a\né\n'), { encoding: 'iso-8859-1' })
    t.same(forced.rows, [{ a: 'Ã©' }])
  })

  t.test('an unknown encoding is 422 invalid_parameter', async (t) => {
    const r = await previewOf(s, Buffer.from('a\n1\n'), { encoding: 'ebcdic' })
    t.equal(r.status, 422)
    t.match(r.body, { error: 'invalid_parameter', message: /encoding/ })
  })

  t.test('bytes windows-1252 leaves undefined are invalid there, and ISO-8859-1 C1 controls on request', async (t) => {
    const file = bytes('a,b\n1,x\n2,', [0x93], 'q', [0x94], '\n3,', [0x81], '\n')
    const r = await previewOf(s, file)
    t.equal(r.status, 422)
    t.match(r.body, { error: 'invalid_file', message: /^line 4: byte 0x81 .*not a character in windows-1252/ })
    const given = await previewOf(s, file, { encoding: 'windows-1252' })
    t.match(given.body, { error: 'invalid_file', message: /^line 4: byte 0x81/ })
    const latin = await ok(t, s, file, { encoding: 'iso-8859-1' })
    t.same(latin.rows.map((r) => r.b), ['x', '\u0093q\u0094', '\u0081'])
  })

  t.test('UTF-8 with one bad byte after UTF-8 characters is refused, not read as Latin-1', async (t) => {
    const r = await previewOf(s, bytes('a,b\n1,', [0xc3, 0xa9], '\n2,x\n3,', [0xe9], '\n'))
    t.equal(r.status, 422)
    t.match(r.body, { error: 'invalid_file', message: /^line 4: the file is not valid UTF-8 \(byte offset 15\)/ })
  })

  t.test('a file chardet reads as a non-Latin encoding is refused, unless encoding= is given', async (t) => {
    const iconv = (await import('iconv-lite')).default
    let ja = '名前,都市\n'
    for (let i = 0; i < 100; i++) ja += `山田太郎${i},東京都渋谷区のデータです\n`
    const r = await previewOf(s, iconv.encode(ja, 'shift_jis'))
    t.equal(r.status, 422)
    t.match(r.body, { error: 'invalid_file', message: /^line 1: the file is not valid UTF-8 .*looks like Shift_JIS, which is not supported/ })
    let ru = 'имя,город\n'
    for (let i = 0; i < 100; i++) ru += `Иван Петров ${i},Москва\n`
    const r2 = await previewOf(s, iconv.encode(ru, 'win1251'))
    t.match(r2.body, { error: 'invalid_file', message: /looks like windows-1251/ })
    // the caller's explicit choice is read as asked
    const forced = await ok(t, s, iconv.encode(ru, 'win1251'), { encoding: 'windows-1252' })
    t.match(forced.dialect, { encoding: 'windows-1252', encoding_detected: false })
  })

  t.test('invalid UTF-16: an unpaired surrogate, an odd byte at the end, a BOM that contradicts encoding=', async (t) => {
    const lone = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\nb\n', 'utf16le'), Buffer.from([0x3d, 0xd8]), Buffer.from('x\n', 'utf16le')])
    const r1 = await previewOf(s, lone)
    t.match(r1.body, { error: 'invalid_file', message: /^line 3: the file is not valid UTF-16LE: an unpaired surrogate/ })
    const odd = Buffer.concat([Buffer.from([0xfe, 0xff]), utf16be('a\nb\nc'), Buffer.from([0x00])])
    const r2 = await previewOf(s, odd)
    t.match(r2.body, { error: 'invalid_file', message: /^line 3: the file is not valid UTF-16BE: it ends inside a character/ })
    const r3 = await previewOf(s, Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('a\n1\n', 'utf16le')]), { encoding: 'utf-16be' })
    t.match(r3.body, { error: 'invalid_file', message: /^line 1: .*UTF-16LE byte order mark/ })
    const r4 = await previewOf(s, Buffer.from('\ufeffa\n1\n'), { encoding: 'iso-8859-1' })
    t.match(r4.body, { error: 'invalid_file', message: /^line 1: .*UTF-8 byte order mark, but encoding=iso-8859-1/ })
  })
})
