/**
 * One pass over a workbook: the shared strings first, then each wanted sheet in workbook order,
 * every part streamed by its central-directory entry (xlsx-zip.ts) and parsed by xlsx-sheet.ts.
 * exceljs's streaming WorkbookReader is not used: its single pass over the local headers
 * sometimes loses the last entry (Excel and exceljs write xl/workbook.xml or a sheet last), and
 * it decodes each chunk as UTF-8 on its own, breaking characters split between chunks.
 * Sheets the caller does not want are never decompressed. Worker threads.
 */
import { open, type FileHandle } from 'node:fs/promises'
import { invalidFile } from '../../proto/errors.js'
import type { XlsxPackage } from './xlsx-package.js'
import { localName, parseSax, type SaxEvent } from './xlsx-sax.js'
import { readSheetRows, SheetCounters, unescapeText, type RowSink } from './xlsx-sheet.js'
import { zipEntryText } from './xlsx-zip.js'

export interface SheetVisit {
  onRow: RowSink
  counters: SheetCounters
  /** after each chunk of the sheet's XML (e.g. to write a full row group) */
  onChunk?: () => Promise<void>
}

/**
 * The shared strings table (`xl/sharedStrings.xml`): each `<si>` is its text, the runs of a
 * rich string joined, phonetic guides (`<rPh>`) left out, `_xHHHH_` escapes undone.
 */
async function readSharedStrings(file: string, fh: FileHandle, pkg: XlsxPackage, onBytes: (n: number) => void): Promise<string[]> {
  const table: string[] = []
  const entry = pkg.sharedStrings ? pkg.entries.get(pkg.sharedStrings) : undefined
  if (!entry) return table
  let text = ''
  let inItem = false
  let capture = false
  let phonetic = 0
  const handle = (events: SaxEvent[]): void => {
    for (const ev of events) {
      if (ev.eventType === 'text') {
        if (capture) text += ev.value
        continue
      }
      const name = localName(ev.value.name)
      if (ev.eventType === 'opentag') {
        if (name === 'si') { inItem = true; text = '' }
        else if (name === 'rPh') phonetic++
        else if (name === 't' && inItem && phonetic === 0) capture = true
      } else if (name === 't') capture = false
      else if (name === 'rPh') phonetic--
      else if (name === 'si') { table.push(unescapeText(text)); inItem = false }
    }
  }
  try {
    for await (const batch of parseSax(zipEntryText(file, fh, entry, onBytes))) handle(batch)
  } catch (err) {
    if ((err as { status?: number }).status) throw err
    throw invalidFile(`the workbook's shared strings are not valid XML: ${String((err as Error)?.message ?? err).split('\n')[0]}`)
  }
  return table
}

/**
 * Read `file`; `choose(i)` gets the index of each sheet (in `pkg.sheets`, workbook order) and
 * returns how to read it, or null to skip it. `onBytes` gets the compressed bytes read so far
 * (skipped sheets count as read). Returns the indexes of the sheets read. Throws 422
 * invalid_file for an unreadable workbook.
 */
export async function readWorkbook(
  file: string,
  pkg: XlsxPackage,
  choose: (index: number) => SheetVisit | null,
  onBytes?: (bytes: number) => void,
): Promise<Set<number>> {
  const fh = await open(file, 'r')
  let bytes = 0
  const count = (n: number): void => { bytes += n; onBytes?.(bytes) }
  const read = new Set<number>()
  try {
    const sharedStrings = await readSharedStrings(file, fh, pkg, count)
    for (let i = 0; i < pkg.sheets.length; i++) {
      const path = pkg.sheets[i]!.path
      const entry = path ? pkg.entries.get(path) : undefined
      if (!entry) continue // a chartsheet, or a sheet whose part is missing: no cells
      const visit = choose(i)
      if (!visit) { count(entry.compressedSize); continue }
      read.add(i)
      await readSheetRows(zipEntryText(file, fh, entry, count), { sharedStrings, dateStyles: pkg.dateStyles, date1904: pkg.date1904 },
        visit.onRow, visit.counters, visit.onChunk)
    }
  } finally {
    await fh.close()
  }
  return read
}
