// Explore over an uploaded dataset: every operator and format, checked against plain JS over the same rows.
import t from 'tap'
import { tableFromIPC } from 'apache-arrow'
import { startServer, uploadForm } from './helpers/server.js'
import { generateRows, toCsv, type Row } from './helpers/data.js'

const rows = generateRows(3000)
const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0) // ASCII-only keys here

t.test('explore', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const up = await s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm({ name: 'sales' }, { name: 'sales.csv', content: toCsv(rows) }) })
  t.equal(up.status, 201)
  const json = async (q: string) => {
    const r = await s.api(`/api/datasets/sales/explore?${q}`)
    const body = (await r.json()) as { columns: { name: string; type: string; masked: boolean }[]; rows: Record<string, unknown>[]; row_count: number; error?: unknown }
    if (r.status !== 200) throw new Error(`${q}: ${r.status} ${JSON.stringify(body)}`)
    return body
  }

  t.test('all columns, all rows, JSON', async (t) => {
    const b = await json('')
    t.same(b.columns, [
      { name: 'id', type: 'int64', masked: false }, { name: 'region', type: 'string', masked: false },
      { name: 'ts', type: 'timestamp', masked: false }, { name: 'day', type: 'date', masked: false },
      { name: 'qty', type: 'int64', masked: false }, { name: 'amount', type: 'float64', masked: false },
      { name: 'ok', type: 'boolean', masked: false }, { name: 'label', type: 'string', masked: false },
    ])
    t.equal(b.row_count, rows.length)
    const byId = new Map(b.rows.map((r) => [r.id as number, r]))
    t.same(byId.get(17), rows[16], 'a row comes back exactly as generated')
    t.same([...byId.keys()].sort((a, b) => a - b), rows.map((r) => r.id))
  })

  t.test('filters', async (t) => {
    const ids = async (q: string) => (await json(`select=id&order=id&${q}`)).rows.map((r) => r.id as number)
    const expectIds = (f: (r: Row) => boolean) => rows.filter(f).map((r) => r.id)
    t.same(await ids('region=eq.EU'), expectIds((r) => r.region === 'EU'), 'eq')
    t.same(await ids('region=neq.EU'), expectIds((r) => r.region !== null && r.region !== 'EU'), 'neq excludes nulls')
    t.same(await ids('qty=gt.50'), expectIds((r) => r.qty > 50), 'gt')
    t.same(await ids('qty=gte.50&qty=lte.52'), expectIds((r) => r.qty >= 50 && r.qty <= 52), 'repeated keys AND')
    t.same(await ids('amount=lt.10'), expectIds((r) => r.amount !== null && r.amount < 10), 'lt on floats')
    t.same(await ids('region=in.(EU,US)'), expectIds((r) => r.region === 'EU' || r.region === 'US'), 'in')
    t.same(await ids('label=in.("gamma, with comma",zeta)'), expectIds((r) => r.label === 'gamma, with comma' || r.label === 'zeta'), 'in with a quoted comma')
    t.same(await ids('label=like.*eta'), expectIds((r) => r.label.endsWith('eta')), 'like')
    t.same(await ids('label=ilike.BETA'), expectIds((r) => r.label.toLowerCase() === 'beta'), 'ilike')
    t.same(await ids('region=is.null'), expectIds((r) => r.region === null), 'is.null')
    t.same(await ids('region=not.is.null&ok=is.true'), expectIds((r) => r.region !== null && r.ok), 'not.is.null, is.true')
    t.same(await ids('region=not.in.(EU,US)'), expectIds((r) => r.region !== null && r.region !== 'EU' && r.region !== 'US'), 'not.in')
    t.same(await ids('day=gte.2024-03-01'), expectIds((r) => r.day >= '2024-03-01'), 'dates')
    t.same(await ids('ts=lt.2024-01-15T12:00:00Z'), expectIds((r) => r.ts < '2024-01-15T12:00:00.000000Z'), 'timestamps')
    t.same(await ids('or=(qty.lt.0,and(region.eq.EU,ok.is.false))'), expectIds((r) => r.qty < 0 || (r.region === 'EU' && !r.ok)), 'nested or/and')
  })

  t.test('group, aggregates, order, limit, offset', async (t) => {
    const b = await json('select=region,n:count(),q:qty.sum(),a:amount.avg(),lo:amount.min(),hi:amount.max(),days:day.count_distinct(),c:amount.count()&group=region&order=region')
    const groups = new Map<string | null, Row[]>()
    for (const r of rows) groups.set(r.region, [...(groups.get(r.region) ?? []), r])
    const keys = [...groups.keys()].sort((a, b) => (a === null ? 1 : b === null ? -1 : cmp(a, b)))
    const expected = keys.map((k) => {
      const g = groups.get(k)!
      const amounts = g.map((r) => r.amount).filter((a): a is number => a !== null)
      return {
        region: k, n: g.length, q: g.reduce((s, r) => s + r.qty, 0),
        a: amounts.reduce((s, x) => s + x, 0) / amounts.length,
        lo: Math.min(...amounts), hi: Math.max(...amounts),
        days: new Set(g.map((r) => r.day)).size, c: amounts.length,
      }
    })
    t.same(b.columns.map((c) => `${c.name}:${c.type}`), ['region:string', 'n:int64', 'q:int64', 'a:float64', 'lo:float64', 'hi:float64', 'days:int64', 'c:int64'])
    t.equal(b.rows.length, expected.length)
    b.rows.forEach((row, i) => {
      const e = expected[i]
      t.same({ ...row, a: undefined }, { ...e, a: undefined }, `group ${e.region}`)
      t.ok(Math.abs((row.a as number) - e.a) < 1e-9, `avg of ${e.region}`)
    })

    const one = await json('select=n:count(),total:qty.sum()')
    t.same(one.rows, [{ n: rows.length, total: rows.reduce((s, r) => s + r.qty, 0) }], 'aggregates without group give one row')

    const byMonth = await json('select=m:ts.trunc(month),n:count()&group=m&order=m.desc')
    const months = new Map<string, number>()
    for (const r of rows) months.set(r.ts.slice(0, 7), (months.get(r.ts.slice(0, 7)) ?? 0) + 1)
    t.same(byMonth.rows, [...months.keys()].sort().reverse().map((m) => ({ m: `${m}-01T00:00:00.000000Z`, n: months.get(m) })), 'trunc(month) buckets, ordered desc')

    const top = await json('select=id,amount&order=amount.desc.nullslast,id&limit=5&offset=2')
    const sorted = [...rows].sort((a, b) => (a.amount === null ? 1 : b.amount === null ? -1 : b.amount - a.amount || a.id - b.id))
    t.same(top.rows, sorted.slice(2, 7).map((r) => ({ id: r.id, amount: r.amount })), 'order desc nullslast, limit, offset')
    const nullsFirst = await json('select=id,amount&order=amount.desc,id&limit=3')
    t.same(nullsFirst.rows.map((r) => r.amount), [null, null, null], 'desc puts nulls first by default')

    const renamed = await json('select=ident:id,region&limit=2&order=id')
    t.same(renamed.rows, rows.slice(0, 2).map((r) => ({ ident: r.id, region: r.region })), 'alias renames')

    const post = await s.api('/api/datasets/sales/explore', { method: 'POST', body: JSON.stringify({ select: ['region', 'n:count()'], group: 'region', filter: 'and(qty.gte.10,ok.is.true)', order: 'region' }) })
    t.equal(post.status, 200)
    const viaGet = await json('select=region,n:count()&group=region&and=(qty.gte.10,ok.is.true)&order=region')
    t.same(((await post.json()) as { rows: unknown }).rows, viaGet.rows, 'POST body = GET grammar')
  })

  t.test('formats', async (t) => {
    const q = 'select=id,region,ts,day,qty,amount,ok,label&order=id&limit=50'
    const expected = rows.slice(0, 50)

    const nd = await s.api(`/api/datasets/sales/explore?${q}&format=ndjson`)
    t.equal(nd.headers.get('content-type'), 'application/x-ndjson')
    const lines = (await nd.text()).trim().split('\n').map((l) => JSON.parse(l))
    t.same(lines[0].columns.map((c: { name: string }) => c.name), ['id', 'region', 'ts', 'day', 'qty', 'amount', 'ok', 'label'])
    t.same(lines.slice(1), expected, 'NDJSON rows')

    const viaAccept = await s.api(`/api/datasets/sales/explore?${q}`, { headers: { accept: 'application/x-ndjson' } })
    t.equal(viaAccept.headers.get('content-type'), 'application/x-ndjson', 'Accept picks the format')
    await viaAccept.text()

    const csv = await (await s.api(`/api/datasets/sales/explore?${q}&format=csv`)).text()
    const parsed = parseCsv(csv)
    t.same(parsed[0], ['id', 'region', 'ts', 'day', 'qty', 'amount', 'ok', 'label'])
    t.same(parsed.slice(1), expected.map((r) => [String(r.id), r.region ?? '', r.ts, r.day, String(r.qty), r.amount === null ? '' : String(r.amount), String(r.ok), r.label]), 'CSV rows, RFC 4180 quoting')

    const arrow = await s.api(`/api/datasets/sales/explore?${q}&format=arrow`)
    t.equal(arrow.headers.get('content-type'), 'application/vnd.apache.arrow.stream')
    const table = tableFromIPC(new Uint8Array(await arrow.arrayBuffer()))
    t.equal(table.numRows, 50)
    t.same(table.schema.fields.map((f) => `${f.name}:${f.metadata.get('sluice.type')}:${f.metadata.get('sluice.masked')}`),
      ['id:int64:false', 'region:string:false', 'ts:timestamp:false', 'day:date:false', 'qty:int64:false', 'amount:float64:false', 'ok:boolean:false', 'label:string:false'])
    t.same(table.schema.fields.map((f) => String(f.type)), ['Int64', 'Utf8', 'Timestamp<MICROSECOND, UTC>', 'Date32<DAY>', 'Int64', 'Float64', 'Bool', 'Utf8'])
    const got = table.toArray().map((r) => r.toJSON())
    t.same(got.map((r) => [r.id, r.region, r.qty, r.amount, r.ok, r.label]),
      expected.map((r) => [BigInt(r.id), r.region, BigInt(r.qty), r.amount, r.ok, r.label]), 'Arrow values')
    // apache-arrow's row objects turn timestamps into ms; the stored values are µs.
    const tsMicros = table.getChild('ts')!.data.flatMap((d) => [...(d.values as BigInt64Array)])
    t.same(tsMicros, expected.map((r) => BigInt(Date.parse(r.ts)) * 1000n), 'Arrow timestamps are µs since epoch')
    const days = table.getChild('day')!.data.flatMap((d) => [...(d.values as Int32Array)])
    t.same(days, expected.map((r) => Date.parse(r.day) / 86_400_000), 'Arrow dates are days since epoch')

    const empty = await json('select=id&id=lt.0')
    t.same([empty.rows, empty.row_count], [[], 0], 'an empty result is still a full document')
    const emptyArrow = tableFromIPC(new Uint8Array(await (await s.api('/api/datasets/sales/explore?select=id&id=lt.0&format=arrow')).arrayBuffer()))
    t.same([emptyArrow.numRows, emptyArrow.schema.fields.map((f) => f.name)], [0, ['id']], 'an empty Arrow stream still has its schema')
  })

  t.test('preview', async (t) => {
    const r = await s.api('/api/datasets/sales/preview?limit=7')
    const b = (await r.json()) as { rows: unknown[]; row_count: number }
    t.equal(b.rows.length, 7)
    t.equal((await s.api('/api/datasets/sales/preview?limit=10001')).status, 422)
    t.equal((await s.api('/api/datasets/sales/preview?limit=x')).status, 422)
    t.equal(((await (await s.api('/api/datasets/sales/preview')).json()) as { rows: unknown[] }).rows.length, 100, 'default 100')
  })

  t.test('grammar errors are 422 invalid_query naming the parameter and token', async (t) => {
    const cases: [string, string, RegExp][] = [
      ['select=regon', 'invalid_query', /select.*regon/],
      ['select=region,n:count()', 'invalid_query', /region/],
      ['select=region.sum()', 'invalid_query', /sum/],
      ['qty=gt.abc', 'invalid_query', /qty.*abc/],
      ['nosuch=eq.1', 'invalid_query', /nosuch/],
      ['region=bogus.1', 'invalid_query', /bogus/],
      ['order=qty.sideways', 'invalid_query', /order.*sideways/],
      ['or=(qty.lt.0', 'invalid_query', /or/],
      ['limit=-1', 'invalid_parameter', /limit/],
      ['format=xml', 'invalid_parameter', /format/],
      ['version=1&as_of=2024-01-01T00:00:00Z', 'invalid_parameter', /version|as_of/],
    ]
    for (const [q, code, re] of cases) {
      const r = await s.api(`/api/datasets/sales/explore?${q}`)
      const body = (await r.json()) as { error: string; message: string }
      t.equal(r.status, 422, `${q} → 422`)
      t.equal(body.error, code, `${q} → ${code}`)
      t.match(body.message, re, `${q}: "${body.message}"`)
    }
  })
})

/** A small RFC 4180 parser, independent of the code under test. */
function parseCsv(text: string): string[][] {
  const out: string[][] = []
  let row: string[] = []
  let field = ''
  let i = 0
  let quoted = false
  while (i < text.length) {
    const c = text[i]
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') { field += '"'; i += 2; continue }
      if (c === '"') { quoted = false; i++; continue }
      field += c; i++; continue
    }
    if (c === '"') { quoted = true; i++; continue }
    if (c === ',') { row.push(field); field = ''; i++; continue }
    if (c === '\r' && text[i + 1] === '\n') i++
    if (text[i] === '\n') { row.push(field); out.push(row); row = []; field = ''; i++; continue }
    field += c; i++
  }
  if (field !== '' || row.length) { row.push(field); out.push(row) }
  return out
}
