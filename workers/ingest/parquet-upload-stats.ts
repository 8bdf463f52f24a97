/**
 * Delta stats of an uploaded Parquet file used as it is, from the column statistics in its
 * footer: the same JSON DeltaStats (stats.ts) writes from the data, without reading the data.
 * Returns null when the footer lacks something needed (no statistics, no null counts, NaN
 * bounds, string bounds without a defined byte order): the caller then reads the columns
 * once. Only canonical columns (parquet-upload-schema.ts) reach here, so the physical type
 * of each logical type is known. Pure.
 */
import type { Field } from '../../proto/types.js'
import { formatDate } from '../kernels/text.js'
import type { ChunkStats, UploadFooter } from './parquet-upload-footer.js'
import { compareCodePoints, prefixCodePoints, STRING_PREFIX_LENGTH, stringUpperBound, timestampMillisText } from './stats.js'

type Bound = number | bigint | string
const strict = new TextDecoder('utf-8', { fatal: true })

/** The value of a min/max statistic; undefined when unusable. */
function decodeBound(f: Field, b: Uint8Array): Bound | undefined {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength)
  switch (f.type) {
    case 'int16': case 'int32': case 'date':
      return b.byteLength === 4 ? dv.getInt32(0, true) : undefined
    case 'int64': case 'timestamp':
      return b.byteLength === 8 ? dv.getBigInt64(0, true) : undefined
    case 'float32': {
      const x = b.byteLength === 4 ? dv.getFloat32(0, true) : NaN
      return Number.isNaN(x) ? undefined : x
    }
    case 'float64': {
      const x = b.byteLength === 8 ? dv.getFloat64(0, true) : NaN
      return Number.isNaN(x) ? undefined : x
    }
    case 'string': case 'json':
      try { return strict.decode(b) } catch { return undefined }
    default:
      return undefined
  }
}

/** Types DeltaStats writes min/max for (stats.ts formatBound). */
const BOUNDED = new Set(['int16', 'int32', 'int64', 'float32', 'float64', 'date', 'timestamp', 'string', 'json'])
/** Types whose deprecated min/max (signed order) are right. */
const SIGNED = new Set(['int16', 'int32', 'int64', 'float32', 'float64', 'date', 'timestamp'])

const less = (a: Bound, b: Bound): boolean => (typeof a === 'string' ? compareCodePoints(a, b as string) < 0 : (a as number) < (b as number))

function formatBound(f: Field, v: Bound, side: 'min' | 'max'): string | null {
  switch (f.type) {
    case 'int16': case 'int32': case 'int64': return String(v)
    case 'float32': case 'float64': return Number.isFinite(v as number) ? JSON.stringify(v) : null
    case 'date': return `"${formatDate(v as number)}"`
    case 'timestamp': return JSON.stringify(timestampMillisText(v as bigint))
    default: {
      const s = side === 'min' ? prefixCodePoints(v as string, STRING_PREFIX_LENGTH) : stringUpperBound(v as string)
      return s === null ? null : JSON.stringify(s)
    }
  }
}

/** Stats JSON from the footer of a file whose columns are exactly `fields` (file names); null when incomplete. */
export function footerStats(footer: UploadFooter, fields: Field[]): string | null {
  const mins: string[] = []
  const maxs: string[] = []
  const nulls: string[] = []
  for (const f of fields) {
    let nullCount = 0n
    let min: Bound | undefined
    let max: Bound | undefined
    for (const rg of footer.rowGroups) {
      if (rg.numRows === 0) continue
      const st: ChunkStats | null | undefined = rg.stats.get(f.name)
      if (!st || st.nullCount === undefined) return null
      nullCount += st.nullCount
      if (!BOUNDED.has(f.type) || st.nullCount >= BigInt(rg.numRows)) continue // all null: no bounds
      // min_value/max_value of strings are byte-ordered only with column_orders; old
      // writers' deprecated min/max are signed-ordered and right for numbers only
      let lo = st.min && (SIGNED.has(f.type) || footer.typeDefinedOrder) ? st.min : undefined
      let hi = st.max && (SIGNED.has(f.type) || footer.typeDefinedOrder) ? st.max : undefined
      if (lo === undefined && hi === undefined && SIGNED.has(f.type)) { lo = st.legacyMin; hi = st.legacyMax }
      if (!lo || !hi) return null
      const a = decodeBound(f, lo)
      const b = decodeBound(f, hi)
      if (a === undefined || b === undefined) return null
      if (min === undefined || less(a, min)) min = a
      if (max === undefined || less(max, b)) max = b
    }
    const key = JSON.stringify(f.name)
    nulls.push(`${key}:${nullCount}`)
    if (min === undefined || max === undefined) continue
    const lo = formatBound(f, min, 'min')
    const hi = formatBound(f, max, 'max')
    if (lo !== null) mins.push(`${key}:${lo}`)
    if (hi !== null) maxs.push(`${key}:${hi}`)
  }
  return `{"numRecords":${footer.numRows},"minValues":{${mins.join(',')}},"maxValues":{${maxs.join(',')}},"nullCount":{${nulls.join(',')}}}`
}
