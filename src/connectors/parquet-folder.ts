/**
 * Plain Parquet folders of the lakehouse connector (no `_delta_log`): `.parquet` files
 * directly in the folder or in Hive partition folders `k=v/...` (any depth up to
 * MAX_PARTITION_DEPTH, the same keys in the same order for every file). Partition columns are
 * strings (`__HIVE_DEFAULT_PARTITION__` is null, Hive `%XX` escapes are undone); the other
 * columns come from the first file's footer. Hidden entries (`.x`, `_x`) and sub-folders that
 * are not `k=v` are ignored. Linked files are followed only when they resolve inside the
 * org's lakehouse folder; linked folders are not followed.
 *
 * Read-only: there is no log, so no versions (time travel, history, OPTIMIZE and VACUUM are
 * `422 not_a_delta_table`). Files are listed again for every query, so files added later are
 * read; the schema stays the one discovered at registration.
 *
 * I/O; main thread (footers are read by the parquet-footer worker).
 */
import fs from 'node:fs'
import path from 'node:path'
import { SluiceError } from '../../proto/errors.js'
import type { Field } from '../../proto/types.js'
import type { ParquetFooterResult, ParquetFooterTask } from '../../proto/parquet-footer.js'
import { pruneFiles, type ActiveFile, type Snapshot } from '../lakehouse/index.js'
import { WORKERS, type WorkerPool } from '../pool.js'
import { assertInsideOrg, isHiddenName, isParquetName, isPartitionDirName, MAX_PARTITION_DEPTH } from './lakehouse-folder.js'
import { scanFiles } from './scan-files.js'
import { maskedColumns } from '../../proto/masks.js'
import type { ExploreRequest } from './lakehouse.js'

export const HIVE_NULL = '__HIVE_DEFAULT_PARTITION__'
/** More files than this in one folder is refused (the listing is held in memory per query). */
export const MAX_PARQUET_FILES = 100_000

export interface ParquetFolderFile {
  /** absolute path */
  path: string
  /** relative to the folder, with `/` */
  rel: string
  /** partition values from the folder names, in partition column order */
  partition: Record<string, string | null>
}

export interface ParquetFolderListing {
  partitionColumns: string[]
  files: ParquetFolderFile[]
}

/** Undoes Hive path escaping (`%XX` per character, see Hive's FileUtils.escapePathName). */
export function unescapeHive(s: string): string {
  return s.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => String.fromCharCode(parseInt(hex, 16)))
}

const unsupported = (msg: string) => new SluiceError(422, 'unsupported_table', msg)

/**
 * Lists the Parquet files of the folder `dir` (sorted, so the first file is stable).
 * Throws `422 unsupported_table` for mixed partition layouts, links leading outside `root`,
 * or more than MAX_PARQUET_FILES files.
 */
export async function listParquetFolder(root: string, dir: string): Promise<ParquetFolderListing> {
  const files: ParquetFolderFile[] = []
  let keys: string[] | null = null
  const walk = async (d: string, rel: string, pairs: [string, string | null][]): Promise<void> => {
    const entries = (await fs.promises.readdir(d, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    for (const e of entries) {
      if (isHiddenName(e.name)) continue
      const abs = path.join(d, e.name)
      const relChild = rel ? `${rel}/${e.name}` : e.name
      if (e.isDirectory()) {
        if (!isPartitionDirName(e.name) || pairs.length >= MAX_PARTITION_DEPTH) continue
        const eq = e.name.indexOf('=')
        const value = e.name.slice(eq + 1)
        await walk(abs, relChild, [...pairs, [unescapeHive(e.name.slice(0, eq)), value === HIVE_NULL ? null : unescapeHive(value)]])
        continue
      }
      if (!isParquetName(e.name)) continue
      if (e.isSymbolicLink()) {
        await assertInsideOrg(root, abs)
        const st = await fs.promises.stat(abs).catch(() => null)
        if (!st?.isFile()) continue
      } else if (!e.isFile()) continue
      const fileKeys = pairs.map(([k]) => k)
      if (keys === null) {
        keys = fileKeys
      } else if (keys.join('\u0000') !== fileKeys.join('\u0000')) {
        const show = (k: string[]) => (k.length ? k.join('/') : 'none')
        // Paths are not named: Hive partition paths hold values, which may be masked for the caller.
        throw unsupported(`the Parquet folder mixes partition layouts: some files are partitioned by (${show(keys)}), others by (${show(fileKeys)})`)
      }
      if (files.length >= MAX_PARQUET_FILES) throw unsupported(`the Parquet folder has more than ${MAX_PARQUET_FILES} files`)
      files.push({ path: abs, rel: relChild, partition: Object.fromEntries(pairs) })
    }
  }
  await walk(dir, '', [])
  return { partitionColumns: keys ?? [], files }
}

export interface ParquetFolderInfo extends ParquetFolderListing {
  /** file columns (first file's footer) then partition columns (strings) */
  fields: Field[]
  /** sum of the footers' row counts; null when not counted (more files than `maxFooterFiles`) */
  rowCount: number | null
}

/**
 * Describes a Parquet folder from its listing and footers: schema from the first file, row
 * count from every footer when there are at most `maxFooterFiles` files. Throws
 * `422 unsupported_table` for an empty folder, an unreadable footer or columns of types
 * Sluice cannot read (naming them).
 */
export async function describeParquetFolder(pool: WorkerPool, root: string, dir: string, opts: { maxFooterFiles: number; signal?: AbortSignal }): Promise<ParquetFolderInfo> {
  const listing = await listParquetFolder(root, dir)
  if (listing.files.length === 0) throw unsupported('the folder has no Parquet files')
  const countAll = listing.files.length <= opts.maxFooterFiles
  const task: ParquetFooterTask = {
    kind: 'parquet-footer',
    files: countAll ? listing.files.map((f) => f.path) : [listing.files[0]!.path],
    schema: true,
    baseDir: dir,
  }
  const r = await pool.run<ParquetFooterResult>(WORKERS.parquetFooter, task, { signal: opts.signal })
  if (r.unsupported.length > 0) {
    const list = r.unsupported.map((c) => `"${c.name}" (${c.type})`).join(', ')
    throw new SluiceError(422, 'unsupported_table', `the Parquet files have column${r.unsupported.length > 1 ? 's' : ''} of a type Sluice cannot read: ${list}`, { columns: r.unsupported })
  }
  const partitionSet = new Set(listing.partitionColumns)
  const fields: Field[] = [
    // Hive semantics: a partition column wins over a file column of the same name
    ...(r.fields ?? []).filter((f) => !partitionSet.has(f.name)),
    ...listing.partitionColumns.map((name): Field => ({ name, type: 'string', nullable: true })),
  ]
  const rowCount = countAll ? r.rowCounts.reduce((a, b) => a + b, 0) : null
  return { ...listing, fields, rowCount }
}

/**
 * The listing as a snapshot-shaped value, so Delta's partition pruning (pruneFiles) applies to
 * Hive partition values unchanged. Only what pruneFiles reads is meaningful; never cached.
 */
function asSnapshot(dir: string, fields: Field[], listing: ParquetFolderListing): Snapshot {
  const files = listing.files.map((f): ActiveFile => ({
    path: f.rel, partitionValues: f.partition, size: 0, modificationTime: 0, dataChange: true, absolutePath: f.path,
  }))
  return {
    tablePath: dir, version: 0, latestVersion: 0, earliestVersion: 0,
    protocol: { minReaderVersion: 1, minWriterVersion: 1 },
    metadata: {
      id: `parquet-folder:${dir}`, format: { provider: 'parquet', options: {} },
      schemaString: `parquet-folder:${JSON.stringify(fields)}`, partitionColumns: listing.partitionColumns, configuration: {},
    },
    deltaSchema: { type: 'struct', fields: [] },
    schema: fields, unsupportedColumns: [], partitionColumns: listing.partitionColumns,
    files, tombstones: [], txns: {}, domains: {}, timestampMs: 0, commitInfo: null, checkpointVersion: null,
  }
}

/**
 * A registered Parquet folder's current files as a snapshot-shaped value (see asSnapshot), for
 * the readers that plan over snapshots (explore, profile, column stats). `fields` is the
 * dataset's schema (from registration). Throws like listParquetFolder, and `422
 * unsupported_table` when the folder gained a partition column the dataset does not know.
 */
export async function folderSnapshot(root: string, dir: string, fields: Field[]): Promise<Snapshot> {
  await assertInsideOrg(root, dir)
  const listing = await listParquetFolder(root, dir)
  // A partition key the dataset does not know (layout changed after registration) cannot be typed or filtered.
  const known = new Set(fields.map((f) => f.name))
  for (const k of listing.partitionColumns) {
    if (!known.has(k)) throw unsupported(`the Parquet folder now has partition column "${k}", which the dataset's schema does not have; register it again`)
  }
  return asSnapshot(dir, fields, listing)
}

/**
 * Streams the plan's output over a plain Parquet folder: lists the files, prunes them by
 * partition values, scans in a worker. Scan errors arrive from the stream.
 */
export async function* exploreParquetFolder(pool: WorkerPool, root: string, dir: string, fields: Field[], req: ExploreRequest): AsyncGenerator<Uint8Array> {
  // Hive partition values are raw values: never prune on a masked column.
  const planned = pruneFiles(await folderSnapshot(root, dir, fields), req.plan.filter, { skipColumns: maskedColumns(req.masks) })
  yield* scanFiles(pool, planned.map((f) => ({ path: f.absolutePath, partitionValues: f.typedPartitionValues })), fields, req)
}
