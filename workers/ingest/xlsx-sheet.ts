/**
 * Parse one worksheet part (`xl/worksheets/sheetN.xml`) as it streams, into rows of typed
 * cells. exceljs's WorksheetReader is not used for this: it reads a formula's cached result
 * with parseFloat whatever its type (TRUE becomes 1, #N/A becomes NaN), keeps only the last
 * run of an inline rich string, and builds Row/Cell/style objects per cell. This parser keeps
 * the cell type (`t=`), reads formulas as their cached values, and allocates one array per row.
 * Worker threads.
 */
import { invalidFile } from '../../proto/errors.js'
import { timestampParts, tsOut } from './values.js'
import { XlsxDate, XlsxError, type CellValue } from './xlsx-cells.js'
import { serialToMs } from './xlsx-dates.js'
import { localName, parseSax, type SaxEvent } from './xlsx-sax.js'

export interface SheetContext {
  /** the shared strings table, as plain text (xlsx-read.ts) */
  sharedStrings: string[]
  dateStyles: Uint8Array
  date1904: boolean
}

/** What a sheet had that becomes null, for the warnings. */
export class SheetCounters {
  errors = 0
  firstError = ''
  errorCodes = new Set<string>()
  uncached = 0
  firstUncached = ''
}

/**
 * A non-empty row: `r` is its 1-based row number, `cells[c]` the cell of 0-based column c
 * (undefined when empty). Rows without any value are not reported.
 */
export type RowSink = (r: number, cells: (CellValue | undefined)[]) => void

/** `A1` reference of a 1-based row and 0-based column. */
export function cellRef(r: number, c: number): string {
  let s = ''
  for (let n = c + 1; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s
  return s + r
}

/** 0-based column of an `AB12` reference, -1 if it has no letters. */
function refColumn(ref: string): number {
  let col = 0
  let i = 0
  for (; i < ref.length; i++) {
    const ch = ref.charCodeAt(i) | 0x20 // lower case
    if (ch < 97 || ch > 122) break
    col = col * 26 + (ch - 96)
  }
  return i === 0 ? -1 : col - 1
}

const ESCAPE = /_x([0-9A-Fa-f]{4})_/g

/** OOXML escapes characters XML cannot hold as `_xHHHH_` (`_x000D_` for a carriage return). */
export function unescapeText(s: string): string {
  return s.includes('_x') ? s.replace(ESCAPE, (_, h: string) => String.fromCharCode(parseInt(h, 16))) : s
}

/**
 * Read the rows of one sheet. `onChunk` runs after each chunk of XML (backpressure for a
 * writer). Throws 422 invalid_file when the XML is not readable.
 */
export async function readSheetRows(
  chunks: AsyncIterable<unknown>,
  ctx: SheetContext,
  onRow: RowSink,
  counters: SheetCounters,
  onChunk?: () => Promise<void>,
): Promise<void> {
  let r = 0
  let cells: (CellValue | undefined)[] = []
  let nonEmpty = false
  let col = -1
  let t = 'n'
  let style = 0
  let hasFormula = false
  let v: string | null = null
  let inline: string | null = null
  /** 1: inside <v>; 2: inside an inline string's <t> */
  let capture = 0
  let inInline = false
  let phonetic = 0

  const finishCell = (): void => {
    let value: CellValue | undefined
    if (t === 'inlineStr') {
      const s = inline ?? v
      value = s ? unescapeText(s) : undefined
    } else if (v === null || v === '') {
      if (hasFormula && v === null) {
        if (counters.uncached++ === 0) counters.firstUncached = cellRef(r, col)
      }
    } else {
      switch (t) {
        case 's': value = ctx.sharedStrings[Number(v)] || undefined; break
        case 'str': value = unescapeText(v); break
        case 'b': value = v === '1' || v === 'true'; break
        case 'e': value = new XlsxError(v); break
        case 'd':
          // ISO 8601 text (strict OOXML); no zone = UTC, as the CSV parser reads it
          value = timestampParts(v, true) ? new XlsxDate(tsOut.seconds * 1000 + Math.round(tsOut.micros / 1000)) : v
          break
        default: {
          const n = Number(v)
          if (!Number.isFinite(n)) value = new XlsxError(v)
          else if (ctx.dateStyles[style] === 1) {
            const ms = serialToMs(n, ctx.date1904)
            value = Number.isNaN(ms) ? n : new XlsxDate(ms)
          } else value = n
        }
      }
    }
    if (value === undefined) return
    if (value instanceof XlsxError) {
      if (counters.errors++ === 0) counters.firstError = cellRef(r, col)
      if (counters.errorCodes.size < 5) counters.errorCodes.add(value.code)
    }
    cells[col] = value
    nonEmpty = true
  }

  const handle = (events: SaxEvent[]): void => {
    for (let k = 0; k < events.length; k++) {
      const ev = events[k]!
      if (ev.eventType === 'text') {
        if (capture === 1) v += ev.value
        else if (capture === 2) inline += ev.value
        continue
      }
      const raw = ev.value.name
      const name = raw.indexOf(':') < 0 ? raw : localName(raw)
      if (ev.eventType === 'opentag') {
        const a = ev.value.attributes
        switch (name) {
          case 'row':
            r = a.r ? Number(a.r) : r + 1
            cells = []
            nonEmpty = false
            col = -1
            break
          case 'c': {
            const c = a.r ? refColumn(a.r) : -1
            col = c >= 0 ? c : col + 1
            t = a.t ?? 'n'
            style = a.s ? Number(a.s) : 0
            hasFormula = false
            v = null
            inline = null
            break
          }
          case 'f': hasFormula = true; break
          case 'v': v = ''; capture = 1; break
          case 'is': inInline = true; inline = ''; break
          case 'rPh': phonetic++; break // phonetic guide text is not part of the value
          case 't': if (inInline && phonetic === 0) capture = 2; break
        }
      } else {
        switch (name) {
          case 'v': case 't': capture = 0; break
          case 'rPh': phonetic--; break
          case 'is': inInline = false; break
          case 'c': finishCell(); break
          case 'row': if (nonEmpty) onRow(r, cells); break
        }
      }
    }
  }

  const it = parseSax(chunks)
  for (;;) {
    let step: IteratorResult<SaxEvent[]>
    try {
      step = await it.next()
    } catch (err) {
      throw invalidFile(`the workbook could not be read: ${(err as Error).message?.split('\n')[0] ?? 'unreadable sheet'}`)
    }
    if (step.done) break
    handle(step.value)
    if (onChunk) await onChunk()
  }
}
