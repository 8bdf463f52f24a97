/**
 * The Parquet footer task (workers/parquet-footer.ts): reads only the footers of a list of
 * Parquet files (never their data) and returns the row count of each and, on request, the
 * schema of the first one mapped to logical types. Used to describe plain Parquet folders
 * of the lakehouse connector (browse, register) and to count rows of Delta files without
 * stats. The main thread never decodes Parquet (ARCHITECTURE.md).
 *
 * Returns `TaskResult<ParquetFooterResult>`; a file that cannot be read is a failure with
 * `422 unsupported_table` naming the file (relative to `baseDir` when given).
 */
import type { Field } from './types.js'

export interface ParquetFooterTask {
  kind: 'parquet-footer'
  /** absolute paths of Parquet files */
  files: string[]
  /** true: also return the schema of files[0] */
  schema: boolean
  /** shown instead of absolute paths in error messages: paths are made relative to it */
  baseDir?: string
}

export interface UnsupportedParquetColumn {
  name: string
  /** the Arrow type as text, e.g. `Struct<{a:Int32}>` */
  type: string
}

export interface ParquetFooterResult {
  /** the columns of files[0] Sluice can read, in file order (null when `schema` was false or there are no files) */
  fields: Field[] | null
  /** columns of files[0] of types Sluice cannot read (nested types, 256-bit decimals, ...) */
  unsupported: UnsupportedParquetColumn[]
  /** num_rows of each file's footer, in the order of `files` */
  rowCounts: number[]
}
