/**
 * The actions of the commits Sluice writes: table creation (version 0), appends, overwrites,
 * and remove actions. commitInfo is written the way Spark writes it (key names, string
 * values in operationParameters and operationMetrics, e.g. `"partitionBy":"[\"year\"]"`,
 * `"numFiles":"2"`), so Spark's DESCRIBE HISTORY shows our commits like its own.
 *
 * Pure (clock and random ids aside); runs on any thread.
 */
import { randomUUID } from 'node:crypto'
import { SluiceError } from '../../proto/errors.js'
import type { Literal } from '../../proto/plan.js'
import type { Field } from '../../proto/types.js'
import type { AddFile, MetadataAction, ProtocolAction, RemoveFile } from './actions.js'
import { toJsonText } from './commit.js'
import { formatPartitionValue } from './partition-values.js'
import { encodeAddPath } from './paths.js'
import { checkWritable } from './protocol.js'
import type { Snapshot } from './replay.js'
import { fieldsToSchemaString, parseSchemaString } from './schema.js'
import { statsNumRecords } from './stats.js'

/** A data file Sluice wrote, to be added to the table. */
export interface NewFile {
  /** on-disk path relative to the table root, `/`-separated, not URI-encoded */
  path: string
  size: number
  /** Delta stats JSON string (as Spark writes it), or an object serialized as such */
  stats?: string | Record<string, unknown> | null
  /** typed values (Literal) or already-serialized strings, per partition column */
  partitionValues?: Record<string, Literal | null>
  /** ms since epoch; default now */
  modificationTime?: number
}

export interface CommitInfoOptions {
  /** default 'WRITE' */
  operation?: string
  /** values are written as Spark writes them: strings (arrays/objects as JSON text) */
  operationParameters?: Record<string, unknown>
  /** default computed from the files: numFiles, numOutputRows (when stats have it), numOutputBytes */
  operationMetrics?: Record<string, unknown>
  /** e.g. `Sluice/0.1.0` */
  engineInfo: string
  /** the Sluice job that made the commit */
  runId?: string
  userName?: string
  /** default now */
  timestampMs?: number
}

export interface CreateTableOptions extends CommitInfoOptions {
  schema: Field[]
  partitionColumns: string[]
  files: NewFile[]
  description?: string
  name?: string
  configuration?: Record<string, string>
}

export type DeltaActionJson = Record<string, unknown>

/** Spark writes operationParameters / operationMetrics values as strings. */
export function sparkStringValues(o: Record<string, unknown>): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined) continue
    out[k] = v === null ? null : typeof v === 'string' ? v : typeof v === 'object' ? toJsonText(v) : String(v)
  }
  return out
}

function defaultMetrics(files: NewFile[]): Record<string, string> {
  const m: Record<string, string> = {
    numFiles: String(files.length),
    numOutputBytes: String(files.reduce((n, f) => n + f.size, 0)),
  }
  let rows = 0
  for (const f of files) {
    const n = statsNumRecords(typeof f.stats === 'string' ? f.stats : f.stats ? toJsonText(f.stats) : null)
    if (n === null) return m
    rows += n
  }
  m.numOutputRows = String(rows)
  return m
}

function commitInfo(o: CommitInfoOptions, files: NewFile[], extra: { readVersion?: number; isBlindAppend: boolean; defaultParameters: Record<string, unknown> }): DeltaActionJson {
  return {
    commitInfo: {
      timestamp: o.timestampMs ?? Date.now(),
      userName: o.userName,
      operation: o.operation ?? 'WRITE',
      operationParameters: sparkStringValues(o.operationParameters ?? extra.defaultParameters),
      readVersion: extra.readVersion,
      isolationLevel: 'Serializable',
      isBlindAppend: extra.isBlindAppend,
      operationMetrics: sparkStringValues(o.operationMetrics ?? defaultMetrics(files)),
      engineInfo: o.engineInfo,
      txnId: randomUUID(),
      runId: o.runId,
    },
  }
}

function checkRelativePath(p: string): void {
  if (p === '' || p.startsWith('/') || p.includes('\\') || p.split('/').some((s) => s === '..' || s === '.' || s === '')) {
    throw new Error(`data file path "${p}" must be relative to the table root`)
  }
  if (p.startsWith('_')) throw new Error(`data file path "${p}" must not be in a hidden directory`)
}

function addAction(f: NewFile, partitionFields: Field[], nowMs: number): DeltaActionJson {
  checkRelativePath(f.path)
  const partitionValues: Record<string, string | null> = {}
  for (const pf of partitionFields) {
    if (!f.partitionValues || !(pf.name in f.partitionValues)) {
      throw new Error(`data file "${f.path}" has no value for partition column "${pf.name}"`)
    }
    const v = f.partitionValues[pf.name]
    partitionValues[pf.name] = typeof v === 'string' ? v : formatPartitionValue(v ?? null, pf)
  }
  const add: AddFile = {
    path: encodeAddPath(f.path),
    partitionValues,
    size: f.size,
    modificationTime: f.modificationTime ?? nowMs,
    dataChange: true,
  }
  if (f.stats !== undefined && f.stats !== null) add.stats = typeof f.stats === 'string' ? f.stats : toJsonText(f.stats)
  return { add }
}

function partitionFieldsOf(schema: Field[], partitionColumns: string[]): Field[] {
  return partitionColumns.map((c) => {
    const f = schema.find((x) => x.name === c)
    if (!f) throw new SluiceError(422, 'schema_mismatch', `partition column "${c}" is not a column of the table`)
    if (f.type === 'binary' || f.type === 'json') {
      throw new SluiceError(422, 'schema_mismatch', `column "${c}" of type ${f.type} cannot be a partition column`)
    }
    return f
  })
}

/**
 * The actions of version 0 of a new table: commitInfo, protocol (reader 1, writer 2),
 * metaData (fresh id, parquet, Spark schemaString, createdTime, configuration), one add
 * (dataChange true) per file. Throws `422 schema_mismatch` for an invalid schema or partition
 * column.
 */
export function createTableActions(o: CreateTableOptions): DeltaActionJson[] {
  if (o.schema.length === 0) throw new SluiceError(422, 'schema_mismatch', 'a table needs at least one column')
  const schemaString = fieldsToSchemaString(o.schema)
  const partitionFields = partitionFieldsOf(o.schema, o.partitionColumns)
  if (o.partitionColumns.length === o.schema.length) {
    throw new SluiceError(422, 'schema_mismatch', 'a table needs at least one column that is not a partition column')
  }
  const now = o.timestampMs ?? Date.now()
  const protocol: ProtocolAction = { minReaderVersion: 1, minWriterVersion: 2 }
  const metaData: MetadataAction = {
    id: randomUUID(),
    name: o.name ?? null,
    description: o.description ?? null,
    format: { provider: 'parquet', options: {} },
    schemaString,
    partitionColumns: [...o.partitionColumns],
    configuration: { ...(o.configuration ?? {}) },
    createdTime: now,
  }
  return [
    commitInfo({ ...o, timestampMs: now }, o.files, {
      isBlindAppend: true,
      defaultParameters: { mode: 'ErrorIfExists', partitionBy: JSON.stringify(o.partitionColumns) },
    }),
    { protocol },
    { metaData },
    ...o.files.map((f) => addAction(f, partitionFields, now)),
  ]
}

export interface AppendOptions extends CommitInfoOptions {
  files: NewFile[]
}

/**
 * The actions of an append to `snapshot` (commit them as `snapshot.version + 1`): commitInfo
 * with readVersion and isBlindAppend true, one add per file. Throws `422 unsupported_table`
 * when Sluice cannot write this table (see checkWritable).
 */
export function appendActions(snapshot: Snapshot, o: AppendOptions): DeltaActionJson[] {
  checkWritable(snapshot.protocol, snapshot.metadata, snapshot.deltaSchema, { removesData: false })
  const partitionFields = partitionFieldsOf(snapshot.schema, snapshot.partitionColumns)
  const now = o.timestampMs ?? Date.now()
  return [
    commitInfo({ ...o, timestampMs: now }, o.files, {
      readVersion: snapshot.version,
      isBlindAppend: true,
      defaultParameters: { mode: 'Append', partitionBy: '[]' },
    }),
    ...o.files.map((f) => addAction(f, partitionFields, now)),
  ]
}

/** A remove action (tombstone) for an active file, keeping its identity (path, DV) exactly. */
export function removeAction(f: AddFile, opts: { dataChange: boolean; timestampMs?: number }): DeltaActionJson {
  const remove: RemoveFile = {
    path: f.path,
    deletionTimestamp: opts.timestampMs ?? Date.now(),
    dataChange: opts.dataChange,
    extendedFileMetadata: true,
    partitionValues: f.partitionValues,
    size: f.size,
  }
  if (f.tags) remove.tags = f.tags
  if (f.deletionVector) remove.deletionVector = f.deletionVector
  if (f.baseRowId !== undefined && f.baseRowId !== null) remove.baseRowId = f.baseRowId
  if (f.defaultRowCommitVersion !== undefined && f.defaultRowCommitVersion !== null) remove.defaultRowCommitVersion = f.defaultRowCommitVersion
  return { remove }
}

export interface OverwriteOptions extends CommitInfoOptions {
  files: NewFile[]
  /** a new schema (and partitioning) for the table; default: keep the current one */
  schema?: Field[]
  partitionColumns?: string[]
}

/**
 * The actions of a full overwrite of `snapshot` (commit as `snapshot.version + 1`): commitInfo
 * (mode Overwrite), a new metaData when the schema or partitioning changes, a remove for every
 * active file, an add per new file. Throws `422 unsupported_table` when Sluice cannot write
 * this table (e.g. append-only).
 */
export function overwriteActions(snapshot: Snapshot, o: OverwriteOptions): DeltaActionJson[] {
  checkWritable(snapshot.protocol, snapshot.metadata, snapshot.deltaSchema, { removesData: true })
  const now = o.timestampMs ?? Date.now()
  const schema = o.schema ?? snapshot.schema
  const partitionColumns = o.partitionColumns ?? snapshot.partitionColumns
  const out: DeltaActionJson[] = [
    commitInfo({ ...o, timestampMs: now }, o.files, {
      readVersion: snapshot.version,
      isBlindAppend: false,
      defaultParameters: { mode: 'Overwrite', partitionBy: JSON.stringify(partitionColumns) },
    }),
  ]
  if (o.schema || o.partitionColumns) {
    const schemaString = fieldsToSchemaString(schema)
    parseSchemaString(schemaString)
    const changed = schemaString !== fieldsToSchemaString(snapshot.schema) ||
      JSON.stringify(partitionColumns) !== JSON.stringify(snapshot.partitionColumns) ||
      snapshot.unsupportedColumns.length > 0
    if (changed) {
      partitionFieldsOf(schema, partitionColumns)
      out.push({ metaData: { ...snapshot.metadata, schemaString, partitionColumns: [...partitionColumns] } })
    }
  }
  for (const f of snapshot.files) {
    const { absolutePath: _abs, ...add } = f
    out.push(removeAction(add, { dataChange: true, timestampMs: now }))
  }
  const partitionFields = partitionFieldsOf(schema, partitionColumns)
  for (const f of o.files) out.push(addAction(f, partitionFields, now))
  return out
}
