/**
 * One pass over a workbook with exceljs's streaming reader (`stream.xlsx.WorkbookReader`): it
 * unzips as the file streams, caches the shared strings, and hands over each worksheet part
 * (parsed by xlsx-sheet.ts). When a sheet comes before the shared strings in the zip (Excel
 * writes them after the sheets), exceljs parks the sheet in a temp file and hands it over at
 * the end. Sheets the caller does not want are skipped unparsed. Worker threads.
 */
import { createReadStream } from 'node:fs'
import ExcelJS from 'exceljs'
import { invalidFile, SluiceError } from '../../proto/errors.js'
import type { XlsxPackage } from './xlsx-package.js'
import { prepareSharedStrings, readSheetRows, SheetCounters, type RowSink } from './xlsx-sheet.js'

export interface SheetVisit {
  onRow: RowSink
  counters: SheetCounters
  /** after each chunk of the sheet's XML (e.g. to write a full row group) */
  onChunk?: () => Promise<void>
}

/** The parts of exceljs's WorkbookReader used here (its typings omit `parse`). */
interface Reader {
  parse(): AsyncGenerator<{ eventType: string; value: { iterator: AsyncIterable<unknown> & { destroy?: () => void } } }>
  on(event: 'entry', fn: (e: { type: string; id?: string }) => void): void
  sharedStrings?: unknown[]
}

/**
 * Stream `file`; `choose(i)` gets the index of each sheet (in `pkg.sheets`) as it comes and
 * returns how to read it, or null to skip it. `onBytes` gets the bytes of the file read so far.
 * Returns the indexes of the sheets read. Throws 422 invalid_file for an unreadable workbook.
 */
export async function readWorkbook(
  file: string,
  pkg: XlsxPackage,
  choose: (index: number) => SheetVisit | null,
  onBytes?: (bytes: number) => void,
): Promise<Set<number>> {
  const input = createReadStream(file)
  let bytes = 0
  input.on('data', (b) => { bytes += b.length; onBytes?.(bytes) })
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(input, {
    worksheets: 'emit', sharedStrings: 'cache', styles: 'ignore', hyperlinks: 'ignore', entries: 'emit',
  } as never) as unknown as Reader
  // the part number of the sheet being handed over (exceljs renames it after workbook.xml)
  let sheetNo = ''
  reader.on('entry', (e) => { if (e.type === 'worksheet') sheetNo = String(e.id) })
  const read = new Set<number>()
  let prepared = false
  const it = reader.parse()
  try {
    for (;;) {
      let step: IteratorResult<{ eventType: string; value: { iterator: AsyncIterable<unknown> & { destroy?: () => void } } }>
      try {
        step = await it.next()
      } catch (err) {
        if (err instanceof SluiceError) throw err
        throw invalidFile(`the workbook could not be read (corrupt zip?): ${String((err as Error)?.message ?? err).split('\n')[0]}`)
      }
      if (step.done) break
      if (step.value.eventType !== 'worksheet') continue
      const ws = step.value.value
      const index = pkg.sheets.findIndex((s) => s.path === `xl/worksheets/sheet${sheetNo}.xml`)
      const visit = index >= 0 && !read.has(index) ? choose(index) : null
      if (!visit) {
        ws.iterator.destroy?.() // a parked temp file's stream; an in-zip entry is drained by exceljs
        continue
      }
      const table = reader.sharedStrings ?? []
      if (!prepared) { prepareSharedStrings(table); prepared = true }
      read.add(index)
      await readSheetRows(ws.iterator, { sharedStrings: table, dateStyles: pkg.dateStyles, date1904: pkg.date1904 }, visit.onRow, visit.counters, visit.onChunk)
    }
  } catch (err) {
    input.destroy()
    await it.return(undefined).catch(() => {})
    throw err
  }
  return read
}
