// Upload and file preview over real HTTP: limits, bad files, nothing left behind, async jobs.
import t from 'tap'
import fs from 'node:fs'
import http from 'node:http'
import path from 'node:path'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

/** Files under DATA_DIR other than the catalog and the secret: what a failed upload must not leave. */
function leftovers(s: TestServer): string[] {
  const out: string[] = []
  const walk = (dir: string) => {
    if (!fs.existsSync(dir)) return
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name)
      if (e.isDirectory()) walk(p)
      else out.push(path.relative(s.dataDir, p))
    }
  }
  walk(path.join(s.dataDir, 'tables'))
  walk(path.join(s.dataDir, 'tmp'))
  return out
}

t.test('uploads', async (t) => {
  const s = await startServer({ MAX_UPLOAD_BYTES: '200000' })
  t.teardown(() => s.stop())
  const post = (fields: Record<string, string>, content: string | Buffer, route = 'upload') =>
    s.api(`/api/datasets/file/${route}`, { method: 'POST', body: uploadForm(fields, { name: 'f.csv', content }) })

  t.test('413 when Content-Length is over the limit, before reading the body', async (t) => {
    const r = await post({ name: 'big' }, Buffer.alloc(300_000, 'a'))
    t.equal(r.status, 413)
    t.equal(((await r.json()) as { error: string }).error, 'payload_too_large')
    t.same(leftovers(s), [])
  })

  t.test('413 for a chunked body (no Content-Length) once it passes the limit', async (t) => {
    const boundary = 'XyZ'
    const token = await s.token()
    const status = await new Promise<number>((resolve, reject) => {
      const req = http.request(`${s.url}/api/datasets/file/upload`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': `multipart/form-data; boundary=${boundary}`, 'transfer-encoding': 'chunked' },
      }, (res) => { res.resume(); resolve(res.statusCode!) })
      req.on('error', reject)
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nchunky\r\n`)
      req.write(`--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\nContent-Type: text/csv\r\n\r\n`)
      const line = 'id,value\n' + '1,abcdefghij\n'.repeat(1000)
      let sent = 0
      const pump = () => {
        while (sent < 40) { // 40 × ~12 kB ≈ 480 kB > 200 kB
          sent++
          if (!req.write(line)) return void req.once('drain', pump)
        }
        req.end(`\r\n--${boundary}--\r\n`)
      }
      pump()
    }).catch(() => 413) // the server may close the socket before we finish sending: that is a refusal too
    t.equal(status, 413)
    await new Promise((r) => setTimeout(r, 200))
    t.same(leftovers(s), [], 'the partial temp file is gone')
    t.equal((await s.api('/api/datasets/chunky')).status, 404)
  })

  t.test('bad CSV is 422 invalid_file with the line, and nothing is left behind', async (t) => {
    const r = await post({ name: 'broken' }, 'a,b\n1,2\n3,"unclosed\n4,5\n')
    t.equal(r.status, 422)
    const body = (await r.json()) as { error: string; message: string }
    t.equal(body.error, 'invalid_file')
    t.match(body.message, /line \d+/)
    t.same(leftovers(s), [])
    t.equal((await s.api('/api/datasets/broken')).status, 404, 'no catalog row')
    const ragged = await post({ name: 'ragged' }, 'a,b\n1,2\n3,4,5\n')
    t.equal(ragged.status, 422)
    t.match(((await ragged.json()) as { message: string }).message, /line 3/)
  })

  t.test('missing parts and bad options', async (t) => {
    const noFile = new FormData()
    noFile.set('name', 'x')
    const r1 = await s.api('/api/datasets/file/upload', { method: 'POST', body: noFile })
    t.equal(r1.status, 400)
    // neither multipart nor a raw file type
    const r2 = await s.api('/api/datasets/file/upload', { method: 'POST', body: '{"id":1}', headers: { 'content-type': 'application/json' } })
    t.equal(r2.status, 400)
    const r3 = await post({ name: 'opts', delimiter: '#' }, 'a\n1\n')
    t.equal(r3.status, 422)
    t.equal(((await r3.json()) as { error: string }).error, 'invalid_parameter')
    const r4 = await post({ name: 'opts', columns: '{"a":"uuid"}' }, 'a\n1\n')
    t.equal(r4.status, 422)
    const r5 = await post({}, 'a\n1\n')
    t.equal(r5.status, 422, 'a name is required')
    t.same(leftovers(s), [])
  })

  t.test('types are inferred without losing data; preview shows what upload commits', async (t) => {
    const rows = ['id,zip,price,flag,day,at,note,empty']
    for (let i = 0; i < 200; i++) rows.push(`${i},${String(i).padStart(5, '0')},${i}.5,${i % 2 ? 'true' : 'false'},2024-01-${String((i % 28) + 1).padStart(2, '0')},2024-03-01T10:00:${String(i % 60).padStart(2, '0')}Z,n${i},`)
    rows.push('9007199254740993,00501,1e3,TRUE,2024-02-29,2024-03-01 10:00:00.123456,"with, comma",')
    const csv = rows.join('\n') + '\n'
    const preview = await post({ limit: '3' }, csv, 'preview')
    t.equal(preview.status, 200)
    const p = (await preview.json()) as { columns: { name: string; type: string }[]; rows: Record<string, unknown>[]; row_count: number; dialect: { delimiter: string } }
    t.same(p.columns.map((c) => `${c.name}:${c.type}`), ['id:int64', 'zip:string', 'price:float64', 'flag:boolean', 'day:date', 'at:timestamp', 'note:string', 'empty:string'])
    t.equal(p.rows.length, 3)
    t.same(p.rows[1], { id: 1, zip: '00001', price: 1.5, flag: true, day: '2024-01-02', at: '2024-03-01T10:00:01.000000Z', note: 'n1', empty: null })
    t.equal(p.row_count, 201)
    t.equal(p.dialect.delimiter, ',')
    t.same(leftovers(s), [], 'preview commits nothing')

    const up = await post({ name: 'typed' }, csv)
    t.equal(up.status, 201)
    const d = (await up.json()) as { schema: { name: string; type: string }[]; row_count: number }
    t.same(d.schema.map((c) => `${c.name}:${c.type}`), p.columns.map((c) => `${c.name}:${c.type}`), 'upload commits the previewed types')
    t.equal(d.row_count, 201)
    const last = await s.api('/api/datasets/typed/explore?id=eq.9007199254740993&format=ndjson')
    const lines = (await last.text()).trim().split('\n')
    t.equal(lines[1], '{"id":9007199254740993,"zip":"00501","price":1000,"flag":true,"day":"2024-02-29","at":"2024-03-01T10:00:00.123456Z","note":"with, comma","empty":null}', 'int64 beyond 2^53 stays exact')
  })

  t.test('cancelling an upload job in any phase leaves nothing behind, and the server carries on', async (t) => {
    const big = await startServer({ MAX_UPLOAD_BYTES: String(200 * 2 ** 20) })
    t.teardown(() => big.stop())
    const lines = ['id,text,amount']
    for (let i = 0; i < 1_500_000; i++) lines.push(`${i},row number ${i},${i * 0.5}`)
    const content = lines.join('\n')
    // Fixed delays land in the early phases (reading the sample, starting the range helper);
    // the last round waits until the job says it is writing, however slow the machine.
    const jobState = async (id: string) => ((await (await big.api(`/api/jobs/${id}`)).json()) as { job: { state: string; progress: { phase: string } } }).job
    for (const when of [0, 150, 300, 'writing'] as const) {
      const name = `doomed_${when}`
      const r = await big.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name, async: 'true' }, { name: 'd.csv', content }) })
      t.equal(r.status, 202)
      const { job } = (await r.json()) as { job: { id: string } }
      if (when === 'writing') {
        const deadline = Date.now() + 60_000
        while ((await jobState(job.id)).progress.phase !== 'writing' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20))
      } else {
        await new Promise((r) => setTimeout(r, when))
      }
      const del = await big.api(`/api/jobs/${job.id}`, { method: 'DELETE' })
      t.equal(del.status, 200)
      const after = ((await del.json()) as { job: { state: string; progress: { phase: string } } }).job
      t.equal(after.state, 'cancelled', `cancelled (${when})`)
      if (when === 'writing') t.equal(after.progress.phase, 'writing', 'while writing')
      t.equal((await big.api(`/api/datasets/${name}`)).status, 404, 'no dataset')
      t.same(leftovers(big), [], 'no files')
    }
    t.equal(big.proc.exitCode, null, 'the server is still running')
    t.equal((await big.api('/healthz', { claims: null })).status, 200)
  })

  t.test('an async upload of a bad file ends as a failed job and leaves nothing', async (t) => {
    const before = leftovers(s)
    const r = await post({ name: 'bad_async', async: 'true' }, 'a,b\n1,2\n3,"open\n')
    t.equal(r.status, 202)
    const { job } = (await r.json()) as { job: { id: string } }
    let final: { state: string; error: { error: string; message: string } | null } = { state: 'running', error: null }
    for (let i = 0; i < 100 && (final.state === 'running' || final.state === 'queued'); i++) {
      await new Promise((r) => setTimeout(r, 50))
      final = ((await (await s.api(`/api/jobs/${job.id}`)).json()) as { job: typeof final }).job
    }
    t.equal(final.state, 'failed')
    t.match(final.error, { error: 'invalid_file', message: /line \d+/ }, 'the job says why, with the line')
    t.equal((await s.api('/api/datasets/bad_async')).status, 404)
    t.same(leftovers(s), before, 'no new files')
  })

  t.test('async upload returns a job', async (t) => {
    const r = await post({ name: 'later', async: 'true' }, 'a,b\n1,x\n2,y\n')
    t.equal(r.status, 202)
    const { job } = (await r.json()) as { job: { id: string; state: string; kind: string } }
    t.equal(job.kind, 'upload')
    let state = job.state
    let final: { state: string; result: { name: string; row_count: number } | null; progress: { percent: number } } | null = null
    for (let i = 0; i < 100 && state !== 'succeeded' && state !== 'failed'; i++) {
      await new Promise((r) => setTimeout(r, 50))
      final = ((await (await s.api(`/api/jobs/${job.id}`)).json()) as { job: typeof final }).job
      state = final!.state
    }
    t.equal(state, 'succeeded')
    t.equal(final!.result!.name, 'later')
    t.equal(final!.progress.percent, 100)
    t.equal((await s.api('/api/datasets/later')).status, 200)
    t.equal((await s.api(`/api/jobs/${job.id}`, { claims: { sub: 'eve' } })).status, 404, 'another user cannot see the job')
    t.equal((await s.api(`/api/jobs/${job.id}`, { claims: { sub: 'root', roles: ['admin'] } })).status, 200, 'an admin can')
    t.equal((await s.api(`/api/jobs/${job.id}`, { claims: { org: 'other', roles: ['admin'] } })).status, 404, 'other orgs cannot')
  })
})
