// Large and awkward CSV uploads over HTTP: a type change at row 60,000 of 100,000 widens the
// column (never nulls, never an error), 500 columns, a 1 MB field, and ids beyond 2^53 that
// stay exact (int64, or text next to floats — never rounded).
import t from 'tap'
import { startServer, uploadForm, type TestServer } from './helpers/server.js'

async function upload(s: TestServer, name: string, content: string, fields: Record<string, string> = {}): Promise<{ status: number; body: { schema: { name: string; type: string }[]; row_count: number } }> {
  const r = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name, ...fields }, { name: `${name}.csv`, content }) })
  return { status: r.status, body: (await r.json()) as { schema: { name: string; type: string }[]; row_count: number } }
}

async function explore(s: TestServer, name: string, query: string): Promise<string> {
  const r = await s.api(`/api/datasets/${name}/explore?format=json&${query}`)
  if (r.status !== 200) throw new Error(`explore ${r.status}: ${await r.text()}`)
  return r.text()
}

const types = (b: { schema: { name: string; type: string }[] }): string[] => b.schema.map((c) => `${c.name}:${c.type}`)

t.test('large cases', async (t) => {
  const s = await startServer({ MAX_UPLOAD_BYTES: String(64 * 2 ** 20) })
  t.teardown(() => s.stop())

  t.test('a type change at row 60,000 of 100,000 widens the whole column', async (t) => {
    const lines = ['id,i2f,i2s,d2ts,b2s']
    for (let i = 1; i <= 100_000; i++) {
      const late = i === 60_000
      const day = `2024-01-${String((i % 28) + 1).padStart(2, '0')}`
      lines.push(`${i},${late ? '2.5' : i},${late ? 'n/a' : i},${late ? '2024-02-01T12:30:00Z' : day},${late ? 'maybe' : i % 2 === 0}`)
    }
    const up = await upload(s, 'late_change', lines.join('\n') + '\n')
    t.equal(up.status, 201)
    t.same(types(up.body), ['id:int64', 'i2f:float64', 'i2s:string', 'd2ts:timestamp', 'b2s:string'])
    t.equal(up.body.row_count, 100_000)
    const rows = JSON.parse(await explore(s, 'late_change', 'id=in.(1,59999,60000,100000)&order=id')).rows
    t.same(rows, [
      { id: 1, i2f: 1, i2s: '1', d2ts: '2024-01-02T00:00:00.000000Z', b2s: 'false' },
      { id: 59999, i2f: 59999, i2s: '59999', d2ts: '2024-01-24T00:00:00.000000Z', b2s: 'false' },
      { id: 60000, i2f: 2.5, i2s: 'n/a', d2ts: '2024-02-01T12:30:00.000000Z', b2s: 'maybe' },
      { id: 100000, i2f: 100000, i2s: '100000', d2ts: '2024-01-13T00:00:00.000000Z', b2s: 'true' },
    ])
    const nulls = JSON.parse(await explore(s, 'late_change', 'select=n:count()&or=(i2f.is.null,i2s.is.null,d2ts.is.null,b2s.is.null)')).rows
    t.same(nulls, [{ n: 0 }], 'no value became null')
  })

  t.test('500 columns', async (t) => {
    const names = Array.from({ length: 500 }, (_, i) => `c${i + 1}`)
    const lines = [names.join(',')]
    for (let r = 0; r < 300; r++) lines.push(names.map((_, c) => (c % 3 === 0 ? r * 1000 + c : c % 3 === 1 ? `t${r}_${c}` : `${r}.5`)).join(','))
    const up = await upload(s, 'wide500', lines.join('\n') + '\n')
    t.equal(up.status, 201)
    t.equal(up.body.schema.length, 500)
    t.same(types(up.body).slice(-3), ['c498:float64', 'c499:int64', 'c500:string'])
    t.same(types(up.body).slice(0, 3), ['c1:int64', 'c2:string', 'c3:float64'])
    const rows = JSON.parse(await explore(s, 'wide500', 'select=c1,c2,c3,c499,c500&c1=eq.299000')).rows
    t.same(rows, [{ c1: 299000, c2: 't299_1', c3: 299.5, c499: 299498, c500: 't299_499' }])
  })

  t.test('a 1 MB field with quotes, delimiters and line breaks', async (t) => {
    let big = ''
    for (let i = 0; big.length < 1_048_576; i++) big += `chunk ${i}, "quoted"\r\nnext line é; `
    const csv = `id,text,after\n1,short,x\n2,"${big.replaceAll('"', '""')}",y\n3,"",z\n`
    const up = await upload(s, 'bigfield', csv)
    t.equal(up.status, 201)
    t.equal(up.body.row_count, 3)
    const rows = JSON.parse(await explore(s, 'bigfield', 'id=eq.2')).rows
    t.equal(rows[0].text.length, big.length)
    t.ok(rows[0].text === big, 'the field comes back byte for byte')
    t.equal(rows[0].after, 'y')
  })

  t.test('ids beyond 2^53 are exact: int64, or text next to floats', async (t) => {
    const csv = [
      'id,mixed,huge',
      '9007199254740993,9007199254740993,1',
      '-9223372036854775808,1.5,2',
      '9223372036854775807,2,9223372036854775808',
      '',
    ].join('\n')
    const up = await upload(s, 'bigids', csv)
    t.equal(up.status, 201)
    t.same(types(up.body), ['id:int64', 'mixed:string', 'huge:string'])
    const text = await explore(s, 'bigids', 'order=id')
    // compare the raw JSON: JSON.parse would round the digits we check
    t.match(text, '"rows":[{"id":-9223372036854775808,"mixed":"1.5","huge":"2"},{"id":9007199254740993,"mixed":"9007199254740993","huge":"1"},{"id":9223372036854775807,"mixed":"2","huge":"9223372036854775808"}]')
  })
})
