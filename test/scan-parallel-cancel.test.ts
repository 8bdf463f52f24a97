/**
 * Parallel aggregate scans, run in-process with the real task modules and real
 * MessageChannels: a cancel from the main thread reaches every part (they stop reading
 * files), and the first failing part fails the scan with its error while the others are
 * cancelled. Then over HTTP: forced-parallel scans answer like single ones.
 */
import t from 'tap'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { MessageChannel, type MessagePort } from 'node:worker_threads'
import { Int32 } from 'apache-arrow'
import type { Plan } from '../proto/plan.js'
import type { Field } from '../proto/types.js'
import type { ScanFile, ScanToMain } from '../proto/scan.js'
import scan from '../workers/scan.js'
import scanPart from '../workers/scan-part.js'
import { columnCache } from '../workers/kernels/column-cache.js'
import { makeDeltaTable, orgDir, registered, rows, writeParquet } from './helpers/lakehouse.js'
import { startServer } from './helpers/server.js'

const FIELDS: Field[] = [{ name: 'v', type: 'int32', nullable: true }]
const PLAN: Plan = {
  select: [{ name: 'n', expr: { kind: 'agg', fn: 'count', column: null }, type: 'int64' }, { name: 'total', expr: { kind: 'agg', fn: 'sum', column: 'v' }, type: 'int64' }],
  group: [], aggregate: true, filter: null, order: [], limit: null, offset: 0, columns: ['v'],
}

function files(count: number): ScanFile[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sluice-scan-cancel-'))
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }))
  return Array.from({ length: count }, (_, k) => {
    const file = path.join(dir, `f${k}.parquet`)
    writeParquet(file, { v: { type: new Int32(), values: Array.from({ length: 2000 }, (_, i) => i + k) } })
    return { path: file }
  })
}

/** Starts the merging scan task and its parts; returns the control port, messages and the tasks. */
function startParallel(scanFiles: ScanFile[], parts: number) {
  const channels = Array.from({ length: parts }, () => new MessageChannel())
  const partRuns = channels.map((ch, index) => scanPart({ kind: 'scan-part', files: scanFiles, fields: FIELDS, plan: PLAN, masks: null, part: { index, of: parts }, port: ch.port2 }))
  const control = new MessageChannel()
  const messages: ScanToMain[] = []
  control.port1.on('message', (m: ScanToMain) => messages.push(m))
  const run = scan({
    kind: 'scan', files: [], fields: FIELDS, plan: PLAN, columns: [{ name: 'n', type: 'int64', nullable: false, masked: false }, { name: 'total', type: 'int64', nullable: true, masked: false }] as never,
    format: 'ndjson', masks: null, batchRows: 1000, initialCredit: 4, port: control.port2, parts: channels.map((c) => c.port1) as MessagePort[],
  })
  return { control: control.port1, messages, done: Promise.all([run, ...partRuns]) }
}

t.test('the merged result counts every row once', async (t) => {
  columnCache.clear()
  const fs6 = files(6)
  const p = startParallel(fs6, 3)
  await p.done
  await new Promise((r) => setTimeout(r, 20))
  p.control.close()
  const text = p.messages.filter((m) => m.type === 'chunk').map((m) => Buffer.from((m as { bytes: ArrayBuffer }).bytes).toString()).join('')
  const want = fs6.reduce((a, _, k) => a + 2000 * 1999 / 2 + 2000 * k, 0)
  t.strictSame(text.trim().split('\n').slice(-1).map((l) => JSON.parse(l)), [{ n: 12000, total: want }], text)
  t.ok(p.messages.some((m) => m.type === 'done'))
})

t.test('cancel from the main thread stops every part', async (t) => {
  columnCache.clear()
  columnCache.budget = 256 * 2 ** 20
  const many = files(60)
  const p = startParallel(many, 2)
  p.control.postMessage({ type: 'cancel' })
  await p.done
  await new Promise((r) => setTimeout(r, 20))
  p.control.close()
  t.notOk(p.messages.some((m) => m.type === 'done' || m.type === 'chunk'), 'no output after cancel')
  t.ok(columnCache.size < many.length / 2, `parts stopped reading (${columnCache.size} of ${many.length} files read)`)
})

t.test('the first failing part fails the scan; the other parts are cancelled', async (t) => {
  columnCache.clear()
  const many = files(60)
  // part 1 of 2 reads odd file indices: make its first file vanish
  fs.rmSync(many[1]!.path)
  const p = startParallel(many, 2)
  await p.done
  await new Promise((r) => setTimeout(r, 20))
  p.control.close()
  const err = p.messages.find((m) => m.type === 'error') as Extract<ScanToMain, { type: 'error' }> | undefined
  t.equal(err?.failure.status, 422)
  t.equal(err?.failure.code, 'unsupported_table')
  t.match(err?.failure.message, /f1\.parquet/)
  t.notOk(p.messages.some((m) => m.type === 'done'))
  t.ok(columnCache.size < many.length / 2, `the other part stopped early (${columnCache.size} files read)`)
})

t.test('over HTTP, forced-parallel aggregate scans answer like single-task scans', async (t) => {
  const par = await startServer({ SCAN_PARALLEL_MIN_ROWS: '0' })
  const one = await startServer({ SCAN_PARALLEL_MIN_ROWS: '1000000000' })
  t.teardown(async () => { await par.stop(); await one.stop() })
  const values = (k: number) => Array.from({ length: 500 }, (_, i) => (i * 7 + k) % 97)
  for (const s of [par, one]) {
    makeDeltaTable(path.join(orgDir(s), 'nums'), { 'a.parquet': values(1), 'b.parquet': values(2), 'c.parquet': values(3) })
    await registered(s, 'nums', 'nums')
  }
  for (const q of [
    'select=v,n:count()&group=v&order=v',
    'select=n:count(),d:v.count_distinct(),lo:v.min(),hi:v.max(),a:v.avg()&v=gt.50',
    'select=v,n:count()&group=v&order=n.desc,v&limit=5&offset=2',
    'select=n:count()&v=gt.1000',
  ]) {
    t.strictSame(await rows(par, `/api/datasets/nums/explore?${q}`), await rows(one, `/api/datasets/nums/explore?${q}`), q)
  }
})
