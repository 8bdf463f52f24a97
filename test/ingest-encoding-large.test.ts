// Encodings in files larger than one read chunk (1 MiB), over HTTP uploads: the transcoded
// data is stored exactly (a surrogate pair split across chunks too), a bad byte deep in the
// file names its line, and the UTF-8 temp copy is gone afterwards, success or failure.
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

const MiB = 1024 * 1024

/** Every file under DATA_DIR whose name marks a transcoded temp copy (encoding.ts). */
function tempCopies(s: TestServer): string[] {
  const out: string[] = []
  const walk = (dir: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else if (e.name.endsWith('.utf8.tmp')) out.push(p)
    }
  }
  walk(s.dataDir)
  return out
}

async function post(s: TestServer, route: 'upload' | 'preview', content: Buffer, fields: Record<string, string>): Promise<{ status: number; body: Record<string, any> }> {
  const r = await s.api(`/api/datasets/file/${route}`, { method: 'POST', body: uploadForm(fields, { name: 'f.csv', content }) })
  return { status: r.status, body: (await r.json()) as Record<string, any> }
}

async function rowsOf(s: TestServer, name: string, query: string): Promise<Record<string, unknown>[]> {
  const r = await s.api(`/api/datasets/${name}/explore?format=json&${query}`)
  return ((await r.json()) as { rows: Record<string, unknown>[] }).rows
}

t.test('large files in other encodings', async (t) => {
  const s = await startServer({ MAX_UPLOAD_BYTES: String(64 * 2 ** 20) })
  t.teardown(() => s.stop())

  t.test('windows-1252, 3 MB: detected, stored as text, deep rows exact', async (t) => {
    const lines = ['id;name;price']
    for (let i = 1; i <= 120_000; i++) lines.push(`${i};Café n°${i};€${i}`)
    const content = Buffer.from(lines.join('\r\n') + '\r\n', 'latin1')
    // '€' is not Latin-1: write it as the windows-1252 byte 0x80
    for (let i = content.indexOf(0xac); i >= 0; i = content.indexOf(0xac, i + 1)) content[i] = 0x80
    t.ok(content.length > 2 * MiB)
    const p = await post(s, 'preview', content, { limit: '1' })
    t.match(p.body.dialect, { encoding: 'windows-1252', encoding_detected: true, delimiter: ';' })
    const up = await post(s, 'upload', content, { name: 'cp1252_big' })
    t.equal(up.status, 201)
    t.equal(up.body.row_count, 120_000)
    t.same(await rowsOf(s, 'cp1252_big', 'id=in.(1,99999,120000)&order=id'), [
      { id: 1, name: 'Café n°1', price: '€1' },
      { id: 99999, name: 'Café n°99999', price: '€99999' },
      { id: 120000, name: 'Café n°120000', price: '€120000' },
    ])
    t.same(tempCopies(s), [], 'no temp copy left')
  })

  t.test('UTF-16LE with a surrogate pair split across the 1 MiB read boundary', async (t) => {
    // BOM (2 bytes) + 524,287 code units end 2 bytes before the first 1 MiB boundary after the BOM
    const head = 'id,text\n1,'
    const filler = 'x'.repeat((MiB - 2) / 2 - head.length)
    const text = `${head}${filler}😀end\n2,ü😀\n`
    const content = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')])
    t.equal(content.indexOf(Buffer.from('😀', 'utf16le')), 2 + MiB - 2, 'the high surrogate ends the first chunk')
    const up = await post(s, 'upload', content, { name: 'utf16_split' })
    t.equal(up.status, 201)
    const rows = await rowsOf(s, 'utf16_split', 'order=id')
    t.ok(rows[0]!.text === `${filler}😀end`, 'the split pair is one character')
    t.same(rows[1], { id: 2, text: 'ü😀' })
    t.same(tempCopies(s), [])
  })

  t.test('a bad byte deep in the file: 422 naming its line, no dataset, no temp copy', async (t) => {
    // Latin-1 é, 1.6 MB, read as Latin-1 (chardet's KOI8-R guess for a lone repeated é is not trusted)
    const rows = 'x;é\n'.repeat(400_000)
    const content = Buffer.concat([Buffer.from('a;b\n'), Buffer.from(rows, 'latin1'), Buffer.from([0x78, 0x3b, 0x8d, 0x0a])])
    const up = await post(s, 'upload', content, { name: 'bad_deep' })
    t.equal(up.status, 422)
    t.match(up.body, { error: 'invalid_file', message: /^line 400002: byte 0x8D/ })
    t.equal((await s.api('/api/datasets/bad_deep')).status, 404)
    const lone = Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from('a\n' + 'y\n'.repeat(300_000), 'utf16le').swap16(), Buffer.from([0xdc, 0x00, 0x00, 0x0a])])
    const r2 = await post(s, 'upload', lone, { name: 'bad_utf16' })
    t.match(r2.body, { error: 'invalid_file', message: /^line 300002: the file is not valid UTF-16BE: an unpaired surrogate/ })
    t.same(tempCopies(s), [], 'no temp copy left')
  })

  t.test('UTF-8 text with one Latin-1 byte 2 MB in: refused naming the line, not read as Latin-1', async (t) => {
    const content = Buffer.concat([Buffer.from('a;b\nü;1\n' + 'x;2\n'.repeat(500_000)), Buffer.from([0x78, 0x3b, 0xe9, 0x0a])])
    const r = await post(s, 'preview', content, {})
    t.equal(r.status, 422)
    t.match(r.body, { error: 'invalid_file', message: /^line 500003: the file is not valid UTF-8 .*though the text before holds UTF-8 characters/ })
  })
})
