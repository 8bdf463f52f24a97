// Each cancellable task kind honours a raised cancel flag (proto/cancel.ts) inside its work
// loop, not only at its entry: CSV inference and writing, a rewritten Parquet upload, an Excel
// sheet, profile scans and column stats end with 499 cancelled and leave nothing in their
// output folder. The same call with the flag lowered succeeds, so each case can fail.
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Int64, Utf8 } from 'apache-arrow'
import { newCancelFlag, raiseCancelFlag, type CancelFlag } from '../proto/cancel.js'
import type { Field } from '../proto/types.js'
import { inferCsv } from '../workers/ingest/infer.js'
import { ingestCsv } from '../workers/ingest/ingest.js'
import { ingestParquet } from '../workers/ingest/parquet-upload-ingest.js'
import { ingestXlsx } from '../workers/ingest/xlsx-ingest.js'
import profileScan from '../workers/profile-scan.js'
import columnStats from '../workers/column-stats.js'
import { writeParquet } from './helpers/lakehouse.js'
import { workbookFile } from './helpers/xlsx.js'

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-cancel-flag-'))
t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
const flags = () => { const raised = newCancelFlag(); raiseCancelFlag(raised); return { raised, lowered: newCancelFlag() } }
const outDir = (name: string) => { const d = path.join(dir, name); fs.mkdirSync(d); return d }
const CANCELLED = { status: 499, code: 'cancelled' }

const csv = path.join(dir, 'in.csv')
fs.writeFileSync(csv, 'id,ts,label\n' + Array.from({ length: 5000 }, (_, i) => `${i},2024-01-0${1 + (i % 9)}T00:00:00Z,x${i}`).join('\n') + '\n')
const parquet = path.join(dir, 'in.parquet')
writeParquet(parquet, { id: { type: new Int64(), values: Array.from({ length: 5000 }, (_, i) => BigInt(i)) }, label: { type: new Utf8(), values: Array.from({ length: 5000 }, (_, i) => `x${i}`) } })

t.test('CSV: inference (the write pass is cancelled mid-write in pool-cancel.test.ts)', async (t) => {
  const { raised, lowered } = flags()
  await t.rejects(inferCsv(csv, {}, 0, undefined, undefined, Infinity, raised), CANCELLED, 'inference')
  t.equal((await inferCsv(csv, {}, 0, undefined, undefined, Infinity, lowered)).rowCount, 5000)
  const task = (cancel: CancelFlag, out: string) => ({ kind: 'csv-ingest' as const, file: csv, options: {}, outDir: outDir(out), cancel })
  await t.rejects(ingestCsv(task(raised, 'csv-raised')), CANCELLED, 'ingest')
  t.same(fs.readdirSync(path.join(dir, 'csv-raised')), [], 'nothing written')
  t.equal((await ingestCsv(task(lowered, 'csv-lowered'))).rowCount, 5000)
})

t.test('Parquet upload that is rewritten (a column retyped)', async (t) => {
  const { raised, lowered } = flags()
  const task = (cancel: CancelFlag, out: string) => ({ kind: 'parquet-ingest' as const, file: parquet, options: { columns: { id: 'string' as const } }, outDir: outDir(out), cancel })
  await t.rejects(ingestParquet(task(raised, 'pq-raised')), CANCELLED)
  t.same(fs.readdirSync(path.join(dir, 'pq-raised')), [], 'nothing written')
  const done = await ingestParquet(task(lowered, 'pq-lowered'))
  t.ok(done.rewritten, 'the rewrite path was taken')
  t.equal(done.rowCount, 5000)
})

t.test('Excel sheet', async (t) => {
  const { raised, lowered } = flags()
  const file = await workbookFile(t, (wb) => {
    const ws = wb.addWorksheet('data')
    ws.addRow(['id', 'label'])
    for (let i = 0; i < 3000; i++) ws.addRow([i, `x${i}`])
  })
  const task = (cancel: CancelFlag, out: string) => ({ kind: 'xlsx-ingest' as const, file, options: {}, outDir: outDir(out), cancel })
  await t.rejects(ingestXlsx(task(raised, 'xlsx-raised')), CANCELLED)
  t.same(fs.readdirSync(path.join(dir, 'xlsx-raised')), [], 'nothing written')
  t.equal((await ingestXlsx(task(lowered, 'xlsx-lowered'))).rowCount, 3000)
})

t.test('profile scan and column stats', async (t) => {
  const { raised, lowered } = flags()
  const fields: Field[] = [{ name: 'id', type: 'int64', nullable: true }, { name: 'label', type: 'string', nullable: true }]
  const scan = (cancel: CancelFlag) => profileScan({ kind: 'profile-scan', files: [{ path: parquet }], fields, columns: ['id', 'label'], cancel } as never)
  t.match(await scan(raised), { ok: false, ...CANCELLED }, 'profile scan')
  t.match(await scan(lowered), { ok: true, value: { rowCount: 5000 } })
  const max = (cancel: CancelFlag) => columnStats({ kind: 'column-stats-max', files: [{ path: parquet }], fields, timeColumn: 'id', cancel } as never)
  t.match(await max(raised), { ok: false, ...CANCELLED }, 'column stats')
  t.match(await max(lowered), { ok: true })
})
