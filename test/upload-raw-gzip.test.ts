// Uploads as users send them besides a multipart form: the raw file as the body (curl
// --data-binary), gzip-compressed files and request bodies, and the limits that hold for the
// compressed and the decompressed bytes (a decompression bomb is refused without filling the disk).
import t from 'tap'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import zlib from 'node:zlib'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

const CSV = 'id,city,amount\n1,Zürich,12.5\n2,Oslo,7\n3,"Cluj, RO",-3.25\n'
const ROWS = [{ id: 1, city: 'Zürich', amount: 12.5 }, { id: 2, city: 'Oslo', amount: 7 }, { id: 3, city: 'Cluj, RO', amount: -3.25 }]

/** Files left under DATA_DIR/tmp and DATA_DIR/tables. */
function leftovers(s: TestServer): string[] {
  const out: string[] = []
  for (const top of ['tmp', 'tables']) {
    const walk = (dir: string) => {
      if (!fs.existsSync(dir)) return
      for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name)
        if (e.isDirectory()) walk(p)
        else out.push(path.relative(s.dataDir, p))
      }
    }
    walk(path.join(s.dataDir, top))
  }
  return out
}

async function rows(s: TestServer, name: string): Promise<unknown[]> {
  const r = await s.api(`/api/datasets/${name}/explore?order=id`)
  return ((await r.json()) as { rows: unknown[] }).rows
}

t.test('raw bodies and gzip', async (t) => {
  const s = await startServer({ MAX_UPLOAD_BYTES: '1000000' })
  t.teardown(() => s.stop())
  const raw = (query: string, body: Buffer | string, headers: Record<string, string>) =>
    s.api(`/api/datasets/file/upload?${query}`, { method: 'POST', body, headers })

  await t.test('the raw file as the body, options as query parameters', async (t) => {
    const r = await raw('name=raw_csv&filename=cities.csv', CSV, { 'content-type': 'text/csv' })
    t.equal(r.status, 201)
    const d = (await r.json()) as { provenance: { file: { name: string; bytes: number }; format: string } }
    t.same(d.provenance.file, { name: 'cities.csv', bytes: Buffer.byteLength(CSV) })
    t.equal(d.provenance.format, 'csv')
    t.same(await rows(s, 'raw_csv'), ROWS)
    const semi = await raw('name=raw_semi&delimiter=%3B', 'a;b\n1;x\n', { 'content-type': 'application/octet-stream' })
    t.equal(semi.status, 201, 'options apply to raw bodies')
    t.same(((await (await s.api('/api/datasets/raw_semi/explore')).json()) as { rows: unknown[] }).rows, [{ a: 1, b: 'x' }])
  })

  await t.test('bad raw requests', async (t) => {
    const noName = await raw('', CSV, { 'content-type': 'text/csv' })
    t.match([noName.status, ((await noName.json()) as { error: string }).error], [422, 'invalid_name'])
    const unknown = await raw('name=x&colour=red', CSV, { 'content-type': 'text/csv' })
    t.match([unknown.status, await unknown.json()], [422, { error: 'invalid_parameter', message: /colour/ }])
    const badName = await raw('name=x&filename=..%2Fetc%2Fpasswd', CSV, { 'content-type': 'text/csv' })
    t.match([badName.status, await badName.json()], [422, { error: 'invalid_parameter', message: /filename/ }])
    const json = await raw('name=x', '{"a":1}', { 'content-type': 'application/json' })
    t.equal(json.status, 400)
    const brotli = await raw('name=x', zlib.brotliCompressSync(CSV), { 'content-type': 'text/csv', 'content-encoding': 'br' })
    t.match([brotli.status, await brotli.json()], [400, { error: 'bad_request', message: /Content-Encoding/ }])
    t.same(leftovers(s).filter((f) => f.startsWith('tmp')), [], 'nothing left in tmp')
  })

  await t.test('a .csv.gz file in a form, and a gzip request body', async (t) => {
    const gz = zlib.gzipSync(CSV)
    const form = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'gz_form' }, { name: 'cities.csv.gz', content: gz }) })
    t.equal(form.status, 201)
    const d = (await form.json()) as { provenance: { file: { name: string; bytes: number; received_bytes: number } } }
    t.equal(d.provenance.file.name, 'cities.csv', 'the .gz suffix is dropped')
    t.equal(d.provenance.file.bytes, Buffer.byteLength(CSV), 'bytes are the decompressed bytes')
    t.ok(d.provenance.file.received_bytes > gz.length, 'received bytes: the compressed file plus the form envelope')
    t.same(await rows(s, 'gz_form'), ROWS)

    const body = await raw('name=gz_body', gz, { 'content-type': 'text/csv', 'content-encoding': 'gzip' })
    t.equal(body.status, 201)
    t.same(await rows(s, 'gz_body'), ROWS)

    // a gzip file sent raw, named without .gz: detected by its magic bytes
    const sneaky = await raw('name=gz_magic', gz, { 'content-type': 'application/octet-stream' })
    t.equal(sneaky.status, 201)
    t.same(await rows(s, 'gz_magic'), ROWS)

    const preview = await s.api('/api/datasets/file/preview?limit=1', { method: 'POST', body: gz, headers: { 'content-type': 'application/gzip' } })
    t.equal(preview.status, 200)
    const p = (await preview.json()) as { format: string; file: Record<string, unknown>; rows: unknown[] }
    t.equal(p.format, 'csv')
    t.same(p.file, { name: 'upload', bytes: Buffer.byteLength(CSV), received_bytes: gz.length, decompressed: true })
    t.same(p.rows, [ROWS[0]])
  })

  await t.test('decompression bombs are 413 and leave nothing behind', async (t) => {
    // 50 MB of CSV that compresses to ~50 kB: under the limit compressed, far over it decompressed
    const line = '1,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n'
    const bomb = zlib.gzipSync(Buffer.from('id,v\n' + line.repeat(1_000_000)), { level: 9 })
    t.ok(bomb.length < 1_000_000, `the bomb is ${bomb.length} bytes compressed`)
    for (const [label, send] of [
      ['a .gz file', () => s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'bomb1' }, { name: 'b.csv.gz', content: bomb }) })],
      ['a gzip body', () => raw('name=bomb2', bomb, { 'content-type': 'text/csv', 'content-encoding': 'gzip' })],
      ['a preview', () => s.api('/api/datasets/file/preview', { method: 'POST', body: bomb, headers: { 'content-type': 'application/gzip' } })],
    ] as const) {
      const r = await send()
      t.match([r.status, await r.json()], [413, { error: 'payload_too_large' }], label)
    }
    await new Promise((r) => setTimeout(r, 100))
    t.same(leftovers(s).filter((f) => f.startsWith('tmp')), [], 'no partial files')
    t.equal((await s.api('/api/datasets/bomb1')).status, 404)
    t.equal((await s.api('/api/datasets/bomb2')).status, 404)
  })

  await t.test('broken gzip and legacy .xls are 422 invalid_file', async (t) => {
    const cut = zlib.gzipSync(CSV).subarray(0, 20)
    const r = await raw('name=cut', cut, { 'content-type': 'application/gzip' })
    t.match([r.status, await r.json()], [422, { error: 'invalid_file', message: /gzip/ }])
    const xls = Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(512)])
    const x = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'old' }, { name: 'old.xls', content: xls }) })
    t.match([x.status, await x.json()], [422, { error: 'invalid_file', message: /\.xls/ }])
    const fmt = await raw('name=fmt&format=json', CSV, { 'content-type': 'text/csv' })
    t.match([fmt.status, await fmt.json()], [422, { error: 'invalid_parameter', message: /format/ }])
    const sheet = await raw('name=sheet&sheet=Data', CSV, { 'content-type': 'text/csv' })
    t.match([sheet.status, await sheet.json()], [422, { error: 'invalid_parameter', message: /sheet.*CSV/ }], 'an option of another format is refused')
    t.same(leftovers(s).filter((f) => f.startsWith('tmp')), [])
  })

  await t.test('a client that disconnects mid-upload leaves nothing behind', async (t) => {
    const token = await s.token()
    const plain = Buffer.from('id,v\n' + '1,x\n'.repeat(50_000))
    // a gzip body cut short: the decompressor waits for more when the client goes away
    const gzipped = zlib.gzipSync(Buffer.from('id,v\n' + Array.from({ length: 60_000 }, (_, i) => `${i},${(i * 7919) % 100_003}\n`).join(''))).subarray(0, 60_000)
    for (const [name, body, headers] of [
      ['gone', plain, { 'content-type': 'text/csv', 'content-length': '900000' }],
      ['gone_gz', gzipped, { 'content-type': 'text/csv', 'content-encoding': 'gzip', 'content-length': '900000' }],
    ] as const) {
      await new Promise<void>((resolve) => {
        const req = http.request(`${s.url}/api/datasets/file/upload?name=${name}`, { method: 'POST', headers: { authorization: `Bearer ${token}`, ...headers } })
        req.on('error', () => resolve())
        req.write(body)
        setTimeout(() => { req.destroy(); resolve() }, 300)
      })
      await new Promise((r) => setTimeout(r, 500))
      t.same(leftovers(s).filter((f) => f.startsWith('tmp')), [], `${name}: the partial temp file is removed`)
      t.equal((await s.api(`/api/datasets/${name}`)).status, 404, `${name}: no dataset`)
    }
  })
})
