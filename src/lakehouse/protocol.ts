/**
 * Protocol gating (PROTOCOL.md "Protocol Evolution", "Table Features", "Reader/Writer Version
 * Requirements"). Every path that reads table data calls `checkReadable`; every path that
 * commits to a table (append, overwrite, OPTIMIZE, VACUUM) calls `checkWritable` first.
 *
 * Reader side, what Sluice implements: reader version 1, and reader version 3 with an empty
 * `readerFeatures`. Not implemented, so refused: reader version 2 (column mapping), every
 * reader feature (`columnMapping`, `deletionVectors`, `timestampNtz`, `v2Checkpoint`,
 * `typeWidening`, `vacuumProtocolCheck`, `variantType`, `catalogManaged`, ...), reader
 * versions above 3.
 *
 * `vacuumProtocolCheck` needs nothing from plain readers; it is refused until VACUUM is known
 * to call `checkWritable`, since the feature exists to stop VACUUMs that skip the writer check.
 *
 * Pure; runs on any thread.
 */
import { SluiceError } from '../../proto/errors.js'
import type { MetadataAction, ProtocolAction } from './actions.js'
import type { DeltaStructType } from './schema.js'

/** Reader features Sluice implements. None yet. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set<string>()

/**
 * Writer features Sluice can honour when it commits, given the extra per-table checks in
 * `checkWritable` (e.g. `invariants` only while no column has an invariant).
 */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly', 'invariants', 'checkConstraints', 'changeDataFeed', 'generatedColumns',
  'identityColumns', 'domainMetadata',
])

const unsupported = (msg: string, details: Record<string, unknown>) =>
  new SluiceError(422, 'unsupported_table', msg, details)

/**
 * Throws `422 unsupported_table` naming what is missing when Sluice cannot correctly read a
 * table with this protocol; returns normally otherwise.
 */
export function checkReadable(protocol: ProtocolAction): void {
  const rv = protocol.minReaderVersion
  if (rv === 1) return
  if (rv === 2) {
    throw unsupported('the table needs Delta reader version 2 (columnMapping), which Sluice does not implement', {
      minReaderVersion: rv, features: ['columnMapping'],
    })
  }
  if (rv === 3) {
    const missing = (protocol.readerFeatures ?? []).filter((f) => !SUPPORTED_READER_FEATURES.has(f))
    if (missing.length === 0) return
    throw unsupported(`the table needs Delta reader features Sluice does not implement: ${missing.join(', ')}`, {
      minReaderVersion: rv, features: missing,
    })
  }
  throw unsupported(`the table needs Delta reader version ${rv}; Sluice implements reader versions 1 and 3`, {
    minReaderVersion: rv, features: [],
  })
}

export interface WriteIntent {
  /** true when the commit removes or rewrites rows (overwrite, delete); false for appends and OPTIMIZE */
  removesData: boolean
}

function columnMetadataKeys(schema: DeltaStructType): Set<string> {
  const keys = new Set<string>()
  const walk = (t: unknown) => {
    if (typeof t !== 'object' || t === null) return
    const o = t as Record<string, unknown>
    if (o.type === 'struct' && Array.isArray(o.fields)) {
      for (const f of o.fields as { metadata?: Record<string, unknown>; type: unknown }[]) {
        for (const k of Object.keys(f.metadata ?? {})) keys.add(k)
        walk(f.type)
      }
    } else if (o.type === 'array') walk(o.elementType)
    else if (o.type === 'map') { walk(o.keyType); walk(o.valueType) }
  }
  walk(schema)
  return keys
}

/**
 * Throws `422 unsupported_table` when Sluice cannot commit to this table without breaking a
 * rule it does not implement: unknown writer features, column invariants, CHECK constraints,
 * generated or identity columns, column mapping, row tracking, append-only tables for commits
 * that remove data. Includes the reader check (writers must read the table first).
 */
export function checkWritable(
  protocol: ProtocolAction,
  metadata: MetadataAction,
  schema: DeltaStructType,
  intent: WriteIntent,
): void {
  checkReadable(protocol)
  const wv = protocol.minWriterVersion
  if (wv > 7 || wv < 1) throw unsupported(`the table needs Delta writer version ${wv}`, { minWriterVersion: wv, features: [] })
  if (wv === 7) {
    const missing = (protocol.writerFeatures ?? []).filter((f) => !SUPPORTED_WRITER_FEATURES.has(f))
    if (missing.length > 0) {
      throw unsupported(`the table needs Delta writer features Sluice does not implement: ${missing.join(', ')}`, {
        minWriterVersion: wv, features: missing,
      })
    }
  }
  const cfg = metadata.configuration
  const has = (feature: string, fromVersion: number) =>
    wv === 7 ? (protocol.writerFeatures ?? []).includes(feature) : wv >= fromVersion
  const keys = columnMetadataKeys(schema)
  const refuse = (what: string, feature: string) =>
    unsupported(`Sluice cannot write to this table: ${what}`, { minWriterVersion: wv, features: [feature] })

  if (has('appendOnly', 2) && cfg['delta.appendOnly'] === 'true' && intent.removesData) {
    throw refuse('it is append-only (delta.appendOnly=true)', 'appendOnly')
  }
  if (has('invariants', 2) && keys.has('delta.invariants')) throw refuse('it has column invariants', 'invariants')
  if (has('checkConstraints', 3) && Object.keys(cfg).some((k) => k.startsWith('delta.constraints.'))) {
    throw refuse('it has CHECK constraints', 'checkConstraints')
  }
  if (has('generatedColumns', 4) && keys.has('delta.generationExpression')) {
    throw refuse('it has generated columns', 'generatedColumns')
  }
  if (has('identityColumns', 6) && [...keys].some((k) => k.startsWith('delta.identity.'))) {
    throw refuse('it has identity columns', 'identityColumns')
  }
  if (wv >= 5 && wv <= 6 && (cfg['delta.columnMapping.mode'] ?? 'none') !== 'none') {
    throw refuse('it uses column mapping', 'columnMapping')
  }
  if (has('changeDataFeed', 4) && cfg['delta.enableChangeDataFeed'] === 'true' && intent.removesData) {
    // Whole-file removes need no change data files, but we do not know how callers remove rows.
    throw refuse('it has the change data feed enabled', 'changeDataFeed')
  }
}
