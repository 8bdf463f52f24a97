// Appending to and overwriting an uploaded dataset: new Delta versions, schema checks, run_id.
import t from 'tap'
import fs from 'node:fs'
import path from 'node:path'
import { startServer, uploadForm } from './helpers/server.js'

t.test('append and overwrite', async (t) => {
  const s = await startServer()
  t.teardown(() => s.stop())
  const send = (fields: Record<string, string>, content: string, claims?: { roles: string[] }) =>
    s.api('/api/datasets/file/upload', { method: 'POST', body: uploadForm(fields, { name: 'f.csv', content }), ...(claims ? { claims } : {}) })
  const rows = async (q = '') => ((await (await s.api(`/api/datasets/sales/explore?order=id${q}`)).json()) as { rows: Record<string, unknown>[] }).rows

  t.equal((await send({ name: 'sales' }, 'id,amount\n1,1.5\n2,2.5\n')).status, 201)
  const dataset = (await (await s.api('/api/datasets/sales')).json()) as { id: string }
  const log = path.join(s.dataDir, 'tables', dataset.id, '_delta_log')
  const commit = (v: number) => fs.readFileSync(path.join(log, `${String(v).padStart(20, '0')}.json`), 'utf8').trim().split('\n').map((l) => JSON.parse(l))

  const again = await send({ name: 'sales' }, 'id,amount\n3,1\n')
  t.equal(again.status, 409, 'an existing name without mode is still a conflict')

  const app = await send({ name: 'sales', mode: 'append', run_id: 'recipe-run-7' }, 'id,amount\n3,7\n4,8.25\n')
  t.equal(app.status, 200)
  t.match(await app.json(), { version: 1, row_count: 4 })
  t.same(await rows(), [{ id: 1, amount: 1.5 }, { id: 2, amount: 2.5 }, { id: 3, amount: 7 }, { id: 4, amount: 8.25 }], 'appended rows; 7 is stored as float64 like the table')
  const info = commit(1).find((a) => a.commitInfo)!.commitInfo
  t.match(info, { operation: 'WRITE', readVersion: 0, isBlindAppend: true, operationParameters: { mode: 'Append' } })
  t.equal(info.runId, 'recipe-run-7', 'run_id is stored in commitInfo')

  const mismatch = await send({ name: 'sales', mode: 'append' }, 'id,amount,region\n5,1,EU\n')
  t.equal(mismatch.status, 422)
  const mm = (await mismatch.json()) as { error: string; message: string }
  t.equal(mm.error, 'schema_mismatch')
  t.match(mm.message, /region/, 'the differences are listed')
  const badType = await send({ name: 'sales', mode: 'append' }, 'id,amount\n5,lots\n')
  t.equal(badType.status, 422, 'a value that does not fit the table type is refused')
  t.match(((await badType.json()) as { message: string }).message, /line 2.*amount/)
  // the received file is deleted while the commit runs (removeReadUpload), and on every refusal
  const tmpFiles = (dir = path.join(s.dataDir, 'tmp')): string[] => !fs.existsSync(dir) ? [] : fs.readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => e.isDirectory() ? tmpFiles(path.join(dir, e.name)) : [path.join(dir, e.name)])
  t.same(tmpFiles(), [], 'nothing received is left after a create, an append and two refused appends')

  const merged = await send({ name: 'sales', mode: 'append', schema_mode: 'merge' }, 'id,amount,region\n5,1,EU\n')
  t.equal(merged.status, 200)
  t.same(((await merged.json()) as { schema: { name: string }[] }).schema.map((f) => f.name), ['id', 'amount', 'region'], 'merge adds the new column')
  t.same((await rows('&select=id,region')).map((r) => r.region), [null, null, null, null, 'EU'], 'old rows read the new column as null')

  const over = await send({ name: 'sales', mode: 'overwrite' }, 'id,amount,region\n9,9.5,US\n')
  t.equal(over.status, 200)
  t.match(await over.json(), { version: 3, row_count: 1 })
  t.same(await rows(), [{ id: 9, amount: 9.5, region: 'US' }], 'overwrite replaces every row')
  t.match(commit(3).find((a) => a.commitInfo)!.commitInfo, { operation: 'WRITE', operationParameters: { mode: 'Overwrite' }, isBlindAppend: false })
  t.equal(commit(3).filter((a) => a.remove).length, commit(0).filter((a) => a.add).length + 2, 'every earlier file is removed')
  t.same((await rows('&version=1')).map((r) => r.id), [1, 2, 3, 4], 'earlier versions stay readable')

  t.equal((await send({ name: 'sales', mode: 'sideways' }, 'id\n1\n')).status, 422, 'unknown mode')
  t.equal((await send({ name: 'sales', mode: 'append' }, 'id,amount,region\n1,1,x\n', { roles: ['viewer'] })).status, 403, 'viewers cannot append')
  const created = await send({ name: 'brand_new', mode: 'append' }, 'a\n1\n')
  t.equal(created.status, 201, 'append to a name that does not exist creates it')
})
