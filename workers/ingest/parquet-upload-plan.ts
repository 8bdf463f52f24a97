/**
 * What an upload of a Parquet file commits: the final fields (names made valid as for CSV,
 * type overrides from `options.columns`, the types of the table an append goes to from
 * `options.tableFields`), how to read each column (file name, target type), and whether the
 * file can be used as it is or must be rewritten (with the reasons). Pure.
 */
import { SluiceError, invalidParameter } from '../../proto/errors.js'
import type { CommonUploadOptions } from '../../proto/ingest.js'
import type { Field, LogicalType } from '../../proto/types.js'
import { castColumn } from '../kernels/cast.js'
import { nullColumn } from '../kernels/column.js'
import { columnNames } from './dialect.js'
import type { UploadFooter } from './parquet-upload-footer.js'
import { notCanonicalFor, type ColumnShape } from './parquet-upload-schema.js'
import { DEFAULT_ROW_GROUP_BYTES } from './parquet-write.js'

/** Types `options.columns` may force (decimal needs a precision and scale the option cannot give). */
const OVERRIDE_TYPES: readonly LogicalType[] = ['string', 'int16', 'int32', 'int64', 'float32', 'float64', 'boolean', 'date', 'timestamp', 'time', 'binary', 'json']

export interface UploadPlan {
  /** the columns committed, in file order (all nullable, as CSV uploads report them) */
  fields: Field[]
  /** what to ask readParquetBatches for: the file's names, the final types */
  reads: Field[]
  /** why the file must be rewritten; empty: it is used as it is */
  rewriteReasons: string[]
  warnings: string[]
}

/** Whether our cast kernel converts `from` to `to` at all (values may still fail, e.g. overflow). */
function castable(from: Pick<Field, 'type' | 'precision' | 'scale'>, to: Field): boolean {
  try {
    castColumn(nullColumn('c', from.type, 0, from.precision, from.scale), to)
    return true
  } catch (err) {
    if (err instanceof SluiceError) return false
    throw err
  }
}

const lower = (s: string) => s.toLowerCase()

export function planUpload(shapes: ColumnShape[], footer: UploadFooter, options: CommonUploadOptions): UploadPlan {
  const { names, warnings } = columnNames(shapes.map((s) => s.fileName), shapes.length)
  const reasons: string[] = []
  for (const s of shapes) if (s.warning) warnings.push(s.warning)

  const overrides = new Map<string, LogicalType>()
  const cols = options.columns
  if (cols !== undefined && cols !== null) {
    if (typeof cols !== 'object' || Array.isArray(cols)) throw invalidParameter('columns', 'must be an object of column name to type')
    for (const [name, type] of Object.entries(cols)) {
      if (!OVERRIDE_TYPES.includes(type)) throw invalidParameter('columns', `type ${JSON.stringify(type)} of column ${JSON.stringify(name)} is not one of ${OVERRIDE_TYPES.join(', ')}`)
      if (!names.some((n) => lower(n) === lower(name))) throw invalidParameter('columns', `the file has no column ${JSON.stringify(name)}`)
      overrides.set(lower(name), type)
    }
  }
  const table = new Map<string, Field>()
  for (const f of options.tableFields ?? []) table.set(lower(f.name), f)

  const fields: Field[] = []
  const reads: Field[] = []
  shapes.forEach((s, i) => {
    let name = names[i]!
    let target: Field = { name, nullable: true, ...s.natural }
    const forced = overrides.get(lower(name))
    const tf = table.get(lower(name))
    if (forced !== undefined) {
      if (forced !== s.natural.type) target = { name, nullable: true, type: forced }
      if (!castable(s.natural, target)) throw invalidParameter('columns', `column ${JSON.stringify(name)}: ${s.natural.type} cannot be converted to ${forced}`)
    } else if (tf) {
      // append: take the table's spelling (our reader matches names exactly) and, when our
      // cast kernel can convert, its type; otherwise keep ours and let the commit report the mismatch
      name = tf.name
      const want: Field = { name, nullable: true, type: tf.type, ...(tf.type === 'decimal' ? { precision: tf.precision, scale: tf.scale } : {}) }
      target = castable(s.natural, want) ? want : { ...target, name }
    }
    if (name !== s.fileName) reasons.push(`column "${s.fileName}" is renamed to "${name}"`)
    const why = notCanonicalFor(s, target)
    if (why) reasons.push(`column "${s.fileName}": ${why}`)
    fields.push(target)
    reads.push({ ...target, name: s.fileName })
  })
  footer.rowGroups.forEach((rg, i) => {
    // explore decodes a row group's column chunks at once: keep them as bounded as ours
    if (rg.compressedSize > DEFAULT_ROW_GROUP_BYTES) reasons.push(`row group ${i} holds ${Math.round(rg.compressedSize / 2 ** 20)} MiB`)
  })
  return { fields, reads, rewriteReasons: reasons, warnings }
}
