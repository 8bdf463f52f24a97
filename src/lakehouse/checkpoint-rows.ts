/**
 * What goes into a classic V1 checkpoint (PROTOCOL.md "Checkpoints" under "Requirements for
 * Writers", "Checkpoint Schema"): one row per action — protocol, metaData, every txn, live
 * domainMetadata, every active add, and the remove tombstones that have not expired — and the
 * Arrow schema of those rows as Spark and delta-rs write it.
 *
 * Columns (Spark's order): txn, add, remove, metaData, protocol, and domainMetadata when the
 * table has live domains. `remove` carries no `stats`/`tags` (tombstones serve VACUUM only).
 * `add.stats` is the JSON string, left out when `delta.checkpoint.writeStatsAsJson=false`.
 * `protocol.readerFeatures`/`writerFeatures` are non-null only at reader 3 / writer 7, as the
 * protocol requires. Maps are map<string,string> (key required, value nullable) with the
 * repeated group named `key_value` and lists use `element`, the Parquet-standard names that
 * Spark's checkpoints have.
 *
 * Tombstones expire `delta.deletedFileRetentionDuration` (default 7 days) after their
 * `deletionTimestamp` (missing counts as 0, as in Spark), measured from the checkpointed
 * version's own commit time, so the content of a checkpoint is a function of the version alone.
 *
 * Pure; runs on any thread (no wasm here).
 */
import {
  Bool, Field, Int32, Int64, List, Map_, Struct, Utf8, vectorFromArray, Table as ArrowTable, type DataType,
} from 'apache-arrow'
import type { AddFile, DeletionVectorDescriptor, RemoveFile } from './actions.js'
import type { Snapshot } from './replay.js'

export const DEFAULT_TOMBSTONE_RETENTION_MS = 7 * 24 * 3600 * 1000

const UNIT_MS: Record<string, number> = {
  microsecond: 0.001, millisecond: 1, second: 1000, minute: 60_000, hour: 3_600_000, day: 86_400_000, week: 604_800_000,
}

/**
 * Milliseconds of a Spark CalendarInterval string as Delta table properties hold them
 * (`interval 7 days`, `1 week`, `interval 1 day 12 hours`), or null when it is not one
 * (months and years are not durations: Delta refuses them too).
 */
export function parseIntervalMs(s: string): number | null {
  let rest = s.trim().toLowerCase()
  if (rest.startsWith('interval')) rest = rest.slice('interval'.length).trim()
  if (rest === '') return null
  let total = 0
  const re = /^(-?\d+)\s*(microsecond|millisecond|second|minute|hour|day|week)s?\s*/
  while (rest !== '') {
    const m = re.exec(rest)
    if (!m) return null
    total += Number(m[1]) * UNIT_MS[m[2]!]!
    rest = rest.slice(m[0].length)
  }
  return total
}

/** The tombstone retention of a table in ms, or null (keep every tombstone) when the property cannot be parsed. */
export function tombstoneRetentionMs(configuration: Record<string, string>): number | null {
  const v = configuration['delta.deletedFileRetentionDuration']
  return v === undefined ? DEFAULT_TOMBSTONE_RETENTION_MS : parseIntervalMs(v)
}

/** The tombstones a checkpoint of `snapshot` keeps at `nowMs` (default: the version's commit time). */
export function liveTombstones(snapshot: Snapshot, nowMs = snapshot.timestampMs): RemoveFile[] {
  const retention = tombstoneRetentionMs(snapshot.metadata.configuration)
  if (retention === null) return snapshot.tombstones
  const cutoff = nowMs - retention
  return snapshot.tombstones.filter((r) => (r.deletionTimestamp ?? 0) > cutoff)
}

const f = (name: string, type: DataType, nullable = true) => new Field(name, type, nullable)

function stringMap(): Map_<Utf8, Utf8> {
  const entries = new Struct<{ key: Utf8; value: Utf8 }>([new Field('key', new Utf8(), false), new Field('value', new Utf8(), true)])
  const m = new Map_<Utf8, Utf8>(new Field('key_value', entries, false))
  // apache-arrow renames the entries field to "entries" (ARROW-8716); Parquet's standard name
  // for the repeated group is "key_value" (what Spark writes), and arrow-rs keeps our name.
  ;(m.children[0] as { name: string }).name = 'key_value'
  return m
}
const stringList = () => new List(f('element', new Utf8()))

const dvType = () => new Struct([
  f('storageType', new Utf8()), f('pathOrInlineDv', new Utf8()), f('offset', new Int32()),
  f('sizeInBytes', new Int32()), f('cardinality', new Int64()),
])

export interface CheckpointLayout {
  /** write `add.stats` (delta.checkpoint.writeStatsAsJson, default true) */
  statsAsJson: boolean
  /** write the domainMetadata column (the table has live domains) */
  domainMetadata: boolean
}

/** The Arrow types of the checkpoint's top-level columns. */
export function checkpointColumns(layout: CheckpointLayout): Field[] {
  const add: Field[] = [
    f('path', new Utf8()), f('partitionValues', stringMap()), f('size', new Int64()), f('modificationTime', new Int64()),
    f('dataChange', new Bool()),
    ...(layout.statsAsJson ? [f('stats', new Utf8())] : []),
    f('tags', stringMap()), f('deletionVector', dvType()), f('baseRowId', new Int64()), f('defaultRowCommitVersion', new Int64()),
    f('clusteringProvider', new Utf8()),
  ]
  const cols = [
    f('txn', new Struct([f('appId', new Utf8()), f('version', new Int64()), f('lastUpdated', new Int64())])),
    f('add', new Struct(add)),
    f('remove', new Struct([
      f('path', new Utf8()), f('deletionTimestamp', new Int64()), f('dataChange', new Bool()), f('extendedFileMetadata', new Bool()),
      f('partitionValues', stringMap()), f('size', new Int64()), f('deletionVector', dvType()), f('baseRowId', new Int64()),
      f('defaultRowCommitVersion', new Int64()),
    ])),
    f('metaData', new Struct([
      f('id', new Utf8()), f('name', new Utf8()), f('description', new Utf8()),
      f('format', new Struct([f('provider', new Utf8()), f('options', stringMap())])),
      f('schemaString', new Utf8()), f('partitionColumns', stringList()), f('configuration', stringMap()), f('createdTime', new Int64()),
    ])),
    f('protocol', new Struct([
      f('minReaderVersion', new Int32()), f('minWriterVersion', new Int32()), f('readerFeatures', stringList()), f('writerFeatures', stringList()),
    ])),
  ]
  if (layout.domainMetadata) {
    cols.push(f('domainMetadata', new Struct([f('domain', new Utf8()), f('configuration', new Utf8()), f('removed', new Bool())])))
  }
  return cols
}

/** One checkpoint row: exactly one action column set, as the values apache-arrow builders take. */
export type CheckpointRow = { column: string; value: Record<string, unknown> }

const big = (n: number | null | undefined) => (n === null || n === undefined ? null : BigInt(Math.trunc(n)))
const map = (o: Record<string, string | null> | null | undefined) => (o ? new Map(Object.entries(o)) : null)
const dv = (d: DeletionVectorDescriptor | null | undefined) => d
  ? { storageType: d.storageType, pathOrInlineDv: d.pathOrInlineDv, offset: d.offset ?? null, sizeInBytes: d.sizeInBytes, cardinality: big(d.cardinality) }
  : null

function addRow(a: AddFile, layout: CheckpointLayout): Record<string, unknown> {
  const row: Record<string, unknown> = {
    path: a.path, partitionValues: map(a.partitionValues) ?? new Map(), size: big(a.size), modificationTime: big(a.modificationTime),
    dataChange: a.dataChange, tags: map(a.tags), deletionVector: dv(a.deletionVector), baseRowId: big(a.baseRowId),
    defaultRowCommitVersion: big(a.defaultRowCommitVersion), clusteringProvider: a.clusteringProvider ?? null,
  }
  if (layout.statsAsJson) row.stats = a.stats ?? null
  return row
}

function removeRow(r: RemoveFile): Record<string, unknown> {
  return {
    path: r.path, deletionTimestamp: big(r.deletionTimestamp), dataChange: r.dataChange, extendedFileMetadata: r.extendedFileMetadata ?? null,
    partitionValues: map(r.partitionValues), size: big(r.size), deletionVector: dv(r.deletionVector), baseRowId: big(r.baseRowId),
    defaultRowCommitVersion: big(r.defaultRowCommitVersion),
  }
}

export interface CheckpointPlan {
  layout: CheckpointLayout
  rows: CheckpointRow[]
  numOfAddFiles: number
}

/**
 * The rows of the checkpoint of `snapshot` (protocol, metaData, txns by appId, live domains,
 * adds in snapshot order, unexpired tombstones). `nowMs` decides tombstone expiry (default:
 * the version's commit time). Never throws.
 */
export function planCheckpoint(snapshot: Snapshot, nowMs?: number): CheckpointPlan {
  const cfg = snapshot.metadata.configuration
  const domains = Object.values(snapshot.domains).filter((d) => !d.removed)
  const layout: CheckpointLayout = { statsAsJson: cfg['delta.checkpoint.writeStatsAsJson'] !== 'false', domainMetadata: domains.length > 0 }
  const p = snapshot.protocol
  const m = snapshot.metadata
  const rows: CheckpointRow[] = [
    { column: 'protocol', value: {
      minReaderVersion: p.minReaderVersion, minWriterVersion: p.minWriterVersion,
      readerFeatures: p.minReaderVersion === 3 ? [...(p.readerFeatures ?? [])] : null,
      writerFeatures: p.minWriterVersion === 7 ? [...(p.writerFeatures ?? [])] : null,
    } },
    { column: 'metaData', value: {
      id: m.id, name: m.name ?? null, description: m.description ?? null,
      format: { provider: m.format.provider, options: map(m.format.options) ?? new Map() },
      schemaString: m.schemaString, partitionColumns: [...m.partitionColumns], configuration: map(m.configuration) ?? new Map(),
      createdTime: big(m.createdTime),
    } },
  ]
  for (const t of Object.values(snapshot.txns).sort((a, b) => (a.appId < b.appId ? -1 : a.appId > b.appId ? 1 : 0))) {
    rows.push({ column: 'txn', value: { appId: t.appId, version: big(t.version), lastUpdated: big(t.lastUpdated) } })
  }
  for (const d of domains.sort((a, b) => (a.domain < b.domain ? -1 : 1))) {
    rows.push({ column: 'domainMetadata', value: { domain: d.domain, configuration: d.configuration, removed: false } })
  }
  for (const a of snapshot.files) rows.push({ column: 'add', value: addRow(a, layout) })
  for (const r of liveTombstones(snapshot, nowMs)) rows.push({ column: 'remove', value: removeRow(r) })
  return { layout, rows, numOfAddFiles: snapshot.files.length }
}

/** An Arrow table of `rows` (every column present; null where a row holds another action). */
export function rowsToArrow(rows: CheckpointRow[], columns: Field[]): ArrowTable {
  const vectors: Record<string, ReturnType<typeof vectorFromArray>> = {}
  for (const col of columns) {
    vectors[col.name] = vectorFromArray(rows.map((r) => (r.column === col.name ? r.value : null)), col.type)
  }
  return new ArrowTable(vectors)
}
