/**
 * Delta log actions (PROTOCOL.md "Actions") and their parsing from commit JSON lines and from
 * checkpoint rows. Unknown actions and unknown fields are ignored, as the protocol requires
 * ("Protocol Evolution": clients must ignore unrecognized actions and fields).
 *
 * Pure; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'

export interface ProtocolAction {
  minReaderVersion: number
  minWriterVersion: number
  /** only with minReaderVersion 3 */
  readerFeatures?: string[]
  /** only with minWriterVersion 7 */
  writerFeatures?: string[]
}

export interface FormatSpec {
  provider: string
  options: Record<string, string>
}

export interface MetadataAction {
  id: string
  name?: string | null
  description?: string | null
  format: FormatSpec
  schemaString: string
  partitionColumns: string[]
  createdTime?: number | null
  configuration: Record<string, string>
}

export interface DeletionVectorDescriptor {
  storageType: string
  pathOrInlineDv: string
  offset?: number | null
  sizeInBytes: number
  cardinality: number
}

export interface AddFile {
  /** as written in the log: an RFC 2396 URI, relative to the table root or absolute */
  path: string
  /** serialized partition values; null (or '') means a null value */
  partitionValues: Record<string, string | null>
  size: number
  modificationTime: number
  dataChange: boolean
  /** the stats JSON string, as written (see stats.ts) */
  stats?: string | null
  tags?: Record<string, string | null> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
  clusteringProvider?: string | null
}

export interface RemoveFile {
  path: string
  deletionTimestamp?: number | null
  dataChange: boolean
  extendedFileMetadata?: boolean | null
  partitionValues?: Record<string, string | null> | null
  size?: number | null
  stats?: string | null
  tags?: Record<string, string | null> | null
  deletionVector?: DeletionVectorDescriptor | null
  baseRowId?: number | null
  defaultRowCommitVersion?: number | null
}

export interface TxnAction {
  appId: string
  version: number
  lastUpdated?: number | null
}

/** Free-form provenance; the fields below are the ones Spark, delta-rs and Sluice write. */
export interface CommitInfo {
  timestamp?: number
  inCommitTimestamp?: number
  operation?: string
  operationParameters?: Record<string, unknown>
  operationMetrics?: Record<string, unknown>
  userId?: string
  userName?: string
  engineInfo?: string
  clientVersion?: string
  readVersion?: number
  isBlindAppend?: boolean
  isolationLevel?: string
  txnId?: string
  runId?: string
  job?: { runId?: string } & Record<string, unknown>
  [key: string]: unknown
}

export interface DomainMetadataAction {
  domain: string
  configuration: string
  removed: boolean
}

export interface CdcAction {
  path: string
  partitionValues: Record<string, string | null>
  size: number
  dataChange: boolean
  tags?: Record<string, string | null> | null
}

export interface CheckpointMetadataAction {
  version: number
  tags?: Record<string, string | null> | null
}

export interface SidecarAction {
  path: string
  sizeInBytes: number
  modificationTime: number
  tags?: Record<string, string | null> | null
}

export type Action =
  | { kind: 'protocol'; protocol: ProtocolAction }
  | { kind: 'metaData'; metaData: MetadataAction }
  | { kind: 'add'; add: AddFile }
  | { kind: 'remove'; remove: RemoveFile }
  | { kind: 'txn'; txn: TxnAction }
  | { kind: 'commitInfo'; commitInfo: CommitInfo }
  | { kind: 'domainMetadata'; domainMetadata: DomainMetadataAction }
  | { kind: 'cdc'; cdc: CdcAction }
  | { kind: 'checkpointMetadata'; checkpointMetadata: CheckpointMetadataAction }
  | { kind: 'sidecar'; sidecar: SidecarAction }

export type ActionKind = Action['kind']

export const ACTION_KINDS: readonly ActionKind[] = [
  'protocol', 'metaData', 'add', 'remove', 'txn', 'commitInfo', 'domainMetadata', 'cdc',
  'checkpointMetadata', 'sidecar',
]

const corrupt = (where: string, msg: string) =>
  new SluiceError(422, 'unsupported_table', `invalid Delta log (${where}): ${msg}`)

type Obj = Record<string, unknown>
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v)

function str(o: Obj, k: string, where: string): string {
  const v = o[k]
  if (typeof v !== 'string') throw corrupt(where, `"${k}" must be a string`)
  return v
}
function optStr(o: Obj, k: string): string | null | undefined {
  const v = o[k]
  return typeof v === 'string' ? v : v === null ? null : undefined
}
function num(o: Obj, k: string, where: string, dflt?: number): number {
  const v = o[k]
  if (typeof v === 'number' && Number.isFinite(v)) return v
  if (typeof v === 'bigint') return Number(v)
  if (typeof v === 'string' && /^-?\d+$/.test(v)) return Number(v)
  if ((v === undefined || v === null) && dflt !== undefined) return dflt
  throw corrupt(where, `"${k}" must be a number`)
}
function optNum(o: Obj, k: string): number | null | undefined {
  const v = o[k]
  if (typeof v === 'number') return v
  if (typeof v === 'bigint') return Number(v)
  return v === null ? null : undefined
}
function bool(o: Obj, k: string, dflt: boolean): boolean {
  const v = o[k]
  return typeof v === 'boolean' ? v : dflt
}
function strMap(v: unknown): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  if (!isObj(v)) return out
  for (const [k, x] of Object.entries(v)) {
    out[k] = typeof x === 'string' ? x : x === null || x === undefined ? null : String(x)
  }
  return out
}
function optStrMap(v: unknown): Record<string, string | null> | null | undefined {
  return isObj(v) ? strMap(v) : v === null ? null : undefined
}
function strList(v: unknown): string[] | undefined {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : undefined
}

function parseDv(v: unknown, where: string): DeletionVectorDescriptor | null | undefined {
  if (v === null) return null
  if (!isObj(v)) return undefined
  return {
    storageType: str(v, 'storageType', where),
    pathOrInlineDv: str(v, 'pathOrInlineDv', where),
    offset: optNum(v, 'offset'),
    sizeInBytes: num(v, 'sizeInBytes', where, 0),
    cardinality: num(v, 'cardinality', where, 0),
  }
}

/** Drops `undefined` members so actions stay small and compare cleanly. */
function compact<T extends object>(o: T): T {
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] === undefined) delete o[k]
  return o
}

/**
 * Normalizes one action body (the value under its action key) into a typed action.
 * Returns null for unknown action kinds. Throws `422 unsupported_table` when a known
 * action lacks a required field.
 */
export function normalizeAction(kind: string, body: unknown, where: string): Action | null {
  if (!isObj(body)) return null
  const w = `${where}, ${kind}`
  switch (kind) {
    case 'protocol':
      return { kind, protocol: compact({
        minReaderVersion: num(body, 'minReaderVersion', w),
        minWriterVersion: num(body, 'minWriterVersion', w),
        readerFeatures: strList(body.readerFeatures),
        writerFeatures: strList(body.writerFeatures),
      }) }
    case 'metaData': {
      const format = isObj(body.format) ? body.format : {}
      return { kind, metaData: compact({
        id: typeof body.id === 'string' ? body.id : '',
        name: optStr(body, 'name'),
        description: optStr(body, 'description'),
        format: { provider: typeof format.provider === 'string' ? format.provider : 'parquet', options: strMap(format.options) as Record<string, string> },
        schemaString: str(body, 'schemaString', w),
        partitionColumns: strList(body.partitionColumns) ?? [],
        createdTime: optNum(body, 'createdTime'),
        configuration: strMap(body.configuration) as Record<string, string>,
      }) }
    }
    case 'add':
      return { kind, add: compact({
        path: str(body, 'path', w),
        partitionValues: strMap(body.partitionValues),
        size: num(body, 'size', w, 0),
        modificationTime: num(body, 'modificationTime', w, 0),
        dataChange: bool(body, 'dataChange', true),
        stats: optStr(body, 'stats'),
        tags: optStrMap(body.tags),
        deletionVector: parseDv(body.deletionVector, w),
        baseRowId: optNum(body, 'baseRowId'),
        defaultRowCommitVersion: optNum(body, 'defaultRowCommitVersion'),
        clusteringProvider: optStr(body, 'clusteringProvider'),
      }) }
    case 'remove':
      return { kind, remove: compact({
        path: str(body, 'path', w),
        deletionTimestamp: optNum(body, 'deletionTimestamp'),
        dataChange: bool(body, 'dataChange', true),
        extendedFileMetadata: typeof body.extendedFileMetadata === 'boolean' ? body.extendedFileMetadata : undefined,
        partitionValues: optStrMap(body.partitionValues),
        size: optNum(body, 'size'),
        stats: optStr(body, 'stats'),
        tags: optStrMap(body.tags),
        deletionVector: parseDv(body.deletionVector, w),
        baseRowId: optNum(body, 'baseRowId'),
        defaultRowCommitVersion: optNum(body, 'defaultRowCommitVersion'),
      }) }
    case 'txn':
      return { kind, txn: compact({
        appId: str(body, 'appId', w),
        version: num(body, 'version', w),
        lastUpdated: optNum(body, 'lastUpdated'),
      }) }
    case 'commitInfo':
      // free-form by definition: keep every field
      return { kind, commitInfo: body as CommitInfo }
    case 'domainMetadata':
      return { kind, domainMetadata: {
        domain: str(body, 'domain', w),
        configuration: typeof body.configuration === 'string' ? body.configuration : '',
        removed: bool(body, 'removed', false),
      } }
    case 'cdc':
      return { kind, cdc: compact({
        path: str(body, 'path', w),
        partitionValues: strMap(body.partitionValues),
        size: num(body, 'size', w, 0),
        dataChange: bool(body, 'dataChange', false),
        tags: optStrMap(body.tags),
      }) }
    case 'checkpointMetadata':
      return { kind, checkpointMetadata: compact({ version: num(body, 'version', w), tags: optStrMap(body.tags) }) }
    case 'sidecar':
      return { kind, sidecar: compact({
        path: str(body, 'path', w),
        sizeInBytes: num(body, 'sizeInBytes', w, 0),
        modificationTime: num(body, 'modificationTime', w, 0),
        tags: optStrMap(body.tags),
      }) }
    default:
      return null
  }
}

/**
 * Parses the newline-delimited JSON of one commit file into actions, in file order.
 * Blank lines are skipped; a line that is not JSON is an error (`422 unsupported_table`),
 * since commits are written atomically and never partially.
 */
export function parseCommitText(text: string, version: number): Action[] {
  const out: Action[] = []
  let lineNo = 0
  for (const line of text.split('\n')) {
    lineNo++
    const trimmed = line.trim()
    if (trimmed === '') continue
    let obj: unknown
    try {
      obj = JSON.parse(trimmed)
    } catch {
      throw corrupt(`commit ${version}, line ${lineNo}`, 'not valid JSON')
    }
    if (!isObj(obj)) continue
    for (const [kind, body] of Object.entries(obj)) {
      const a = normalizeAction(kind, body, `commit ${version}`)
      if (a) out.push(a)
    }
  }
  return out
}

/**
 * The unique id of a deletion vector (PROTOCOL.md "Derived Fields"), or null for no DV.
 */
export function dvUniqueId(dv: DeletionVectorDescriptor | null | undefined): string | null {
  if (!dv) return null
  return dv.offset === null || dv.offset === undefined
    ? `${dv.storageType}${dv.pathOrInlineDv}`
    : `${dv.storageType}${dv.pathOrInlineDv}@${dv.offset}`
}
