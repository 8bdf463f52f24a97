// A Parquet file through HTTP: preview → upload (used as it is) → explore values, exact.
import t from 'tap'
import * as A from 'apache-arrow'
import * as pq from 'parquet-wasm'
import { startServer, uploadForm } from './helpers/server.js'

function parquetBytes(): Buffer {
  const id = A.makeVector(A.makeData({ type: new A.Int64(), length: 2, data: new BigInt64Array([9007199254740993n, -1n]) }))
  const at = A.makeVector(A.makeData({ type: new A.TimestampMicrosecond('UTC'), length: 2, data: new BigInt64Array([1709287200123456n, 0n]) }))
  const name = A.vectorFromArray(['héllo', null], new A.Utf8())
  const wasm = pq.Table.fromIPCStream(A.tableToIPC(new A.Table({ id, at, name }), 'stream'))
  return Buffer.from(pq.writeParquet(wasm, new pq.WriterPropertiesBuilder().setCompression(pq.Compression.SNAPPY).build()))
}

t.test('preview, upload, explore', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const bytes = parquetBytes()
  const post = (route: string, fields: Record<string, string>) =>
    s.api(`/api/datasets/file/${route}`, { method: 'POST', body: uploadForm(fields, { name: 'f.parquet', content: bytes }) })
  const preview = await post('preview', { limit: '5' })
  const pbody = await preview.text()
  t.equal(preview.status, 200, pbody)
  const p = JSON.parse(pbody) as { columns: { name: string; type: string }[]; row_count: number }
  t.same(p.columns.map((c) => `${c.name}:${c.type}`), ['id:int64', 'at:timestamp', 'name:string'])
  t.equal(p.row_count, 2)
  t.match(pbody, /"id":9007199254740993/)

  const up = await post('upload', { name: 'pq_http' })
  t.equal(up.status, 201, await up.clone().text())
  const ex = await s.api('/api/datasets/pq_http/explore?format=ndjson&order=id.desc')
  const lines = (await ex.text()).trim().split('\n')
  t.same(lines.slice(1), [
    '{"id":9007199254740993,"at":"2024-03-01T10:00:00.123456Z","name":"héllo"}',
    '{"id":-1,"at":"1970-01-01T00:00:00.000000Z","name":null}',
  ])
})
