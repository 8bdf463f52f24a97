/**
 * A 200k-row × 8-column sheet (generated with exceljs's streaming WorkbookWriter in a child
 * process) ingested in another child process: reports MB/s and RSS growth. The only
 * assertions are the row count, the types and the spec's memory bound (RSS growth < 300 MB);
 * no timing assertion.
 */
import { statSync } from 'node:fs'
import { join } from 'node:path'
import t from 'tap'
import { tempDir } from './helpers/ingest.js'
import { inChild } from './helpers/xlsx.js'

const ROWS = 200_000

t.test(`a ${ROWS}-row sheet streams with bounded memory`, async (t) => {
  const dir = tempDir(t)
  const file = join(dir, 'big.xlsx')
  await inChild(`
    const { default: ExcelJS } = await import('exceljs')
    const wb = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: ${JSON.stringify(file)}, useSharedStrings: true, useStyles: true })
    const ws = wb.addWorksheet('big')
    ws.columns = [{ key: 'a' }, { key: 'b' }, { key: 'c' }, { key: 'd' }, { key: 'e' }, { key: 'f' }, { key: 'g', style: { numFmt: 'yyyy-mm-dd' } }, { key: 'h', style: { numFmt: 'yyyy-mm-dd hh:mm:ss' } }]
    ws.addRow(['id', 'name', 'category', 'price', 'qty', 'flag', 'day', 'at']).commit()
    const cats = ['north', 'south', 'east', 'west']
    for (let i = 0; i < ${ROWS}; i++) ws.addRow([i, 'customer ' + i, cats[i % 4], (i % 1000) / 8 + 0.1, i % 97, i % 3 === 0, new Date(Date.UTC(2020, 0, 1) + (i % 1500) * 86400000), new Date(Date.UTC(2024, 0, 1) + i * 1000)]).commit()
    ws.commit()
    await wb.commit()
    console.log('{}')
  `)
  const out = await inChild(`
    const { mkdtempSync } = await import('node:fs')
    // warm up modules and the wasm instance, so that growth is the ingest's own
    const small = ${JSON.stringify(join(dir, 'small.xlsx'))}
    const { default: ExcelJS } = await import('exceljs')
    const wb = new ExcelJS.Workbook(); wb.addWorksheet('s').addRow(['x']); await wb.xlsx.writeFile(small)
    await TASK({ kind: 'xlsx-ingest', file: small, options: {}, outDir: mkdtempSync(${JSON.stringify(dir + '/w-')}) })
    globalThis.gc()
    const base = process.memoryUsage().rss
    let peak = base
    const timer = setInterval(() => { peak = Math.max(peak, process.memoryUsage().rss) }, 20)
    const t0 = performance.now()
    const r = await TASK({ kind: 'xlsx-ingest', file: ${JSON.stringify(file)}, options: {}, outDir: mkdtempSync(${JSON.stringify(dir + '/o-')}) })
    const ms = performance.now() - t0
    clearInterval(timer)
    console.log(JSON.stringify({ ok: r.ok, rowCount: r.value?.rowCount, types: r.value?.fields.map((f) => f.type), ms, growth: peak - base }))
  `) as { ok: boolean; rowCount: number; types: string[]; ms: number; growth: number }
  const mb = statSync(file).size / 1e6
  t.comment(`${ROWS} rows, ${mb.toFixed(1)} MB xlsx: ${(out.ms / 1000).toFixed(1)} s (two passes), ${(mb / (out.ms / 1000)).toFixed(2)} MB/s of file, ${Math.round(ROWS / (out.ms / 1000))} rows/s, RSS growth ${(out.growth / 1e6).toFixed(0)} MB`)
  t.equal(out.ok, true)
  t.equal(out.rowCount, ROWS)
  t.same(out.types, ['int64', 'string', 'string', 'float64', 'int64', 'boolean', 'date', 'timestamp'])
  t.ok(out.growth < 300e6, `RSS growth ${(out.growth / 1e6).toFixed(0)} MB < 300 MB`)
})
